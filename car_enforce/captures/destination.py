"""Where a captured car goes: the auxiliary center designated for the place, else the nearest one.

The choice itself (``choose_center``) is pure: it takes the jurisdictions covering the capture point and
the centers as plain values, so it is tested without a database. ``destination_for`` feeds it from the
stored boundaries and organisations. ``check_place`` says whether the place can be right at all: far
outside the reporting unit's area, or far from the center, it is a slip of the coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import shapely
from geopy.distance import geodesic
from shapely import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points
from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core.geo.index import cached_index
from car_enforce.core.geo.models import Jurisdiction
from car_enforce.core.geo.service import ancestors_and_self, descendants
from car_enforce.core.identity.models import Organisation, OrgKind

# Roads are longer than the geodesic, and a tow truck is slower than a car; the estimate is for the
# center's staff to expect the car, not a promise.
ROAD_FACTOR = 1.3
TOW_SPEED_KMH = 40.0
MIN_TRANSPORT = timedelta(minutes=10)

# A place further than this outside the reporting unit's area is held for confirmation. A brigade seizes
# cars in its own county or, after a chase or on a tip-off, in the one next to it; a county in eastern
# China is 30 to 60 km across, so the far side of a neighbour lies at most about 60 km past the border.
# A slip of the coordinates lands far beyond (a transposed digit, 102.45 for 120.45, is about 1,800 km away; a
# lost minus sign is across the Pacific), while GCJ-02 read as WGS84 is off by less than a kilometre and
# is never held.
OUTSIDE_AREA_LIMIT_KM = 60.0
# A place further than this from the center it would go to is held for confirmation: the towing is billed
# to the debtor by the kilometre. The longest tow is for a county without a center of its own, across a
# prefecture-level city to the next center, about 100 km in a line in Wenzhou; no center tows 200 km,
# the police would hand the car to a nearer one.
CENTER_DISTANCE_LIMIT_KM = 200.0


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


def km_outside(lon: float, lat: float, boundaries: Sequence[BaseGeometry]) -> float:
    """Geodesic distance in km from a WGS84 point to the nearest of the boundaries; 0 inside one."""
    point = Point(lon, lat)
    if any(b.covers(point) for b in boundaries):
        return 0.0
    # The nearest boundary point is found in a plane centred on the point, where a degree of longitude is
    # shrunk to its length at this latitude, so both axes measure about the same; the distance to it is
    # then taken on the ellipsoid. The poles are kept away from a division by zero.
    shrink = max(math.cos(math.radians(lat)), 0.01)

    def flatten(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack(((xy[:, 0] - lon) * shrink, xy[:, 1] - lat))

    origin = Point(0.0, 0.0)
    measured: list[float] = []
    for boundary in boundaries:
        nearest = nearest_points(shapely.transform(boundary, flatten), origin)[0]
        on_boundary = (max(-90.0, min(90.0, lat + nearest.y)), lon + nearest.x / shrink)
        measured.append(float(geodesic((lat, lon), on_boundary).km))
    return round(min(measured), 2)


def area_boundaries(session: Session, jurisdiction: Jurisdiction) -> list[BaseGeometry]:
    """The boundary of a unit's area; for an area whose own is not on record, those of the units in it."""
    if jurisdiction.boundary_wkt:
        texts = [jurisdiction.boundary_wkt]
    else:
        texts = [j.boundary_wkt for j in descendants(session, jurisdiction.id) if j.boundary_wkt]
    shapes = [shapely.from_wkt(text) for text in texts]
    return [shape for shape in shapes if shape is not None and not shape.is_empty]


@dataclass(frozen=True, slots=True)
class PlaceCheck:
    """A capture's place measured against the reporting unit's area and the center it would go to."""

    unit: str  # the reporting unit's name
    area: str | None  # the name of its area; None when it has no area (or no boundary) on record
    outside_area_km: float | None  # 0 inside the area; None without an area: judged by distance only
    center: str
    center_km: float | None  # None when the center has no position on record

    @property
    def far_outside_area(self) -> bool:
        return self.outside_area_km is not None and self.outside_area_km > OUTSIDE_AREA_LIMIT_KM

    @property
    def far_from_center(self) -> bool:
        return self.center_km is not None and self.center_km > CENTER_DISTANCE_LIMIT_KM

    @property
    def doubtful(self) -> bool:
        return self.far_outside_area or self.far_from_center

    @property
    def reason(self) -> str:
        """Why the place cannot be right, for the API and the timeline; empty when it can."""
        parts: list[str] = []
        if self.far_outside_area:
            parts.append(
                f"reported {self.outside_area_km:,.0f} km outside the area of {self.unit} ({self.area}): a "
                f"unit seizes cars in its area or next to it, not more than {OUTSIDE_AREA_LIMIT_KM:.0f} km "
                "beyond"
            )
        if self.far_from_center:
            parts.append(
                f"reported {self.center_km:,.0f} km from {self.center}, the center it would go to: no center "
                f"tows more than {CENTER_DISTANCE_LIMIT_KM:.0f} km"
            )
        return "; ".join(parts)

    @property
    def reason_zh(self) -> str:
        """The same in words for a text message."""
        parts: list[str] = []
        if self.far_outside_area:
            parts.append(f"在{self.unit}辖区（{self.area}）外约{self.outside_area_km:.0f}公里")
        if self.far_from_center:
            parts.append(f"距应送往的{self.center}约{self.center_km:.0f}公里")
        return "，".join(parts)

    def as_data(self) -> dict[str, object]:
        return {
            "area": self.area,
            "outside_area_km": self.outside_area_km,
            "outside_area_limit_km": OUTSIDE_AREA_LIMIT_KM,
            "center": self.center,
            "center_km": self.center_km,
            "center_limit_km": CENTER_DISTANCE_LIMIT_KM,
        }


def check_place(
    session: Session,
    *,
    unit: Organisation,
    lon: float,
    lat: float,
    area: Sequence[int],
    destination: Destination,
) -> PlaceCheck:
    """How far the WGS84 point lies outside ``unit``'s area and from ``destination``'s center."""
    center = session.get(Organisation, destination.center_id)
    assert center is not None
    area_name: str | None = None
    outside: float | None = None
    jurisdiction = session.get(Jurisdiction, unit.jurisdiction_id) if unit.jurisdiction_id else None
    if jurisdiction is not None:
        if jurisdiction.id in area:
            area_name, outside = jurisdiction.name, 0.0
        elif boundaries := area_boundaries(session, jurisdiction):
            area_name, outside = jurisdiction.name, km_outside(lon, lat, boundaries)
    return PlaceCheck(
        unit=unit.name,
        area=area_name,
        outside_area_km=outside,
        center=center.name,
        center_km=destination.distance_km,
    )
