"""Scheduled sweeps over watches: lapse at expiry, and reminders to the officer before it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.db import Database
from car_enforce.core.identity.principal import Principal
from car_enforce.core.notify import service as notify
from car_enforce.core.timeline import service as timeline
from car_enforce.watches import transitions
from car_enforce.watches.models import Watch, WatchChangeKind, WatchReminder, WatchStatus
from car_enforce.watches.service import (
    RULE_RENEW,
    lock_vehicle,
    promote_next,
    publish_change,
    tell_applicants,
    tell_officer,
)

SWEEPER = Principal.system("watch-sweep")


@dataclass
class SweepReport:
    lapsed: list[int] = field(default_factory=list)
    reminded: list[tuple[int, int]] = field(default_factory=list)


def lapse_expired(session: Session, today: date) -> list[int]:
    """A seizure not renewed by the end of its last day lapses by itself (查封规定 Art. 27)."""
    expired = list(
        session.scalars(
            select(Watch)
            .where(Watch.status == WatchStatus.ACTIVE, Watch.expires_on < today)
            .order_by(Watch.id)
        )
    )
    lapsed: list[int] = []
    for watch in expired:
        lock_vehicle(session, watch)
        if (
            not transitions.can("lapse", watch.status)
            or watch.expires_on is None
            or watch.expires_on >= today
        ):
            continue  # lifted or renewed by an officer since the sweep looked
        transitions.move(watch, "lapse", rule=RULE_RENEW)
        watch.ended_at = clock.now()
        session.flush()
        publish_change(session, watch, WatchChangeKind.LAPSED)
        event = timeline.record(
            session,
            actor=SWEEPER,
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
        )
        notify.enqueue_webhooks(session, event=event, organisation_ids=[watch.court_id])
        tell_officer(
            session,
            event,
            watch,
            f"watch-lapsed:{watch.id}",
            f"车辆{watch.vehicle.plate}的布控已于{watch.expires_on:%Y年%m月%d日}期满未续行，已自动失效。",
        )
        tell_applicants(
            session,
            event,
            watch,
            f"对被执行人名下车辆{watch.vehicle.plate}的布控已于{watch.expires_on:%Y年%m月%d日}期满失效。",
        )
        promote_next(session, actor=SWEEPER, vehicle_id=watch.vehicle_id)
        lapsed.append(watch.id)
    return lapsed


def send_reminders(session: Session, today: date, thresholds: tuple[int, ...]) -> list[tuple[int, int]]:
    """Remind the officer N days before the last day; a missed earlier reminder is not sent late."""
    horizon = today + timedelta(days=max(thresholds))
    due = session.scalars(
        select(Watch)
        .where(Watch.status == WatchStatus.ACTIVE, Watch.expires_on >= today, Watch.expires_on <= horizon)
        .order_by(Watch.id)
    )
    sent: list[tuple[int, int]] = []
    for watch in due:
        assert watch.expires_on is not None
        days_left = (watch.expires_on - today).days
        done = set(
            session.scalars(
                select(WatchReminder.days_before).where(
                    WatchReminder.watch_id == watch.id, WatchReminder.expires_on == watch.expires_on
                )
            )
        )
        passed = sorted(n for n in thresholds if days_left <= n and n not in done)
        if not passed:
            continue
        for n in passed:  # the thresholds already passed are recorded, so they are not sent stale later
            session.add(
                WatchReminder(
                    watch_id=watch.id, expires_on=watch.expires_on, days_before=n, sent_at=clock.now()
                )
            )
        nearest = passed[0]
        event = timeline.record(
            session,
            actor=SWEEPER,
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
        )
        tell_officer(
            session,
            event,
            watch,
            f"watch-reminder:{watch.id}:{watch.expires_on.isoformat()}:{nearest}",
            f"您布控的车辆{watch.vehicle.plate}将于{watch.expires_on:%Y年%m月%d日}布控到期（还有{days_left}天），"
            "如需续行请在到期前办理续行查封。",
        )
        notify.enqueue_webhooks(session, event=event, organisation_ids=[watch.court_id])
        sent.append((watch.id, nearest))
    return sent


def sweep_watches(database: Database, thresholds: tuple[int, ...] = (30, 7, 1)) -> SweepReport:
    """The scheduler's watch sweep: lapse first, then remind; one transaction, safe to rerun."""
    today = clock.today_local()
    with database.unit_of_work() as session:
        report = SweepReport(lapsed=lapse_expired(session, today))
        report.reminded = send_reminders(session, today, thresholds)
    return report
