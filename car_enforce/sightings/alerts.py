"""Alert verbs: raise one per (watch, vehicle pass), route it, confirm or reject a possible hit, close.

A hit is routed at once: to the police unit whose area covers the place of the read (the boundaries'
index), and to the officer of the watch. A possible hit (a match only through look-alike characters) goes
to the officer alone, who confirms it (then it is routed like a hit) or rejects it. Never an automatic
seizure on a look-alike (FORMATS.md). A late read (a camera's buffer, a retransmission) is put on the
watch's record and told to the officer, never routed: nobody is sent to where the car was days ago.

The officer is not sent one text per camera: a car driving past eleven cameras in two minutes gives one
text for the first alert, and the following ones wait for a digest (``send_digest``), at most one every
DIGEST_EVERY per car. A more urgent alert than any the officer heard of recently (a live hit after a late
sighting) is told at once. The police unit's feed still gets every routed alert.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from car_enforce.core import clock, events, zh
from car_enforce.core.access import Scope, own, owned_through
from car_enforce.core.errors import NotFound
from car_enforce.core.events import OFFICER, DomainEvent, Notice
from car_enforce.core.files import evidence
from car_enforce.core.geo.index import cached_index
from car_enforce.core.geo.service import overlapping_jurisdiction_ids
from car_enforce.core.identity.models import Organisation, OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.sightings import transitions
from car_enforce.sightings.index import Match
from car_enforce.sightings.matching import MatchKind
from car_enforce.sightings.models import Alert, AlertDispatch, AlertKind, AlertStatus, Camera, Sighting
from car_enforce.sightings.reads import PlateRead
from car_enforce.vehicles.models import Vehicle
from car_enforce.watches.models import Watch

# Reads of one watched car at one camera within this window are one pass: one alert, not one per frame.
RETRIGGER_WINDOW = timedelta(minutes=10)
# An officer told of a car within this time is not texted again for an alert no more urgent: it waits for
# the digest. A digest goes out once the oldest alert waiting for it has waited DIGEST_EVERY.
QUIET = timedelta(minutes=30)
DIGEST_EVERY = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Where:
    lon: float | None
    lat: float | None


def place_of(read: PlateRead, camera: Camera) -> Where:
    """The read's own coordinates, else where the camera is registered to stand, else unknown."""
    if read.place is not None:
        return Where(read.place.lon, read.place.lat)
    return Where(camera.lon, camera.lat)


def _open_pass(
    session: Session, watch: Watch, camera: Camera, read: PlateRead, kind: MatchKind
) -> Alert | None:
    """The alert this read belongs to: the same vendor pass, or the same camera within the window."""
    statuses = [AlertStatus.PENDING, AlertStatus.OPEN, AlertStatus.CLOSED]
    if kind is MatchKind.POSSIBLE:
        statuses.append(AlertStatus.REJECTED)  # a rejected look-alike stays rejected for its pass
    if read.late:
        statuses.append(AlertStatus.LATE)  # a live read never joins a late alert: it must be dispatched
    same_pass = [Alert.pass_key == read.pass_key] if read.pass_key else []
    nearby = (
        (Alert.camera_id == camera.id)
        & (Alert.last_read_at >= read.read_at - RETRIGGER_WINDOW)
        & (Alert.first_read_at <= read.read_at + RETRIGGER_WINDOW)
    )
    return session.scalar(
        select(Alert)
        .where(Alert.watch_id == watch.id, Alert.status.in_(statuses), or_(nearby, *same_pass))
        .order_by(Alert.last_read_at.desc())
        .limit(1)
    )


@dataclass(frozen=True, slots=True)
class Attached:
    """The alert a read joined, whether the read raised it, and whether the read dispatched it."""

    alert: Alert
    raised: bool = False
    dispatched: bool = False  # routed to the police because of this read (a new hit, or an upgrade)


