"""Which unit covers a point (the STRtree index), the demo boundaries, and overlapping scopes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
import shapely
from factories import REQUIRE_SHARED, shared_geo
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.demo import boundaries as demo
from car_enforce.core.db import Database
from car_enforce.core.errors import InvalidInput, NotFound
from car_enforce.core.geo import service
from car_enforce.core.geo.datum import Datum, to_wgs84, wgs84_to_gcj02
from car_enforce.core.geo.importer import geodesic_area_km2, import_boundaries
from car_enforce.core.geo.index import JurisdictionIndex
from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "geo"

# County seats as DataV publishes them (GCJ-02), from SHARED/geo/README.md.
README_SEATS_GCJ02 = {
    "330326": (120.564387, 27.669300),  # 平阳县
    "330302": (120.674231, 28.003352),  # 鹿城区
    "330381": (120.646171, 27.779321),  # 瑞安市
    "330382": (120.967147, 28.116083),  # 乐清市
    "330327": (120.406256, 27.507743),  # 苍南县
}
SEA_OFF_WENZHOU = (121.6, 27.6)

# The invented counties' seats (GCJ-02), the `center` of each feature in tests/fixtures/geo.
FIXTURE_SEATS_GCJ02 = {
    "990301": (123.124517, 28.306951),  # 丙一区
    "990302": (123.154472, 28.076915),  # 丙二区
    "990303": (123.474578, 28.116867),  # 丙三县
    "990304": (123.754512, 28.196779),  # 丙岛区, on its main island
}

C, P, K = JurisdictionLevel.CITY, JurisdictionLevel.PROVINCE, JurisdictionLevel.COUNTY


@dataclass(frozen=True)
class Region:
    """A province's city file and one city's county file (both GCJ-02), and what lookups in them give."""

    label: str
    shared: bool  # the real files of the shared directory; else the invented ones of tests/fixtures/geo
    cities: str
    counties: str
    province: tuple[str, str]  # code, name
    province_file: str | None  # the province's own boundary; None: the province is a row without one
    city: str  # the counties' parent
    seats_gcj02: dict[str, tuple[float, float]]
    sea: tuple[tuple[float, float], ...]  # points off the coast, in no county
    neighbours: tuple[str, str]  # two counties with a long shared border
    with_boundary: int  # units with a boundary once every file is in
    seats_in_city_outline: int  # at least this many seats lie inside the city's own outline
    outline_gap_km2: tuple[float, float]  # the city outline's difference from the union of its counties

    def path(self, name: str) -> Path:
        return shared_geo(name) if self.shared else FIXTURES / name


REAL = Region(
    label="real",
    shared=True,
    cities="zhejiang_330000_cities.geojson",
    counties="wenzhou_330300_counties.geojson",
    province=("330000", "浙江省"),
    province_file=None,
    city="330300",
    seats_gcj02=README_SEATS_GCJ02,
    sea=(SEA_OFF_WENZHOU,),
    neighbours=("330302", "330304"),  # 鹿城, 瓯海
    with_boundary=23,  # 11 cities + 12 counties
    seats_in_city_outline=4,
    outline_gap_km2=(50, 90),  # README: about 69 km²
)

FIXTURE = Region(
    label="fixture",
    shared=False,
    cities="fixture_990000_cities.geojson",
    counties="fixture_990300_counties.geojson",
    province=("990000", "测试省"),
    province_file="fixture_990000_province.geojson",
    city="990300",
    seats_gcj02=FIXTURE_SEATS_GCJ02,
    # The strait between 丙三县's coast and 丙岛区's main island, and open water among 丙岛区's islands
    # (inside the bounding box of that island district, so the tree offers it as a candidate).
    sea=((123.65, 28.2), (123.83, 28.1)),
    neighbours=("990301", "990302"),  # the zigzag along 28.2°N
    with_boundary=9,  # the province, 4 cities, 4 counties
    seats_in_city_outline=4,
    outline_gap_km2=(55, 65),  # 丙市's straightened coast and the islets its outline leaves out
)


@pytest.fixture(params=[FIXTURE, REAL], ids=lambda r: r.label)
def region(request: pytest.FixtureRequest) -> Region:
    r: Region = request.param
    if not REQUIRE_SHARED:  # skip before any database work; when the files are required, the test fails
        for name in (r.cities, r.counties):
            r.path(name)
    return r


def import_region(session: Session, r: Region) -> dict[str, int]:
    """The province, its cities and one city's counties; code → id."""
    code, name = r.province
    if r.province_file is None:
        session.add(Jurisdiction(code=code, name=name, level=P, path=f"/{code}/", source="test"))
        session.flush()
    else:
        import_boundaries(session, r.path(r.province_file), datum=Datum.GCJ02, level=P, source="test")
    import_boundaries(
        session, r.path(r.cities), datum=Datum.GCJ02, level=C, parent_code=code, source="DataV (test)"
    )
    import_boundaries(
        session, r.path(r.counties), datum=Datum.GCJ02, level=K, parent_code=r.city, source="DataV (test)"
    )
    return dict(session.execute(select(Jurisdiction.code, Jurisdiction.id)).all())


