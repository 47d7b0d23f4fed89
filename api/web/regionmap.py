"""The region drawn from its own jurisdiction polygons as SVG: no map tiles, nothing from outside.

Coordinates are WGS84; the drawing is equirectangular with the longitude scaled by the cosine of the
middle latitude, which is true enough for a city-sized region. Polygons are simplified to about a
thousandth of the region's width and cached per process (boundaries change only by an import).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from shapely import wkt
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel

WIDTH = 800.0


@dataclass(frozen=True, slots=True)
class Area:
    name: str
    path: str  # an SVG path
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    kind: str  # a CSS class: "center", "capture", "hit"; a camera's "camera recent" (its state)
    title: str


@dataclass(frozen=True, slots=True)
class RegionMap:
    width: float
    height: float
    areas: tuple[Area, ...]
    lon0: float
    lat1: float
    scale: float
    k: float  # cos(mid latitude)

    def dot(self, lon: float, lat: float, kind: str, title: str) -> Dot | None:
        x = (lon - self.lon0) * self.k * self.scale
        y = (self.lat1 - lat) * self.scale
        if not (0 <= x <= self.width and 0 <= y <= self.height):
            return None  # outside the region drawn
        return Dot(round(x, 1), round(y, 1), kind, title)


def _rings(geometry: BaseGeometry) -> Iterable[Sequence[tuple[float, float]]]:
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    for polygon in polygons:
        if isinstance(polygon, Polygon):
            yield list(polygon.exterior.coords)


@lru_cache(maxsize=8)
def _drawn(counties: tuple[tuple[str, str], ...]) -> RegionMap | None:
    shapes = [(name, wkt.loads(text)) for name, text in counties]
    if not shapes:
        return None
    minx = min(g.bounds[0] for _, g in shapes)
    miny = min(g.bounds[1] for _, g in shapes)
    maxx = max(g.bounds[2] for _, g in shapes)
    maxy = max(g.bounds[3] for _, g in shapes)
    k = math.cos(math.radians((miny + maxy) / 2))
    scale = WIDTH / max((maxx - minx) * k, 1e-9)
    height = (maxy - miny) * scale
    areas = []
    for name, geometry in shapes:
        simple = geometry.simplify((maxx - minx) / 1000, preserve_topology=True)
        parts = []
        for ring in _rings(simple):
            points = " L".join(f"{(x - minx) * k * scale:.1f},{(maxy - y) * scale:.1f}" for x, y in ring)
            parts.append(f"M{points} Z")
        centre = geometry.representative_point()
        areas.append(
            Area(
                name,
                " ".join(parts),
                round((centre.x - minx) * k * scale, 1),
                round((maxy - centre.y) * scale, 1),
            )
        )
    return RegionMap(WIDTH, round(height, 1), tuple(areas), minx, maxy, scale, k)


def drawing(shapes: Sequence[tuple[str, BaseGeometry]]) -> RegionMap | None:
    """Any named shapes drawn together (an import's preview), the same way as the region."""
    return _drawn(tuple((name, wkt.dumps(geometry, rounding_precision=6)) for name, geometry in shapes))


def _counties(session: Session, within: str | None = None) -> tuple[tuple[str, str], ...]:
    """(name, boundary) of the counties (those whose path starts with ``within``), in code order."""
    query = select(Jurisdiction.name, Jurisdiction.boundary_wkt).where(
        Jurisdiction.level == JurisdictionLevel.COUNTY, Jurisdiction.boundary_wkt.is_not(None)
    )
    if within is not None:
        query = query.where(Jurisdiction.path.startswith(within))
    rows = session.execute(query.order_by(Jurisdiction.code)).all()
    return tuple((name, text) for name, text in rows if text)


def region_map(session: Session) -> RegionMap | None:
    """The counties that have a boundary, drawn together (None when no boundary is loaded)."""
    return _drawn(_counties(session))


def area_map(session: Session, jurisdiction_id: int | None) -> RegionMap | None:
    """One unit's own area: the counties within its jurisdiction (itself when it is a county), or its own
    outline when none of them has a boundary; None when it has no area drawn."""
    own = session.get(Jurisdiction, jurisdiction_id) if jurisdiction_id is not None else None
    if own is None:
        return None
    shapes = _counties(session, own.path)
    if not shapes and own.boundary_wkt:
        shapes = ((own.name, own.boundary_wkt),)
    return _drawn(shapes)
