"""Importing boundaries: the real DataV files (GCJ-02, invalid polygons, islands) and bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from factories import SHARED
from geopy.distance import geodesic
from shapely.geometry import MultiPolygon
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.core.db import Database
from car_enforce.core.errors import InvalidInput
from car_enforce.core.geo.datum import Datum
from car_enforce.core.geo.importer import ImportReport, geodesic_area_km2, import_boundaries
from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel

ZHEJIANG_FILE = "zhejiang_330000_cities.geojson"
WENZHOU_FILE = "wenzhou_330300_counties.geojson"


def shared_geo(name: str) -> Path:
    """A real boundary file from the shared directory; a missing file fails the test, never skips it."""
    path = SHARED / "geo" / name
    if not path.is_file():
        pytest.fail(
            f"real boundary file {path} is missing: these tests read DataV boundaries from the "
            f"shared directory (set CARENFORCE_SHARED_DIR to it); they are not shipped with the "
            f"project",
            pytrace=False,
        )
    return path


def add_province(session: Session) -> Jurisdiction:
    province = Jurisdiction(
        code="330000", name="浙江省", level=JurisdictionLevel.PROVINCE, path="/330000/", source="test"
    )
    session.add(province)
    session.flush()
    return province


def import_zhejiang(session: Session, source: str = "DataV GeoAtlas (test)") -> ImportReport:
    return import_boundaries(
        session,
        shared_geo(ZHEJIANG_FILE),
        datum=Datum.GCJ02,
        level=JurisdictionLevel.CITY,
        parent_code="330000",
        source=source,
    )


def import_wenzhou(session: Session, source: str = "DataV GeoAtlas (test)") -> ImportReport:
    return import_boundaries(
        session,
        shared_geo(WENZHOU_FILE),
        datum=Datum.GCJ02,
        level=JurisdictionLevel.COUNTY,
        parent_code="330300",
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


# --- the real files ------------------------------------------------------------------------------------


def test_zhejiang_cities_import_valid_and_the_invalid_ones_are_repaired(db: Database) -> None:
    with db.unit_of_work() as s:
        province = add_province(s)
        report = import_zhejiang(s)
    assert len(report.features) == 11
    assert report.created == 11
    assert sorted(report.repaired) == ["330200", "330900"]  # 宁波, 舟山: self-intersecting as published
    with db.unit_of_work(read_only=True) as s:
        rows = s.scalars(select(Jurisdiction).where(Jurisdiction.level == JurisdictionLevel.CITY)).all()
        assert len(rows) == 11
        for row in rows:
            assert row.parent_id == province.id
            assert row.path == f"/330000/{row.code}/"
            assert row.source == "DataV GeoAtlas (test)"
            assert row.boundary_wkt is not None
            geometry = shapely.from_wkt(row.boundary_wkt)
            assert isinstance(geometry, MultiPolygon), row.code
            assert geometry.is_valid, row.code
            # Converted out of GCJ-02 and kept within Zhejiang's extent.
            minx, miny, maxx, maxy = geometry.bounds
            assert 118.0 < minx < maxx < 123.2
            assert 27.0 < miny < maxy < 31.3


def test_areas_match_the_official_figures_roughly(db: Database) -> None:
    with db.unit_of_work() as s:
        add_province(s)
        report = import_zhejiang(s)
    # Official land areas: Zhejiang ~105,500 km², Hangzhou 16,850 km², Lishui 17,298 km². The DataV
    # outlines are simplified and take in some tidal flats, hence the tolerance.
    assert 100_000 < report.total_area_km2 < 110_000
    assert report.by_code("330100").area_km2 == pytest.approx(16_850, rel=0.03)
    assert report.by_code("331100").area_km2 == pytest.approx(17_298, rel=0.03)


def test_wenzhou_counties_keep_every_island(db: Database) -> None:
    with db.unit_of_work() as s:
        add_province(s)
        import_zhejiang(s)
        report = import_wenzhou(s)
    assert len(report.features) == 12
    dongtou = report.by_code("330305")
    assert (dongtou.name, dongtou.parts, dongtou.small_parts) == ("洞头区", 36, 28)
    assert report.by_code("330381").parts == 22  # 瑞安
    assert not report.repaired
    assert json.loads(json.dumps(report.as_dict()))["features"][3]["parts"] == 36  # plain JSON for the API
    with db.unit_of_work(read_only=True) as s:
        row = s.scalars(select(Jurisdiction).where(Jurisdiction.code == "330305")).one()
        assert row.path == "/330000/330300/330305/"
        assert row.level == JurisdictionLevel.COUNTY
        geometry = shapely.from_wkt(row.boundary_wkt)
        assert isinstance(geometry, MultiPolygon) and geometry.is_valid
        assert len(geometry.geoms) == 36
    # Wenzhou's official land area is about 12,110 km².
    assert report.total_area_km2 == pytest.approx(12_110, rel=0.03)


def test_reimporting_updates_the_same_rows(db: Database) -> None:
    with db.unit_of_work() as s:
        add_province(s)
        import_zhejiang(s)
        import_wenzhou(s)
        before = count_rows(s)
        ids = dict(s.execute(select(Jurisdiction.code, Jurisdiction.id)).all())
    with db.unit_of_work() as s:
        again = import_wenzhou(s, source="DataV GeoAtlas (second import)")
        assert (again.created, again.updated) == (0, 12)
    with db.unit_of_work(read_only=True) as s:
        assert count_rows(s) == before == 24
        rows = s.scalars(select(Jurisdiction).where(Jurisdiction.level == JurisdictionLevel.COUNTY)).all()
        assert {r.code: r.id for r in rows} == {c: i for c, i in ids.items() if c in {r.code for r in rows}}
        assert {r.source for r in rows} == {"DataV GeoAtlas (second import)"}


def test_import_reads_a_path_json_text_or_a_dict(db: Database) -> None:
    path = shared_geo(WENZHOU_FILE)
    text = path.read_text(encoding="utf-8")
    with db.unit_of_work() as s:
        add_province(s)
        import_zhejiang(s)
        for source in (path, str(path), text, json.loads(text)):
            report = import_boundaries(
                s, source, datum=Datum.GCJ02, level=JurisdictionLevel.COUNTY, parent_code="330300", source="t"
            )
            assert len(report.features) == 12


def test_the_parent_can_come_from_the_features(db: Database) -> None:
    # Without parent_code the DataV `parent.adcode` property places each county under 330300.
    with db.unit_of_work() as s:
        add_province(s)
        import_zhejiang(s)
        import_boundaries(
            s, shared_geo(WENZHOU_FILE), datum=Datum.GCJ02, level=JurisdictionLevel.COUNTY, source="t"
        )
        city = s.scalars(select(Jurisdiction).where(Jurisdiction.code == "330300")).one()
        counties = s.scalars(select(Jurisdiction).where(Jurisdiction.parent_id == city.id)).all()
        assert len(counties) == 12


def test_a_parent_code_contradicting_the_features_is_refused(db: Database) -> None:
    with db.unit_of_work() as s:
        add_province(s)
        import_zhejiang(s)
        before = count_rows(s)
        with pytest.raises(InvalidInput, match="parent"):
            import_boundaries(
                s,
                shared_geo(WENZHOU_FILE),
                datum=Datum.GCJ02,
                level=JurisdictionLevel.COUNTY,
                parent_code="330100",
                source="t",
            )
        assert count_rows(s) == before


def test_a_missing_parent_is_refused_and_nothing_is_stored(db: Database) -> None:
    with db.unit_of_work() as s:
        with pytest.raises(InvalidInput, match="330300"):
            import_wenzhou(s)
        assert count_rows(s) == 0


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
