"""What the platform asks of the vehicle registry (车管所): an outbox row per act, and the callbacks taken."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class RequestKind(StrEnum):
    SEIZE = "seize"  # register the court's seizure (查封规定 Art. 7)
    RELEASE = "release"  # release it (查封规定 Art. 28)
    TRANSFER = "transfer"  # transfer the sold car to its buyer (登记规定 Art. 90)


class RequestStatus(StrEnum):
    QUEUED = "queued"  # to send: the sweep calls the registry
    SENT = "sent"  # the registry took it and is working on it (a transfer)
    DONE = "done"
    REFUSED = "refused"  # the registry refused it, with its reasons in ``result``
    FAILED = "failed"  # given up after a permanent error or too many tries: the officer looks at it


class RegistryRequest(Base):
    """One act asked of the registry. ``natural_key`` (kind, case, car, notice) makes asking twice queue one
    request; ``key`` is the Idempotency-Key of every try of it, and the reference the registry echoes back.

    The payload of a transfer holds the buyer's ID number, which the registry needs: it is personal data and
    goes into no event, answer or log."""

    __tablename__ = "registry_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(String(16))
    natural_key: Mapped[str] = mapped_column(String(240), unique=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    # A release: the seizure request whose registry seizure it ends.
    seizure_request_id: Mapped[int | None] = mapped_column(ForeignKey("registry_request.id"))
    ruling_number: Mapped[str] = mapped_column(String(80), default="")
    notice_number: Mapped[str] = mapped_column(String(80))  # the 协助执行通知书's number
    payload: Mapped[Any] = mapped_column(JSON)
    status: Mapped[RequestStatus] = mapped_column(String(16), index=True)
    registry_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # The registry's own word on it, last heard: a seizure's active, queued, released, lapsed; a transfer's
    # processing, completed, refused. Queued seizures and processing transfers are polled.
    registry_status: Mapped[str] = mapped_column(String(16), default="")
    attempts: Mapped[int] = mapped_column(default=0)  # failed tries since the last success
    last_error: Mapped[str] = mapped_column(String(200), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # not sent or polled before then
    result: Mapped[Any] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RegistryMessage(Base):
    """One registry callback taken (its ``webhook-id``): a second delivery of it changes nothing."""

    __tablename__ = "registry_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int] = mapped_column(ForeignKey("registry_request.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
