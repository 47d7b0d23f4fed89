"""Importing boundaries: GCJ-02 files with invalid polygons and islands (real and invented), and bad input."""

from __future__ import annotations

import copy
import json
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shapely
from factories import REQUIRE_SHARED, shared_geo
from geopy.distance import geodesic
from shapely.geometry import MultiPolygon
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.core.db import Database
from car_enforce.core.errors import InvalidInput
from car_enforce.core.geo.datum import Datum, gcj02_to_wgs84
from car_enforce.core.geo.importer import ImportReport, geodesic_area_km2, import_boundaries
from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "geo"


def box_km2(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """A small lon/lat rectangle's area from geodesic lengths: its width at mid-latitude times its height."""
    mid = (lat0 + lat1) / 2
    return float(geodesic((mid, lon0), (mid, lon1)).km * geodesic((lat0, lon0), (lat1, lon0)).km)


@dataclass(frozen=True)
class Boundaries:
    """A province's city file and one city's county file (GCJ-02, DataV's layout), and what they hold."""

    label: str
    shared: bool  # the real files of the shared directory; else the invented ones of tests/fixtures/geo
    cities: str
    counties: str
    province: tuple[str, str]  # code, name
    province_file: str | None  # the province's own boundary; None: the province is a row without one
    city: str  # the counties' parent
    other_city: str
    n_cities: int
    n_counties: int
    repaired_cities: list[str]  # self-intersecting or overlapping as published
    extent: tuple[float, float, float, float]  # the cities' bounds in WGS84 lie strictly inside
    total_city_km2: tuple[float, float]
    city_km2: dict[str, tuple[float, float]]  # code → (area, relative tolerance)
    island: tuple[int, str, str, int, int]  # position in the county file, code, name, parts, small parts
    many_parts: tuple[str, int]  # another county of several parts
    county_km2: tuple[float, float]  # all counties together: area, relative tolerance
    rows: int  # jurisdictions once the province, its cities and the counties are in

    def path(self, name: str) -> Path:
        return shared_geo(name) if self.shared else FIXTURES / name


REAL = Boundaries(
    label="real",
    shared=True,
    cities="zhejiang_330000_cities.geojson",
    counties="wenzhou_330300_counties.geojson",
    province=("330000", "浙江省"),
    province_file=None,
    city="330300",
    other_city="330100",
    n_cities=11,
    n_counties=12,
    repaired_cities=["330200", "330900"],  # 宁波, 舟山: islands overlapping each other as published
    extent=(118.0, 27.0, 123.2, 31.3),
    # Official land areas: Zhejiang ~105,500 km², Hangzhou 16,850 km², Lishui 17,298 km². The DataV
    # outlines are simplified and take in some tidal flats, hence the tolerance.
    total_city_km2=(100_000, 110_000),
    city_km2={"330100": (16_850, 0.03), "331100": (17_298, 0.03)},
    island=(3, "330305", "洞头区", 36, 28),
    many_parts=("330381", 22),  # 瑞安
    county_km2=(12_110, 0.03),  # Wenzhou's official land area
    rows=24,
)

FIXTURE = Boundaries(
    label="fixture",
    shared=False,
    cities="fixture_990000_cities.geojson",
    counties="fixture_990300_counties.geojson",
    province=("990000", "测试省"),
    province_file="fixture_990000_province.geojson",
    city="990300",
    other_city="990100",
    n_cities=4,
    n_counties=4,
    repaired_cities=["990200", "990400"],  # 乙: a bow-tie coast; 丁: two islands drawn overlapping
    extent=(122.45, 27.9, 124.05, 28.8),
    total_city_km2=(7_950, 8_100),
    city_km2={
        "990100": (box_km2(123.0, 28.4, 123.6, 28.7), 0.001),  # 甲, a rectangle
        # 乙: a rectangle and both lobes of its bow-tie (the two triangles fill a 0.04° by 0.1° box);
        # dropping the lobe wound the wrong way would lose 0.7%.
        "990200": (box_km2(122.6, 28.0, 123.0, 28.7) + box_km2(122.52, 28.3, 122.56, 28.4), 0.001),
    },
    island=(3, "990304", "丙岛区", 9, 6),
    many_parts=("990303", 4),  # 丙三县: its mainland (with a hole for an exclave) and three islets
    county_km2=(2_761.5, 0.002),  # as drawn: the mainland's 0.6° by 0.4° and the islands
    rows=9,
)


@pytest.fixture(params=[FIXTURE, REAL], ids=lambda b: b.label)
def boundaries(request: pytest.FixtureRequest) -> Boundaries:
    b: Boundaries = request.param
    if not REQUIRE_SHARED:  # skip before any database work; when the files are required, the test fails
        for name in (b.cities, b.counties):
            b.path(name)
    return b


def add_province(session: Session, b: Boundaries) -> Jurisdiction:
    code, name = b.province
    if b.province_file is None:
        session.add(
            Jurisdiction(
                code=code, name=name, level=JurisdictionLevel.PROVINCE, path=f"/{code}/", source="test"
            )
        )
        session.flush()
    else:
        import_boundaries(
            session,
            b.path(b.province_file),
            datum=Datum.GCJ02,
            level=JurisdictionLevel.PROVINCE,
            source="test",
        )
    return session.scalars(select(Jurisdiction).where(Jurisdiction.code == code)).one()


def import_cities(session: Session, b: Boundaries, source: str = "DataV GeoAtlas (test)") -> ImportReport:
    return import_boundaries(
        session,
        b.path(b.cities),
        datum=Datum.GCJ02,
        level=JurisdictionLevel.CITY,
        parent_code=b.province[0],
        source=source,
    )


def import_counties(session: Session, b: Boundaries, source: str = "DataV GeoAtlas (test)") -> ImportReport:
    return import_boundaries(
        session,
        b.path(b.counties),
        datum=Datum.GCJ02,
        level=JurisdictionLevel.COUNTY,
        parent_code=b.city,
        source=source,
    )


def count_rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Jurisdiction)) or 0