def wkt(geometry: shapely.Geometry) -> str:
    return shapely.to_wkt(geometry, rounding_precision=-1)  # full precision (the default keeps 6 decimals)


# --- the index on synthetic squares (no database) ------------------------------------------------------


def nested_index() -> JurisdictionIndex:
    # Province 1 = [0,2]x[0,1]; city 2 = [0,1]x[0,1]; city 3 = [1,2]x[0,1]; counties 5 and 4 split city 2.
    return JurisdictionIndex(
        [
            (1, P, wkt(shapely.box(0, 0, 2, 1))),
            (2, C, wkt(shapely.box(0, 0, 1, 1))),
            (3, "city", wkt(shapely.box(1, 0, 2, 1))),
            (5, K, wkt(shapely.box(0, 0, 0.5, 1))),
            (4, K, wkt(shapely.box(0.5, 0, 1, 1))),
        ]
    )


def test_covering_lists_the_most_specific_level_first() -> None:
    index = nested_index()
    assert index.covering(0.25, 0.5) == [5, 2, 1]
    assert index.most_specific(0.25, 0.5, Datum.WGS84) == 5
    assert index.covering(1.5, 0.5) == [3, 1]


def test_a_point_on_a_shared_border_gets_both_neighbours() -> None:
    index = nested_index()
    assert index.covering(0.5, 0.5) == [4, 5, 2, 1]  # county border: lower id first
    assert index.most_specific(0.5, 0.5, Datum.WGS84) == 4
    assert index.covering(1.0, 0.3) == [4, 2, 3, 1]  # city border
    assert index.covering(0.0, 0.0) == [5, 2, 1]  # outer corner


def test_a_point_in_a_hairline_gap_between_neighbours_still_lands_in_one() -> None:
    # Independently rounded boundaries can leave a sliver of a few centimetres between neighbours.
    index = JurisdictionIndex(
        [
            (1, K, wkt(shapely.box(120.0, 28.0, 120.5, 28.5))),
            (2, K, wkt(shapely.box(120.5000002, 28.0, 121.0, 28.5))),
        ]
    )
    assert index.covering(120.5000001, 28.2) == [1, 2]
    assert index.covering(120.51, 28.2) == [2]
    assert index.covering(121.01, 28.2) == []  # a kilometre out is outside


def test_points_outside_everything_are_covered_by_nothing() -> None:
    index = nested_index()
    assert index.covering(3.0, 0.5) == []
    assert index.most_specific(-1.0, -1.0, Datum.WGS84) is None
    assert JurisdictionIndex([]).covering(0.5, 0.5) == []


def test_covering_validates_its_input() -> None:
    with pytest.raises(InvalidInput):
        nested_index().covering(float("nan"), 0.5)
    with pytest.raises(InvalidInput):
        nested_index().covering(0.5, 0.5, "BD09")


def test_a_gcj02_point_is_converted_before_the_lookup() -> None:
    # A county whose eastern border runs 200 m east of a WGS84 point: that point's GCJ-02 coordinates
    # lie ~400 m further east, outside, yet the lookup in GCJ-02 must still find the county.
    wgs = (120.672, 28.0)
    index = JurisdictionIndex([(1, K, wkt(shapely.box(120.6, 27.9, 120.674, 28.1)))])
    gcj = wgs84_to_gcj02(*wgs)
    assert gcj[0] > 120.674
    assert index.covering(*gcj) == []
    assert index.covering(*gcj, datum=Datum.GCJ02) == [1]


