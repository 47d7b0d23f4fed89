"""Cameras of a police unit: known on first contact, last seen at their newest message, counted per hour;
and how each is doing (heard from lately, its clock believable) for the unit that owns it."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.access import Scope, own
from car_enforce.core.db import UTCDateTime
from car_enforce.core.errors import InvalidInput
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.sightings.models import Camera, ReadCount
from car_enforce.sightings.reads import Place, PlateRead

MAX_CAMERA_ID = 128


def _insert(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL spell it the same way)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


# Statements with named parameters, run with a list of rows (executemany): compiled once per dialect and
# cached, where a multi-row VALUES clause would be compiled afresh for every batch of reads.
_SEEN = (
    update(Camera)
    .where(
        Camera.id == bindparam("camera_id"),
        or_(Camera.last_seen_at.is_(None), Camera.last_seen_at < bindparam("seen_at", type_=UTCDateTime)),
    )
    .values(last_seen_at=bindparam("seen_at", type_=UTCDateTime))
)


# Per process and database: each camera's id (it never changes) and the last-seen time this process last
# wrote for it. Last-seen times are kept to the minute, so a busy camera's row is written once a minute
# rather than with every batch; several processes each write theirs, and the newest wins.
LAST_SEEN_PRECISION = timedelta(minutes=1)
_known: weakref.WeakKeyDictionary[object, dict[tuple[int, str], int]] = weakref.WeakKeyDictionary()
_written: weakref.WeakKeyDictionary[object, dict[int, datetime]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _caches(session: Session) -> tuple[dict[tuple[int, str], int], dict[int, datetime]]:
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    with _cache_lock:
        return _known.setdefault(engine, {}), _written.setdefault(engine, {})


def camera_ids(
    session: Session, organisation_id: int, seen: Mapping[str, tuple[str, datetime]]
) -> dict[str, int]:
    """Ids of the unit's cameras in ``seen`` (external id → (vendor, newest time)); new ones are created.

    A camera is created on its first message, and its last-seen time only ever moves forward, whatever
    order concurrent batches commit in.
    """
    if not seen:
        return {}
    for external_id in seen:
        if len(external_id) > MAX_CAMERA_ID:
            raise InvalidInput(
                "camera_id",
                f"longer than {MAX_CAMERA_ID} characters",
                zh=f"设备编号不能超过 {MAX_CAMERA_ID} 个字符",
            )
    known, written = _caches(session)
    ids = {name: known[(organisation_id, name)] for name in seen if (organisation_id, name) in known}
    missing = [name for name in seen if name not in ids]
    if missing:
        # Only rows read before this transaction wrote any are committed, so only they may be remembered:
        # an id created here would be unknown to every other transaction until (and unless) this commits.
        committed = _ids(session, organisation_id, missing)
        for name, camera_id in committed.items():
            known[(organisation_id, name)] = camera_id
        ids |= committed
        new = [name for name in missing if name not in ids]
        if new:
            insert = _insert(session)
            statement = insert(Camera).on_conflict_do_nothing(
                index_elements=[Camera.organisation_id, Camera.external_id]
            )
            now = clock.now()
            rows = [
                {
                    "organisation_id": organisation_id,
                    "external_id": name,
                    "vendor": seen[name][0],
                    "name": "",
                    "created_at": now,
                }
                for name in sorted(new)
            ]
            session.execute(statement, rows)
            ids |= _ids(session, organisation_id, new)
    stale = {
        ids[name]: at
        for name, (_, at) in sorted(seen.items())
        if (last := written.get(ids[name])) is None or at - last >= LAST_SEEN_PRECISION
    }
    if stale:
        session.connection().execute(_SEEN, [{"camera_id": c, "seen_at": at} for c, at in stale.items()])
    written.update(stale)  # a rolled-back write only delays the next one by LAST_SEEN_PRECISION
    return ids


def _ids(session: Session, organisation_id: int, external_ids: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(Camera.external_id, Camera.id).where(
            Camera.organisation_id == organisation_id, Camera.external_id.in_(external_ids)
        )
    )
    return {external_id: camera_id for external_id, camera_id in rows}


_COUNT_ARRAYS = text(
    "INSERT INTO read_count (camera_id, epoch_hour, reads, matched) "
    "SELECT * FROM unnest(CAST(:cameras AS integer[]), CAST(:hours AS integer[]), "
    "CAST(:reads AS integer[]), CAST(:matched AS integer[])) "
    "ON CONFLICT (camera_id, epoch_hour) DO UPDATE SET reads = read_count.reads + excluded.reads, "
    "matched = read_count.matched + excluded.matched"
)
_COUNT_ROW = (
    "INSERT INTO read_count (camera_id, epoch_hour, reads, matched) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (camera_id, epoch_hour) DO UPDATE SET reads = read_count.reads + excluded.reads, "
    "matched = read_count.matched + excluded.matched"
)


def count_reads(session: Session, counts: Mapping[tuple[int, int], tuple[int, int]]) -> None:
    """Add (reads, matched) to each (camera, epoch hour): the only record kept of reads that matched nothing.

    Runs with every batch of reads, so it is one statement per batch on PostgreSQL (over arrays) and one
    driver-level executemany of plain integers on SQLite.
    """
    if not counts:
        return
    rows = sorted(counts.items())
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            _COUNT_ARRAYS,
            {
                "cameras": [camera_id for (camera_id, _), _ in rows],
                "hours": [hour for (_, hour), _ in rows],
                "reads": [reads for _, (reads, _) in rows],
                "matched": [matched for _, (_, matched) in rows],
            },
        )
    else:
        session.connection().exec_driver_sql(
            _COUNT_ROW, [(camera_id, hour, reads, matched) for (camera_id, hour), (reads, matched) in rows]
        )


def flag_skewed_clocks(session: Session, reads: Mapping[int, PlateRead], now: datetime) -> None:
    """Record on each camera how far its clock was off (its stamp minus the receipt time, in seconds).

    Shown to the unit that owns the camera, so someone resets it; the reads themselves were kept.
    """
    session.connection().execute(
        update(Camera)
        .where(Camera.id == bindparam("camera_id"))
        .values(clock_skew_s=bindparam("skew_s"), clock_skew_at=bindparam("at", type_=UTCDateTime)),
        [
            {
                "camera_id": camera_id,
                "skew_s": int((read.camera_read_at - now).total_seconds()) if read.camera_read_at else 0,
                "at": now,
            }
            for camera_id, read in sorted(reads.items())
        ],
    )


def place_camera(
    session: Session, *, organisation_id: int, external_id: str, name: str, place: Place | None, vendor: str
) -> Camera:
    """Register where a camera stands (and its name), so reads that carry no coordinates can be placed."""
    external_id = external_id.strip()
    if not external_id or len(external_id) > MAX_CAMERA_ID:
        raise InvalidInput(
            "external_id",
            f"must be 1 to {MAX_CAMERA_ID} characters",
            zh=f"设备编号应为 1 至 {MAX_CAMERA_ID} 个字符",
        )
    camera = session.scalar(
        select(Camera).where(Camera.organisation_id == organisation_id, Camera.external_id == external_id)
    )
    if camera is None:
        camera = Camera(
            organisation_id=organisation_id,
            external_id=external_id,
            vendor=vendor,
            created_at=clock.now(),
            last_seen_at=None,
        )
        session.add(camera)
    camera.name = name.strip()
    if place is not None:
        camera.lon, camera.lat, camera.datum_in = place.lon, place.lat, place.datum_in
        camera.place_source = "given"
    session.flush()
    return camera


def cameras_of(session: Session, organisation_id: int) -> list[Camera]:
    return list(
        session.scalars(select(Camera).where(Camera.organisation_id == organisation_id).order_by(Camera.id))
    )


# --- how the unit's cameras are doing -----------------------------------------------------------------

# A road camera reads passing cars, or at least sends its heartbeat, many times an hour even at night:
# this long without a word, it is down or cut off and someone should go and look.
SILENT_AFTER = timedelta(hours=2)
# A skewed stamp is recorded on the camera and never cleared by a write (that would cost the busy ingest
# path a statement per batch). The clock counts as mended once the camera's last-seen time, which only a
# believable stamp moves past the receipt time of the last skewed one, is clearly after it: more than the
# precision last-seen times are written with, twice over for two processes' clocks.
SKEW_MENDED_AFTER = 2 * LAST_SEEN_PRECISION

# Who sees a camera: the unit that owns it (and an administrator); anyone else is told it does not exist.
CAMERAS = Scope(Camera, "camera", {Role.POLICE_ADAPTER: [own(Camera.organisation_id)]}, noun_zh="卡口摄像机")


class CameraState(StrEnum):
    """What the map colours a camera by, the most urgent first."""

    NEVER = "never"  # registered, never heard from
    SILENT = "silent"  # not heard from for SILENT_AFTER
    SKEWED = "skewed"  # heard from, but its clock is off: its reads were taken at their receipt time
    RECENT = "recent"


def clock_skewed(camera: Camera) -> bool:
    """Whether the camera's latest word came with a stamp that could not be believed."""
    if camera.clock_skew_at is None:
        return False
    if camera.last_seen_at is None:
        return True
    return clock.as_utc(camera.last_seen_at) - clock.as_utc(camera.clock_skew_at) <= SKEW_MENDED_AFTER


