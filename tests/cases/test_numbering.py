"""Documents numbered within a case (…号之一, 之二): a new one follows the highest the case has used."""

from __future__ import annotations

import pytest

from car_enforce.cases.numbering import next_number, numeral, position

CASE = "(2026)浙0326执1234号"


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (99, "九十九")])
def test_numerals(n: int, text: str) -> None:
    assert numeral(n) == text
    assert position(CASE, f"{CASE}之{text}") == n


def test_the_next_number_follows_the_highest_of_the_case_whoever_wrote_it() -> None:
    assert next_number(CASE, []) == f"{CASE}之一"
    used = [f"{CASE}之一", f"{CASE}之三", "(2026)浙0302执77号之九", f"{CASE}之一（查封登记）", "无编号"]
    assert next_number(CASE, used) == f"{CASE}之四"  # another case's, or another shape, is not counted
    assert next_number(CASE, [f"{CASE}之十九"]) == f"{CASE}之二十"
    assert position(CASE, f"{CASE}之7") == 7
