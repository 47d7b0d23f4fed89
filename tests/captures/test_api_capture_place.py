"""A capture's place is checked: a slip of the coordinates is held for confirmation, never billed as a tow.

The rule first without a database, then the flows through the HTTP API on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from geopy.distance import geodesic
from shapely import from_wkt
from sqlalchemy import func, select

from car_enforce.captures.destination import (
    CENTER_DISTANCE_LIMIT_KM,
    OUTSIDE_AREA_LIMIT_KM,
    PlaceCheck,
    km_outside,
)
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import OrgKind, Role
from car_enforce.core.identity.service import create_api_key, create_organisation
from car_enforce.core.timeline.models import TimelineEvent
from tests import factories
from tests.api_helpers import login
from tests.capture_helpers import (
    APPLICANT_PHONE,
    CENTER_STAFF_PHONE,
    IN_PINGYANG,
    IN_YUEQING,
    OFFICER_PHONE,
    police,
    report,
    texts_to,
    watched_car,
)
from tests.custody_helpers import intake_body, set_tariff

# Every test here runs with the two centers of the region (the app starts after them).
pytestmark = pytest.mark.usefixtures("centers")

# 120.45 typed as 102.45: two digits transposed put the car in Sichuan, about 1,800 km west.
TRANSPOSED = (102.45, 27.65)
TODAY = date(2026, 11, 23)  # conftest's START


def check(outside_area_km: float | None, center_km: float | None) -> PlaceCheck:
    return PlaceCheck(
        unit="平阳县公安局交通警察大队",
        area="平阳县" if outside_area_km is not None else None,
        outside_area_km=outside_area_km,
        center=factories.PINGYANG_CENTER,
        center_km=center_km,
    )


def test_a_place_in_or_next_to_the_area_and_near_a_center_is_not_doubted() -> None:
    assert not check(0.0, 12.0).doubtful and check(0.0, 12.0).reason == ""
    assert not check(OUTSIDE_AREA_LIMIT_KM, CENTER_DISTANCE_LIMIT_KM).doubtful  # the limits themselves pass
    assert not check(None, None).doubtful  # nothing to measure against: nothing to doubt


def test_each_limit_passed_is_a_reason_of_its_own() -> None:
    far_out = check(OUTSIDE_AREA_LIMIT_KM + 0.01, 12.0)
    assert far_out.doubtful and "outside the area of 平阳县公安局交通警察大队 (平阳县)" in far_out.reason
    assert "tows" not in far_out.reason
    far_off = check(0.0, CENTER_DISTANCE_LIMIT_KM + 0.01)
    assert far_off.doubtful and "no center tows more than 200 km" in far_off.reason
    assert "outside the area" not in far_off.reason
    both = check(1774.0, 1770.0)
    assert both.reason.count("; ") == 1 and "1,774 km outside" in both.reason
    center = factories.PINGYANG_CENTER
    assert (
        both.reason_zh
        == f"在平阳县公安局交通警察大队辖区（平阳县）外约1774公里，距应送往的{center}约1770公里"
    )


def test_a_unit_without_an_area_is_judged_by_the_distance_only() -> None:
    assert not check(None, 150.0).doubtful
    assert check(None, 1770.0).doubtful and "outside the area" not in check(None, 1770.0).reason


def test_the_distance_outside_a_boundary_is_measured_on_the_ellipsoid() -> None:
    county = from_wkt(factories.box(120.2, 27.5, 120.7, 27.8))
    assert km_outside(*IN_PINGYANG, [county]) == 0.0
    assert km_outside(120.7, 27.65, [county]) == 0.0  # on the border
    north = km_outside(120.45, 28.8, [county])  # a degree due north of the box
    assert north == pytest.approx(geodesic((27.8, 120.45), (28.8, 120.45)).km, abs=0.05)
    corner = km_outside(*IN_YUEQING, [county])  # north-east: the nearest point is the corner
    assert corner == pytest.approx(geodesic((27.8, 120.7), IN_YUEQING[::-1]).km, abs=0.05)
    assert corner < OUTSIDE_AREA_LIMIT_KM  # the next county is within a unit's reach


# --- Through the HTTP API -----------------------------------------------------------------------------


def at(lon: float, lat: float, address: str = "平阳县昆阳镇万全大道") -> dict[str, Any]:
    return {"lon": lon, "lat": lat, "datum": "WGS84", "address": address}


def held_capture(client: TestClient, key: str, place: tuple[float, float] = TRANSPOSED) -> dict[str, Any]:
    r = client.post("/api/police/captures", json=report(place=at(*place)), headers=police(key))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "held", r.json()
    return dict(r.json())


def kinds(client: TestClient, officer: dict[str, str], case_id: int) -> list[str]:
    return [e["kind"] for e in client.get(f"/api/cases/{case_id}/timeline", headers=officer).json()]


def last_event(client: TestClient, officer: dict[str, str], case_id: int) -> dict[str, Any]:
    return dict(client.get(f"/api/cases/{case_id}/timeline", headers=officer).json()[-1])


def event_count(db: Database) -> int:
    with db.unit_of_work(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(TimelineEvent)) or 0


def test_a_capture_in_the_units_area_is_not_held(client: TestClient, world: factories.World) -> None:
    watched_car(client)
    r = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key))
    assert r.status_code == 201, r.text
    capture = r.json()
    assert capture["status"] == "in_transit" and capture["hold_reason"] == ""
    assert capture["place_confirmed_at"] is None and capture["place_confirmed_by"] is None
    assert capture["distance_km"] is not None and capture["expected_arrival_at"] is not None


def test_a_capture_in_the_next_county_is_not_held(client: TestClient, world: factories.World) -> None:
    watched_car(client)
    body = report(place=at(*IN_YUEQING, address="乐清市柳市镇"))  # about 53 km past Pingyang's border
    r = client.post("/api/police/captures", json=body, headers=police(world.pingyang_key))
    assert r.status_code == 201 and r.json()["status"] == "in_transit", r.text


def test_a_transposed_digit_is_held_stored_and_billed_no_tow(
    client: TestClient, world: factories.World, db: Database
) -> None:
    car = watched_car(client)
    capture = held_capture(client, world.pingyang_key)
    reason = capture["hold_reason"]
    assert "outside the area of 平阳县公安局交通警察大队 (平阳县)" in reason
    assert f"from {factories.HANGZHOU_CENTER}, the center it would go to" in reason  # the nearer to Sichuan
    assert capture["distance_km"] is None and capture["expected_arrival_at"] is None
    assert capture["place"]["lon"] == TRANSPOSED[0]  # the report is evidence: kept as sent
    # The car is seized all the same: the watch is fulfilled and leaves the police list.
    assert client.get(f"/api/watches/{car.watch['id']}", headers=car.officer).json()["status"] == "fulfilled"
    assert kinds(client, car.officer, car.case["id"])[-2:] == ["capture.held", "watch.fulfilled"]
    held = next(
        e
        for e in client.get(f"/api/cases/{car.case['id']}/timeline", headers=car.officer).json()
        if e["kind"] == "capture.held"
    )
    assert held["reason"] == reason and held["data"]["place_check"]["outside_area_km"] > 1700
    stages = client.get(f"/api/captures/{capture['id']}/stages", headers=car.officer)
    assert stages.status_code == 200 and stages.json()["running"] is True


def test_the_officer_is_told_why_and_the_center_and_applicants_are_not(
    client: TestClient, world: factories.World, db: Database
) -> None:
    watched_car(client)
    capture = held_capture(client, world.pingyang_key)
    [told] = [t for t in texts_to(db, OFFICER_PHONE) if "扣押" in t]
    assert told.startswith("【云执车】您布控的车辆浙C12345已于11月23日08:40被平阳县公安局交通警察大队扣押")
    assert "东经102.4500° 北纬27.6500°" in told and "辖区（平阳县）外约" in told
    assert "疑为坐标有误" in told and f"扣押记录{capture['id']}" in told
    assert texts_to(db, CENTER_STAFF_PHONE) == []
    assert not any("扣押" in t for t in texts_to(db, APPLICANT_PHONE))
    staff = login(client, "py.center")
    assert client.get("/api/captures", headers=staff).json() == []
    assert client.get(f"/api/captures/{capture['id']}", headers=staff).status_code == 404


def test_a_unit_far_from_its_own_area_is_held_even_near_a_center(
    client: TestClient, world: factories.World
) -> None:
    watched_car(client)
    capture = held_capture(client, world.hangzhou_key, IN_PINGYANG)  # Hangzhou's detachment, in Pingyang
    assert "outside the area of 杭州市公安局交通警察支队 (杭州市)" in capture["hold_reason"]
    assert "tows" not in capture["hold_reason"]  # the Pingyang center is a few km away


def test_a_unit_without_an_area_is_judged_by_the_distance_to_the_center(
    client: TestClient, db: Database
) -> None:
    with db.unit_of_work() as s:
        unit = create_organisation(
            s, actor=factories.SYSTEM, kind=OrgKind.POLICE_UNIT, name="铁路公安处", jurisdiction_id=None
        )
        _, key = create_api_key(
            s, organisation_id=unit.id, name="adapter", role=Role.POLICE_ADAPTER, actor=factories.SYSTEM
        )
    watched_car(client)
    capture = held_capture(client, key)
    assert "no center tows more than 200 km" in capture["hold_reason"]
    assert "outside the area" not in capture["hold_reason"]


def test_a_corrected_place_puts_the_capture_in_transit_and_tells_the_center(
    client: TestClient, world: factories.World, centers: factories.Centers, db: Database
) -> None:
    car = watched_car(client)
    capture = held_capture(client, world.pingyang_key)
    r = client.post(
        f"/api/captures/{capture['id']}/confirm-place",
        json={
            "place": {"lon": IN_PINGYANG[0], "lat": IN_PINGYANG[1], "datum": "WGS84"},
            "note": "经纬度录错",
        },
        headers=police(world.pingyang_key),
    )
    assert r.status_code == 200, r.text
    confirmed = r.json()
    assert confirmed["status"] == "in_transit"
    assert confirmed["destination"]["id"] == centers.pingyang and confirmed["designated"] is True
    expected_km = geodesic(IN_PINGYANG[::-1], factories.PINGYANG_CENTER_AT[::-1]).km
    assert confirmed["distance_km"] == pytest.approx(expected_km, abs=0.01)
    assert confirmed["expected_arrival_at"] is not None
    assert confirmed["place"]["lon"] == IN_PINGYANG[0] and confirmed["place"]["lat"] == IN_PINGYANG[1]
    assert confirmed["place"]["jurisdiction_id"] == world.region.pingyang
    assert confirmed["place"]["address"] == "平阳县昆阳镇万全大道"  # no new address: the reported one stays
    assert confirmed["place_confirmed_by"].startswith("api_key:") and confirmed["place_confirmed_at"]
    assert confirmed["hold_reason"] == capture["hold_reason"]  # why it was held stays on record

    event = last_event(client, car.officer, car.case["id"])
    assert event["kind"] == "capture.place_confirmed" and event["actor"] == confirmed["place_confirmed_by"]
    assert event["data"]["reported_place"]["lon"] == TRANSPOSED[0]
    assert (
        event["data"]["place"]["lon"] == IN_PINGYANG[0] and event["data"]["place"]["jurisdiction"] == "330326"
    )
    assert event["data"]["as_reported"] is False and event["reason"] == "经纬度录错"
    [center_text] = texts_to(db, CENTER_STAFF_PHONE)
    assert center_text.startswith("【云执车】车辆浙C12345正由平阳县公安局交通警察大队送往本中心，预计")
    assert any(f"已被扣押至{factories.PINGYANG_CENTER}" in t for t in texts_to(db, OFFICER_PHONE))
    assert any("依法扣押被执行人" in t for t in texts_to(db, APPLICANT_PHONE))
    staff = login(client, "py.center")
    assert [c["id"] for c in client.get("/api/captures", headers=staff).json()] == [capture["id"]]


def test_the_courts_officer_confirms_the_place_as_reported_with_a_note(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = watched_car(client)
    capture = held_capture(client, world.hangzhou_key, IN_PINGYANG)
    note = "杭州支队协查，在平阳扣押，地点无误"
    r = client.post(
        f"/api/captures/{capture['id']}/confirm-place",
        json={"as_reported": True, "note": note},
        headers=car.officer,
    )
    assert r.status_code == 200, r.text
    confirmed = r.json()
    assert confirmed["status"] == "in_transit" and confirmed["place_confirmed_by"] == "user:py.officer"
    assert confirmed["place"] == capture["place"] and confirmed["destination"]["id"] == centers.pingyang
    expected_km = geodesic(IN_PINGYANG[::-1], factories.PINGYANG_CENTER_AT[::-1]).km
    assert confirmed["distance_km"] == pytest.approx(expected_km, abs=0.01)
    event = last_event(client, car.officer, car.case["id"])
    assert event["data"]["as_reported"] is True and event["data"]["note"] == note


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"as_reported": True}, "needs a note"),
        ({"as_reported": True, "note": "无误", "place": at(*IN_PINGYANG)}, "either confirm"),
        ({"note": "无误"}, "either confirm"),
        ({"place": {"lon": IN_PINGYANG[0], "lat": IN_PINGYANG[1]}}, "place.datum"),
        ({"place": {"lon": 120.45, "lat": 97.0, "datum": "WGS84"}}, "place"),
    ],
)
def test_a_malformed_confirmation_is_refused_and_the_capture_stays_held(
    client: TestClient, world: factories.World, body: dict[str, Any], says: str
) -> None:
    car = watched_car(client)
    capture = held_capture(client, world.pingyang_key)
    r = client.post(f"/api/captures/{capture['id']}/confirm-place", json=body, headers=car.officer)
    assert r.status_code == 422 and says in r.text, r.text
    assert client.get(f"/api/captures/{capture['id']}", headers=car.officer).json()["status"] == "held"


def test_a_held_capture_cannot_arrive_until_its_place_is_confirmed(
    client: TestClient, world: factories.World
) -> None:
    watched_car(client)
    capture = held_capture(client, world.pingyang_key)
    url = f"/api/captures/{capture['id']}/arrive"
    r = client.post(url, headers=police(world.pingyang_key))
    assert r.status_code == 409 and r.json()["error"] == "CaptureStateConflict"
    assert "held for a check of its place" in r.json()["detail"]
    assert f"POST /api/captures/{capture['id']}/confirm-place" in r.json()["detail"]
    assert client.post(url, headers=login(client, "py.center")).status_code == 404  # not told of it yet


def test_a_retry_with_the_same_key_returns_the_first_confirmation(
    client: TestClient, world: factories.World, db: Database
) -> None:
    watched_car(client)
    capture = held_capture(client, world.pingyang_key)
    url = f"/api/captures/{capture['id']}/confirm-place"
    body = {"place": at(*IN_PINGYANG)}
    headers = {**police(world.pingyang_key), "Idempotency-Key": "confirm-1"}
    first = client.post(url, json=body, headers=headers)
    assert first.status_code == 200, first.text
    events = event_count(db)
    retry = client.post(url, json=body, headers=headers)
    assert retry.status_code == 200 and retry.json() == first.json()
    assert retry.headers.get("Idempotent-Replay") == "true" and event_count(db) == events
    again = client.post(url, json=body, headers=police(world.pingyang_key))  # a new request, not a retry
    assert again.status_code == 409 and "its place was confirmed by api_key:" in again.json()["detail"]
    assert event_count(db) == events


def test_a_capture_never_held_has_no_place_to_confirm(client: TestClient, world: factories.World) -> None:
    watched_car(client)
    capture = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).json()
    r = client.post(
        f"/api/captures/{capture['id']}/confirm-place",
        json={"as_reported": True, "note": "无误"},
        headers=police(world.pingyang_key),
    )
    assert r.status_code == 409 and "its place was never held" in r.json()["detail"]


def test_only_the_reporting_unit_or_the_courts_officer_confirm(
    client: TestClient, world: factories.World
) -> None:
    car = watched_car(client)
    capture = held_capture(client, world.pingyang_key)
    url = f"/api/captures/{capture['id']}/confirm-place"
    body = {"as_reported": True, "note": "无误"}
    for stranger in (police(world.yueqing_key), login(client, "lc.officer")):
        r = client.post(url, json=body, headers=stranger)
        assert r.status_code == 404 and r.json()["error"] == "NotFound"
    for other_role in (login(client, "py.center"), login(client, "root.admin")):
        assert client.post(url, json=body, headers=other_role).status_code == 403
    assert client.get(f"/api/captures/{capture['id']}", headers=car.officer).json()["status"] == "held"


def test_the_tow_billed_at_intake_is_the_corrected_distance(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = watched_car(client)
    staff = login(client, "py.center")
    tariff = set_tariff(client, staff, centers.pingyang, TODAY)
    capture = held_capture(client, world.pingyang_key)
    r = client.post(
        f"/api/captures/{capture['id']}/confirm-place",
        json={"place": at(*IN_PINGYANG)},
        headers=car.officer,
    )
    assert r.status_code == 200, r.text
    km = r.json()["distance_km"]
    assert client.post(f"/api/captures/{capture['id']}/arrive", headers=staff).status_code == 200
    intake = client.post(f"/api/captures/{capture['id']}/intake", json=intake_body(), headers=staff)
    assert intake.status_code == 201, intake.text
    statement = client.get(f"/api/custody/{intake.json()['id']}/statement", headers=car.officer).json()
    [towing] = [c for c in statement["charges"] if c["kind"] == "towing"]
    assert towing["basis"]["km"] == math.ceil(km) < 20
    assert towing["amount_fen"] == tariff["towing_base_fen"] + math.ceil(km) * tariff["towing_per_km_fen"]


def test_a_held_captures_stage_warning_goes_to_the_officer_not_to_a_center(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    from datetime import datetime

    from car_enforce.core.clock import SHANGHAI
    from car_enforce.stages.jobs import sweep_stage_clocks

    watched_car(client)
    capture = held_capture(client, world.pingyang_key)
    clock.set(datetime(2026, 11, 27, 0, 5, tzinfo=SHANGHAI))  # the intake and inspection are overdue
    warned = sweep_stage_clocks(db)
    assert warned and {capture_id for capture_id, _ in warned} == {capture["id"]}
    assert len([t for t in texts_to(db, OFFICER_PHONE) if "浙C12345" in t]) == 1 + len(warned)
    # Neither the center the wrong coordinates point to (Hangzhou, nearest to Sichuan) nor any other.
    assert texts_to(db, "13800000571") == texts_to(db, CENTER_STAFF_PHONE) == []
