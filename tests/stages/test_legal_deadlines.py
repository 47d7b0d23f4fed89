"""The law's deadlines beside the stage targets, as pure rules: start the reference-price procedure within
30 days of the seizure (参考价规定 Art. 1), disposal within 10 days of the price (Art. 30), both counted as
court periods (民诉法 Art. 85: calendar days, the first not counted, off a rest day to the next working day).
"""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from auction.settlement import rules as settlement_rules
from car_enforce.core.calendar.service import Deadline, PrcCalendar
from car_enforce.stages import legal
from car_enforce.stages.legal import (
    DISPOSAL_WITHIN_DAYS,
    INQUIRY_WITHIN_DAYS,
    LegalClock,
    legal_clock,
    legal_clocks,
    legal_warning_text,
)
from car_enforce.stages.models import LegalDeadline, Marker, Stage
from car_enforce.stages.timing import StageStatus
from valuation.reference_price import rules as reference_price

INQUIRY = LegalDeadline.INQUIRY_STARTED
DISPOSAL = LegalDeadline.DISPOSAL_STARTED
RULING = LegalDeadline.RULING_SERVED
HANDOVER = LegalDeadline.HANDED_OVER


@pytest.fixture(scope="module")
def cal() -> PrcCalendar:
    return PrcCalendar()


def due(cal: PrcCalendar, deadline: LegalDeadline, starts_on: date) -> Deadline:
    return legal_clock(cal, deadline, starts_on=starts_on, met_on=None, today=starts_on).due


def test_the_numbers_are_those_of_the_reference_price_rules() -> None:
    # stages may not import valuation: the two copies of the law's numbers are held together here.
    assert INQUIRY_WITHIN_DAYS == reference_price.START_WITHIN_DAYS == 30
    assert DISPOSAL_WITHIN_DAYS == reference_price.DISPOSAL_WITHIN_DAYS == 10


def test_the_seizure_day_is_not_counted_and_the_days_are_calendar_days(cal: PrcCalendar) -> None:
    # Monday 23 November 2026 + 30 calendar days: Wednesday 23 December, weekends included.
    assert due(cal, INQUIRY, date(2026, 11, 23)) == Deadline(date(2026, 12, 23), provisional=False)
    # Friday 4 December + 10: Monday 14 December.
    assert due(cal, DISPOSAL, date(2026, 12, 4)) == Deadline(date(2026, 12, 14), provisional=False)


def test_a_period_ending_in_the_national_day_holiday_ends_on_the_next_working_day(cal: PrcCalendar) -> None:
    # 1–7 October 2026 are rest days: 1 September + 30 and 24 September + 10 both land in them.
    assert not chinese_calendar.is_workday(date(2026, 10, 1))
    assert due(cal, INQUIRY, date(2026, 9, 1)) == Deadline(date(2026, 10, 8), provisional=False)
    assert due(cal, DISPOSAL, date(2026, 9, 24)) == Deadline(date(2026, 10, 8), provisional=False)


def test_a_period_ending_in_the_spring_festival_ends_after_it(cal: PrcCalendar) -> None:
    # 15–23 February 2026 are rest days: 20 January + 30 is Thursday 19 February.
    assert not chinese_calendar.is_workday(date(2026, 2, 19))
    assert due(cal, INQUIRY, date(2026, 1, 20)) == Deadline(date(2026, 2, 24), provisional=False)


def test_a_period_ending_on_a_make_up_saturday_ends_that_day(cal: PrcCalendar) -> None:
    # Saturday 10 October 2026 is worked (调休上班): a working day, not a rest day.
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert due(cal, DISPOSAL, date(2026, 9, 30)) == Deadline(date(2026, 10, 10), provisional=False)


def test_a_period_ending_in_a_guessed_year_is_provisional(cal: PrcCalendar) -> None:
    assert cal.is_provisional_year(2027)
    # 2 December 2026 + 30: New Year's Day 2027 (guessed), then the weekend.
    assert due(cal, INQUIRY, date(2026, 12, 2)) == Deadline(date(2027, 1, 4), provisional=True)


