"""The PRC working-day calendar: loaded official schedules first, then chinese_calendar, then a flagged guess.

RULES §5: court periods are calendar days ending on a working day (民诉法 Art. 85); internal targets are
working days with make-up workdays (调休). A year known from neither an administrator's upload nor
chinese_calendar is guessed from ``holidays.China`` and every deadline touching it is provisional.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Literal

import chinese_calendar
import holidays
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events
from car_enforce.core.calendar.models import CalendarDay, CalendarYear
from car_enforce.core.calendar.schedule import YearSchedule
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.principal import Principal

YearSource = Literal["loaded", "chinese_calendar", "guess"]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A computed date; ``provisional`` when some day consulted lies in a guessed year."""

    on: date
    provisional: bool


@dataclass(frozen=True, slots=True)
class _Year:
    source: YearSource
    exceptions: Mapping[date, bool]  # only the days that differ from the Monday-to-Friday rule

    def is_workday(self, day: date) -> bool:
        return self.exceptions.get(day, day.weekday() < 5)


def _chinese_calendar_knows(year: int) -> bool:
    # The package raises NotImplementedError outside the years its data covers; ask it rather than
    # hard-coding a range that a package upgrade would silently make wrong.
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=256)
def _builtin_year(year: int) -> _Year:
    """A year from the installed packages; cached since their data cannot change while the process runs."""
    exceptions: dict[date, bool] = {}
    if _chinese_calendar_knows(year):
        day = date(year, 1, 1)
        while day.year == year:
            workday = bool(chinese_calendar.is_workday(day))
            if workday != (day.weekday() < 5):
                exceptions[day] = workday
            day += _ONE_DAY
        return _Year("chinese_calendar", MappingProxyType(exceptions))
    # The guess ignores make-up workdays: the holidays package cannot know a notice not yet published.
    for day in holidays.China(years=year):
        if day.year == year and day.weekday() < 5:
            exceptions[day] = False
    return _Year("guess", MappingProxyType(exceptions))


class PrcCalendar:
    """Working days and legal deadlines over the official schedules of ``official`` plus built-in data."""

    def __init__(self, official: Mapping[int, Mapping[date, bool]] | None = None) -> None:
        self._loaded: dict[int, _Year] = {
            year: _Year("loaded", MappingProxyType({d: bool(w) for d, w in days.items() if d.year == year}))
            for year, days in (official or {}).items()
        }

    def _year(self, year: int) -> _Year:
        return self._loaded.get(year) or _builtin_year(year)

    def year_source(self, year: int) -> YearSource:
        """Where the year's days come from: an administrator's upload, chinese_calendar, or a guess."""
        return self._year(year).source

    def is_provisional_year(self, year: int) -> bool:
        return self._year(year).source == "guess"

    def is_workday(self, day: date) -> bool:
        return self._year(day.year).is_workday(day)

    def _roll(self, day: date) -> Deadline:
        provisional = False
        while True:
            provisional = provisional or self.is_provisional_year(day.year)
            if self.is_workday(day):
                return Deadline(day, provisional)
            day += _ONE_DAY

    def roll_to_workday(self, day: date) -> Deadline:
        """``day`` itself when it is a working day, else the next working day."""
        return self._roll(day)

    def court_period_end(self, start: date, days: int) -> Deadline:
        """End of a court period of ``days`` calendar days from ``start`` (民诉法 Art. 85).

        The day the period starts is not counted, so it ends on ``start + days``; when that is a statutory
        rest day the period ends on the first working day after it. A make-up workday (调休上班) is a
        working day, not a rest day.
        """
        if days < 0:
            raise ValueError("a period cannot be negative")
        return self._roll(start + timedelta(days=days))

    def court_period_end_years(self, start: date, years: int) -> Deadline:
        """End of a period of ``years`` years (the 2-year seizure term, 民诉法解释 Art. 485).

        It ends on the same month and day ``years`` later (29 February on 28 February in a common year),
        then moves to the next working day like any court period (民诉法 Art. 85).
        """
        if years < 0:
            raise ValueError("a period cannot be negative")
        target = start.year + years
        try:
            end = start.replace(year=target)
        except ValueError:  # only 29 February has no counterpart
            end = date(target, 2, 28)
        return self._roll(end)

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The ``n``-th working day after ``start`` (``start`` not counted); ``n = 0`` rolls ``start``."""
        if n < 0:
            raise ValueError("cannot count a negative number of working days")
        if n == 0:
            return self._roll(start)
        day, counted, provisional = start, 0, False
        while counted < n:
            day += _ONE_DAY
            provisional = provisional or self.is_provisional_year(day.year)
            if self.is_workday(day):
                counted += 1
        return Deadline(day, provisional)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b``; 0 when ``b`` is not after ``a``."""
        count, day = 0, a + _ONE_DAY
        while day <= b:
            count += self.is_workday(day)
            day += _ONE_DAY
        return count


