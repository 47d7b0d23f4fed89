"""Where a captured car goes: the auxiliary center designated for the place, else the nearest one.

The choice itself (``choose_center``) is pure: it takes the jurisdictions covering the capture point and
the centers as plain values, so it is tested without a database. ``destination_for`` feeds it from the
stored boundaries and organisations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from geopy.distance import geodesic
from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.geo.index import cached_index
from car_enforce.geo.service import ancestors_and_self
from car_enforce.identity.models import Organisation, OrgKind

# Roads are longer than the geodesic, and a tow truck is slower than a car; the estimate is for the
# center's staff to expect the car, not a promise.
ROAD_FACTOR = 1.3
TOW_SPEED_KMH = 40.0
MIN_TRANSPORT = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class CenterSpot:
    """A center as the choice sees it: its id, the jurisdiction it serves, its position (WGS84) if known."""

    id: int
    jurisdiction_id: int | None
    lon: float | None
    lat: float | None


@dataclass(frozen=True, slots=True)
class Destination:
    center_id: int
    designated: bool  # designated for the place (county, else an ancestor), rather than merely the nearest
    distance_km: float | None  # None when the designated center has no position on record


def distance_km(lon: float, lat: float, spot: CenterSpot) -> float | None:
    """Geodesic distance (WGS84 ellipsoid) from the point to the center, in km; None without a position."""
    if spot.lon is None or spot.lat is None:
        return None
    return round(float(geodesic((lat, lon), (spot.lat, spot.lon)).km), 2)


def _nearest(lon: float, lat: float, spots: Iterable[CenterSpot]) -> tuple[CenterSpot, float | None] | None:
    measured = [(distance_km(lon, lat, s), s) for s in spots]
    if not measured:
        return None
    # Centers with a position first, nearest first; the lower id breaks ties so the choice is stable.
    distance, spot = min(measured, key=lambda m: (m[0] is None, m[0] or 0.0, m[1].id))
    return spot, distance


def choose_center(
    lon: float, lat: float, area: Sequence[int], centers: Iterable[CenterSpot]
) -> Destination | None:
    """The center for a capture at (lon, lat), WGS84.

    ``area`` lists the jurisdictions covering the point, most specific first (county, city, province).
    A center designated for the most specific of them wins (the nearest, if several are); with none
    designated anywhere up the chain, the nearest center with a position. None when there is no center.
    """
    pool = list(centers)
    for jurisdiction_id in area:
        found = _nearest(lon, lat, (c for c in pool if c.jurisdiction_id == jurisdiction_id))
        if found is not None:
            return Destination(center_id=found[0].id, designated=True, distance_km=found[1])
    found = _nearest(lon, lat, (c for c in pool if c.lon is not None and c.lat is not None))
    if found is None:
        return None
    return Destination(center_id=found[0].id, designated=False, distance_km=found[1])


def expected_arrival(departed_at: datetime, distance: float | None) -> datetime | None:
    """A rough arrival time for the center's staff; None when the distance is unknown."""
    if distance is None or not math.isfinite(distance):
        return None
    hours = distance * ROAD_FACTOR / TOW_SPEED_KMH
    return departed_at + max(MIN_TRANSPORT, timedelta(hours=hours))


def area_of(session: Session, lon: float, lat: float) -> list[int]:
    """The jurisdictions covering a WGS84 point, most specific first; empty outside every boundary."""
    most_specific = cached_index(session).most_specific(lon, lat)
    if most_specific is None:
        return []
    return [j.id for j in reversed(ancestors_and_self(session, most_specific))]


def centers(session: Session) -> list[CenterSpot]:
    rows = session.execute(
        select(Organisation.id, Organisation.jurisdiction_id, Organisation.lon, Organisation.lat)
        .where(Organisation.kind == OrgKind.AUX_CENTER)
        .order_by(Organisation.id)
    )
    return [CenterSpot(id=r.id, jurisdiction_id=r.jurisdiction_id, lon=r.lon, lat=r.lat) for r in rows]


def destination_for(session: Session, lon: float, lat: float, area: Sequence[int]) -> Destination | None:
    """The center a car captured at (lon, lat) in ``area`` goes to (see ``choose_center``)."""
    return choose_center(lon, lat, area, centers(session))
