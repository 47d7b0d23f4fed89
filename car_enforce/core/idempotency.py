"""The one idempotency policy: a repeated POST gets the first answer and changes nothing.

A machine's POST is identified one of two ways:
- an ``Idempotency-Key`` header, checked against a digest of the method, path and body: the same key
  with the same request replays the first answer (status and body); the same key with a different
  request is a 409 (:class:`IdempotencyKeyReused`), never a silent replay of something else;
- a natural key the domain owns (a unit's report number, a center's charge key, a sender's message id):
  the verb returns ``(record, created)`` and the edge answers 201 for a new record and 200 for a replay
  (``api.deps.created_or_replayed``).

The key is claimed at the start of the request's transaction, so a concurrent duplicate waits on the
unique index and then replays the first answer instead of doing the work a second time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from car_enforce.core import clock
from car_enforce.core.db import Base, UTCDateTime
from car_enforce.core.errors import IdempotencyKeyReused, InvalidInput

MAX_KEY_CHARS = 128


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(96))
    key: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(256))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class Answer:
    """The first answer to a request, to be given again."""

    status_code: int
    body: Any


@dataclass
class Claim:
    """A request's hold on its key: either the answer of an earlier identical request (``replay``), or
    the fresh record to remember this request's answer in (``record``); neither without a key."""

    record: IdempotencyRecord | None = None
    replay: Answer | None = None

    def remember(self, status_code: int, body: Any) -> None:
        if self.record is not None:
            self.record.status_code, self.record.response = status_code, body


def request_digest(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def _find(session: Session, principal: str, key: str) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    )


def claim(session: Session, *, principal: str, key: str | None, method: str, path: str, body: bytes) -> Claim:
    """Claim ``key`` for this request in the caller's transaction, or find the first answer under it."""
    if key is None:
        return Claim()
    if not 1 <= len(key) <= MAX_KEY_CHARS:
        raise InvalidInput(
            "Idempotency-Key",
            f"must be 1 to {MAX_KEY_CHARS} characters",
            zh=f"长度应为 1 至 {MAX_KEY_CHARS} 个字符",
        )
    digest = request_digest(method, path, body)
    existing = _find(session, principal, key)
    if existing is None:
        record = IdempotencyRecord(
            principal=principal,
            key=key,
            method=method,
            path=path,
            request_hash=digest,
            status_code=0,
            response=None,
            created_at=clock.now(),
        )
        try:
            with session.begin_nested():
                session.add(record)
        except IntegrityError:
            existing = _find(session, principal, key)  # a concurrent duplicate committed first
        else:
            return Claim(record=record)
    assert existing is not None
    if existing.request_hash != digest:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was used for a different request; use a new key",
            zh="此幂等键（Idempotency-Key）已用于另一个不同的请求，请使用新的键",
        )
    return Claim(replay=Answer(existing.status_code, existing.response))
