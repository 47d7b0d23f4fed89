"""Reaching a stage, the targets a court sets for its stages (in working days after the capture), and
the clock of one capture against them and against the law's deadlines (``legal``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.core import clock, events
from car_enforce.core.calendar.service import PrcCalendar, load_calendar
from car_enforce.core.db import insert_once
from car_enforce.core.errors import Forbidden
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.models import Organisation, OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import organisation_of
from car_enforce.stages.legal import LegalClock, legal_clocks
from car_enforce.stages.models import (
    Milestone,
    Stage,
    StageReached,
    StageTarget,
    StageWarning,
    milestone,
)
from car_enforce.stages.timing import STAGE_ORDER, StageClock, check_targets, local_day, stage_clocks

# The seed story: inspected, priced and listed within five working days of the seizure (云执车, Pingyang).
# A court that has set no target of its own is held to these, counted after the capture day.
DEFAULT_TARGETS: dict[Stage, int] = {
    Stage.INTAKE: 1,
    Stage.INSPECTION: 3,
    Stage.REFERENCE_PRICE: 4,
    Stage.LISTING: 5,
}


def reach(session: Session, *, capture_id: int, stage: Milestone, at: datetime) -> bool:
    """Record that the capture's car reached ``stage`` (or met the legal deadline) at ``at``; the first
    time counts (True), later calls change nothing (False)."""
    row = insert_once(
        session,
        StageReached,
        {"capture_id": capture_id, "stage": stage, "reached_at": at},
        ["capture_id", "stage"],
    )
    return row is not None


# --- Court targets ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A court's effective target for one stage: its own row, or the platform default (``row`` None)."""

    stage: Stage
    working_days: int
    row: StageTarget | None

    @property
    def is_default(self) -> bool:
        return self.row is None


def _court(session: Session, court_id: int) -> Organisation:
    return organisation_of(session, court_id, OrgKind.COURT)


def _may_read_targets(actor: Principal, court_id: int) -> bool:
    return actor.role == Role.ADMIN or (actor.role == Role.OFFICER and actor.organisation_id == court_id)


def court_targets(session: Session, court_id: int) -> list[Target]:
    """The court's effective target of each stage, in stage order."""
    rows = {
        row.stage: row for row in session.scalars(select(StageTarget).where(StageTarget.court_id == court_id))
    }
    return [
        Target(stage, rows[stage].working_days if stage in rows else DEFAULT_TARGETS[stage], rows.get(stage))
        for stage in STAGE_ORDER
    ]


def targets_by_court(session: Session, court_ids: Iterable[int]) -> dict[int, dict[Stage, int]]:
    """The effective working days of every stage for each court, in one query (for the sweep)."""
    ids = sorted(set(court_ids))
    out = {court_id: dict(DEFAULT_TARGETS) for court_id in ids}
    if ids:
        for row in session.scalars(select(StageTarget).where(StageTarget.court_id.in_(ids))):
            out[row.court_id][Stage(row.stage)] = row.working_days
    return out


def visible_targets(session: Session, actor: Principal, court_id: int) -> list[Target]:
    """A court's targets, for its own officers and administrators."""
    _court(session, court_id)
    if not _may_read_targets(actor, court_id):
        raise Forbidden(
            f"only the officers of court {court_id} or an administrator see its stage targets",
            zh="只有该法院的执行人员或系统管理员才能查看其各环节的办理期限",
        )
    return court_targets(session, court_id)


