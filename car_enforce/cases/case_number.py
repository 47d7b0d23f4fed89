"""Court case numbers (案号) of enforcement cases, e.g. ``(2026)浙0326执1234号``.

Format, by the SPC Provisions on Case Numbers (法〔2015〕137号, in force 2016-01-01), Art. 3–5:
``"(" + year + ")" + court code + case-type code + serial + "号"``.

Court code (法院代字), Art. 4–5:

- the Supreme People's Court: ``最高法``;
- a higher court: the province's abbreviation alone, e.g. ``浙`` (Zhejiang Higher Court); Inner Mongolia
  uses ``内``, the PLA Military Court ``军`` and the Xinjiang Production and Construction Corps branch
  ``兵``; Guizhou courts use ``黔`` (plates use 贵, courts do not);
- an intermediate court: that code + 2 digits, e.g. ``浙03`` (Wenzhou Intermediate Court);
- a basic court: that code + 4 digits, e.g. ``浙0326`` (Pingyang County Court).

Only enforcement cases (type codes starting with 执) are accepted: vehicle seizure and auction happen in
them. Numbers from before 2016 followed local conventions and are not parsed; the year bound 1990 is a
sanity limit only. An input without the closing 号, or with the old-style 第 before the serial, is accepted
and written canonically; leading zeros in the serial are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput, Rule

RULE_CASE_NUMBER = Rule(
    "SPC 案号规定 (法〔2015〕137号)", "《最高人民法院关于人民法院案件案号的若干规定》（法〔2015〕137号）"
)

# Court-code prefixes: provincial abbreviations as the courts use them, plus 内 军 兵 (Art. 4).
COURT_PROVINCES: Final = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋内陕吉闽黔粤青藏川宁琼军兵"
SUPREME_COURT: Final = "最高法"

# Enforcement case types (人民法院案件类型及其代字标准, 执行类).
ENFORCEMENT_KINDS: Final[dict[str, str]] = {
    "执": "首次执行 (first enforcement)",
    "执恢": "恢复执行 (resumed enforcement)",
    "执保": "财产保全执行 (enforcement of a preservation order)",
    "执异": "执行异议 (objection to enforcement)",
    "执复": "执行复议 (review of an enforcement objection)",
    "执监": "执行监督 (enforcement supervision)",
    "执协": "执行协调 (enforcement coordination between courts)",
    "执他": "其他执行 (other enforcement matter)",
}
MIN_YEAR: Final = 1990

_CASE = re.compile(
    rf"\((?P<year>\d{{4}})\)"
    rf"(?P<court>{SUPREME_COURT}|[{COURT_PROVINCES}](?:\d{{4}}|\d{{2}})?)"
    r"(?P<kind>[\u4e00-\u9fff]{1,3}?)"
    r"第?(?P<serial>\d+)号?"
)

_OPEN = "(（〔[【［"
_CLOSE = ")）〕]】］"
_EXAMPLE = "(2026)浙0326执1234号"


@dataclass(frozen=True)
class CaseNumber:
    year: int
    court_code: str  # 浙0326
    kind: str  # 执, 执恢, 执保 …
    serial: int

    @property
    def text(self) -> str:
        """The canonical form, with ASCII parentheses: ``(2026)浙0326执1234号``."""
        return f"({self.year}){self.court_code}{self.kind}{self.serial}号"

    def __str__(self) -> str:
        return self.text


def _clean(raw: str) -> str:
    # full-width digits become ASCII digits
    half = "".join(chr(ord(c) - 0xFEE0) if 0xFF10 <= ord(c) <= 0xFF19 else c for c in raw)
    half = "".join(half.split())
    for o in _OPEN:
        half = half.replace(o, "(")
    for c in _CLOSE:
        half = half.replace(c, ")")
    return half


def parse_case_number(raw: str, field: str = "case_number", *, today_year: int | None = None) -> CaseNumber:
    """Parse an enforcement case number; InvalidInput (422) with what is wrong and what is expected."""
    if not isinstance(raw, str):
        raise InvalidInput(
            field,
            f"a case number must be text, got {type(raw).__name__}",
            rule=RULE_CASE_NUMBER,
            zh="案号应为文本",
        )
    text = _clean(raw)
    if not text:
        raise InvalidInput(
            field,
            f"the case number is empty; expected e.g. {_EXAMPLE}",
            rule=RULE_CASE_NUMBER,
            zh=f"请填写案号，例如{_EXAMPLE}",
        )
    match = _CASE.fullmatch(text)
    if match is None:
        detail, detail_zh = _explain(text)
        raise InvalidInput(field, detail, rule=RULE_CASE_NUMBER, zh=detail_zh)

    year = int(match["year"])
    if today_year is None:
        today_year = clock.today_local().year
    if not MIN_YEAR <= year <= today_year + 1:
        raise InvalidInput(
            field,
            f"{text}: year {year} is not plausible; expected a year from {MIN_YEAR} to {today_year + 1}",
            rule=RULE_CASE_NUMBER,
            zh=f"{text}：年份{year}不合理，应在 {MIN_YEAR} 至 {today_year + 1} 年之间",
        )
    kind = match["kind"]
    if not kind.startswith("执"):
        raise InvalidInput(
            field,
            f"{text} is a {kind} case, not an enforcement case; an enforcement case number is expected "
            f"(type code starting with 执, e.g. {_EXAMPLE})",
            rule=RULE_CASE_NUMBER,
            zh=f"{text}是“{kind}”字号案件，不是执行案件；请填写类型代字以“执”开头的执行案号，例如{_EXAMPLE}",
        )
    if kind not in ENFORCEMENT_KINDS:
        raise InvalidInput(
            field,
            f"{text}: unknown enforcement case type {kind}; expected one of {' '.join(ENFORCEMENT_KINDS)}",
            rule=RULE_CASE_NUMBER,
            zh=f"{text}：没有“{kind}”这一执行案件类型代字，应为{'、'.join(ENFORCEMENT_KINDS)}之一",
        )
    serial = int(match["serial"])
    if serial == 0:
        raise InvalidInput(
            field,
            f"{text}: the serial number is 0; case serials start at 1",
            rule=RULE_CASE_NUMBER,
            zh=f"{text}：案件序号为 0，序号从 1 开始",
        )
    return CaseNumber(year=year, court_code=match["court"], kind=kind, serial=serial)


def _explain(text: str) -> tuple[str, str]:
    """Say which part of a malformed case number is wrong, in English and in Chinese."""
    if not text.startswith("(") or ")" not in text:
        return (
            f"{text!r} does not start with the year in parentheses; expected e.g. {_EXAMPLE}",
            f"{text}：案号应以括号中的年份开头，例如{_EXAMPLE}",
        )
    year = text[1 : text.index(")")]
    if not (year.isdigit() and len(year) == 4):
        return (
            f"{text!r}: the year in parentheses must have 4 digits, got {year!r}; expected e.g. {_EXAMPLE}",
            f"{text}：括号中的年份应为 4 位数字，例如{_EXAMPLE}",
        )
    rest = text[text.index(")") + 1 :]
    court = re.match(rf"{SUPREME_COURT}|[{COURT_PROVINCES}]\d*", rest)
    if court is None:
        return (
            f"{text!r}: after the year comes the court code — 最高法, or a province abbreviation "
            f"(one of {COURT_PROVINCES}) with 2 digits (intermediate court) or 4 digits (basic court); "
            f"expected e.g. {_EXAMPLE}",
            f"{text}：年份之后应为法院代字——“最高法”，或省级简称加 2 位数字（中级法院）"
            f"或 4 位数字（基层法院），例如{_EXAMPLE}",
        )
    digits = len(court.group()) - 1
    if court.group() != SUPREME_COURT and digits not in (0, 2, 4):
        return (
            f"{text!r}: court code {court.group()} has {digits} digits; a court code has 2 digits "
            f"(intermediate court, e.g. 浙03) or 4 (basic court, e.g. 浙0326); expected e.g. {_EXAMPLE}",
            f"{text}：法院代字{court.group()}带 {digits} 位数字；中级法院为 2 位（如浙03），基层法院为 4 位"
            f"（如浙0326），例如{_EXAMPLE}",
        )
    return (
        f"{text!r} is not a case number of the form (year)court code + case type + serial + 号; "
        f"expected e.g. {_EXAMPLE}",
        f"{text}不符合“（年份）法院代字＋类型代字＋案件序号＋号”的案号格式，例如{_EXAMPLE}",
    )
