"""Stage clocks as pure rules (RULES §5): due days in PRC working days after the capture day, lateness."""

from __future__ import annotations

from datetime import date, datetime

import chinese_calendar
import pytest

from car_enforce.core.calendar.service import Deadline, PrcCalendar
from car_enforce.core.errors import InvalidInput
from car_enforce.stages.models import Stage
from car_enforce.stages.service import DEFAULT_TARGETS
from car_enforce.stages.timing import (
    StageStatus,
    check_targets,
    due_day,
    is_late,
    local_day,
    stage_clock,
    stage_clocks,
    status_of,
    warning_text,
)


@pytest.fixture(scope="module")
def cal() -> PrcCalendar:
    return PrcCalendar()


def on(cal: PrcCalendar, captured_on: date, days: int) -> date:
    deadline = due_day(cal, captured_on, days)
    assert not deadline.provisional
    return deadline.on


def test_the_capture_day_is_not_counted(cal: PrcCalendar) -> None:
    monday = date(2026, 11, 23)
    assert on(cal, monday, 1) == date(2026, 11, 24)
    assert on(cal, monday, 3) == date(2026, 11, 26)


def test_a_target_crossing_a_weekend_skips_it(cal: PrcCalendar) -> None:
    assert on(cal, date(2026, 11, 23), 5) == date(2026, 11, 30)  # Monday + 5: the next Monday
    assert on(cal, date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday + 1
    assert on(cal, date(2026, 11, 28), 1) == date(2026, 11, 30)  # a capture on a Saturday


def test_national_day_week_and_its_make_up_saturday(cal: PrcCalendar) -> None:
    # 2026: 1–7 October off; Saturday 10 October is a make-up workday (调休上班).
    for day in (date(2026, 10, 1), date(2026, 10, 5), date(2026, 10, 7)):
        assert not chinese_calendar.is_workday(day)
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    wednesday = date(2026, 9, 30)
    assert on(cal, wednesday, 1) == date(2026, 10, 8)
    assert on(cal, wednesday, 2) == date(2026, 10, 9)
    assert on(cal, wednesday, 3) == date(2026, 10, 10)  # the make-up Saturday counts
    assert on(cal, wednesday, 5) == date(2026, 10, 13)  # Sunday the 11th does not


def test_make_up_sunday_before_mid_autumn(cal: PrcCalendar) -> None:
    # Sunday 20 September 2026 is worked; Friday 25 September (中秋) is not.
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert not chinese_calendar.is_workday(date(2026, 9, 25))
    friday = date(2026, 9, 18)
    assert on(cal, friday, 1) == date(2026, 9, 20)
    assert on(cal, friday, 5) == date(2026, 9, 24)
    assert on(cal, friday, 6) == date(2026, 9, 28)


def test_a_due_day_in_a_guessed_year_is_provisional(cal: PrcCalendar) -> None:
    assert cal.is_provisional_year(2031)
    # 1–3 October 2031 guessed off, then the weekend.
    assert due_day(cal, date(2031, 9, 30), 1) == Deadline(date(2031, 10, 6), provisional=True)
    assert due_day(cal, date(2031, 9, 30), 1).provisional


def test_crossing_into_a_loaded_year_is_not_provisional() -> None:
    loaded = PrcCalendar({2031: {date(2031, 10, d): False for d in range(1, 8)}})
    assert due_day(loaded, date(2031, 9, 30), 1) == Deadline(date(2031, 10, 8), provisional=False)
    # The same count over the guess is a different, provisional day: the guess has no 4–7 October.
    assert due_day(PrcCalendar(), date(2031, 9, 30), 1).on != date(2031, 10, 8)


def test_the_capture_day_is_the_day_in_shanghai() -> None:
    assert local_day(datetime.fromisoformat("2026-11-22T23:30:00+00:00")) == date(2026, 11, 23)  # 07:30
    assert local_day(datetime.fromisoformat("2026-11-23T15:59:00+00:00")) == date(2026, 11, 23)  # 23:59
    assert local_day(datetime.fromisoformat("2026-11-23T16:00:00+00:00")) == date(2026, 11, 24)  # 00:00


@pytest.mark.parametrize(
    ("reached_on", "today", "status"),
    [
        (None, date(2026, 11, 25), StageStatus.PENDING),
        (None, date(2026, 11, 26), StageStatus.PENDING),  # the whole due day is still in time
        (None, date(2026, 11, 27), StageStatus.LATE),
        (date(2026, 11, 26), date(2026, 12, 9), StageStatus.ON_TIME),
        (date(2026, 11, 27), date(2026, 12, 9), StageStatus.REACHED_LATE),
    ],
)
def test_status(reached_on: date | None, today: date, status: StageStatus) -> None:
    assert status_of(date(2026, 11, 26), reached_on, today) == status


def test_only_a_stage_still_not_reached_is_warned() -> None:
    due = date(2026, 11, 26)
    assert is_late(due, None, date(2026, 11, 27))
    assert not is_late(due, None, due)
    assert not is_late(due, date(2026, 11, 30), date(2026, 12, 1))  # reached late: shown, not warned


def test_working_days_used_and_late(cal: PrcCalendar) -> None:
    monday = date(2026, 11, 23)
    late = stage_clock(
        cal,
        stage=Stage.INSPECTION,
        captured_on=monday,
        working_days=3,
        reached_on=None,
        today=date(2026, 12, 1),
    )
    assert late.due.on == date(2026, 11, 26)
    assert late.status == StageStatus.LATE
    assert late.working_days_used == 6  # 24, 25, 26, 27, 30 November, 1 December
    assert late.working_days_late == 3  # 27, 30 November, 1 December
    done = stage_clock(
        cal,
        stage=Stage.INSPECTION,
        captured_on=monday,
        working_days=3,
        reached_on=date(2026, 11, 25),
        today=date(2026, 12, 1),
    )
    assert (done.status, done.working_days_used, done.working_days_late) == (StageStatus.ON_TIME, 2, 0)


def test_a_late_stage_after_a_pending_one_is_still_late(cal: PrcCalendar) -> None:
    targets = {Stage.INTAKE: 1, Stage.INSPECTION: 3, Stage.REFERENCE_PRICE: 3, Stage.LISTING: 10}
    clocks = stage_clocks(
        cal,
        captured_on=date(2026, 11, 23),
        targets=targets,
        reached={Stage.INTAKE: date(2026, 11, 24)},
        today=date(2026, 11, 27),
    )
    assert [c.stage for c in clocks] == list(Stage)
    assert [c.status for c in clocks] == [
        StageStatus.ON_TIME,
        StageStatus.LATE,
        StageStatus.LATE,
        StageStatus.PENDING,
    ]


def test_the_default_targets_are_in_order() -> None:
    check_targets(DEFAULT_TARGETS)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({Stage.INSPECTION: 0}, "inspection"),
        ({Stage.LISTING: 61}, "listing"),
        ({Stage.INTAKE: 4}, "inspection"),  # intake 4 > inspection 3: the later stage is named
        ({Stage.REFERENCE_PRICE: 2}, "reference_price"),
        ({Stage.LISTING: 3}, "listing"),
    ],
)
def test_targets_out_of_range_or_order_name_the_field(changes: dict[Stage, int], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_targets({**DEFAULT_TARGETS, **changes})
    assert raised.value.field == field


def test_equal_targets_are_allowed() -> None:
    check_targets({Stage.INTAKE: 2, Stage.INSPECTION: 2, Stage.REFERENCE_PRICE: 2, Stage.LISTING: 60})


def test_warning_text() -> None:
    due = Deadline(date(2026, 11, 26), provisional=False)
    text = warning_text("浙C12345", Stage.INSPECTION, due, 1)
    assert text == "偏离预警：扣押车辆浙C12345应于11月26日前完成检测，现已超期1个工作日。"
    guessed = warning_text("浙C12345", Stage.LISTING, Deadline(date(2031, 10, 6), provisional=True), 0)
    assert "10月6日" in guessed and "挂拍" in guessed and "预估" in guessed and "0个工作日" not in guessed
