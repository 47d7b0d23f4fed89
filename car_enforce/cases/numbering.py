"""Documents numbered within a case: the case's number followed by 之一, 之二 … (the seizure ruling a watch
rests on, a renewal's, the sale ruling, a 协助执行通知书). A court numbers a case's documents in turn, so a
new one takes the number after the highest the case has used, whoever wrote it down."""

from __future__ import annotations

from collections.abc import Iterable

_NUMERALS = "零一二三四五六七八九"


def numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (1 to 99; other numbers as digits)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else f"{_NUMERALS[tens]}十")
    return head + ("" if ones == 0 else _NUMERALS[ones])


_VALUES = {numeral(n): n for n in range(1, 100)}


def position(case_number: str, document_number: str) -> int | None:
    """Which of the case's documents ``document_number`` is (``…号之三`` → 3); None for another case's, or
    for a number not written that way."""
    head = f"{case_number}之"
    if not document_number.startswith(head):
        return None
    rest = document_number[len(head) :]
    return _VALUES.get(rest) or (int(rest) if rest.isdigit() else None)


def next_number(case_number: str, used: Iterable[str]) -> str:
    """The number after the highest of ``used`` that belongs to the case: ``…号之一`` when none does."""
    taken = (position(case_number, number) for number in used)
    return f"{case_number}之{numeral(1 + max((n for n in taken if n is not None), default=0))}"
