"""The demo brigades' checkpoint cameras (卡口) and the reads they sent before the demo starts, so that a
police unit's camera map has something to show: cameras reading normally, one silent for days, one whose
clock is off (the classic local time sent as UTC, eight hours ahead), one whose clock was reset by a power
cut to 2000-01-01, and one registered but never heard from.

The reads go through the same ingest as a camera's push (``sightings.ingest``); their plates are watched
by no demo case, so they are only counted per camera and hour, and raise no alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.geo.datum import Datum
from car_enforce.core.identity.principal import Principal
from car_enforce.sightings.cameras import place_camera
from car_enforce.sightings.index import WatchIndex
from car_enforce.sightings.ingest import ingest
from car_enforce.sightings.reads import Parsed, Place, PlateRead

VENDOR = "canonical"
# Eight hours ahead: a camera set to local time that labels its stamps as UTC.
AHEAD = timedelta(hours=8)
POWER_CUT_RESET = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DemoCamera:
    login: str  # the police login whose unit owns it
    code: str
    name: str
    lon: float  # WGS84, inside the unit's demo area
    lat: float
    story: str  # "reading", "silent", "ahead", "reset" or "never"


CAMERAS = (
    DemoCamera("pingyang.police", "PYKK-01", "昆阳镇万全大道卡口", 120.5605, 27.6715, "reading"),
    DemoCamera("pingyang.police", "PYKK-02", "万全镇104国道卡口", 120.5900, 27.7000, "reading"),
    DemoCamera("pingyang.police", "PYKK-03", "水头镇入城口卡口", 120.4300, 27.6700, "silent"),
    DemoCamera("pingyang.police", "PYKK-04", "萧江镇塘川街卡口", 120.4900, 27.6450, "ahead"),
    DemoCamera("lucheng.police", "LCKK-01", "五马街道车站大道卡口", 120.6650, 28.0100, "reading"),
    DemoCamera("lucheng.police", "LCKK-02", "南汇街道学院路卡口", 120.6900, 28.0200, "reset"),
    DemoCamera("lucheng.police", "LCKK-03", "双屿街道104国道卡口", 120.6450, 28.0300, "never"),
)
READS_EACH = 36


def _plate(n: int) -> str:
    """浙C + K + four digits: a valid plate no demo watch looks like (K folds with nothing they hold)."""
    return f"浙CK{(n * 7919) % 10000:04d}"


def _stamps(story: str, now: datetime) -> list[datetime]:
    """The camera's own stamps of its reads, oldest first, as it would have sent them."""
    if story == "reading":
        return [now - timedelta(minutes=1) - b for b in reversed(_every(READS_EACH, 19))]
    if story == "silent":
        return [now - timedelta(days=3) - b for b in reversed(_every(READS_EACH, 19))]
    if story == "ahead":
        return [now + AHEAD - b for b in reversed(_every(READS_EACH // 3, 7))]
    if story == "reset":
        return [POWER_CUT_RESET + timedelta(hours=3) - b for b in reversed(_every(READS_EACH // 3, 7))]
    return []


def _every(count: int, minutes: int) -> list[timedelta]:
    return [timedelta(minutes=minutes * i) for i in range(count)]


def seed_cameras(session: Session, units: Mapping[str, Principal]) -> None:
    """Place the demo cameras and ingest their reads, one message per unit (``units``: login → principal)."""
    now = clock.now()
    batches: dict[str, list[PlateRead]] = {}
    for camera in CAMERAS:
        unit = units[camera.login]
        assert unit.organisation_id is not None
        place_camera(
            session,
            organisation_id=unit.organisation_id,
            external_id=camera.code,
            name=camera.name,
            place=Place(lon=camera.lon, lat=camera.lat, datum_in=Datum.WGS84),
            vendor=VENDOR,
        )
        reads = batches.setdefault(camera.login, [])
        for stamp in _stamps(camera.story, now):
            reads.append(
                PlateRead(
                    plate=_plate(len(reads) + 1),
                    read_at=stamp,
                    camera_id=camera.code,
                    vendor=VENDOR,
                    confidence=0.93,
                    read_key=f"demo-{camera.code}-{len(reads) + 1}",
                )
            )
    for login, reads in batches.items():
        digest = hashlib.sha256(f"demo-camera-reads:{login}".encode()).hexdigest()
        ingest(session, unit=units[login], parsed=Parsed(reads=reads), digest=digest, index=WatchIndex())