# --- the index on boundary files: the real ones (shared directory), the invented ones (tests/fixtures) --


def test_each_county_seat_falls_in_its_own_county(region: Region, db: Database) -> None:
    with db.unit_of_work() as s:
        ids = import_region(s, region)
    with db.unit_of_work(read_only=True) as s:
        index = JurisdictionIndex.load(s)
    assert len(index) == region.with_boundary
    above = [ids[region.city]] + ([ids[region.province[0]]] if region.province_file else [])
    for code, (lon, lat) in region.seats_gcj02.items():
        wgs = to_wgs84(lon, lat, Datum.GCJ02)
        assert index.most_specific(*wgs, Datum.WGS84) == ids[code], code
        assert index.covering(lon, lat, Datum.GCJ02) == [ids[code], *above], code


def test_the_sea_off_the_coast_is_in_no_county(region: Region, db: Database) -> None:
    with db.unit_of_work() as s:
        import_region(s, region)
        index = JurisdictionIndex.load(s)
        county_ids = set(s.scalars(select(Jurisdiction.id).where(Jurisdiction.level == K)))
    for point in region.sea:
        assert not county_ids & set(index.covering(*point)), point
        assert not county_ids & set(index.covering(*point, datum=Datum.GCJ02)), point


def test_the_city_outline_contains_most_county_seats(region: Region, db: Database) -> None:
    # The city's outline (in the cities file) is not exactly the union of its counties.
    with db.unit_of_work() as s:
        ids = import_region(s, region)
        rows = s.scalars(select(Jurisdiction).where(Jurisdiction.parent_id == ids[region.city])).all()
        counties = shapely.union_all([shapely.from_wkt(row.boundary_wkt) for row in rows])
        city = s.get(Jurisdiction, ids[region.city])
        assert city is not None and city.boundary_wkt is not None
        outline = shapely.from_wkt(city.boundary_wkt)
    inside = [
        code
        for code, seat in region.seats_gcj02.items()
        if outline.covers(Point(to_wgs84(*seat, Datum.GCJ02)))
    ]
    assert len(inside) >= region.seats_in_city_outline, inside
    low, high = region.outline_gap_km2
    assert low < geodesic_area_km2(outline.symmetric_difference(counties)) < high


def test_points_on_a_shared_county_border_land_in_one_of_the_two(region: Region, db: Database) -> None:
    with db.unit_of_work() as s:
        ids = import_region(s, region)
        index = JurisdictionIndex.load(s)
        rows = {code: service.get_by_code(s, code) for code in region.neighbours}
    a, b = (shapely.from_wkt(rows[c].boundary_wkt) for c in region.neighbours)
    shared = a.boundary.intersection(b.boundary)
    lines = [g for g in shapely.get_parts(shapely.line_merge(shared)) if isinstance(g, LineString)]
    assert lines, f"{region.neighbours} share a border"
    probes: list[tuple[float, float]] = []
    for line in lines:
        coords = list(line.coords)
        probes += coords
        probes += [((x1 + x2) / 2, (y1 + y2) / 2) for (x1, y1), (x2, y2) in pairwise(coords)]
    assert len(probes) > 20
    neighbours = {ids[code] for code in region.neighbours}
    for lon, lat in probes:
        assert index.most_specific(lon, lat, Datum.WGS84) in neighbours, (lon, lat)


# --- traps only the invented files pin down exactly ----------------------------------------------------


def test_points_near_a_border_land_on_their_side_only_because_of_the_conversion(db: Database) -> None:
    # GCJ-02 lies about 440 m east and 355 m south of WGS84 here. A point 200 m east of the 丙一区 |
    # 丙三县 border, or 170 m south of the 甲市 | 丙市 border, falls on the other side if the files'
    # coordinates are taken as WGS84.
    east_of_county_border = (123.302, 28.3)
    south_of_city_border = (123.15, 28.3985)
    with db.unit_of_work() as s:
        ids = import_region(s, FIXTURE)
        index = JurisdictionIndex.load(s)
    assert index.covering(*east_of_county_border) == [ids["990303"], ids["990300"], ids["990000"]]
    assert index.covering(*south_of_city_border) == [ids["990301"], ids["990300"], ids["990000"]]
    # The same files read without conversion, to show the probes tell the difference.
    unconverted = JurisdictionIndex(
        (feature["properties"]["adcode"], level, wkt(shapely.geometry.shape(feature["geometry"])))
        for name, level in ((FIXTURE.cities, C), (FIXTURE.counties, K))
        for feature in json.loads((FIXTURES / name).read_text(encoding="utf-8"))["features"]
        if feature["properties"]["adcode"] in (990100, 990300, 990301, 990303)
    )
    assert unconverted.covering(*east_of_county_border) == [990301, 990300]
    assert unconverted.covering(*south_of_city_border) == [990100]