def set_targets(
    session: Session, *, actor: Principal, court_id: int, wanted: Mapping[Stage, int | None]
) -> list[Target]:
    """Set a court's targets as a whole: a stage given None follows the platform default again.

    Setting what is already set changes nothing and records nothing: a repeated PUT is a no-op.
    """
    court = _court(session, court_id)
    if not _may_read_targets(actor, court_id):
        raise Forbidden(
            f"only the officers of {court.name} or an administrator set its stage targets",
            zh=f"只有{court.name}的执行人员或系统管理员才能设置各环节的办理期限",
        )
    effective = {
        stage: days if (days := wanted.get(stage)) is not None else DEFAULT_TARGETS[stage]
        for stage in STAGE_ORDER
    }
    check_targets(effective)
    # Two officers saving at once would both insert the missing rows; the court's row queues them.
    session.execute(select(Organisation.id).where(Organisation.id == court_id).with_for_update())
    before = court_targets(session, court_id)
    now = clock.now()
    changes: dict[str, dict[str, int | None]] = {}
    for target in before:
        days = wanted.get(target.stage)
        old = None if target.is_default else target.working_days
        if days == old:
            continue
        changes[target.stage.value] = {"from": old, "to": days}
        if days is None:
            assert target.row is not None
            session.delete(target.row)
        elif target.row is None:
            session.add(
                StageTarget(
                    court_id=court_id,
                    stage=target.stage,
                    working_days=days,
                    updated_at=now,
                    updated_by=actor.label,
                )
            )
        else:
            target.row.working_days, target.row.updated_at, target.row.updated_by = days, now, actor.label
    if not changes:
        return before
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="stages.targets_set",
            subject=f"court:{court_id}",
            case_id=None,
            data={
                "court_id": court_id,
                "targets": {stage.value: effective[stage] for stage in STAGE_ORDER},
                "defaults": [stage.value for stage in STAGE_ORDER if wanted.get(stage) is None],
                "changes": changes,
            },
        ),
    )
    return court_targets(session, court_id)


# --- The clock of one capture ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaptureClock:
    """A capture's stages as of ``as_of``: today, or the day the car left the center on release."""

    capture: Capture
    captured_on: date
    as_of: date
    running: bool  # False once the capture is released: its clocks stop on the release day
    stages: list[StageClock]
    legal: list[LegalClock]  # the disposal deadline only once the price is fixed
    targets: list[Target]
    reached_at: dict[Milestone, datetime]  # a legal deadline's: when it was met
    warned_at: dict[Milestone, datetime]


def _stopped_on(capture: Capture, today: date) -> date:
    """The local day a released capture's clocks stopped (its release), else today."""
    if capture.status != CaptureStatus.RELEASED:
        return today
    released_at = capture.released_at
    return min(today, local_day(released_at)) if released_at is not None else today


def capture_clock(
    session: Session, capture: Capture, *, calendar: PrcCalendar | None = None, today: date | None = None
) -> CaptureClock:
    """Each stage of the capture: target, due day, reached or not, and how many working days it took; and
    each legal deadline: due day, met or not."""
    calendar = calendar or load_calendar(session)
    as_of = _stopped_on(capture, today or clock.today_local())
    targets = court_targets(session, capture.court_id)
    reached_at = {
        milestone(row.stage): row.reached_at
        for row in session.scalars(select(StageReached).where(StageReached.capture_id == capture.id))
    }
    warned_at = {
        milestone(row.stage): row.raised_at
        for row in session.scalars(select(StageWarning).where(StageWarning.capture_id == capture.id))
    }
    captured_on = local_day(capture.captured_at)
    reached_on = {stage: local_day(at) for stage, at in reached_at.items()}
    return CaptureClock(
        capture=capture,
        captured_on=captured_on,
        as_of=as_of,
        running=capture.status != CaptureStatus.RELEASED,
        stages=stage_clocks(
            calendar,
            captured_on=captured_on,
            targets={t.stage: t.working_days for t in targets},
            reached={s: on for s, on in reached_on.items() if isinstance(s, Stage)},
            today=as_of,
        ),
        legal=legal_clocks(
            calendar,
            captured_on=captured_on,
            reached_on=reached_on,
            today=as_of,
        ),
        targets=targets,
        reached_at=reached_at,
        warned_at=warned_at,
    )