def attach(
    session: Session, *, actor: Principal, watch: Watch, camera: Camera, read: PlateRead, match: Match
) -> Attached:
    """The alert for this read of a watched car: the pass's existing one, or a new one, raised and routed."""
    alert = _open_pass(session, watch, camera, read, match.kind)
    if alert is None:
        where = place_of(read, camera)
        hit = match.kind is MatchKind.HIT
        status = AlertStatus.LATE if read.late else AlertStatus.OPEN if hit else AlertStatus.PENDING
        alert = Alert(
            watch_id=watch.id,
            case_id=watch.case_id,
            kind=AlertKind.HIT if hit else AlertKind.POSSIBLE,
            status=status,
            plate=watch.vehicle.plate,
            plate_colour=watch.vehicle.plate_colour,
            reporter_id=camera.organisation_id,
            camera_id=camera.id,
            pass_key=read.pass_key,
            first_read_at=read.read_at,
            last_read_at=read.read_at,
            sightings=1,
            lon=where.lon,
            lat=where.lat,
            created_at=clock.now(),
        )
        session.add(alert)
        session.flush()
        if read.late:
            _tell_late(session, actor, alert, watch, camera, read)
        elif hit:
            _route(session, actor, alert, watch, camera)
        else:
            _ask_officer(session, actor, alert, watch, camera, match)
        return Attached(alert, raised=True, dispatched=hit and not read.late)
    alert.sightings += 1
    alert.first_read_at = min(alert.first_read_at, read.read_at)
    alert.last_read_at = max(alert.last_read_at, read.read_at)
    if (
        match.kind is MatchKind.HIT
        and not read.late  # an exact read from the buffer settles nothing about where the car is now
        and alert.kind == AlertKind.POSSIBLE
        and transitions.can("upgrade", alert.status)
    ):
        transitions.move(alert, "upgrade")
        alert.kind = AlertKind.HIT
        _route(session, actor, alert, watch, camera)
        session.flush()
        return Attached(alert, dispatched=True)
    session.flush()
    return Attached(alert)


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    name: str
    jurisdiction_id: int | None


# The police units of each database, read once every UNITS_TTL_S per process: routing a hit must not
# query for them every time, and units are created a few times a year.
UNITS_TTL_S = 30.0
_units: weakref.WeakKeyDictionary[object, tuple[float, dict[int, Unit]]] = weakref.WeakKeyDictionary()


