"""Each court's stage targets, the instants a capture reached each stage, and the warnings raised."""

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
    """The instant a capture's car reached a stage, written by the verb that completed it."""

    __tablename__ = "stage_reached"
    __table_args__ = (UniqueConstraint("capture_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("capture.id"))
    stage: Mapped[Stage] = mapped_column(String(24))
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StageWarning(Base):
    """A deviation warning (偏离预警): a stage not reached by its due day; raised once per stage."""

    __tablename__ = "stage_warning"
    __table_args__ = (UniqueConstraint("capture_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("capture.id"))
    stage: Mapped[Stage] = mapped_column(String(24))
    due_on: Mapped[date] = mapped_column(Date)
    due_provisional: Mapped[bool]  # the due day was counted over a guessed holiday year
    target_working_days: Mapped[int]
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timeline_event_id: Mapped[int] = mapped_column(ForeignKey("timeline_event.id"))
