"""Import jurisdiction boundaries from a GeoJSON FeatureCollection into ``Jurisdiction`` rows.

Boundaries arrive in GCJ-02 (DataV, Gaode) or WGS84 and are stored once, in WGS84, as a valid
MultiPolygon. Published boundaries are often invalid (self-intersecting rings) and coastal units carry
dozens of tiny islands: the importer repairs the former and keeps every one of the latter, since an
island is real land where a car can be found.

The whole collection is parsed, converted and checked before the first row is touched, so bad input
leaves the session as it was. The caller owns the transaction: nothing here commits.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.core.errors import InvalidInput
from car_enforce.core.geo.datum import Datum, parse_datum, to_wgs84
from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel

# 1e-7 degree is about 1 cm: far below the accuracy of any administrative boundary, and it keeps a
# county's WKT around a third shorter than full double precision.
COORDINATE_DECIMALS = 7
_GRID = 10.0**-COORDINATE_DECIMALS

# A part below this area is reported as small (an islet); it is still kept.
SMALL_PART_KM2 = 1.0

# Parents must sit strictly above their children; this also makes cycles in `path` impossible.
LEVEL_RANK = {JurisdictionLevel.PROVINCE: 0, JurisdictionLevel.CITY: 1, JurisdictionLevel.COUNTY: 2}
LEVEL_ZH = {
    JurisdictionLevel.PROVINCE: "省",
    JurisdictionLevel.CITY: "市",
    JurisdictionLevel.COUNTY: "县（区）",
}

# Codes become segments of the materialised path and LIKE prefixes: letters and digits only.
_CODE_RE = re.compile(r"^[0-9A-Za-z]{1,12}$")
_NAME_MAX = 64
_SOURCE_MAX = 64
_PATH_MAX = 128

# WGS84 ellipsoid, for the equal-area (authalic) projection used to measure areas.
_WGS84_A = 6378137.0
_WGS84_E2 = 0.00669437999014


@dataclass(frozen=True)
class FeatureReport:
    code: str
    name: str
    parts: int  # polygons in the stored MultiPolygon, islands included
    small_parts: int  # of which under SMALL_PART_KM2
    repaired: bool  # the published geometry was invalid and went through make_valid
    area_km2: float
    created: bool  # a new row (False: an existing row updated)
    jurisdiction_id: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ImportReport:
    source: str
    datum: Datum
    level: JurisdictionLevel
    features: list[FeatureReport] = field(default_factory=list)

    @property
    def total_area_km2(self) -> float:
        return sum(f.area_km2 for f in self.features)

    @property
    def created(self) -> int:
        return sum(1 for f in self.features if f.created)

    @property
    def updated(self) -> int:
        return sum(1 for f in self.features if not f.created)

    @property
    def repaired(self) -> list[str]:
        return [f.code for f in self.features if f.repaired]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "datum": self.datum.value,
            "level": self.level.value,
            "total_area_km2": self.total_area_km2,
            "created": self.created,
            "updated": self.updated,
            "features": [f.as_dict() for f in self.features],
        }

    def by_code(self, code: str) -> FeatureReport:
        for report in self.features:
            if report.code == code:
                return report
        raise KeyError(code)


@dataclass(frozen=True)
class ParsedFeature:
    code: str
    name: str
    parent_code: str | None
    geometry: MultiPolygon
    repaired: bool


def import_boundaries(
    session: Session,
    geojson: dict[str, Any] | str | Path,
    *,
    datum: Datum,
    level: JurisdictionLevel,
    parent_code: str | None = None,
    source: str,
) -> ImportReport:
    """Upsert one ``Jurisdiction`` per feature (by code), boundary converted to WGS84.

    ``geojson`` is a parsed FeatureCollection, its JSON text (a string starting with ``{``), or the path
    of a file. Every feature gets ``level``; its parent is ``parent_code`` or, when that is not given,
    the feature's own ``parent.adcode`` (DataV) or ``parent_code`` property.
    """
    parsed = parse_boundaries(geojson, datum=datum, level=level, parent_code=parent_code, source=source)
    return write_boundaries(session, plan_boundaries(session, parsed))


@dataclass(frozen=True)
class ParsedBoundaries:
    """A collection parsed, converted to WGS84 and repaired: nothing read from the database yet."""

    source: str
    datum: Datum
    level: JurisdictionLevel
    features: list[ParsedFeature]


@dataclass(frozen=True)
class BoundaryPlan:
    """Features checked against the rows they would create or move: what an import would do, before it
    does it (a preview shows it; the import writes it)."""

    parsed: ParsedBoundaries
    features: list[ParsedFeature]
    parents: dict[str, Jurisdiction]
    existing: dict[str, Jurisdiction]
    paths: dict[str, str]

    def is_new(self, code: str) -> bool:
        return code not in self.existing


def parse_boundaries(
    geojson: dict[str, Any] | str | Path,
    *,
    datum: Datum,
    level: JurisdictionLevel,
    parent_code: str | None = None,
    source: str,
) -> ParsedBoundaries:
    """The collection's features, each checked, converted and repaired; InvalidInput for a bad one."""
    datum = parse_datum(datum)
    level = _parse_level(level)
    if len(source) > _SOURCE_MAX:
        raise InvalidInput("source", f"at most {_SOURCE_MAX} characters", zh=f"不能超过 {_SOURCE_MAX} 个字符")
    if parent_code is not None:
        parent_code = _parse_code(parent_code, "parent_code")
    collection = _load(geojson)
    return ParsedBoundaries(
        source, datum, level, _parse_collection(collection, datum=datum, parent_code=parent_code)
    )


def plan_boundaries(
    session: Session, parsed: ParsedBoundaries, features: list[ParsedFeature] | None = None
) -> BoundaryPlan:
    """What writing ``features`` (all of them by default) would do, reading only: InvalidInput for a
    parent that is missing or not above the level, or a path that would not fit."""
    chosen = parsed.features if features is None else features
    parent_codes = {p.parent_code for p in chosen if p.parent_code is not None}
    parents = {
        j.code: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(parent_codes)))
    }
    codes = [p.code for p in chosen]
    existing = {j.code: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(codes)))}
    paths = {
        feature.code: _checked_path(session, feature, parents, existing.get(feature.code), parsed.level)
        for feature in chosen
    }
    return BoundaryPlan(parsed, chosen, parents, existing, paths)