def police_units(session: Session) -> dict[int, Unit]:
    """Every police unit by organisation id (cached per process for UNITS_TTL_S seconds)."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    cached = _units.get(engine)
    if cached is not None and time.monotonic() - cached[0] < UNITS_TTL_S:
        return cached[1]
    rows = session.execute(
        select(Organisation.id, Organisation.name, Organisation.jurisdiction_id).where(
            Organisation.kind == OrgKind.POLICE_UNIT
        )
    )
    units = {row.id: Unit(row.id, row.name, row.jurisdiction_id) for row in rows}
    _units[engine] = (time.monotonic(), units)
    return units


def _police_unit_for(units: dict[int, Unit], covering: Sequence[int]) -> Unit | None:
    """The police unit of the most specific area covering the place (a brigade before its detachment)."""
    rank = {jurisdiction_id: i for i, jurisdiction_id in enumerate(covering)}
    inside = [u for u in units.values() if u.jurisdiction_id in rank]
    return min(inside, key=lambda u: (rank[u.jurisdiction_id or 0], u.id), default=None)


def _unit_row(session: Session, organisation_id: int) -> dict[int, Unit]:
    org = session.get(Organisation, organisation_id)
    assert org is not None
    return {org.id: Unit(org.id, org.name, org.jurisdiction_id)}


def _lock_dispatch_feed(session: Session) -> None:
    # As for the watch-list feed: dispatches must commit in seq order, or a unit polling "after N" could
    # miss one that commits late (SQLite serialises writers already).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7302)"))


def _route(
    session: Session, actor: Principal, alert: Alert, watch: Watch, camera: Camera, *, gather: bool = True
) -> None:
    """Send an open alert to the police unit of the place and to the watch's officer.

    ``gather``: the officer's text may wait for the digest (False when the officer just confirmed it).
    """
    units = police_units(session)
    reporter = units.get(camera.organisation_id)
    if reporter is None:  # a unit created since the cache was read
        units = {**units, **_unit_row(session, camera.organisation_id)}
        reporter = units[camera.organisation_id]
    covering: list[int] = []
    if alert.lon is not None and alert.lat is not None:
        covering = cached_index(session).covering(alert.lon, alert.lat)
    unit = _police_unit_for(units, covering) or reporter
    alert.jurisdiction_id = covering[0] if covering else None
    alert.routed_unit_id = unit.id
    if covering:
        alert.in_scope = watch.scope_jurisdiction_id in covering
    else:  # no place known: judge by the reporting unit's own area
        area = reporter.jurisdiction_id
        alert.in_scope = area is not None and watch.scope_jurisdiction_id in overlapping_jurisdiction_ids(
            session, area
        )
    _lock_dispatch_feed(session)
    session.add(AlertDispatch(alert_id=alert.id, organisation_id=unit.id, at=clock.now()))
    session.flush()
    seen = alert.first_read_at
    where = f"{unit.name}辖区" if covering else f"{reporter.name}的卡口"
    action = "已通知该单位依法扣押" if alert.in_scope else "该地点不在布控范围内，已告知当地交警"
    text = f"您布控的车辆{alert.plate}于{zh.month_day_time(seen)}在{where}被识别，{action}。"
    key = f"alert:{alert.id}:open"
    if gather:
        told = _tell_or_gather(session, watch, alert, key, text)
    else:
        alert.told_at = clock.now()
        told = (Notice(OFFICER, watch.id, text, key),)
    _event(
        session,
        actor,
        alert,
        "alert.raised",
        parties=(watch.court_id, unit.id),
        notices=told,
        unit=unit.name,
        camera=camera.external_id,
    )


def _ask_officer(
    session: Session, actor: Principal, alert: Alert, watch: Watch, camera: Camera, match: Match
) -> None:
    seen = alert.first_read_at
    told = _tell_or_gather(
        session,
        watch,
        alert,
        f"alert:{alert.id}:pending",
        f"疑似识别到您布控的车辆{alert.plate}（识别为{match.reading}，{zh.month_day_time(seen)}），请登录平台核对确认。",
    )
    _event(
        session,
        actor,
        alert,
        "alert.possible",
        parties=(watch.court_id,),
        notices=told,
        reading=match.reading,
        camera=camera.external_id,
    )


def _tell_late(
    session: Session, actor: Principal, alert: Alert, watch: Watch, camera: Camera, read: PlateRead
) -> None:
    """A sighting reported after the fact: on the record and told to the officer, dispatched to nobody."""
    reporter = session.get(Organisation, camera.organisation_id)
    seen = alert.first_read_at
    where = f"{reporter.name}的卡口" if reporter is not None else "卡口"
    told = _tell_or_gather(
        session,
        watch,
        alert,
        f"alert:{alert.id}:late",
        f"您布控的车辆{alert.plate}曾于{zh.month_day_time(seen)}在{where}被识别（设备事后补传的记录，"
        "不是车辆现在的位置，未派警），请登录平台查看。",
    )
    _event(
        session,
        actor,
        alert,
        "alert.late",
        parties=(watch.court_id,),
        notices=told,
        camera=camera.external_id,
        retransmitted=read.retransmitted,
        received_at=clock.now().isoformat(),
    )


# How urgent an alert is for the officer: a live hit, then a look-alike to confirm, then a late sighting.
def _urgency(status: str, kind: str) -> int:
    if status == AlertStatus.LATE:
        return 0
    return 2 if kind == AlertKind.HIT else 1


def _tell_or_gather(
    session: Session, watch: Watch, alert: Alert, dedupe_key: str, text: str
) -> tuple[Notice, ...]:
    """The officer's text now, unless they were told of this car recently of something at least as urgent:
    then the alert waits (``told_at`` stays empty) for the watch's next digest, and no text goes."""
    now = clock.now()
    recent = session.execute(
        select(Alert.status, Alert.kind).where(
            Alert.watch_id == watch.id, Alert.id != alert.id, Alert.told_at >= now - QUIET
        )
    ).all()
    urgency = _urgency(alert.status, alert.kind)
    if any(_urgency(status, kind) >= urgency for status, kind in recent):
        return ()
    alert.told_at = now
    return (Notice(OFFICER, watch.id, text, dedupe_key),)