def square(code: str, name: str, lon: float, lat: float, size: float = 0.1, **props: Any) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"adcode": code, "name": name, **props},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# --- boundary files: the real ones (shared directory) and the invented ones (tests/fixtures/geo) -------


def test_cities_import_valid_and_the_invalid_ones_are_repaired(boundaries: Boundaries, db: Database) -> None:
    b = boundaries
    with db.unit_of_work() as s:
        province = add_province(s, b)
        report = import_cities(s, b)
    assert len(report.features) == b.n_cities
    assert report.created == b.n_cities
    assert sorted(report.repaired) == b.repaired_cities
    with db.unit_of_work(read_only=True) as s:
        rows = s.scalars(select(Jurisdiction).where(Jurisdiction.level == JurisdictionLevel.CITY)).all()
        assert len(rows) == b.n_cities
        for row in rows:
            assert row.parent_id == province.id
            assert row.path == f"/{b.province[0]}/{row.code}/"
            assert row.source == "DataV GeoAtlas (test)"
            assert row.boundary_wkt is not None
            geometry = shapely.from_wkt(row.boundary_wkt)
            assert isinstance(geometry, MultiPolygon), row.code
            assert geometry.is_valid, row.code
            # Converted out of GCJ-02 and kept within the province's extent.
            minx, miny, maxx, maxy = geometry.bounds
            assert b.extent[0] < minx < maxx < b.extent[2]
            assert b.extent[1] < miny < maxy < b.extent[3]


def test_areas_match_the_known_figures(boundaries: Boundaries, db: Database) -> None:
    b = boundaries
    with db.unit_of_work() as s:
        add_province(s, b)
        report = import_cities(s, b)
    assert b.total_city_km2[0] < report.total_area_km2 < b.total_city_km2[1]
    for code, (km2, rel) in b.city_km2.items():
        assert report.by_code(code).area_km2 == pytest.approx(km2, rel=rel), code


def test_counties_keep_every_island(boundaries: Boundaries, db: Database) -> None:
    b = boundaries
    position, code, name, parts, small_parts = b.island
    with db.unit_of_work() as s:
        add_province(s, b)
        import_cities(s, b)
        report = import_counties(s, b)
    assert len(report.features) == b.n_counties
    island = report.by_code(code)
    assert (island.name, island.parts, island.small_parts) == (name, parts, small_parts)
    assert report.by_code(b.many_parts[0]).parts == b.many_parts[1]
    assert not report.repaired
    assert json.loads(json.dumps(report.as_dict()))["features"][position]["parts"] == parts  # plain JSON
    with db.unit_of_work(read_only=True) as s:
        row = s.scalars(select(Jurisdiction).where(Jurisdiction.code == code)).one()
        assert row.path == f"/{b.province[0]}/{b.city}/{code}/"
        assert row.level == JurisdictionLevel.COUNTY
        geometry = shapely.from_wkt(row.boundary_wkt)
        assert isinstance(geometry, MultiPolygon) and geometry.is_valid
        assert len(geometry.geoms) == parts
    assert report.total_area_km2 == pytest.approx(b.county_km2[0], rel=b.county_km2[1])


