"""Official holiday schedules loaded by an administrator, one year at a time."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class CalendarYear(Base):
    """A year whose State Council schedule was loaded; its days are authoritative."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(256))  # e.g. "国办发明电〔2026〕x号"
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    loaded_by: Mapped[str] = mapped_column(String(96))


class CalendarDay(Base):
    """A day that differs from the Monday-to-Friday rule: a holiday, or a make-up workday (调休)."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("calendar_year.year", ondelete="CASCADE"), index=True)
    is_workday: Mapped[bool]
    name: Mapped[str] = mapped_column(String(64), default="")