def _event(
    session: Session,
    actor: Principal,
    alert: Alert,
    kind: str,
    *,
    parties: tuple[int, ...] = (),
    notices: tuple[Notice, ...] = (),
    **data: object,
) -> TimelineEvent:
    return events.record(
        session,
        actor,
        DomainEvent(
            kind=kind,
            subject=f"alert:{alert.id}",
            case_id=alert.case_id,
            data={
                "alert_id": alert.id,
                "watch_id": alert.watch_id,
                "plate": alert.plate,
                "kind": alert.kind,
                "status": alert.status,
                "read_at": alert.first_read_at.isoformat(),
                "lon": alert.lon,
                "lat": alert.lat,
                "in_scope": alert.in_scope,
                **data,
            },
            parties=parties,
            notices=notices,
        ),
    )


# --- the officer's verbs ----------------------------------------------------------------------------


# Who sees an alert: the court of its watch, and the police unit that reported it or was sent it.
ALERTS = Scope(
    Alert,
    "alert",
    {
        Role.OFFICER: [owned_through(Alert.watch_id, Watch.court_id)],
        Role.POLICE_ADAPTER: [own(Alert.reporter_id, Alert.routed_unit_id)],
    },
    noun_zh="预警",
)


def visible_alert(session: Session, actor: Principal, alert_id: int) -> Alert:
    """An alert the caller may see: the watch's court, the unit it was routed to or reported it, an admin."""
    return ALERTS.load(session, actor, alert_id)


def locked_watch(session: Session, watch_id: int) -> Watch | None:
    """The watch re-read under a row lock: alerts of one watch are raised and decided one at a time."""
    return session.scalar(
        select(Watch)
        .where(Watch.id == watch_id)
        .with_for_update(of=Watch)
        .execution_options(populate_existing=True)
    )


def _decide(session: Session, actor: Principal, alert: Alert, verb: str, note: str) -> Watch:
    watch = locked_watch(session, alert.watch_id)
    if watch is None or watch.court_id != actor.organisation_id:
        raise NotFound(f"alert {alert.id} does not exist", zh="此预警不存在")
    transitions.move(alert, verb)
    alert.decided_at = clock.now()
    alert.decided_by = actor.label
    alert.decision_note = note.strip()
    session.flush()
    return watch


def confirm(session: Session, *, actor: Principal, alert: Alert, note: str) -> Alert:
    """The officer has looked: it is the watched car. From here it is routed like a hit."""
    watch = _decide(session, actor, alert, "confirm", note)
    camera = session.get(Camera, alert.camera_id)
    assert camera is not None
    _route(session, actor, alert, watch, camera, gather=False)
    return alert


def reject(session: Session, *, actor: Principal, alert: Alert, note: str) -> Alert:
    """The officer has looked: another car. Later look-alike reads of the same pass stay with this one."""
    _decide(session, actor, alert, "reject", note)
    _event(session, actor, alert, "alert.rejected", note=alert.decision_note)
    return alert


def close_alerts_of_watch(session: Session, *, actor: Principal, watch_id: int, reason: str) -> list[Alert]:
    """Close the watch's open and pending alerts (the car was captured, or the watch ended)."""
    alerts = session.scalars(
        select(Alert).where(
            Alert.watch_id == watch_id, Alert.status.in_([AlertStatus.OPEN, AlertStatus.PENDING])
        )
    ).all()
    for alert in alerts:
        transitions.move(alert, "close")
        alert.decided_at, alert.decided_by, alert.decision_note = clock.now(), actor.label, reason
    session.flush()
    return list(alerts)


def alerts_of_court(
    session: Session, court_id: int, *, status: AlertStatus | None, limit: int, offset: int
) -> list[Alert]:
    query = select(Alert).where(Alert.watch_id.in_(select(Watch.id).where(Watch.court_id == court_id)))
    if status is not None:
        query = query.where(Alert.status == status)
    return list(session.scalars(query.order_by(Alert.id.desc()).limit(limit).offset(offset)))


@dataclass(frozen=True, slots=True)
class Dispatched:
    """An alert as a police unit receives it: with the court to call and the car's description."""

    seq: int
    alert: Alert
    court_name: str
    court_phone: str
    description: str