def test_a_point_in_the_hairline_gap_between_neighbours_lands_in_one(db: Database) -> None:
    # South of 28.2°N, 丙三县's western edge was published 1e-6° (10 cm) east of 丙二区's eastern one.
    with db.unit_of_work() as s:
        ids = import_region(s, FIXTURE)
        index = JurisdictionIndex.load(s)
        west, east = (shapely.from_wkt(service.get_by_code(s, c).boundary_wkt) for c in ("990302", "990303"))
    strip = shapely.box(123.29, 28.05, 123.31, 28.15)
    gap = shapely.shortest_line(west.intersection(strip), east.intersection(strip))
    assert 5e-7 < gap.length < 2e-6
    middle = gap.interpolate(0.5, normalized=True)
    assert not west.covers(middle) and not east.covers(middle)
    assert index.most_specific(middle.x, middle.y) in {ids["990302"], ids["990303"]}


def test_an_exclave_belongs_to_its_own_county_not_to_the_one_around_it(db: Database) -> None:
    # 丙二区 has an exclave inside 丙三县, which has a hole there.
    exclave = (123.44, 28.3)
    with db.unit_of_work() as s:
        ids = import_region(s, FIXTURE)
        index = JurisdictionIndex.load(s)
    assert index.covering(*exclave) == [ids["990302"], ids["990300"], ids["990000"]]
    assert index.most_specific(*wgs84_to_gcj02(*exclave), Datum.GCJ02) == ids["990302"]
    assert index.most_specific(123.47, 28.3) == ids["990303"]  # just east of the exclave


# --- the demo boundaries -------------------------------------------------------------------------------


def test_each_demo_seat_falls_in_its_own_cell() -> None:
    cells = demo.county_cells()
    assert len(cells) == 12
    for code, seat in demo.county_seats_wgs84().items():
        assert [c for c, cell in cells.items() if cell.covers(Point(seat))] == [code]


def test_demo_collection_is_valid_and_nested() -> None:
    features = demo.demo_feature_collection()["features"]
    by_code = {f["properties"]["code"]: f for f in features}
    assert len(by_code) == 14
    shapes = {code: shapely.geometry.shape(f["geometry"]) for code, f in by_code.items()}
    assert all(isinstance(g, MultiPolygon) and g.is_valid for g in shapes.values())
    city, province = shapes["330300"], shapes["330000"]
    counties = [shapes[code] for code, *_ in demo.COUNTY_SEATS]
    union = shapely.union_all(counties)
    assert union.is_valid
    assert union.symmetric_difference(city).area < 1e-9
    assert province.contains(Polygon(demo.WENZHOU_OUTLINE))
    assert {f["properties"]["parent_code"] for f in features if f["properties"]["level"] == "county"} == {
        "330300"
    }
    assert not city.covers(Point(SEA_OFF_WENZHOU))


def test_seeding_the_demo_twice_gives_the_same_rows(db: Database) -> None:
    with db.unit_of_work() as s:
        first = {code: row.id for code, row in demo.seed_demo_jurisdictions(s).items()}
    with db.unit_of_work() as s:
        rows = demo.seed_demo_jurisdictions(s)
        assert {code: row.id for code, row in rows.items()} == first
        assert len(s.scalars(select(Jurisdiction)).all()) == 14
        assert rows["330326"].path == "/330000/330300/330326/"
        assert rows["330326"].name == "平阳县"
        assert {row.source for row in rows.values()} == {demo.DEMO_SOURCE}


