"""The PRC working-day calendar (RULES §5): rules without a database, then loading official schedules."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from sqlalchemy import func, select

from car_enforce.core.calendar.models import CalendarDay, CalendarYear
from car_enforce.core.calendar.schedule import YearSchedule, parse_schedule
from car_enforce.core.calendar.service import Deadline, PrcCalendar, load_calendar, load_official_year
from car_enforce.core.db import Database
from car_enforce.core.errors import InvalidInput
from car_enforce.core.identity.principal import Principal
from car_enforce.core.timeline import service as timeline
from car_enforce.core.timeline.models import TimelineEvent

FIXTURES = Path(__file__).parents[1] / "calendar_fixtures"
ADMIN = Principal.system("test")


def fixture_text(year: int) -> str:
    return (FIXTURES / f"{year}.json").read_text(encoding="utf-8")


def official(schedule: YearSchedule) -> dict[int, dict[date, bool]]:
    return {schedule.year: {d: w for d, (w, _) in schedule.days().items()}}


@pytest.fixture(scope="module")
def cal() -> PrcCalendar:
    return PrcCalendar()


def chinese_calendar_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


# --- the facts the tests rely on, as chinese_calendar 1.11 records them ------------------------------


def test_2025_national_day_runs_oct_1_to_8_with_make_up_sunday_and_saturday(cal: PrcCalendar) -> None:
    assert [cal.is_workday(date(2025, 10, d)) for d in range(1, 13)] == [
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        False,  # 1-8: 国庆 + 中秋
        True,
        True,  # Thu 9, Fri 10
        True,  # Sat 11: 调休上班
        False,  # Sun 12
    ]
    assert cal.is_workday(date(2025, 9, 28))  # Sunday, make-up workday
    assert cal.year_source(2025) == "chinese_calendar"


def test_2026_national_day_runs_oct_1_to_7_not_8(cal: PrcCalendar) -> None:
    assert not any(cal.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_workday(date(2026, 10, 8))  # Thursday after the holiday
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, make-up workday
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, make-up workday
    assert not cal.is_workday(date(2026, 10, 11))


# --- court periods (民诉法 Art. 85) ------------------------------------------------------------------


def test_first_day_is_not_counted(cal: PrcCalendar) -> None:
    # Served Monday 2 March 2026; a 10-day period ends Thursday 12 March, not the 11th.
    assert cal.court_period_end(date(2026, 3, 2), 10) == Deadline(date(2026, 3, 12), provisional=False)
    assert cal.court_period_end(date(2026, 3, 2), 1) == Deadline(date(2026, 3, 3), provisional=False)


def test_period_ending_on_a_weekend_moves_to_monday(cal: PrcCalendar) -> None:
    assert cal.court_period_end(date(2026, 3, 2), 12).on == date(2026, 3, 16)  # Sat 14 -> Mon 16


def test_period_ending_on_a_holiday_moves_past_the_whole_holiday(cal: PrcCalendar) -> None:
    assert cal.court_period_end(date(2025, 9, 16), 15) == Deadline(date(2025, 10, 9), provisional=False)
    assert cal.court_period_end(date(2026, 9, 16), 15) == Deadline(date(2026, 10, 8), provisional=False)


def test_period_ending_on_a_make_up_saturday_ends_that_day(cal: PrcCalendar) -> None:
    assert cal.court_period_end(date(2026, 9, 30), 10).on == date(2026, 10, 10)


def test_period_rolls_across_new_year_into_the_next_year(cal: PrcCalendar) -> None:
    # Ends Thu 1 Jan 2026 (元旦, with Fri 2 and Sat 3); Sun 4 Jan is a make-up workday.
    assert cal.court_period_end(date(2025, 12, 17), 15) == Deadline(date(2026, 1, 4), provisional=False)


def test_two_year_seizure_period(cal: PrcCalendar) -> None:
    assert cal.court_period_end_years(date(2024, 10, 1), 2) == Deadline(date(2026, 10, 8), provisional=False)
    assert cal.court_period_end_years(date(2024, 3, 12), 2).on == date(2026, 3, 12)


def test_feb_29_ends_on_feb_28_in_a_common_year(cal: PrcCalendar) -> None:
    assert cal.court_period_end_years(date(2024, 2, 29), 1) == Deadline(date(2025, 2, 28), provisional=False)
    # 28 Feb 2026 is a Saturday but a make-up workday (春节调休), so the period ends that day.
    assert cal.court_period_end_years(date(2024, 2, 29), 2) == Deadline(date(2026, 2, 28), provisional=False)
    leap = cal.court_period_end_years(date(2024, 2, 29), 4)  # 2028 is a leap year: 29 Feb, a Tuesday
    assert leap == Deadline(date(2028, 2, 29), provisional=cal.is_provisional_year(2028))


def test_negative_periods_are_refused(cal: PrcCalendar) -> None:
    with pytest.raises(ValueError):
        cal.court_period_end(date(2026, 3, 2), -1)
    with pytest.raises(ValueError):
        cal.court_period_end_years(date(2026, 3, 2), -1)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 3, 2), -1)


# --- working days ------------------------------------------------------------------------------------


def test_roll_to_workday(cal: PrcCalendar) -> None:
    assert cal.roll_to_workday(date(2026, 3, 4)) == Deadline(date(2026, 3, 4), provisional=False)
    assert cal.roll_to_workday(date(2026, 2, 15)).on == date(2026, 2, 24)
    assert cal.roll_to_workday(date(2026, 2, 14)).on == date(2026, 2, 14)  # make-up Saturday


def test_add_working_days_across_spring_festival(cal: PrcCalendar) -> None:
    # From Friday 13 Feb 2026: Sat 14 is a make-up workday, 15-23 is the holiday, Sat 28 is worked again.
    start = date(2026, 2, 13)
    assert cal.add_working_days(start, 1) == Deadline(date(2026, 2, 14), provisional=False)
    assert cal.add_working_days(start, 2).on == date(2026, 2, 24)
    assert cal.add_working_days(start, 5).on == date(2026, 2, 27)
    assert cal.add_working_days(start, 6).on == date(2026, 2, 28)
    assert cal.add_working_days(start, 7).on == date(2026, 3, 2)


def test_add_zero_working_days_rolls_the_start(cal: PrcCalendar) -> None:
    assert cal.add_working_days(date(2026, 2, 16), 0).on == date(2026, 2, 24)
    assert cal.add_working_days(date(2026, 2, 13), 0).on == date(2026, 2, 13)


def test_working_days_between(cal: PrcCalendar) -> None:
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 13)) == 0
    assert cal.working_days_between(date(2026, 2, 28), date(2026, 2, 13)) == 0
    assert cal.working_days_between(date(2026, 3, 1), date(2026, 3, 8)) == 5


def test_working_days_between_agrees_with_add_working_days(cal: PrcCalendar) -> None:
    start = date(2025, 9, 20)
    for n in range(1, 40):
        assert cal.working_days_between(start, cal.add_working_days(start, n).on) == n


# --- years without authoritative data ---------------------------------------------------------------


def test_2031_is_a_provisional_guess(cal: PrcCalendar) -> None:
    assert cal.is_provisional_year(2031)
    assert cal.year_source(2031) == "guess"
    # The guess knows National Day (1-3 Oct, holidays.China) but no make-up days.
    assert cal.roll_to_workday(date(2031, 10, 2)) == Deadline(date(2031, 10, 6), provisional=True)
    assert cal.add_working_days(date(2031, 9, 30), 1) == Deadline(date(2031, 10, 6), provisional=True)


def test_a_deadline_is_provisional_only_if_it_consults_a_guessed_year(cal: PrcCalendar) -> None:
    assert cal.court_period_end(date(2030, 12, 20), 5).provisional  # ends in a guessed year
    assert not cal.roll_to_workday(date(2026, 3, 4)).provisional
    assert cal.court_period_end_years(date(2029, 3, 12), 2).provisional


def test_loaded_2031_schedule_is_authoritative_and_changes_the_answer() -> None:
    cal = PrcCalendar(official(parse_schedule(fixture_text(2031))))
    assert not cal.is_provisional_year(2031)
    assert cal.year_source(2031) == "loaded"
    assert cal.roll_to_workday(date(2031, 10, 2)) == Deadline(date(2031, 10, 8), provisional=False)
    assert cal.add_working_days(date(2031, 9, 30), 1) == Deadline(date(2031, 10, 8), provisional=False)
    assert cal.roll_to_workday(date(2031, 10, 11)) == Deadline(date(2031, 10, 11), provisional=False)
    assert not cal.is_workday(date(2031, 1, 28))  # guessed as a working Tuesday
    assert cal.is_workday(date(2031, 1, 19))  # make-up Sunday
    assert cal.is_provisional_year(2032)


def test_a_loaded_year_wins_over_chinese_calendar() -> None:
    # An (absurd) upload of 2026 with no holidays at all: National Day becomes an ordinary Thursday.
    cal = PrcCalendar({2026: {}})
    assert cal.year_source(2026) == "loaded"
    assert cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 10))
    assert PrcCalendar().is_workday(date(2026, 10, 10))


def test_the_real_2026_schedule_loaded_gives_the_same_days_as_chinese_calendar(cal: PrcCalendar) -> None:
    loaded = PrcCalendar(official(parse_schedule(fixture_text(2026))))
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert loaded.is_workday(day) == cal.is_workday(day), day
        day += timedelta(days=1)


def test_every_year_from_1990_to_2100_answers_without_crashing(cal: PrcCalendar) -> None:
    for year in range(1990, 2101):
        assert cal.is_provisional_year(year) == (not chinese_calendar_knows(year)), year
        end = cal.roll_to_workday(date(year, 12, 31))
        assert end.on.weekday() < 5 or cal.is_workday(end.on)
        assert end.provisional == (cal.is_provisional_year(year) or cal.is_provisional_year(end.on.year))
        assert cal.add_working_days(date(year, 1, 1), 20).on.year == year
    assert cal.is_provisional_year(1995)  # before chinese_calendar's data begins


# --- schedule files ----------------------------------------------------------------------------------


def schedule_json(**changes: object) -> str:
    body: dict[str, object] = {
        "year": 2027,
        "source": "国办发明电〔2026〕测试号",
        "holidays": [{"name": "春节", "start": "2027-02-05", "end": "2027-02-11"}],
        "workdays": [{"name": "春节调休", "date": "2027-02-14"}],
    }
    body.update(changes)
    return json.dumps(body, ensure_ascii=False)


def test_parse_schedule_and_days() -> None:
    schedule = parse_schedule(schedule_json())
    assert schedule.year == 2027
    days = schedule.days()
    assert len(days) == 8
    assert days[date(2027, 2, 5)] == (False, "春节")
    assert days[date(2027, 2, 11)] == (False, "春节")
    assert days[date(2027, 2, 14)] == (True, "春节调休")
    assert date(2027, 2, 12) not in days


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("{not json", "schedule", "not valid JSON"),
        ("[]", "schedule", "JSON object"),
        (schedule_json(year="2027"), "year", "integer"),
        (schedule_json(source=""), "source", "at least 1"),
        (
            schedule_json(holidays=[{"name": "春节", "start": "2026-12-31", "end": "2027-01-02"}]),
            "holidays[0].start",
            "outside 2027",
        ),
        (
            schedule_json(holidays=[{"name": "春节", "start": "2027-02-11", "end": "2027-02-05"}]),
            "holidays[0].end",
            "before the start",
        ),
        (
            schedule_json(holidays=[{"name": "春节", "start": 1801612800, "end": "2027-02-11"}]),
            "holidays[0].start",
            "valid date",
        ),
        (
            schedule_json(holidays=[{"name": "春节", "start": "2027-02-05", "end": "2027-02-31"}]),
            "holidays[0].end",
            "date",
        ),
        (schedule_json(holidays=[]), "holidays", "at least one holiday"),
        (
            schedule_json(
                holidays=[
                    {"name": "春节", "start": "2027-02-05", "end": "2027-02-11"},
                    {"name": "重复", "start": "2027-02-11", "end": "2027-02-12"},
                ]
            ),
            "holidays[1]",
            "already inside",
        ),
        (schedule_json(workdays=[{"name": "春节调休", "date": "2027-02-15"}]), "workdays[0].date", "Monday"),
        (
            schedule_json(workdays=[{"name": "春节调休", "date": "2027-02-06"}]),
            "workdays[0].date",
            "also inside the holiday",
        ),
        (
            schedule_json(workdays=[{"name": "调休", "date": "2028-01-08"}]),
            "workdays[0].date",
            "outside 2027",
        ),
        (
            schedule_json(
                workdays=[{"name": "a", "date": "2027-02-14"}, {"name": "b", "date": "2027-02-14"}]
            ),
            "workdays[1].date",
            "twice",
        ),
        (schedule_json(workday=[]), "workday", "Extra inputs"),
    ],
)
def test_bad_schedules_are_refused(text: str, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_schedule(text)
    assert caught.value.field == field
    assert words in caught.value.detail


# --- loading official years into the database --------------------------------------------------------


def count(db: Database, model: type[CalendarYear] | type[CalendarDay] | type[TimelineEvent]) -> int:
    with db.unit_of_work(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_load_a_year_and_read_it_back(db: Database) -> None:
    with db.unit_of_work() as s:
        assert load_calendar(s).is_provisional_year(2031)
        row = load_official_year(s, parse_schedule(fixture_text(2031)), ADMIN)
        assert row.year == 2031
        assert row.loaded_by == "system:test"
    with db.unit_of_work(read_only=True) as s:
        cal = load_calendar(s)
        assert not cal.is_provisional_year(2031)
        assert cal.roll_to_workday(date(2031, 10, 2)) == Deadline(date(2031, 10, 8), provisional=False)
        assert cal.is_workday(date(2031, 10, 11))
        assert cal.year_source(2026) == "chinese_calendar"  # other years untouched
        stored = s.get(CalendarDay, date(2031, 1, 22))
        assert stored is not None and stored.name == "春节" and not stored.is_workday
        # 1 + 8 + 7 holiday days and 4 make-up workdays
        assert s.scalar(select(func.count()).select_from(CalendarDay)) == 20
        event = s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "calendar.year_loaded")).one()
        assert event.subject == "calendar:2031"
        assert event.case_id is None
        assert event.data["year"] == 2031 and event.data["replaces"] is None
        assert event.data["make_up_workdays"] == 4
        assert timeline.verify(s) == []


def test_reload_replaces_the_earlier_schedule(db: Database) -> None:
    first = parse_schedule(fixture_text(2031))
    corrected = YearSchedule.model_validate(
        {
            "year": 2031,
            "source": "更正通知",
            "holidays": [{"name": "国庆节", "start": "2031-10-01", "end": "2031-10-05"}],
            "workdays": [{"name": "国庆节调休", "date": "2031-09-27"}],
        }
    )
    with db.unit_of_work() as s:
        load_official_year(s, first, ADMIN)
    with db.unit_of_work() as s:
        load_official_year(s, corrected, Principal.system("second"))
    with db.unit_of_work(read_only=True) as s:
        cal = load_calendar(s)
        assert cal.is_workday(date(2031, 1, 28))  # the first upload's 春节 is gone
        assert not cal.is_workday(date(2031, 9, 28))  # so is its make-up Sunday
        assert cal.is_workday(date(2031, 9, 27))
        assert cal.roll_to_workday(date(2031, 10, 2)).on == date(2031, 10, 6)
        year = s.get(CalendarYear, 2031)
        assert year is not None and year.source == "更正通知" and year.loaded_by == "system:second"
        assert s.scalar(select(func.count()).select_from(CalendarDay)) == 6
        events = s.scalars(select(TimelineEvent).order_by(TimelineEvent.seq)).all()
        assert [e.data["replaces"] for e in events] == [None, first.source]
        assert timeline.verify(s) == []


def test_reload_within_one_transaction(db: Database) -> None:
    with db.unit_of_work() as s:
        load_official_year(s, parse_schedule(fixture_text(2031)), ADMIN)
        load_official_year(s, parse_schedule(fixture_text(2031)), ADMIN)
        assert load_calendar(s).is_workday(date(2031, 10, 11))
    assert count(db, CalendarDay) == 20
    assert count(db, CalendarYear) == 1


def test_bad_schedule_stores_nothing_and_keeps_the_earlier_year(db: Database) -> None:
    with db.unit_of_work() as s:
        load_official_year(s, parse_schedule(fixture_text(2031)), ADMIN)
    bad = fixture_text(2031).replace('"2031-10-11"', '"2031-10-10"')  # a Friday as make-up workday
    with pytest.raises(InvalidInput) as caught, db.unit_of_work() as s:
        load_official_year(s, parse_schedule(bad), ADMIN)
    assert caught.value.field == "workdays[3].date"
    with pytest.raises(InvalidInput), db.unit_of_work() as s:
        load_official_year(
            s, parse_schedule(schedule_json(workdays=[{"name": "x", "date": "2027-02-08"}])), ADMIN
        )
    assert count(db, CalendarYear) == 1
    assert count(db, CalendarDay) == 20
    assert count(db, TimelineEvent) == 1
    with db.unit_of_work(read_only=True) as s:
        assert load_calendar(s).is_workday(date(2031, 10, 11))
        assert load_calendar(s).is_provisional_year(2027)


def test_load_calendar_sees_a_year_loaded_after_an_earlier_read(db: Database) -> None:
    with db.unit_of_work() as s:
        before = load_calendar(s)
    with db.unit_of_work() as s:
        load_official_year(s, parse_schedule(fixture_text(2031)), ADMIN)
    with db.unit_of_work(read_only=True) as s:
        after = load_calendar(s)
    assert before.roll_to_workday(date(2031, 10, 2)) == Deadline(date(2031, 10, 6), provisional=True)
    assert after.roll_to_workday(date(2031, 10, 2)) == Deadline(date(2031, 10, 8), provisional=False)