def dispatches_after(session: Session, unit_id: int, after: int, limit: int) -> list[Dispatched]:
    """The alerts routed to a unit after a cursor, oldest first (one query, whatever the page size)."""
    rows = session.execute(
        select(AlertDispatch.seq, Alert, Organisation.name, Organisation.contact_phone, Vehicle.description)
        .join(Alert, Alert.id == AlertDispatch.alert_id)
        .join(Watch, Watch.id == Alert.watch_id)
        .join(Organisation, Organisation.id == Watch.court_id)
        .join(Vehicle, Vehicle.id == Watch.vehicle_id)
        .where(AlertDispatch.organisation_id == unit_id, AlertDispatch.seq > after)
        .order_by(AlertDispatch.seq)
        .limit(limit)
    ).all()
    return [Dispatched(*row) for row in rows]


def newest_dispatch_seq(session: Session) -> int:
    """The newest dispatch to any unit: no cursor of the alert feed beyond it was ever handed out."""
    newest = session.scalar(select(AlertDispatch.seq).order_by(AlertDispatch.seq.desc()).limit(1))
    return int(newest or 0)


def recent_dispatches(session: Session, unit_id: int, limit: int) -> list[Dispatched]:
    """The newest alerts routed to a unit, newest first: what its duty desk sees when it opens the page."""
    rows = session.execute(
        select(AlertDispatch.seq, Alert, Organisation.name, Organisation.contact_phone, Vehicle.description)
        .join(Alert, Alert.id == AlertDispatch.alert_id)
        .join(Watch, Watch.id == Alert.watch_id)
        .join(Organisation, Organisation.id == Watch.court_id)
        .join(Vehicle, Vehicle.id == Watch.vehicle_id)
        .where(AlertDispatch.organisation_id == unit_id)
        .order_by(AlertDispatch.seq.desc())
        .limit(limit)
    ).all()
    return [Dispatched(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class StillOpen:
    """An alert routed to a unit whose car is still to be stopped, with the camera that saw it."""

    alert: Alert
    camera_code: str
    camera_name: str
    description: str


def open_alerts_of_unit(session: Session, unit_id: int, limit: int) -> list[StillOpen]:
    """The alerts routed to a unit that are still open (the car not captured, the watch not ended), newest
    first, each once: what an officer reporting a capture picks the car and its place from."""
    rows = session.execute(
        select(Alert, Camera.external_id, Camera.name, Vehicle.description)
        .join(Camera, Camera.id == Alert.camera_id)
        .join(Watch, Watch.id == Alert.watch_id)
        .join(Vehicle, Vehicle.id == Watch.vehicle_id)
        .where(
            Alert.id.in_(select(AlertDispatch.alert_id).where(AlertDispatch.organisation_id == unit_id)),
            Alert.status == AlertStatus.OPEN,
        )
        .order_by(Alert.last_read_at.desc(), Alert.id.desc())
        .limit(limit)
    ).all()
    return [StillOpen(*row) for row in rows]


def sightings_of(session: Session, alert: Alert) -> list[Sighting]:
    """Every read of the alert's pass, in the order they were read (the evidence)."""
    return list(
        session.scalars(select(Sighting).where(Sighting.alert_id == alert.id).order_by(Sighting.read_at))
    )


def evidence_image(session: Session, actor: Principal, alert_id: int, reference: str) -> tuple[bytes, str]:
    """An image kept with one of the alert's reads, and its media type; NotFound unless the caller sees the
    alert and the image is one of its reads'."""
    alert = visible_alert(session, actor, alert_id)
    owned = any(
        reference in (images or [])
        for images in session.scalars(select(Sighting.images).where(Sighting.alert_id == alert.id))
    )
    if not owned:
        raise NotFound(f"alert {alert_id} has no evidence {reference}", zh="此预警没有这份证据")
    return evidence.read(reference), evidence.media_type(reference)


def recent_hits(session: Session, court_id: int | None, *, limit: int) -> list[Alert]:
    """The newest hits (and confirmed possible hits) on one court's watches, or on every court's."""
    query = select(Alert).where(Alert.status.in_((AlertStatus.OPEN, AlertStatus.CLOSED)))
    if court_id is not None:
        query = query.where(Alert.watch_id.in_(select(Watch.id).where(Watch.court_id == court_id)))
    return list(session.scalars(query.order_by(Alert.id.desc()).limit(limit)))