def test_reimporting_updates_the_same_rows(boundaries: Boundaries, db: Database) -> None:
    b = boundaries
    with db.unit_of_work() as s:
        add_province(s, b)
        import_cities(s, b)
        import_counties(s, b)
        before = count_rows(s)
        ids = dict(s.execute(select(Jurisdiction.code, Jurisdiction.id)).all())
    with db.unit_of_work() as s:
        again = import_counties(s, b, source="DataV GeoAtlas (second import)")
        assert (again.created, again.updated) == (0, b.n_counties)
    with db.unit_of_work(read_only=True) as s:
        assert count_rows(s) == before == b.rows
        rows = s.scalars(select(Jurisdiction).where(Jurisdiction.level == JurisdictionLevel.COUNTY)).all()
        assert {r.code: r.id for r in rows} == {c: i for c, i in ids.items() if c in {r.code for r in rows}}
        assert {r.source for r in rows} == {"DataV GeoAtlas (second import)"}


def test_import_reads_a_path_json_text_or_a_dict(boundaries: Boundaries, db: Database) -> None:
    b = boundaries
    path = b.path(b.counties)
    text = path.read_text(encoding="utf-8")
    with db.unit_of_work() as s:
        add_province(s, b)
        import_cities(s, b)
        for source in (path, str(path), text, json.loads(text)):
            report = import_boundaries(
                s, source, datum=Datum.GCJ02, level=JurisdictionLevel.COUNTY, parent_code=b.city, source="t"
            )
            assert len(report.features) == b.n_counties


def test_the_parent_can_come_from_the_features(boundaries: Boundaries, db: Database) -> None:
    # Without parent_code the DataV `parent.adcode` property places each county under its city.
    b = boundaries
    with db.unit_of_work() as s:
        add_province(s, b)
        import_cities(s, b)
        import_boundaries(
            s, b.path(b.counties), datum=Datum.GCJ02, level=JurisdictionLevel.COUNTY, source="t"
        )
        city = s.scalars(select(Jurisdiction).where(Jurisdiction.code == b.city)).one()
        counties = s.scalars(select(Jurisdiction).where(Jurisdiction.parent_id == city.id)).all()
        assert len(counties) == b.n_counties


def test_a_parent_code_contradicting_the_features_is_refused(boundaries: Boundaries, db: Database) -> None:
    b = boundaries
    with db.unit_of_work() as s:
        add_province(s, b)
        import_cities(s, b)
        before = count_rows(s)
        with pytest.raises(InvalidInput, match="parent"):
            import_boundaries(
                s,
                b.path(b.counties),
                datum=Datum.GCJ02,
                level=JurisdictionLevel.COUNTY,
                parent_code=b.other_city,
                source="t",
            )
        assert count_rows(s) == before


def test_a_missing_parent_is_refused_and_nothing_is_stored(boundaries: Boundaries, db: Database) -> None:
    with db.unit_of_work() as s:
        with pytest.raises(InvalidInput, match=boundaries.city):
            import_counties(s, boundaries)
        assert count_rows(s) == 0


# --- traps only the invented files pin down exactly ----------------------------------------------------


def test_the_fixtures_are_what_draw_py_draws() -> None:
    drawn = runpy.run_path(str(FIXTURES / "draw.py"))["drawings"]()
    assert sorted(drawn) == sorted(p.name for p in FIXTURES.glob("*.geojson"))
    for name, text in drawn.items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == text, f"{name}: run draw.py again"


def test_every_gcj02_vertex_is_converted_then_rounded(db: Database) -> None:
    # 甲市 is valid as published, so its stored vertices are exactly the file's, converted and rounded.
    features = json.loads((FIXTURES / FIXTURE.cities).read_text(encoding="utf-8"))["features"]
    published = next(f for f in features if f["properties"]["adcode"] == 990100)
    ring = published["geometry"]["coordinates"][0][0]
    with db.unit_of_work() as s:
        add_province(s, FIXTURE)
        import_cities(s, FIXTURE)
        row = s.scalars(select(Jurisdiction).where(Jurisdiction.code == "990100")).one()
        stored = shapely.from_wkt(row.boundary_wkt)
    assert isinstance(stored, MultiPolygon) and len(stored.geoms) == 1
    expected = [tuple(round(c, 7) for c in gcj02_to_wgs84(lon, lat)) for lon, lat in ring]
    assert list(stored.geoms[0].exterior.coords) == expected
    for (lon, lat), (x, y) in zip(ring, expected, strict=True):
        moved = geodesic((lat, lon), (y, x)).m
        assert 450 < moved < 650, (lon, lat)  # about 440 m west and 355 m north: the whole GCJ-02 offset