def write_boundaries(session: Session, plan: BoundaryPlan) -> ImportReport:
    """Upsert the plan's features."""
    source, datum, level = plan.parsed.source, plan.parsed.datum, plan.parsed.level
    features = plan.features
    parents, existing, paths = plan.parents, plan.existing, plan.paths
    reports: list[FeatureReport] = []
    for feature in features:
        parent = parents[feature.parent_code] if feature.parent_code is not None else None
        path = paths[feature.code]
        wkt = shapely.to_wkt(feature.geometry, rounding_precision=COORDINATE_DECIMALS, trim=True)
        row = existing.get(feature.code)
        created = row is None
        if row is None:
            row = Jurisdiction(code=feature.code, path=path)
            session.add(row)
        elif row.path != path:
            _move_descendants(session, row, path)
        row.name = feature.name
        row.level = level
        row.parent_id = parent.id if parent is not None else None
        row.path = path
        row.boundary_wkt = wkt
        row.source = source
        session.flush()
        areas = [geodesic_area_km2(part) for part in feature.geometry.geoms]
        reports.append(
            FeatureReport(
                code=feature.code,
                name=feature.name,
                parts=len(areas),
                small_parts=sum(1 for a in areas if a < SMALL_PART_KM2),
                repaired=feature.repaired,
                area_km2=sum(areas),
                created=created,
                jurisdiction_id=row.id,
            )
        )
    return ImportReport(source=source, datum=datum, level=level, features=reports)


