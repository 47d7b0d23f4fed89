"""Enforcement case numbers (案号, SPC 法〔2015〕137号)."""

from __future__ import annotations

from datetime import datetime

import pytest

from car_enforce.cases.case_number import ENFORCEMENT_KINDS, CaseNumber, parse_case_number
from car_enforce.core import clock
from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.errors import InvalidInput


def parse(raw: str) -> CaseNumber:
    return parse_case_number(raw, today_year=2026)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(2026)浙0326执1234号", CaseNumber(2026, "浙0326", "执", 1234)),
        ("（2026）浙0326执1234号", CaseNumber(2026, "浙0326", "执", 1234)),  # full-width parentheses
        (" ( 2026 ) 浙0326 执 1234 号 ", CaseNumber(2026, "浙0326", "执", 1234)),
        ("〔2025〕浙03执复5号", CaseNumber(2025, "浙03", "执复", 5)),  # intermediate court, 〔〕 brackets
        ("(2024)浙执监7号", CaseNumber(2024, "浙", "执监", 7)),  # Zhejiang Higher Court: no digits
        ("(2024)最高法执监102号", CaseNumber(2024, "最高法", "执监", 102)),
        ("(2023)内0102执恢8号", CaseNumber(2023, "内0102", "执恢", 8)),  # Inner Mongolia courts use 内
        ("(2023)黔01执保3号", CaseNumber(2023, "黔01", "执保", 3)),
        ("(2023)兵0101执异4号", CaseNumber(2023, "兵0101", "执异", 4)),
        ("(2026)浙0326执恢0012号", CaseNumber(2026, "浙0326", "执恢", 12)),  # leading zeros dropped
        ("（２０２６）浙０３２６执１２号", CaseNumber(2026, "浙0326", "执", 12)),  # full-width digits
        ("(2026)浙0326执第12号", CaseNumber(2026, "浙0326", "执", 12)),  # old-style 第
        ("(2026)浙0326执12", CaseNumber(2026, "浙0326", "执", 12)),  # 号 forgotten
        ("(2027)浙0326执1号", CaseNumber(2027, "浙0326", "执", 1)),  # next year: cases filed at year end
        ("(1990)浙0326执1号", CaseNumber(1990, "浙0326", "执", 1)),
    ],
)
def test_parses_enforcement_case_numbers(raw: str, expected: CaseNumber) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("（2026）浙0326执恢0012号", "(2026)浙0326执恢12号"),
        (" ( 2025 ) 浙03 执复 5  ", "(2025)浙03执复5号"),
        ("(2024)最高法执监102号", "(2024)最高法执监102号"),
    ],
)
def test_text_is_canonical(raw: str, canonical: str) -> None:
    number = parse(raw)
    assert number.text == canonical
    assert str(number) == canonical
    assert parse(number.text) == number  # the canonical text parses back to the same number


@pytest.mark.parametrize("kind", list(ENFORCEMENT_KINDS))
def test_every_enforcement_kind_is_accepted(kind: str) -> None:
    assert parse(f"(2026)浙0326{kind}1号").kind == kind


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("(2026)浙0326民初1234号", "enforcement case number is expected"),
        ("(2026)浙03民终12号", "enforcement case number is expected"),
        ("(2026)浙0326刑初1号", "enforcement case number is expected"),
        ("(2026)浙0326执请1号", "unknown enforcement case type"),
        ("(2026)浙0326执0号", "serial number is 0"),
        ("(2026)浙0326执000号", "serial number is 0"),
        ("(1989)浙0326执1号", "year 1989"),
        ("(2028)浙0326执1号", "year 2028"),
        ("(26)浙0326执1号", "4 digits"),
        ("2026浙0326执1号", "year in parentheses"),
        ("浙0326执1号", "year in parentheses"),
        ("(2026)浙032执1号", "3 digits"),
        ("(2026)浙03261执1号", "5 digits"),
        ("(2026)蒙0102执1号", "court code"),  # courts write Inner Mongolia as 内, not 蒙
        ("(2026)0326执1号", "court code"),
        ("(2026)浙0326执号", "not a case number"),
        ("(2026)浙0326执12号34", "not a case number"),
        ("(2026)浙0326执-1号", "not a case number"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_rejects_malformed_case_numbers(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as exc:
        parse_case_number(raw, field="case.case_number", today_year=2026)
    assert exc.value.field == "case.case_number"
    assert exc.value.rule is not None and "137" in exc.value.rule


def test_error_shows_an_example_of_the_expected_form() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse("2026浙0326执1号")
    assert "(2026)浙0326执1234号" in exc.value.detail


def test_default_year_bound_comes_from_the_clock() -> None:
    previous = clock.set_clock(MovableClock(datetime(2030, 6, 1, 9, 0, tzinfo=SHANGHAI)))
    try:
        assert parse_case_number("(2031)浙0326执1号").year == 2031
        with pytest.raises(InvalidInput, match="year 2032"):
            parse_case_number("(2032)浙0326执1号")
    finally:
        clock.set_clock(previous)