def test_the_bow_tie_city_keeps_both_lobes(db: Database) -> None:
    with db.unit_of_work() as s:
        add_province(s, FIXTURE)
        report = import_cities(s, FIXTURE).by_code("990200")
        row = s.get(Jurisdiction, report.jurisdiction_id)
        assert row is not None
        geometry = shapely.from_wkt(row.boundary_wkt)
    assert report.repaired and report.parts == 2
    lobe = min(geometry.geoms, key=lambda g: g.area)
    assert geodesic_area_km2(lobe) == pytest.approx(box_km2(122.52, 28.3, 122.56, 28.4) / 2, rel=0.01)


def test_the_three_levels_nest_by_path(db: Database) -> None:
    with db.unit_of_work() as s:
        province = add_province(s, FIXTURE)
        import_cities(s, FIXTURE)
        import_counties(s, FIXTURE)
        paths = dict(s.execute(select(Jurisdiction.code, Jurisdiction.path)).all())
    assert province.path == "/990000/" and province.parent_id is None and province.boundary_wkt
    assert paths == {
        "990000": "/990000/",
        **{code: f"/990000/{code}/" for code in ("990100", "990200", "990300", "990400")},
        **{code: f"/990000/990300/{code}/" for code in ("990301", "990302", "990303", "990304")},
    }


# --- synthetic input -----------------------------------------------------------------------------------


def test_wgs84_coordinates_are_stored_as_given_rounded_to_7_decimals(db: Database) -> None:
    feature = square("330000", "浙江省", 120.123456789, 28.0)
    with db.unit_of_work() as s:
        report = import_boundaries(
            s, collection(feature), datum=Datum.WGS84, level=JurisdictionLevel.PROVINCE, source="t"
        )
        row = s.get(Jurisdiction, report.features[0].jurisdiction_id)
        assert row is not None and row.boundary_wkt is not None
        assert row.path == "/330000/" and row.parent_id is None
        assert "120.1234568 28" in row.boundary_wkt
        assert "120.123456789" not in row.boundary_wkt


def test_a_bow_tie_is_repaired_into_a_multipolygon(db: Database) -> None:
    bow_tie = {
        "type": "Feature",
        "properties": {"code": "330000", "name": "浙江省"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[120, 28], [121, 29], [121, 28], [120, 29], [120, 28]]],
        },
    }
    with db.unit_of_work() as s:
        report = import_boundaries(
            s, collection(bow_tie), datum=Datum.WGS84, level=JurisdictionLevel.PROVINCE, source="t"
        )
        assert report.features[0].repaired and report.features[0].parts == 2
        row = s.get(Jurisdiction, report.features[0].jurisdiction_id)
        assert row is not None
        geometry = shapely.from_wkt(row.boundary_wkt)
        assert isinstance(geometry, MultiPolygon) and geometry.is_valid


def test_a_moved_unit_takes_its_subtree_along(db: Database) -> None:
    with db.unit_of_work() as s:
        import_boundaries(
            s,
            collection(square("A", "a", 100, 30, 1), square("B", "b", 110, 30, 1)),
            datum=Datum.WGS84,
            level=JurisdictionLevel.PROVINCE,
            source="t",
        )
        import_boundaries(
            s,
            collection(square("C", "c", 100, 30, 0.5)),
            datum=Datum.WGS84,
            level=JurisdictionLevel.CITY,
            parent_code="A",
            source="t",
        )
        import_boundaries(
            s,
            collection(square("D", "d", 100, 30, 0.2)),
            datum=Datum.WGS84,
            level=JurisdictionLevel.COUNTY,
            parent_code="C",
            source="t",
        )
        import_boundaries(
            s,
            collection(square("C", "c", 110, 30, 0.5)),
            datum=Datum.WGS84,
            level=JurisdictionLevel.CITY,
            parent_code="B",
            source="t",
        )
        paths = dict(s.execute(select(Jurisdiction.code, Jurisdiction.path)).all())
    assert paths == {"A": "/A/", "B": "/B/", "C": "/B/C/", "D": "/B/C/D/"}