def load_calendar(session: Session) -> PrcCalendar:
    """The calendar as of now, built from every year an administrator has loaded (one query)."""
    rows = session.execute(
        select(CalendarYear.year, CalendarDay.day, CalendarDay.is_workday).outerjoin(
            CalendarDay, CalendarDay.year == CalendarYear.year
        )
    ).all()
    official: dict[int, dict[date, bool]] = {}
    for year, day, is_workday in rows:
        days = official.setdefault(year, {})  # a loaded year with no exceptions is still authoritative
        if day is not None:
            days[day] = is_workday
    return PrcCalendar(official)


@dataclass(frozen=True, slots=True)
class LoadedYear:
    """A year an administrator loaded, as the administrator's list shows it."""

    year: int
    source: str
    loaded_at: datetime
    loaded_by: str
    rest_days: int  # the holidays' days, weekends inside them included
    make_up_workdays: int
    working_days: int  # in the whole year, by this schedule


def loaded_years(session: Session) -> list[LoadedYear]:
    """The years loaded from official schedules, newest first, each with its counts."""
    calendar = load_calendar(session)
    days = session.execute(select(CalendarDay.year, CalendarDay.is_workday)).all()
    out = []
    for row in session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())):
        mine = [workday for year, workday in days if year == row.year]
        out.append(
            LoadedYear(
                year=row.year,
                source=row.source,
                loaded_at=row.loaded_at,
                loaded_by=row.loaded_by,
                rest_days=sum(not w for w in mine),
                make_up_workdays=sum(mine),
                working_days=calendar.working_days_between(
                    date(row.year - 1, 12, 31), date(row.year, 12, 31)
                ),
            )
        )
    return out


def load_official_year(session: Session, schedule: YearSchedule, actor: Principal) -> CalendarYear:
    """Store a year's official schedule, replacing an earlier upload of that year; the caller commits."""
    year = schedule.year
    row = session.get(CalendarYear, year, with_for_update=True)
    replaced = row.source if row is not None else None
    session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    now = clock.now()
    if row is None:
        row = CalendarYear(year=year, source=schedule.source, loaded_at=now, loaded_by=actor.label)
        session.add(row)
    else:
        row.source, row.loaded_at, row.loaded_by = schedule.source, now, actor.label
    session.flush()  # the year row first: its days reference it
    days = schedule.days()
    session.add_all(
        CalendarDay(day=day, year=year, is_workday=is_workday, name=name)
        for day, (is_workday, name) in sorted(days.items())
    )
    session.flush()
    # The full schedule goes on the tamper-evident timeline, so any past deadline can be re-derived.
    events.record(
        session,
        actor,
        DomainEvent(
            kind="calendar.year_loaded",
            subject=f"calendar:{year}",
            case_id=None,
            data={
                "year": year,
                "source": schedule.source,
                "replaces": replaced,
                "rest_days": sum(not w for w, _ in days.values()),
                "make_up_workdays": sum(w for w, _ in days.values()),
                "schedule": schedule.model_dump(mode="json"),
            },
        ),
    )
    return row
