"""Running long work in the background: each queued item is claimed in a transaction of its own, its
handler works step by step (each step in its own transaction, recording how far it got), and completes
it in the transaction of its last step, so a crash anywhere leaves either the work done or the item to
be taken up again where its steps show it stopped.

The registry maps a kind to its handler; the composition root registers them (``api.wiring``), so the
core knows no domain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.db import Database
from car_enforce.core.errors import DomainError, NotFound
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import User
from car_enforce.core.identity.principal import Principal
from car_enforce.core.work import transitions
from car_enforce.core.work.models import WorkItem, WorkStatus

log = logging.getLogger(__name__)
# How long a runner holds an item between two steps; a step that takes longer renews it.
CLAIM = timedelta(minutes=2)
MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Job:
    """What a handler gets: the item's own facts, copied out of the session that claimed it."""

    id: int
    kind: str
    organisation_id: int
    user_id: int | None
    params: dict[str, Any]
    input_ref: str | None
    total: int

    def actor(self, session: Session) -> Principal:
        """The person who started the work: its effects are theirs, on the timeline too."""
        user = session.get(User, self.user_id) if self.user_id is not None else None
        if user is None:
            raise NotFound(f"work item {self.id} has no person to act for", zh="此任务没有可代为办理的用户")
        return identity.principal_of_user(user)

    def progress(self, session: Session, done: int, total: int | None = None) -> None:
        """Record how far the work got, in the transaction of the step that got it there."""
        values: dict[str, Any] = {"done": done, "claimed_until": clock.now() + CLAIM}
        if total is not None:
            values["total"] = total
        session.execute(update(WorkItem).where(WorkItem.id == self.id).values(**values))

    def complete(self, session: Session, result: dict[str, Any]) -> None:
        """The work is done: said in the transaction of its last effect, so it is never done twice."""
        item = session.get(WorkItem, self.id, with_for_update=True)
        assert item is not None
        transitions.move(item, "complete")
        item.result, item.finished_at, item.claimed_until = result, clock.now(), None
        item.done = item.total


Handler = Callable[[Database, Job], None]
HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    HANDLERS[kind] = handler


def _claim(session: Session, work_id: int) -> Job | None:
    item = session.get(WorkItem, work_id, with_for_update=True)
    now = clock.now()
    if item is None or not transitions.can("claim", item.status):
        return None
    if item.status == WorkStatus.RUNNING and item.claimed_until is not None and item.claimed_until > now:
        return None  # another runner has it
    if item.status == WorkStatus.RUNNING and item.attempts >= MAX_ATTEMPTS:
        # Its runners died each time (a file that kills the process): it is not taken a fourth time.
        transitions.move(item, "fail")
        item.error = "处理进程多次中断，已停止重试，请检查文件后重新提交"
        item.finished_at, item.claimed_until = now, None
        return None
    transitions.move(item, "claim")
    item.attempts += 1
    item.started_at = item.started_at or now
    item.claimed_until = now + CLAIM
    return Job(
        item.id, item.kind, item.organisation_id, item.user_id, dict(item.params), item.input_ref, item.total
    )


def _end(database: Database, work_id: int, *, error: str, retry: bool) -> None:
    with database.unit_of_work() as session:
        item = session.get(WorkItem, work_id, with_for_update=True)
        if item is None or item.status != WorkStatus.RUNNING:
            return
        if retry and item.attempts < MAX_ATTEMPTS:
            transitions.move(item, "requeue")
            item.claimed_until = None
            return
        transitions.move(item, "fail")
        item.error, item.finished_at, item.claimed_until = error, clock.now(), None


def due(session: Session, limit: int) -> list[int]:
    """Queued items, and running ones whose runner stopped renewing its claim, oldest first."""
    return list(
        session.scalars(
            select(WorkItem.id)
            .where(
                or_(
                    WorkItem.status == WorkStatus.QUEUED,
                    (WorkItem.status == WorkStatus.RUNNING) & (WorkItem.claimed_until < clock.now()),
                )
            )
            .order_by(WorkItem.id)
            .limit(limit)
        )
    )


def run_one(database: Database, work_id: int) -> bool:
    """Claim one item and run its handler to the end; False when it was not ours to run."""
    with database.unit_of_work() as session:
        job = _claim(session, work_id)
    if job is None:
        return False
    handler = HANDLERS.get(job.kind)
    if handler is None:
        _end(database, job.id, error=f"no handler for work of kind {job.kind!r}", retry=False)
        return True
    try:
        handler(database, job)
    except DomainError as exc:
        # The input itself is refused (found after the preview, or changed since): trying again is useless.
        _end(
            database,
            job.id,
            error=f"{exc.detail}（依据：{exc.rule}）" if exc.rule else exc.detail,
            retry=False,
        )
        return True
    except Exception:
        log.exception(
            "work item %s (%s) failed; it is tried again up to %s times", job.id, job.kind, MAX_ATTEMPTS
        )
        _end(database, job.id, error="处理时出现内部错误，已记录在日志中", retry=True)
        return True
    with database.unit_of_work(read_only=True) as session:
        item = session.get(WorkItem, job.id)
        finished = item is not None and item.status == WorkStatus.DONE
    if not finished:
        _end(database, job.id, error=f"handler of {job.kind} returned without completing", retry=False)
    return True


def run_due(database: Database, *, limit: int = 20) -> list[int]:
    """Run what is due (the scheduler's sweep, and a serving process right after a person starts work)."""
    with database.unit_of_work(read_only=True) as session:
        ids = due(session, limit)
    return [work_id for work_id in ids if run_one(database, work_id)]