def _checked_path(
    session: Session,
    feature: ParsedFeature,
    parents: dict[str, Jurisdiction],
    row: Jurisdiction | None,
    level: JurisdictionLevel,
) -> str:
    """The feature's materialised path, after checking its parent and that every path still fits."""
    if feature.parent_code is None:
        path = f"/{feature.code}/"
    else:
        parent = parents.get(feature.parent_code)
        if parent is None:
            raise InvalidInput(
                "parent_code",
                f"feature {feature.code}: no jurisdiction {feature.parent_code}",
                zh=f"区划 {feature.code} 的上级区划 {feature.parent_code} 不存在，请先导入上级区划",
            )
        if LEVEL_RANK[_parse_level(parent.level)] >= LEVEL_RANK[level]:
            raise InvalidInput(
                "parent_code",
                f"feature {feature.code}: parent {parent.code} is a {parent.level}, not above a {level}",
                zh=f"区划 {feature.code} 的上级 {parent.code} 是{LEVEL_ZH.get(parent.level, parent.level)}"
                f"级，应高于{LEVEL_ZH[level]}级",
            )
        path = f"{parent.path}{feature.code}/"
    longest = len(path)
    if row is not None and row.path != path:
        # Moving a unit moves its subtree: the deepest descendant's path must fit too.
        deepest = session.scalar(
            select(func.max(func.length(Jurisdiction.path))).where(
                Jurisdiction.path.startswith(row.path, autoescape=True)
            )
        )
        longest = len(path) + (deepest or len(row.path)) - len(row.path)
    if longest > _PATH_MAX:
        raise InvalidInput(
            "parent_code",
            f"feature {feature.code}: the path would exceed {_PATH_MAX} characters",
            zh=f"区划 {feature.code} 的层级路径将超过 {_PATH_MAX} 个字符",
        )
    return path


def _move_descendants(session: Session, row: Jurisdiction, new_path: str) -> None:
    # The path is denormalised: when a unit moves, its whole subtree's paths move with it.
    old_path = row.path
    descendants = session.scalars(
        select(Jurisdiction).where(
            Jurisdiction.path.startswith(old_path, autoescape=True), Jurisdiction.id != row.id
        )
    )
    for child in descendants:
        child.path = new_path + child.path[len(old_path) :]


# --- parsing -------------------------------------------------------------------------------------------


_WHERE = re.compile(r"^features\[(\d+)\](?: \(([^)]*)\))?")


def _at(where: str) -> str:
    """``features[3] (330326).name`` as a person reads it, ``第 4 个区划（330326）：``; "" for a form field
    (the form shows its name)."""
    found = _WHERE.match(where)
    if found is None:
        return ""
    number, code = int(found.group(1)) + 1, found.group(2)
    return f"第 {number} 个区划" + (f"（{code}）" if code else "") + "："


