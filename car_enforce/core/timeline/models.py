"""The timeline: an append-only, hash-chained record of every state change, one chain per case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class TimelineEvent(Base):
    __tablename__ = "timeline_event"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_timeline_event_case_id_seq", "case_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "case:<id>" for a case's story; "system" for platform administration (keys, users, calendars).
    chain: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_case.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(96))
    kind: Mapped[str] = mapped_column(String(64))  # "watch.issued", "case.opened", ...
    subject: Mapped[str] = mapped_column(String(64))  # "watch:12"
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class TimelineHead(Base):
    """The last (seq, hash) of each chain, so that deleting the newest event is detected too."""

    __tablename__ = "timeline_head"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
