"""Schematic boundaries for the demo region (Wenzhou, Zhejiang), built from public facts only.

Real boundary files carry their publisher's licence, and the DataV mirror used in tests states none,
so the demo does not ship them. Instead each of Wenzhou's 12 county-level units is the Voronoi cell of
its county seat, clipped to a rough hand-drawn outline of the city; the city is the union of the cells
and the province a rough hand-drawn outline around it. Good enough for "which county is this sighting
in" in a demo; a deployment imports its own official boundaries with ``import_boundaries``.
"""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from car_enforce.core.geo.datum import Datum, to_wgs84
from car_enforce.core.geo.importer import import_boundaries
from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel

DEMO_SOURCE = "demo: Voronoi cells of county seats (schematic)"

PROVINCE_CODE, PROVINCE_NAME = "330000", "浙江省"
CITY_CODE, CITY_NAME = "330300", "温州市"

# County seats: (code, name, lon, lat, datum). The GCJ-02 ones are DataV's published centres; the WGS84
# ones are approximate public coordinates of the seat's town or subdistrict (within a few hundred
# metres, which is below the precision of this schematic).
COUNTY_SEATS: tuple[tuple[str, str, float, float, Datum], ...] = (
    ("330302", "鹿城区", 120.674231, 28.003352, Datum.GCJ02),
    ("330303", "龙湾区", 120.812, 27.933, Datum.WGS84),  # 永中街道
    ("330304", "瓯海区", 120.604, 27.968, Datum.WGS84),  # 娄桥街道
    ("330305", "洞头区", 121.153, 27.839, Datum.WGS84),  # 北岙街道
    ("330324", "永嘉县", 120.686, 28.157, Datum.WGS84),  # 上塘镇
    ("330326", "平阳县", 120.564387, 27.669300, Datum.GCJ02),
    ("330327", "苍南县", 120.406256, 27.507743, Datum.GCJ02),
    ("330328", "文成县", 120.088, 27.792, Datum.WGS84),  # 大峃镇
    ("330329", "泰顺县", 119.712, 27.560, Datum.WGS84),  # 罗阳镇
    ("330381", "瑞安市", 120.646171, 27.779321, Datum.GCJ02),
    ("330382", "乐清市", 120.967147, 28.116083, Datum.GCJ02),
    ("330383", "龙港市", 120.549, 27.581, Datum.WGS84),
)

# Hand-drawn from general knowledge of the map (WGS84, clockwise from the north-west): the borders with
# Lishui and Taizhou, Yueqing Bay, the sea around Dongtou's islands, the coast down to Cangnan and the
# border with Fujian. Deliberately coarse; it takes in some sea so that Dongtou is one piece.
WENZHOU_OUTLINE: tuple[tuple[float, float], ...] = (
    (120.45, 28.45),
    (120.62, 28.62),
    (120.85, 28.55),
    (121.05, 28.55),
    (121.20, 28.38),
    (121.22, 28.05),
    (121.28, 27.85),
    (121.10, 27.72),
    (120.80, 27.70),
    (120.70, 27.50),
    (120.58, 27.20),
    (120.45, 27.05),
    (120.25, 27.25),
    (120.00, 27.30),
    (119.70, 27.35),
    (119.62, 27.55),
    (119.80, 27.75),
    (120.00, 27.95),
    (120.25, 28.10),
    (120.40, 28.25),
)

# Zhejiang, equally rough (WGS84, clockwise from Changxing in the north-west), with Zhoushan's waters
# and a margin around the Wenzhou outline so the province contains the city entirely.
ZHEJIANG_OUTLINE: tuple[tuple[float, float], ...] = (
    (119.60, 31.18),
    (120.50, 31.05),
    (121.00, 31.05),
    (121.45, 30.70),
    (122.40, 31.00),
    (122.95, 30.40),
    (122.50, 29.70),
    (122.10, 29.20),
    (121.95, 28.70),
    (121.55, 28.20),
    (121.40, 27.80),
    (120.75, 27.15),
    (120.45, 26.95),
    (119.70, 27.25),
    (119.05, 27.40),
    (118.70, 27.95),
    (118.35, 28.35),
    (118.05, 28.95),
    (118.10, 29.40),
    (118.60, 29.75),
    (119.10, 30.20),
    (119.30, 30.65),
)


def county_seats_wgs84() -> dict[str, tuple[float, float]]:
    """Code → (lon, lat) of each county seat in WGS84."""
    return {code: to_wgs84(lon, lat, datum) for code, _, lon, lat, datum in COUNTY_SEATS}


def _as_multipolygon(geometry: BaseGeometry) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(geometry) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(parts)


def county_cells() -> dict[str, MultiPolygon]:
    """Code → the county's schematic boundary: its seat's Voronoi cell clipped to the Wenzhou outline."""
    outline = Polygon(WENZHOU_OUTLINE)
    seats = county_seats_wgs84()
    cells = list(
        shapely.get_parts(
            shapely.voronoi_polygons(shapely.MultiPoint(list(seats.values())), extend_to=outline)
        )
    )
    result: dict[str, MultiPolygon] = {}
    for code, (lon, lat) in seats.items():
        seat = Point(lon, lat)
        # voronoi_polygons does not promise the input order, but each cell contains its own seed.
        (cell,) = [c for c in cells if c.contains(seat)]
        result[code] = _as_multipolygon(cell.intersection(outline))
    return result


def _feature(
    code: str, name: str, level: JurisdictionLevel, parent_code: str | None, geometry: BaseGeometry
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level.value, "parent_code": parent_code},
        # Through JSON so the result is plain lists, exactly what a file would hold.
        "geometry": json.loads(shapely.to_geojson(geometry)),
    }


def demo_feature_collection() -> dict[str, Any]:
    """The demo province, city and 12 counties as a WGS84 GeoJSON FeatureCollection."""
    cells = county_cells()
    names = {code: name for code, name, *_ in COUNTY_SEATS}
    city = _as_multipolygon(shapely.union_all(list(cells.values())))
    features = [
        _feature(
            PROVINCE_CODE,
            PROVINCE_NAME,
            JurisdictionLevel.PROVINCE,
            None,
            MultiPolygon([Polygon(ZHEJIANG_OUTLINE)]),
        ),
        _feature(CITY_CODE, CITY_NAME, JurisdictionLevel.CITY, PROVINCE_CODE, city),
    ]
    features += [
        _feature(code, names[code], JurisdictionLevel.COUNTY, CITY_CODE, cell) for code, cell in cells.items()
    ]
    return {"type": "FeatureCollection", "features": features}


def seed_demo_jurisdictions(session: Session) -> dict[str, Jurisdiction]:
    """Upsert the demo province, city and counties (parents first); code → row. Does not commit."""
    collection = demo_feature_collection()
    rows: dict[str, Jurisdiction] = {}
    for level in (JurisdictionLevel.PROVINCE, JurisdictionLevel.CITY, JurisdictionLevel.COUNTY):
        features = [f for f in collection["features"] if f["properties"]["level"] == level.value]
        report = import_boundaries(
            session,
            {"type": "FeatureCollection", "features": features},
            datum=Datum.WGS84,
            level=level,
            source=DEMO_SOURCE,
        )
        for item in report.features:
            row = session.get(Jurisdiction, item.jurisdiction_id)
            assert row is not None  # just flushed by import_boundaries
            rows[item.code] = row
    return rows