def silent(camera: Camera, now: datetime) -> bool:
    return camera.last_seen_at is not None and clock.as_utc(camera.last_seen_at) < now - SILENT_AFTER


def state_of(camera: Camera, now: datetime) -> CameraState:
    if camera.last_seen_at is None:
        return CameraState.NEVER
    if silent(camera, now):
        return CameraState.SILENT
    if clock_skewed(camera):
        return CameraState.SKEWED
    return CameraState.RECENT


@dataclass(frozen=True, slots=True)
class CameraHealth:
    camera: Camera
    state: CameraState
    silent: bool
    skewed: bool
    reads: int  # in the last READS_WINDOW
    matched: int


READS_WINDOW = timedelta(hours=24)


def _epoch_hour(instant: datetime) -> int:
    return int(instant.timestamp()) // 3600


def camera_health(session: Session, organisation_id: int, now: datetime) -> list[CameraHealth]:
    """Each of the unit's cameras with its state and its reads of the last day: two indexed queries (the
    unit's cameras by the unique index that starts with the unit, and their hourly counts by the counts'
    primary key), whatever the number of reads."""
    cameras = cameras_of(session, organisation_id)
    since = _epoch_hour(now - READS_WINDOW)
    counts = {
        camera_id: (int(reads or 0), int(matched or 0))
        for camera_id, reads, matched in session.execute(
            select(ReadCount.camera_id, func.sum(ReadCount.reads), func.sum(ReadCount.matched))
            .join(Camera, Camera.id == ReadCount.camera_id)
            .where(Camera.organisation_id == organisation_id, ReadCount.epoch_hour > since)
            .group_by(ReadCount.camera_id)
        )
    }
    return [
        CameraHealth(
            camera=c,
            state=state_of(c, now),
            silent=silent(c, now),
            skewed=clock_skewed(c),
            reads=counts.get(c.id, (0, 0))[0],
            matched=counts.get(c.id, (0, 0))[1],
        )
        for c in cameras
    ]


def visible_camera(session: Session, actor: Principal, camera_id: int) -> Camera:
    """The camera if it is the caller's unit's; NotFound otherwise (its existence is not told)."""
    return CAMERAS.load(session, actor, camera_id)


@dataclass(frozen=True, slots=True)
class HourCount:
    starts_at: datetime
    reads: int
    matched: int


def hourly_reads(session: Session, camera: Camera, now: datetime, hours: int) -> list[HourCount]:
    """The camera's reads in each of the last ``hours`` hours, oldest first (an hour without any is 0)."""
    last = _epoch_hour(now)
    first = last - hours + 1
    found = {
        hour: (reads, matched)
        for hour, reads, matched in session.execute(
            select(ReadCount.epoch_hour, ReadCount.reads, ReadCount.matched).where(
                ReadCount.camera_id == camera.id, ReadCount.epoch_hour.between(first, last)
            )
        )
    }
    return [
        HourCount(
            starts_at=datetime.fromtimestamp(hour * 3600, tz=UTC),
            reads=found.get(hour, (0, 0))[0],
            matched=found.get(hour, (0, 0))[1],
        )
        for hour in range(first, last + 1)
    ]
