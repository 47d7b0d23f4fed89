"""Starting long work, confirming or cancelling a draft, and reading where it stands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.errors import NotFound
from car_enforce.core.identity.principal import Principal
from car_enforce.core.work import transitions
from car_enforce.core.work.models import WorkItem, WorkStatus

MAX_TITLE = 200


def submit(
    session: Session,
    actor: Principal,
    *,
    kind: str,
    title: str,
    total: int,
    params: dict[str, Any] | None = None,
    input_ref: str | None = None,
    draft: bool = False,
) -> WorkItem:
    """Queue the work (or keep it as a draft the person confirms after a preview); the runner takes it
    after the commit."""
    assert actor.organisation_id is not None, "work belongs to an organisation"
    item = WorkItem(
        kind=kind,
        status=WorkStatus.DRAFT if draft else WorkStatus.QUEUED,
        organisation_id=actor.organisation_id,
        started_by=actor.label,
        user_id=actor.user_id,
        title=title[:MAX_TITLE],
        input_ref=input_ref,
        params=params or {},
        total=total,
        done=0,
        result={},
        error="",
        attempts=0,
        created_at=clock.now(),
    )
    session.add(item)
    session.flush()
    return item


def visible_work(session: Session, actor: Principal, work_id: int, kind: str | None = None) -> WorkItem:
    """Work started by the actor's organisation (of ``kind``); NotFound for anyone else's, which they are
    not even told exists."""
    item = session.get(WorkItem, work_id)
    if item is None or item.organisation_id != actor.organisation_id or (kind and item.kind != kind):
        raise NotFound(f"no work item {work_id}", zh="没有找到此任务")
    return item


def recent_work(session: Session, actor: Principal, kind: str, limit: int = 10) -> list[WorkItem]:
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.organisation_id == actor.organisation_id, WorkItem.kind == kind)
            .order_by(WorkItem.id.desc())
            .limit(limit)
        )
    )


def _locked(session: Session, item: WorkItem) -> WorkItem:
    session.execute(select(WorkItem.id).where(WorkItem.id == item.id).with_for_update())
    session.refresh(item)
    return item


def confirm(session: Session, item: WorkItem) -> WorkItem:
    """The person saw the preview and wants it done."""
    transitions.move(_locked(session, item), "confirm")
    return item


def cancel(session: Session, item: WorkItem) -> WorkItem:
    transitions.move(_locked(session, item), "cancel")
    item.finished_at = clock.now()
    return item


def percent(item: WorkItem) -> int:
    if item.status == WorkStatus.DONE:
        return 100
    return min(99, item.done * 100 // item.total) if item.total else 0
