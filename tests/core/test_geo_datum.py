"""GCJ-02 ↔ WGS84 and coordinate validation: pure functions, no database."""

from __future__ import annotations

import math

import pytest
from geopy.distance import geodesic

from car_enforce.core.errors import InvalidInput
from car_enforce.core.geo.datum import (
    Datum,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    validate_coordinates,
    wgs84_to_gcj02,
)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance between two (lon, lat) points (geopy wants lat, lon)."""
    return float(geodesic((a[1], a[0]), (b[1], b[0])).meters)


def test_gcj02_sits_about_400m_east_and_350m_south_of_wgs84_near_wenzhou() -> None:
    wgs = (120.672, 28.000)  # central Wenzhou
    gcj = wgs84_to_gcj02(*wgs)
    east = metres(wgs, (gcj[0], wgs[1])) * math.copysign(1, gcj[0] - wgs[0])
    north = metres(wgs, (wgs[0], gcj[1])) * math.copysign(1, gcj[1] - wgs[1])
    assert 350 < east < 450
    assert -420 < north < -300


def test_gcj02_to_wgs84_inverts_the_forward_transform_to_half_a_metre() -> None:
    # A grid over mainland China, with Wenzhou's county seats among the points.
    points = [(lon + 0.37, lat + 0.21) for lon in range(74, 135, 4) for lat in range(19, 53, 3)]
    points += [(120.564387, 27.669300), (120.674231, 28.003352), (120.967147, 28.116083)]
    for wgs in points:
        assert metres(gcj02_to_wgs84(*wgs84_to_gcj02(*wgs)), wgs) < 0.5, wgs
    for gcj in points:
        assert metres(wgs84_to_gcj02(*gcj02_to_wgs84(*gcj)), gcj) < 0.5, gcj


def test_the_iteration_is_better_than_the_one_step_approximation() -> None:
    gcj = (120.674231, 28.003352)
    forward = wgs84_to_gcj02(*gcj)
    one_step = (2 * gcj[0] - forward[0], 2 * gcj[1] - forward[1])
    exact = gcj02_to_wgs84(*gcj)
    assert metres(wgs84_to_gcj02(*exact), gcj) < 0.01
    assert metres(wgs84_to_gcj02(*one_step), gcj) > metres(wgs84_to_gcj02(*exact), gcj)


@pytest.mark.parametrize("point", [(2.3522, 48.8566), (-74.006, 40.7128), (139.69, 35.69), (151.2, -33.87)])
def test_both_directions_are_the_identity_outside_china(point: tuple[float, float]) -> None:
    assert out_of_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_to_wgs84_converts_only_gcj02() -> None:
    assert to_wgs84(120.6, 28.0, Datum.WGS84) == (120.6, 28.0)
    assert to_wgs84(120.6, 28.0, "GCJ02") == gcj02_to_wgs84(120.6, 28.0)


def test_to_wgs84_rejects_an_unknown_datum() -> None:
    with pytest.raises(InvalidInput, match="datum"):
        to_wgs84(120.6, 28.0, "BD09")


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (math.nan, 28.0),
        (120.0, math.nan),
        (math.inf, 28.0),
        (180.0001, 28.0),
        (-181.0, 0.0),
        (120.0, 90.5),
        (120.0, -91.0),
        ("east", 28.0),
        ("120.5", 28.0),
        (None, 28.0),
        (True, 28.0),
    ],
)
def test_validate_coordinates_rejects_out_of_range_and_non_numbers(lon: object, lat: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_coordinates(lon, lat, "sighting.position")  # type: ignore[arg-type]
    assert caught.value.field == "sighting.position"


def test_validate_coordinates_accepts_the_edges_and_returns_floats() -> None:
    assert validate_coordinates(180, -90, "p") == (180.0, -90.0)
    assert validate_coordinates(120, 28, "p") == (120.0, 28.0)
    assert all(type(v) is float for v in validate_coordinates(120, 28, "p"))
