"""Choosing the center a captured car goes to: pure rules without a database, then once through it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from geopy.distance import geodesic

from car_enforce.captures.destination import (
    CenterSpot,
    Destination,
    area_of,
    choose_center,
    destination_for,
    expected_arrival,
)
from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.captures.transitions import HELD, CaptureStateConflict, can, move
from car_enforce.core.db import Database
from car_enforce.core.geo.index import invalidate_cached_index
from tests import factories

COUNTY, CITY, PROVINCE, OTHER_COUNTY = 3, 2, 1, 4
AREA = [COUNTY, CITY, PROVINCE]  # most specific first
POINT = (120.45, 27.65)  # lon, lat


def spot(center_id: int, jurisdiction_id: int | None, lon: float | None, lat: float | None) -> CenterSpot:
    return CenterSpot(id=center_id, jurisdiction_id=jurisdiction_id, lon=lon, lat=lat)


def km(lon: float, lat: float) -> float:
    return round(geodesic((POINT[1], POINT[0]), (lat, lon)).km, 2)


def test_the_center_designated_for_the_county_wins_over_a_nearer_one() -> None:
    near = spot(10, OTHER_COUNTY, 120.46, 27.66)
    designated = spot(11, COUNTY, 120.56, 27.67)
    assert choose_center(*POINT, AREA, [near, designated]) == Destination(11, True, km(120.56, 27.67))


def test_the_county_beats_the_city_and_the_city_beats_the_province() -> None:
    city = spot(20, CITY, 120.46, 27.66)
    province = spot(21, PROVINCE, 120.45, 27.65)
    county = spot(22, COUNTY, 121.0, 28.0)
    assert choose_center(*POINT, AREA, [city, province, county]).center_id == 22  # type: ignore[union-attr]
    assert choose_center(*POINT, AREA, [city, province]).center_id == 20  # type: ignore[union-attr]
    assert choose_center(*POINT, AREA, [province]) == Destination(21, True, 0.0)


def test_among_several_designated_centers_the_nearest() -> None:
    far, near = spot(30, COUNTY, 120.7, 27.79), spot(31, COUNTY, 120.5, 27.7)
    assert choose_center(*POINT, AREA, [far, near]).center_id == 31  # type: ignore[union-attr]


def test_a_designated_center_without_a_position_still_takes_the_car() -> None:
    assert choose_center(*POINT, AREA, [spot(40, COUNTY, None, None), spot(41, None, 120.46, 27.66)]) == (
        Destination(40, True, None)
    )


def test_with_none_designated_the_nearest_center_by_geodesic_distance() -> None:
    centers = [
        spot(50, OTHER_COUNTY, 120.15, 30.27),  # Hangzhou
        spot(51, OTHER_COUNTY, 120.56, 27.67),  # Pingyang
        spot(52, None, None, None),  # no position: cannot be measured, never the nearest
    ]
    assert choose_center(*POINT, AREA, centers) == Destination(51, False, km(120.56, 27.67))
    assert choose_center(*POINT, [], centers) == Destination(51, False, km(120.56, 27.67))


def test_no_center_at_all() -> None:
    assert choose_center(*POINT, AREA, []) is None
    assert choose_center(*POINT, AREA, [spot(60, OTHER_COUNTY, None, None)]) is None


def test_the_expected_arrival_allows_for_roads_and_a_slow_tow() -> None:
    left = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert expected_arrival(left, 40.0) == left + timedelta(hours=1.3)
    assert expected_arrival(left, 0.5) == left + timedelta(minutes=10)
    assert expected_arrival(left, None) is None


def test_the_transport_leg_arrives_once_and_holds_the_car_throughout() -> None:
    assert can("arrive", CaptureStatus.IN_TRANSIT) and not can("arrive", CaptureStatus.ARRIVED)
    # Only the release (出库, on a court order) lets the car go: every status before it holds the car.
    assert set(CaptureStatus) - HELD == {CaptureStatus.RELEASED}
    capture = Capture(id=5, status=CaptureStatus.ARRIVED)
    with pytest.raises(CaptureStateConflict, match="capture 5 is arrived"):
        move(capture, "arrive")


def test_through_the_database_the_county_center_then_the_nearest(db: Database) -> None:
    with db.unit_of_work() as s:
        region = factories.region(s)
    centers = factories.centers(db, region)
    invalidate_cached_index()
    with db.unit_of_work(read_only=True) as s:
        area = area_of(s, *POINT)
        assert area == [region.pingyang, region.city, region.province]
        chosen = destination_for(s, *POINT, area)
        assert chosen is not None and chosen.center_id == centers.pingyang and chosen.designated
        in_yueqing = (121.0, 28.2)
        chosen = destination_for(s, *in_yueqing, area_of(s, *in_yueqing))
        assert chosen is not None and chosen.center_id == centers.pingyang and not chosen.designated
        assert chosen.distance_km == pytest.approx(
            geodesic((28.2, 121.0), factories.PINGYANG_CENTER_AT[::-1]).km, abs=0.01
        )
        assert area_of(s, 10.0, 50.0) == []  # outside every boundary: no area, only the nearest center
