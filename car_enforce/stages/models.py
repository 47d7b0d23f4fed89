"""Each court's stage targets, the instants a capture reached each stage or met a legal deadline, and the
warnings raised."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class Stage(StrEnum):
    """The stages after a capture, in order; each is reached once."""

    INTAKE = "intake"  # 入库
    INSPECTION = "inspection"  # 检测
    REFERENCE_PRICE = "reference_price"  # 参考价
    LISTING = "listing"  # 挂拍


class LegalDeadline(StrEnum):
    """A deadline the law sets (参考价规定), not a court: no target, calendar days counted as a court period.

    Kept apart from ``Stage`` so nothing that takes a stage (a court's targets, the working-day clocks) can
    be handed one; its meeting instant and its warning share the ``stage`` column of the tables below.
    """

    INQUIRY_STARTED = "inquiry_started"  # 启动确定财产处置参考价程序 (Art. 1)
    DISPOSAL_STARTED = "disposal_started"  # 启动财产变价程序 (Art. 30)
    RULING_SERVED = "ruling_served"  # 成交裁定送达买受人 (拍卖变卖规定 Art. 20)
    HANDED_OVER = "handed_over"  # 拍卖财产移交买受人 (拍卖变卖规定 Art. 27)


class Marker(StrEnum):
    """An instant a legal period runs from that is neither a stage nor a deadline met."""

    PAID_IN_FULL = "paid_in_full"  # the price paid in full: the ruling's 10 days run from it


# What a row of stage_reached or stage_warning is about.
Milestone = Stage | LegalDeadline | Marker


def milestone(value: str) -> Milestone:
    """A ``stage`` column's value as its enum."""
    for kind in (Stage, LegalDeadline):
        try:
            return kind(value)
        except ValueError:
            continue
    return Marker(value)


class StageTarget(Base):
    """A court's target for a stage: reached within ``working_days`` working days after the capture day."""

    __tablename__ = "stage_target"
    __table_args__ = (UniqueConstraint("court_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    stage: Mapped[Stage] = mapped_column(String(24))
    working_days: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(96))


class StageReached(Base):
    """The instant a capture's car reached a stage or met a legal deadline, written by the handler of the
    event that completed it."""

    __tablename__ = "stage_reached"
    __table_args__ = (UniqueConstraint("capture_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("capture.id"))
    stage: Mapped[Milestone] = mapped_column(String(24))
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StageWarning(Base):
    """A deviation warning (偏离预警): a stage not reached, or a legal deadline not met, by its due day;
    raised once per stage or deadline."""

    __tablename__ = "stage_warning"
    __table_args__ = (UniqueConstraint("capture_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("capture.id"))
    stage: Mapped[Milestone] = mapped_column(String(24))
    due_on: Mapped[date] = mapped_column(Date)
    due_provisional: Mapped[bool]  # the due day was counted over a guessed holiday year
    # The court's target in working days; for a legal deadline, the law's period in calendar days.
    target_working_days: Mapped[int]
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timeline_event_id: Mapped[int] = mapped_column(ForeignKey("timeline_event.id"))
