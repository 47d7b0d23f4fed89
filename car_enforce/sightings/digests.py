"""Digests: the passes of a watched car since the officer's last text, gathered into one message.

A car driving past eleven checkpoints in two minutes raises eleven alerts, and every one reaches the
police unit's feed; the officer gets a text for the first (``alerts._tell_or_gather``) and one digest
for the rest, with the route, at most one every ``alerts.DIGEST_EVERY`` per car.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events, zh
from car_enforce.core.events import OFFICER, DomainEvent, Notice
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.sightings.alerts import DIGEST_EVERY, locked_watch
from car_enforce.sightings.models import Alert, AlertDigest, AlertKind, AlertStatus, Camera
from car_enforce.watches.models import Watch

# Alerts that ended while waiting (the car was captured, a look-alike rejected) need no telling.
_SETTLED = (AlertStatus.CLOSED, AlertStatus.REJECTED)


def due_watches(session: Session) -> list[int]:
    """Watches whose oldest alert waiting for a digest has waited DIGEST_EVERY."""
    rows = session.execute(
        select(Alert.watch_id)
        .where(Alert.told_at.is_(None))
        .group_by(Alert.watch_id)
        .having(func.min(Alert.created_at) <= clock.now() - DIGEST_EVERY)
        .order_by(Alert.watch_id)
    )
    return [watch_id for (watch_id,) in rows]


def send_digest(session: Session, *, actor: Principal, watch_id: int) -> AlertDigest | None:
    """Gather the watch's waiting alerts into one digest and text the officer; None when none is due."""
    watch = locked_watch(session, watch_id)  # the same lock alerts are raised under: none slips between
    if watch is None:
        return None
    waiting = list(
        session.scalars(
            select(Alert)
            .where(Alert.watch_id == watch_id, Alert.told_at.is_(None))
            .order_by(Alert.first_read_at)
        )
    )
    now = clock.now()
    if not waiting or min(a.created_at for a in waiting) > now - DIGEST_EVERY:
        return None  # another scheduler sent it, or it is not due yet
    current = [a for a in waiting if a.status not in _SETTLED]
    digest = AlertDigest(
        watch_id=watch.id,
        case_id=watch.case_id,
        created_at=now,
        alerts=len(current),
        first_read_at=min(a.first_read_at for a in waiting),
        last_read_at=max(a.last_read_at for a in waiting),
        route=_route(session, current),
    )
    session.add(digest)
    session.flush()
    for alert in waiting:
        alert.told_at, alert.digest_id = now, digest.id
    if current:
        told = Notice(OFFICER, watch.id, _text(session, watch, current), f"digest:{digest.id}")
        events.record(
            session,
            actor,
            DomainEvent(
                kind="alert.digest",
                subject=f"watch:{watch.id}",
                case_id=watch.case_id,
                data={
                    "digest_id": digest.id,
                    "watch_id": watch.id,
                    "alerts": len(current),
                    "route": digest.route,
                },
                parties=(watch.court_id,),
                notices=(told,),
            ),
        )
    session.flush()
    return digest


def _route(session: Session, alerts: Sequence[Alert]) -> list[dict[str, Any]]:
    cameras = {
        camera_id: external_id
        for camera_id, external_id in session.execute(
            select(Camera.id, Camera.external_id).where(Camera.id.in_({a.camera_id for a in alerts}))
        )
    }
    return [
        {
            "alert_id": a.id,
            "read_at": clock.as_utc(a.first_read_at).isoformat(),
            "lon": a.lon,
            "lat": a.lat,
            "camera": cameras.get(a.camera_id, ""),
            "status": a.status,
        }
        for a in alerts
    ]


def _text(session: Session, watch: Watch, alerts: Sequence[Alert]) -> str:
    first, last = alerts[0], alerts[-1]
    to_confirm = sum(1 for a in alerts if a.status == AlertStatus.PENDING)
    late = sum(1 for a in alerts if a.status == AlertStatus.LATE)
    notes = []
    if to_confirm:
        notes.append(f"{to_confirm}次为疑似识别待您核对")
    if late:
        notes.append(f"{late}次为设备补传的过往记录")
    hits = sum(1 for a in alerts if a.kind == AlertKind.HIT and a.status == AlertStatus.OPEN)
    if hits:
        notes.append(f"{hits}次已通知当地交警")
    unit = session.get(Organisation, last.routed_unit_id or last.reporter_id)
    where = f"{unit.name}" if unit is not None else "卡口"
    span = f"{zh.clock_time(first.first_read_at)}至{zh.clock_time(last.last_read_at)}"
    return (
        f"您布控的车辆{watch.vehicle.plate}在{span}又被识别{len(alerts)}次（{'，'.join(notes)}），"
        f"最近一次{zh.month_day_time(last.last_read_at)}在{where}。行驶路线请登录平台查看。"
    )
