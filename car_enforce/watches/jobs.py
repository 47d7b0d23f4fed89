"""Scheduled sweeps over watches: lapse at expiry, and reminders to the officer before it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events, sweeps, zh
from car_enforce.core.db import Database
from car_enforce.core.events import APPLICANTS, OFFICER, DomainEvent, Notice
from car_enforce.core.identity.principal import Principal
from car_enforce.watches import transitions
from car_enforce.watches.models import Watch, WatchChangeKind, WatchReminder, WatchStatus
from car_enforce.watches.service import (
    RULE_RENEW,
    lock_watch,
    promote_next,
    publish_change,
)

SWEEPER = Principal.system("watch-sweep")


@dataclass
class SweepReport:
    lapsed: list[int] = field(default_factory=list)
    reminded: list[tuple[int, int]] = field(default_factory=list)


def expired_watches(session: Session, today: date) -> list[int]:
    return list(
        session.scalars(
            select(Watch.id)
            .where(Watch.status == WatchStatus.ACTIVE, Watch.expires_on < today)
            .order_by(Watch.id)
        )
    )


def lapse(session: Session, watch_id: int, today: date) -> int | None:
    """A seizure not renewed by the end of its last day lapses by itself (查封规定 Art. 27)."""
    watch = session.get(Watch, watch_id)
    if watch is None:
        return None
    lock_watch(session, watch)
    if not transitions.can("lapse", watch.status) or watch.expires_on is None or watch.expires_on >= today:
        return None  # lifted or renewed by an officer since the sweep looked
    transitions.move(watch, "lapse", rule=RULE_RENEW)
    watch.ended_at = clock.now()
    session.flush()
    publish_change(session, watch, WatchChangeKind.LAPSED)
    ended = f"{zh.day(watch.expires_on)}"
    events.record(
        session,
        SWEEPER,
        DomainEvent(
            kind="watch.lapsed",
            subject=f"watch:{watch.id}",
            case_id=watch.case_id,
            reason=RULE_RENEW,
            data={
                "watch_id": watch.id,
                "plate": watch.vehicle.plate,
                "expires_on": watch.expires_on,
                "status": watch.status,
            },
            parties=(watch.court_id,),
            notices=(
                Notice(
                    OFFICER,
                    watch.id,
                    f"车辆{watch.vehicle.plate}的布控已于{ended}期满未续行，已自动失效。",
                    f"watch-lapsed:{watch.id}",
                ),
                Notice(
                    APPLICANTS,
                    watch.id,
                    f"对被执行人名下车辆{watch.vehicle.plate}的布控已于{ended}期满失效。",
                ),
            ),
        ),
    )
    promote_next(session, actor=SWEEPER, vehicle_id=watch.vehicle_id)
    return watch.id


def reminders_due(session: Session, today: date, thresholds: tuple[int, ...]) -> list[int]:
    horizon = today + timedelta(days=max(thresholds))
    return list(
        session.scalars(
            select(Watch.id)
            .where(Watch.status == WatchStatus.ACTIVE, Watch.expires_on >= today, Watch.expires_on <= horizon)
            .order_by(Watch.id)
        )
    )


def remind(
    session: Session, watch_id: int, today: date, thresholds: tuple[int, ...]
) -> tuple[int, int] | None:
    """Remind the officer N days before the last day; a missed earlier reminder is not sent late."""
    watch = session.get(Watch, watch_id)
    if watch is None:
        return None
    lock_watch(session, watch)
    if watch.status != WatchStatus.ACTIVE or watch.expires_on is None:
        return None
    days_left = (watch.expires_on - today).days
    if days_left < 0:
        return None
    done = set(
        session.scalars(
            select(WatchReminder.days_before).where(
                WatchReminder.watch_id == watch.id, WatchReminder.expires_on == watch.expires_on
            )
        )
    )
    passed = sorted(n for n in thresholds if days_left <= n and n not in done)
    if not passed:
        return None
    for n in passed:  # the thresholds already passed are recorded, so they are not sent stale later
        session.add(
            WatchReminder(watch_id=watch.id, expires_on=watch.expires_on, days_before=n, sent_at=clock.now())
        )
    nearest = passed[0]
    reminder = Notice(
        OFFICER,
        watch.id,
        f"您布控的车辆{watch.vehicle.plate}将于{zh.day(watch.expires_on)}布控到期（还有{days_left}天），"
        "如需续行请在到期前办理续行查封。",
        f"watch-reminder:{watch.id}:{watch.expires_on.isoformat()}:{nearest}",
    )
    events.record(
        session,
        SWEEPER,
        DomainEvent(
            kind="watch.expiry_reminder",
            subject=f"watch:{watch.id}",
            case_id=watch.case_id,
            data={
                "watch_id": watch.id,
                "plate": watch.vehicle.plate,
                "days_before": nearest,
                "days_left": days_left,
                "expires_on": watch.expires_on,
            },
            parties=(watch.court_id,),
            notices=(reminder,),
        ),
    )
    return (watch.id, nearest)


def sweep_watches(database: Database, thresholds: tuple[int, ...] = (30, 7, 1)) -> SweepReport:
    """The scheduler's watch sweep: lapse first, then remind; each watch in its own transaction, safe to
    rerun and to run twice at once."""
    today = clock.today_local()
    with database.unit_of_work() as session:
        expired = expired_watches(session, today)
    report = SweepReport(lapsed=sweeps.each(database, "lapse", expired, lambda s, w: lapse(s, w, today)))
    with database.unit_of_work() as session:
        due = reminders_due(session, today, thresholds)
    report.reminded = sweeps.each(database, "remind", due, lambda s, w: remind(s, w, today, thresholds))
    return report