def _load(geojson: dict[str, Any] | str | Path) -> Any:
    if not isinstance(geojson, str | Path):
        return geojson  # already parsed; the shape is checked by _parse_collection
    try:
        if isinstance(geojson, str) and geojson.lstrip().startswith("{"):
            return json.loads(geojson)
        return json.loads(Path(geojson).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput("geojson", f"cannot read {geojson}: {exc.strerror}", zh="无法读取文件") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput("geojson", f"not JSON: {exc}", zh="文件不是有效的 JSON") from None


def _parse_level(value: JurisdictionLevel | str) -> JurisdictionLevel:
    try:
        return JurisdictionLevel(value)
    except ValueError:
        raise InvalidInput("level", f"unknown level {value!r}", zh=f"无法识别的区划级别 {value}") from None


def _parse_code(value: Any, fld: str) -> str:
    # DataV gives adcodes as numbers; the platform keeps them as strings.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(fld, f"not a code: {value!r}", zh=f"{_at(fld)}不是区划代码")
    code = str(value).strip()
    if not _CODE_RE.match(code):
        raise InvalidInput(
            fld,
            f"{code!r} is not 1-12 letters or digits",
            zh=f"{_at(fld)}代码 {code} 应为 1 至 12 位字母或数字",
        )
    return code


def _parse_collection(collection: Any, *, datum: Datum, parent_code: str | None) -> list[ParsedFeature]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise InvalidInput(
            "geojson", "expected a GeoJSON FeatureCollection", zh="文件应为 GeoJSON FeatureCollection"
        )
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput(
            "geojson",
            "a FeatureCollection with at least one feature is expected",
            zh="文件中应至少有一个区划（Feature）",
        )
    parsed: list[ParsedFeature] = []
    seen: set[str] = set()
    for index, feature in enumerate(features):
        item = _parse_feature(feature, index, datum=datum, parent_code=parent_code)
        if item.code in seen:
            raise InvalidInput(
                f"features[{index}]",
                f"code {item.code} appears twice",
                zh=f"{_at(f'features[{index}]')}代码 {item.code} 出现了两次",
            )
        seen.add(item.code)
        parsed.append(item)
    return parsed


def _parse_feature(feature: Any, index: int, *, datum: Datum, parent_code: str | None) -> ParsedFeature:
    where = f"features[{index}]"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput(where, "not a GeoJSON Feature", zh=f"{_at(where)}不是 GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise InvalidInput(f"{where}.properties", "not an object", zh=f"{_at(where)}properties 应为对象")
    raw_code = props.get("adcode", props.get("code"))
    if raw_code is None:
        raise InvalidInput(
            f"{where}.properties", "no adcode or code", zh=f"{_at(where)}缺少区划代码（adcode 或 code）"
        )
    code = _parse_code(raw_code, f"{where}.properties.adcode")
    where = f"{where} ({code})"
    name = props.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > _NAME_MAX:
        raise InvalidInput(
            f"{where}.name",
            f"a name of 1-{_NAME_MAX} characters is required",
            zh=f"{_at(where)}名称应为 1 至 {_NAME_MAX} 个字符",
        )

    own_parent = _feature_parent(props, where)
    if parent_code is not None and own_parent is not None and own_parent != parent_code:
        raise InvalidInput(
            f"{where}.parent",
            f"the feature says parent {own_parent}, the import says {parent_code}",
            zh=f"{_at(where)}文件中写的上级是 {own_parent}，导入时选择的上级是 {parent_code}，两者不一致",
        )
    resolved_parent = parent_code if parent_code is not None else own_parent
    if resolved_parent == code:
        raise InvalidInput(
            f"{where}.parent",
            "a jurisdiction cannot be its own parent",
            zh=f"{_at(where)}区划不能是自己的上级",
        )

    raw_geometry = _build_geometry(feature.get("geometry"), datum, f"{where}.geometry")
    geometry, repaired = _clean(raw_geometry, f"{where}.geometry")
    return ParsedFeature(
        code=code, name=name.strip(), parent_code=resolved_parent, geometry=geometry, repaired=repaired
    )


def _feature_parent(props: dict[str, Any], where: str) -> str | None:
    parent = props.get("parent")
    if isinstance(parent, dict) and parent.get("adcode") is not None:
        return _parse_code(parent["adcode"], f"{where}.parent.adcode")
    if props.get("parent_code") is not None:
        return _parse_code(props["parent_code"], f"{where}.parent_code")
    return None


def _build_geometry(geometry: Any, datum: Datum, where: str) -> MultiPolygon:
    if not isinstance(geometry, dict):
        raise InvalidInput(where, "missing", zh=f"{_at(where)}缺少边界（geometry）")
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        if not isinstance(coords, list | tuple):
            raise InvalidInput(
                where,
                "MultiPolygon coordinates must be a list of polygons",
                zh=f"{_at(where)}MultiPolygon 的坐标应为多边形列表",
            )
        polygons = list(coords)
    else:
        raise InvalidInput(
            where,
            f"a Polygon or MultiPolygon is required, got {kind!r}",
            zh=f"{_at(where)}边界应为 Polygon 或 MultiPolygon",
        )
    if not polygons:
        raise InvalidInput(where, "empty geometry", zh=f"{_at(where)}边界是空的")
    parts = [_build_polygon(poly, datum, f"{where}[{i}]") for i, poly in enumerate(polygons)]
    return MultiPolygon(parts)


def _build_polygon(rings: Any, datum: Datum, where: str) -> Polygon:
    if not isinstance(rings, list | tuple) or not rings:
        raise InvalidInput(
            where, "a polygon must be a non-empty list of rings", zh=f"{_at(where)}多边形应为非空的环列表"
        )
    built = [_build_ring(ring, datum, f"{where}[{i}]") for i, ring in enumerate(rings)]
    return Polygon(built[0], built[1:])


def _build_ring(ring: Any, datum: Datum, where: str) -> NDArray[np.float64]:
    if not isinstance(ring, list | tuple):
        raise InvalidInput(where, "a ring must be a list of positions", zh=f"{_at(where)}环应为坐标点列表")
    out = np.empty((len(ring), 2), dtype=np.float64)
    for i, position in enumerate(ring):
        if not isinstance(position, list | tuple) or len(position) < 2:
            raise InvalidInput(f"{where}[{i}]", f"not a position: {position!r}", zh=f"{_at(where)}不是坐标点")
        lon, lat = to_wgs84(position[0], position[1], datum, f"{where}[{i}]")
        out[i] = _snap(lon), _snap(lat)
    # A ring needs three distinct corners; shapely would otherwise raise or build a zero-area ring.
    if len(np.unique(out, axis=0)) < 3:
        raise InvalidInput(
            where,
            "a ring needs at least three distinct positions",
            zh=f"{_at(where)}每个环至少需要三个不同的坐标点",
        )
    return out


def _snap(value: float) -> float:
    # Rounding before validation, not after, so that the stored WKT is exactly the geometry checked.
    return round(value, COORDINATE_DECIMALS)


def _clean(geometry: MultiPolygon, where: str) -> tuple[MultiPolygon, bool]:
    """A valid MultiPolygon; True if the published geometry had to be repaired."""
    if geometry.is_valid:
        return geometry, False
    # "structure" merges parts that overlap (宁波 and 舟山 publish such parts): the default "linework"
    # method would drop the overlap and leave land that both parts cover in no unit.
    repaired = shapely.make_valid(geometry, method="structure")
    # make_valid may also produce the lines and points where rings touched themselves; only area counts.
    polygonal = _polygonal(repaired)
    # Repair can add intersection nodes that are not on the 1e-7 grid: snap them, keeping validity.
    snapped = _polygonal(shapely.set_precision(polygonal, _GRID))
    if snapped.is_empty or not snapped.is_valid:
        raise InvalidInput(
            where, "the boundary cannot be repaired into a polygon", zh=f"{_at(where)}边界无法修复为多边形"
        )
    return snapped, True


def _polygonal(geometry: BaseGeometry) -> MultiPolygon:
    polygons: list[Polygon] = []
    for part in shapely.get_parts(geometry):
        if isinstance(part, Polygon):
            if not part.is_empty:
                polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(p for p in part.geoms if not p.is_empty)
        elif part.geom_type == "GeometryCollection":
            polygons.extend(_polygonal(part).geoms)
    return MultiPolygon(polygons)


# --- area ----------------------------------------------------------------------------------------------


def _authalic(lon_lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Lambert cylindrical equal-area coordinates (metres) on the WGS84 ellipsoid's authalic sphere."""
    e = math.sqrt(_WGS84_E2)
    lon = np.radians(lon_lat[:, 0])
    sin_phi = np.sin(np.radians(lon_lat[:, 1]))

    def q(s: NDArray[np.float64] | float) -> NDArray[np.float64]:
        return np.asarray(
            (1 - _WGS84_E2) * (s / (1 - _WGS84_E2 * s * s) - np.log((1 - e * s) / (1 + e * s)) / (2 * e))
        )

    q_pole = float(q(1.0))
    radius = _WGS84_A * math.sqrt(q_pole / 2.0)
    # x = R λ, y = R sin β (β the authalic latitude): planar area here equals area on the ellipsoid.
    return np.column_stack((radius * lon, radius * q(sin_phi) / q_pole))


def geodesic_area_km2(geometry: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid of a lon/lat (WGS84) polygonal geometry, in km².

    Exact for the region whose edges are straight in the equal-area projection; with boundary vertices
    a few hundred metres apart that differs from geodesic edges by far less than the data's own error.
    """
    return float(shapely.transform(geometry, _authalic).area) / 1e6