@pytest.mark.parametrize(
    ("met_on", "today", "status", "days_late"),
    [
        (None, date(2026, 12, 22), StageStatus.PENDING, 0),
        (None, date(2026, 12, 23), StageStatus.PENDING, 0),  # the whole due day is still in time
        (None, date(2026, 12, 26), StageStatus.LATE, 3),  # a Saturday counts: calendar days
        (date(2026, 12, 1), date(2027, 2, 1), StageStatus.ON_TIME, 0),
        (date(2026, 12, 23), date(2027, 2, 1), StageStatus.ON_TIME, 0),
        (date(2026, 12, 28), date(2027, 2, 1), StageStatus.REACHED_LATE, 5),
    ],
)
def test_met_or_not(
    cal: PrcCalendar, met_on: date | None, today: date, status: StageStatus, days_late: int
) -> None:
    clock = legal_clock(cal, INQUIRY, starts_on=date(2026, 11, 23), met_on=met_on, today=today)
    assert (clock.due.on, clock.met_on) == (date(2026, 12, 23), met_on)
    assert (clock.status, clock.days_late) == (status, days_late)


def test_the_disposal_clock_exists_only_once_the_price_is_fixed(cal: PrcCalendar) -> None:
    captured_on, today = date(2026, 11, 23), date(2026, 12, 30)
    before = legal_clocks(cal, captured_on=captured_on, reached_on={}, today=today)
    assert [c.deadline for c in before] == [INQUIRY]
    after = legal_clocks(
        cal,
        captured_on=captured_on,
        reached_on={Stage.REFERENCE_PRICE: date(2026, 12, 4), INQUIRY: date(2026, 12, 1)},
        today=today,
    )
    assert [(c.deadline, c.starts_on, c.due.on, c.status) for c in after] == [
        (INQUIRY, captured_on, date(2026, 12, 23), StageStatus.ON_TIME),
        (DISPOSAL, date(2026, 12, 4), date(2026, 12, 14), StageStatus.LATE),
    ]


def test_after_the_sale_the_ruling_runs_from_full_payment_and_the_handover_from_service(
    cal: PrcCalendar,
) -> None:
    captured_on, today = date(2026, 11, 23), date(2027, 1, 20)
    paid = legal_clocks(
        cal, captured_on=captured_on, reached_on={Marker.PAID_IN_FULL: date(2026, 12, 11)}, today=today
    )
    # 10 calendar days from 11 December: the 21st, a Monday.
    assert [(c.deadline, c.due.on, c.status) for c in paid][1:] == [
        (RULING, date(2026, 12, 21), StageStatus.LATE)
    ]
    served = legal_clocks(
        cal,
        captured_on=captured_on,
        reached_on={Marker.PAID_IN_FULL: date(2026, 12, 11), RULING: date(2026, 12, 11)},
        today=date(2026, 12, 20),
    )
    assert [(c.deadline, c.starts_on, c.due.on, c.status) for c in served][1:] == [
        (RULING, date(2026, 12, 11), date(2026, 12, 21), StageStatus.ON_TIME),
        # 15 days from the 11th end on Saturday the 26th: the period ends on Monday the 28th (民诉法 Art. 85).
        (HANDOVER, date(2026, 12, 11), date(2026, 12, 28), StageStatus.PENDING),
    ]
    late = served[2]
    assert "完成车辆移交买受人" in legal_warning_text(
        "浙C12345", late
    ) and "第二十七条" in legal_warning_text("浙C12345", late)


def test_the_settlements_periods_agree_with_the_stage_clocks() -> None:
    assert (settlement_rules.RULING_WITHIN_DAYS, settlement_rules.HANDOVER_WITHIN_DAYS) == (
        legal.RULING_WITHIN_DAYS,
        legal.HANDOVER_WITHIN_DAYS,
    )


def test_the_warning_names_the_article_and_the_calendar_days_late() -> None:
    late = LegalClock(
        INQUIRY, date(2026, 11, 23), Deadline(date(2026, 12, 23), False), None, StageStatus.LATE, 3
    )
    assert legal_warning_text("浙C12345", late) == (
        "偏离预警：扣押车辆浙C12345应于2026年12月23日前启动确定财产处置参考价程序（《参考价规定》第一条），"
        "现已逾期3日。"
    )
    guessed = LegalClock(
        DISPOSAL, date(2026, 12, 24), Deadline(date(2027, 1, 4), True), None, StageStatus.LATE, 1
    )
    text = legal_warning_text("浙C12345", guessed)
    assert "2027年1月4日前启动财产变价程序" in text and "预估" in text and "《参考价规定》第三十条" in text
