"""Cameras of a police unit: known on first contact, last seen at their newest message, counted per hour."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import case, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from car_enforce import clock
from car_enforce.errors import InvalidInput
from car_enforce.sightings.models import Camera, ReadCount
from car_enforce.sightings.reads import Place

MAX_CAMERA_ID = 128


def _insert(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT with ON CONFLICT (SQLite and PostgreSQL spell it the same way)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def camera_ids(
    session: Session, organisation_id: int, seen: Mapping[str, tuple[str, datetime]]
) -> dict[str, int]:
    """Ids of the unit's cameras in ``seen`` (external id → (vendor, newest time)); new ones are created.

    One statement for the whole batch: a camera is created on its first message and its last-seen time
    only ever moves forward, whatever order concurrent batches commit in.
    """
    if not seen:
        return {}
    for external_id in seen:
        if len(external_id) > MAX_CAMERA_ID:
            raise InvalidInput("camera_id", f"longer than {MAX_CAMERA_ID} characters")
    insert = _insert(session)
    statement = insert(Camera).values(
        [
            {
                "organisation_id": organisation_id,
                "external_id": external_id,
                "vendor": vendor,
                "name": "",
                "created_at": at,
                "last_seen_at": at,
            }
            for external_id, (vendor, at) in sorted(seen.items())
        ]
    )
    newer = statement.excluded.last_seen_at
    statement = statement.on_conflict_do_update(
        index_elements=[Camera.organisation_id, Camera.external_id],
        set_={
            "last_seen_at": case(
                (or_(Camera.last_seen_at.is_(None), newer > Camera.last_seen_at), newer),
                else_=Camera.last_seen_at,
            )
        },
    ).returning(Camera.external_id, Camera.id)
    return {external_id: camera_id for external_id, camera_id in session.execute(statement)}


def count_reads(session: Session, counts: Mapping[tuple[int, datetime], tuple[int, int]]) -> None:
    """Add (reads, matched) to each (camera, hour): the only record kept of reads that matched nothing."""
    if not counts:
        return
    insert = _insert(session)
    statement = insert(ReadCount).values(
        [
            {"camera_id": camera_id, "hour": hour, "reads": reads, "matched": matched}
            for (camera_id, hour), (reads, matched) in sorted(counts.items())
        ]
    )
    statement = statement.on_conflict_do_update(
        index_elements=[ReadCount.camera_id, ReadCount.hour],
        set_={
            "reads": ReadCount.reads + statement.excluded.reads,
            "matched": ReadCount.matched + statement.excluded.matched,
        },
    )
    session.execute(statement)


def hour_of(instant: datetime) -> datetime:
    return instant.replace(minute=0, second=0, microsecond=0)


def place_camera(
    session: Session, *, organisation_id: int, external_id: str, name: str, place: Place | None, vendor: str
) -> Camera:
    """Register where a camera stands (and its name), so reads that carry no coordinates can be placed."""
    external_id = external_id.strip()
    if not external_id or len(external_id) > MAX_CAMERA_ID:
        raise InvalidInput("external_id", f"must be 1 to {MAX_CAMERA_ID} characters")
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
    session.flush()
    return camera


def cameras_of(session: Session, organisation_id: int) -> list[Camera]:
    return list(
        session.scalars(select(Camera).where(Camera.organisation_id == organisation_id).order_by(Camera.id))
    )