def test_demo_index_puts_each_seat_in_its_county(db: Database) -> None:
    with db.unit_of_work() as s:
        rows = demo.seed_demo_jurisdictions(s)
        index = JurisdictionIndex.load(s)
    for code, seat in demo.county_seats_wgs84().items():
        assert index.covering(*seat) == [rows[code].id, rows["330300"].id, rows["330000"].id]
    assert index.covering(*SEA_OFF_WENZHOU) == []
    assert index.covering(100.0, 30.0) == []


def test_points_on_demo_cell_borders_land_in_a_neighbour(db: Database) -> None:
    with db.unit_of_work() as s:
        rows = demo.seed_demo_jurisdictions(s)
        index = JurisdictionIndex.load(s)
    county_ids = {rows[code].id for code, *_ in demo.COUNTY_SEATS}
    cells = demo.county_cells()
    probes = 0
    for a in cells.values():
        for b in cells.values():
            if a is b:
                continue
            for edge in shapely.get_parts(a.boundary.intersection(b.boundary)):
                if isinstance(edge, LineString) and not edge.is_empty:
                    (x1, y1), (x2, y2) = edge.coords[0], edge.coords[-1]
                    for t in (0.0, 0.31, 0.5, 0.77, 1.0):
                        probes += 1
                        assert (
                            index.most_specific(x1 + t * (x2 - x1), y1 + t * (y2 - y1), Datum.WGS84)
                            in county_ids
                        )
    assert probes > 50


# --- overlapping scopes --------------------------------------------------------------------------------


def test_overlapping_ids_are_self_ancestors_and_descendants(db: Database) -> None:
    with db.unit_of_work() as s:
        rows = demo.seed_demo_jurisdictions(s)
        # A sibling city with a county of its own, which must never overlap Wenzhou's units.
        import_boundaries(
            s,
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "331000", "name": "台州市", "parent_code": "330000"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[121, 28.6], [121.5, 28.6], [121.5, 29], [121, 29], [121, 28.6]]
                            ],
                        },
                    }
                ],
            },
            datum=Datum.WGS84,
            level=C,
            source="t",
        )
        import_boundaries(
            s,
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "331081", "name": "温岭市", "parent_code": "331000"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[121.2, 28.6], [121.5, 28.6], [121.5, 28.8], [121.2, 28.8], [121.2, 28.6]]
                            ],
                        },
                    }
                ],
            },
            datum=Datum.WGS84,
            level=K,
            source="t",
        )
        province, city, pingyang = rows["330000"].id, rows["330300"].id, rows["330326"].id
        taizhou = service.get_by_code(s, "331000").id
        wenling = service.get_by_code(s, "331081").id
        wenzhou_counties = {rows[code].id for code, *_ in demo.COUNTY_SEATS}

        assert service.overlapping_jurisdiction_ids(s, pingyang) == [province, city, pingyang]
        city_view = service.overlapping_jurisdiction_ids(s, city)
        assert city_view[:2] == [province, city]
        assert set(city_view) == {province, city} | wenzhou_counties
        assert set(service.overlapping_jurisdiction_ids(s, province)) == (
            {province, city, taizhou, wenling} | wenzhou_counties
        )
        assert set(service.overlapping_jurisdiction_ids(s, wenling)) == {province, taizhou, wenling}


def test_ancestors_and_self_run_from_the_root(db: Database) -> None:
    with db.unit_of_work() as s:
        rows = demo.seed_demo_jurisdictions(s)
        chain = service.ancestors_and_self(s, rows["330383"].id)
        assert [j.code for j in chain] == ["330000", "330300", "330383"]
        assert [j.code for j in service.ancestors_and_self(s, rows["330000"].id)] == ["330000"]
        assert [j.code for j in service.descendants(s, rows["330300"].id)] == sorted(
            code for code, *_ in demo.COUNTY_SEATS
        )


def test_unknown_jurisdictions_are_not_found(db: Database) -> None:
    with db.unit_of_work() as s:
        demo.seed_demo_jurisdictions(s)
        assert service.get_by_code(s, "330326").name == "平阳县"
        with pytest.raises(NotFound):
            service.get_by_code(s, "999999")
        with pytest.raises(NotFound):
            service.overlapping_jurisdiction_ids(s, 10_000)
        with pytest.raises(NotFound):
            service.ancestors_and_self(s, 10_000)
