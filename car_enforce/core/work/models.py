"""One piece of long work and where it stands."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class WorkStatus(StrEnum):
    DRAFT = "draft"  # uploaded and checked, waiting for the person to confirm (a preview is shown)
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a draft the person threw away


class WorkItem(Base):
    __tablename__ = "work_item"
    # The runner's question: what is queued, or running under a claim that ran out.
    __table_args__ = (Index("ix_work_item_status_claimed_until", "status", "claimed_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))  # the handler that runs it: "inventory.import", …
    status: Mapped[WorkStatus] = mapped_column(String(16))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    started_by: Mapped[str] = mapped_column(String(96))  # the person's label, as on the timeline
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    title: Mapped[str] = mapped_column(String(200))  # what the page calls it: 导入库存 车场.csv
    input_ref: Mapped[str | None] = mapped_column(String(80))  # the uploaded file, kept as evidence
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer, default=0)  # steps to do (rows, features)
    done: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # the handler's summary, and where to look
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