def test_a_parent_must_be_above_its_children(db: Database) -> None:
    with db.unit_of_work() as s:
        import_boundaries(
            s,
            collection(square("C1", "city", 100, 30)),
            datum=Datum.WGS84,
            level=JurisdictionLevel.CITY,
            source="t",
        )
        with pytest.raises(InvalidInput, match="not above"):
            import_boundaries(
                s,
                collection(square("C2", "city", 101, 30)),
                datum=Datum.WGS84,
                level=JurisdictionLevel.CITY,
                parent_code="C1",
                source="t",
            )


def _bad_inputs() -> list[tuple[str, Any]]:
    good = square("330302", "鹿城区", 120.6, 28.0)
    no_code = copy.deepcopy(good)
    del no_code["properties"]["adcode"]
    line = copy.deepcopy(good)
    line["geometry"] = {"type": "LineString", "coordinates": [[120.6, 28.0], [120.7, 28.1]]}
    point = copy.deepcopy(good)
    point["geometry"] = {"type": "Point", "coordinates": [120.6, 28.0]}
    out_of_range = square("330303", "龙湾区", 179.95, 28.0)
    nan = copy.deepcopy(good)
    nan["geometry"]["coordinates"][0][1] = [float("nan"), 28.0]
    text_coordinate = copy.deepcopy(good)
    text_coordinate["geometry"]["coordinates"][0][1] = ["120.7", 28.0]
    degenerate = copy.deepcopy(good)
    degenerate["geometry"]["coordinates"] = [[[120.6, 28.0], [120.7, 28.0], [120.6, 28.0]]]
    no_name = copy.deepcopy(good)
    no_name["properties"]["name"] = ""
    second = square("330303", "龙湾区", 120.8, 28.0)
    return [
        ("a feature, not a collection", good),
        ("a list", [good]),
        ("empty collection", collection()),
        ("feature without code", collection(good, no_code)),
        ("LineString", collection(good, line)),
        ("Point", collection(good, point)),
        ("longitude beyond 180", collection(good, out_of_range)),
        ("NaN", collection(good, nan)),
        ("coordinate as text", collection(good, text_coordinate)),
        ("degenerate ring", collection(good, degenerate)),
        ("no name", collection(good, no_name)),
        ("duplicate code", collection(good, second, good)),
        ("not JSON", "{not json"),
    ]


@pytest.mark.parametrize(("case", "payload"), _bad_inputs(), ids=[c for c, _ in _bad_inputs()])
def test_bad_input_is_refused_before_anything_is_written(db: Database, case: str, payload: Any) -> None:
    with db.unit_of_work() as s:
        s.add(
            Jurisdiction(
                code="330300", name="温州市", level=JurisdictionLevel.CITY, path="/330300/", source="test"
            )
        )
        s.flush()
        with pytest.raises(InvalidInput):
            import_boundaries(
                s,
                payload,
                datum=Datum.WGS84,
                level=JurisdictionLevel.COUNTY,
                parent_code="330300",
                source="t",
            )
        # The valid feature in front of the bad one was not stored either.
        assert count_rows(s) == 1


def test_a_missing_file_is_invalid_input(db: Database, tmp_path: Path) -> None:
    with db.unit_of_work() as s, pytest.raises(InvalidInput, match="cannot read"):
        import_boundaries(
            s, tmp_path / "absent.geojson", datum=Datum.WGS84, level=JurisdictionLevel.COUNTY, source="t"
        )


# --- area ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lat", [0.0, 28.0, 60.0])
def test_area_agrees_with_geodesic_lengths_for_a_small_cell(lat: float) -> None:
    size = 0.01
    cell = shapely.box(120.0, lat, 120.0 + size, lat + size)
    width = geodesic((lat + size / 2, 120.0), (lat + size / 2, 120.0 + size)).km
    height = geodesic((lat, 120.0), (lat + size, 120.0)).km
    assert geodesic_area_km2(cell) == pytest.approx(width * height, rel=1e-4)


def test_overlapping_parts_are_merged_not_cut() -> None:
    """Two parts of one unit that overlap (宁波 and 舟山 publish such): the land both cover stays in it."""
    from car_enforce.core.geo.importer import _clean

    overlapping = MultiPolygon([shapely.box(0, 0, 0.02, 0.02), shapely.box(0.01, 0.01, 0.03, 0.03)])
    cleaned, repaired = _clean(overlapping, "features[0].geometry")
    assert repaired and cleaned.is_valid
    assert cleaned.area == pytest.approx(0.0007)  # the union: 4 + 4 - 1 hundredths squared
