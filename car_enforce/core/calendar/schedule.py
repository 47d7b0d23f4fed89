"""An official holiday schedule (the State Council's yearly notice) as an administrator uploads it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from car_enforce.core import zh
from car_enforce.core.errors import InvalidInput


class HolidaySpan(BaseModel):
    """One holiday of the notice: every day from ``start`` to ``end`` (inclusive) is a rest day."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64)  # calendar_day.name is String(64)
    start: dt.date
    end: dt.date


class MakeUpWorkday(BaseModel):
    """A Saturday or Sunday on which people work to make up for a holiday (调休上班)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64)
    date: dt.date


class YearSchedule(BaseModel):
    """The rest days and make-up workdays of one year; consistency is checked on construction."""

    # Unknown keys are refused: a misspelt "workday" key would otherwise drop make-up days silently.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    year: int = Field(ge=1900, le=2200)
    source: str = Field(min_length=1, max_length=256)  # calendar_year.source is String(256)
    holidays: list[HolidaySpan]
    workdays: list[MakeUpWorkday] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> YearSchedule:
        # InvalidInput is not a ValueError, so pydantic lets it through untouched, with its precise field.
        _check(self)
        return self

    def days(self) -> dict[dt.date, tuple[bool, str]]:
        """Every listed day mapped to (is_workday, name); weekend days inside a holiday are included."""
        out: dict[dt.date, tuple[bool, str]] = {}
        for span in self.holidays:
            day = span.start
            while day <= span.end:
                out[day] = (False, span.name)
                day += dt.timedelta(days=1)
        for workday in self.workdays:
            out[workday.date] = (True, workday.name)
        return out


_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _check(schedule: YearSchedule) -> None:
    year = schedule.year
    if not schedule.holidays:
        raise InvalidInput(
            "holidays", "a schedule lists at least one holiday; is the file complete?", zh="至少列出一个节日"
        )
    rest: dict[dt.date, str] = {}
    for i, span in enumerate(schedule.holidays):
        for key, day in (("start", span.start), ("end", span.end)):
            if day.year != year:
                raise InvalidInput(
                    f"holidays[{i}].{key}",
                    f"{day.isoformat()} is outside {year}; list only the days of {year} "
                    f"(a day of {day.year} belongs in the {day.year} schedule)",
                    zh=f"{zh.day(day)}不在{year}年内；只列{year}年的日子",
                )
        if span.end < span.start:
            raise InvalidInput(
                f"holidays[{i}].end",
                f"{span.end.isoformat()} is before the start {span.start.isoformat()}",
                zh=f"结束日期{zh.day(span.end)}早于开始日期{zh.day(span.start)}",
            )
        day = span.start
        while day <= span.end:
            if day in rest:
                raise InvalidInput(
                    f"holidays[{i}]",
                    f"{day.isoformat()} is already inside the holiday {rest[day]!r}",
                    zh=f"{zh.day(day)}已在“{rest[day]}”假期内",
                )
            rest[day] = span.name
            day += dt.timedelta(days=1)
    seen: set[dt.date] = set()
    for i, workday in enumerate(schedule.workdays):
        day = workday.date
        field = f"workdays[{i}].date"
        if day.year != year:
            raise InvalidInput(
                field,
                f"{day.isoformat()} is outside {year}; list it in the {day.year} schedule",
                zh=f"{zh.day(day)}不在{year}年内",
            )
        if day.weekday() < 5:
            raise InvalidInput(
                field,
                f"{day.isoformat()} is a {day.strftime('%A')}; a make-up workday is "
                "always a Saturday or Sunday",
                zh=f"{zh.day(day)}是{_WEEKDAYS[day.weekday()]}；调休上班日只能是周六或周日",
            )
        if day in rest:
            raise InvalidInput(
                field,
                f"{day.isoformat()} is also inside the holiday {rest[day]!r}",
                zh=f"{zh.day(day)}在“{rest[day]}”假期内，不能同时是调休上班日",
            )
        if day in seen:
            raise InvalidInput(field, f"{day.isoformat()} is listed twice", zh=f"{zh.day(day)}重复列出")
        seen.add(day)


def _field_of(loc: tuple[int | str, ...]) -> str:
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return field or "schedule"


def parse_schedule(text: str) -> YearSchedule:
    """Parse and check an uploaded schedule file; any problem raises ``InvalidInput`` naming the field."""
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("schedule", f"not valid JSON: {exc}", zh="不是有效的 JSON") from None
    if not isinstance(raw, dict):
        raise InvalidInput(
            "schedule",
            "expected a JSON object with year, source, holidays and workdays",
            zh="应为包含 year、source、holidays 和 workdays 的 JSON 对象",
        )
    try:
        # Strict JSON validation: dates must be "YYYY-MM-DD" strings, not numbers read as timestamps.
        return YearSchedule.model_validate_json(text, strict=True)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        more = ""
        more_zh = ""
        if len(errors) > 1:
            more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
            more_zh = f"（另有 {len(errors) - 1} 处问题）"
        raise InvalidInput(
            _field_of(tuple(first["loc"])),
            f"{first['msg']}{more}",
            zh=f"{zh.validation_error(first)}{more_zh}",
        ) from None
