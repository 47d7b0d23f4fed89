"""Captures (扣押) through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from geopy.distance import geodesic
from sqlalchemy import func, select

from car_enforce.captures.models import Capture, CapturePhoto
from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.db import Database
from car_enforce.core.notify.models import Channel, Notification
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.watches.jobs import sweep_watches
from car_enforce.watches.models import Watch, WatchStatus
from tests import factories
from tests.api_helpers import DEBTOR_ID, issue_watch, login, open_case, register_vehicle
from tests.capture_helpers import (
    APPLICANT_PHONE,
    CENTER_STAFF_PHONE,
    IN_PINGYANG,
    IN_YUEQING,
    OFFICER_PHONE,
    police,
    report,
    texts_to,
    watch_status,
    watched_car,
)

# Every test here runs with the two centers of the region (the app starts after them).
pytestmark = pytest.mark.usefixtures("centers")

LUCHENG_OFFICER_PHONE = "13800000302"


def with_field(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with the dotted ``path`` set to ``value`` (deleted when value is ...)."""
    changed = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is ...:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return changed


@dataclass(frozen=True)
class Counts:
    captures: int
    photos: int
    sms: int
    events: int


def counts(db: Database) -> Counts:
    with db.unit_of_work(read_only=True) as s:
        return Counts(
            captures=s.scalar(select(func.count()).select_from(Capture)) or 0,
            photos=s.scalar(select(func.count()).select_from(CapturePhoto)) or 0,
            sms=s.scalar(select(func.count()).where(Notification.channel == Channel.SMS)) or 0,
            events=s.scalar(select(func.count()).select_from(TimelineEvent)) or 0,
        )


def test_report_puts_the_car_in_transit_to_the_center_designated_for_the_county(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = watched_car(client)
    r = client.post(
        "/api/police/captures", json=report(watch_id=car.watch["id"]), headers=police(world.pingyang_key)
    )
    assert r.status_code == 201, r.text
    capture = r.json()
    assert capture["status"] == "in_transit"
    assert capture["destination"]["id"] == centers.pingyang
    assert capture["destination"]["name"] == factories.PINGYANG_CENTER
    assert capture["designated"] is True
    expected_km = geodesic(IN_PINGYANG[::-1], factories.PINGYANG_CENTER_AT[::-1]).km
    assert capture["distance_km"] == pytest.approx(expected_km, abs=0.01)
    assert capture["watch_id"] == car.watch["id"] and capture["vehicle"]["vehicle_type"] == "小型轿车"
    assert capture["departed_at"] == "2026-11-23T01:00:00Z"  # the report's time: 09:00 in Wenzhou
    assert capture["expected_arrival_at"] is not None and capture["arrived_at"] is None
    assert capture["captured_at"] == "2026-11-23T00:40:00Z"
    assert (
        capture["place"]["datum_in"] == "WGS84"
        and capture["place"]["jurisdiction_id"] == world.region.pingyang
    )
    assert capture["handover"] == {
        "registration_certificate": True,
        "keys": 2,
        "belongings": ["雨伞一把"],
        "notes": "",
    }
    [photo] = capture["photos"]
    assert photo["evidence_ref"].startswith("sha256:") and photo["evidence_ref"].endswith(".png")

    shown = client.get(f"/api/captures/{capture['id']}", headers=car.officer)
    assert shown.status_code == 200 and shown.json() == capture
    kinds = [
        e["kind"] for e in client.get(f"/api/cases/{car.case['id']}/timeline", headers=car.officer).json()
    ]
    assert kinds[-2:] == ["capture.reported", "watch.fulfilled"]


def test_the_watch_is_fulfilled_and_leaves_the_police_list(
    client: TestClient, world: factories.World, db: Database
) -> None:
    car = watched_car(client)
    cursor = client.get("/api/police/watchlist/snapshot", headers=police(world.pingyang_key)).headers[
        "X-Watchlist-Cursor"
    ]
    assert (
        client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).status_code
        == 201
    )

    watch = client.get(f"/api/watches/{car.watch['id']}", headers=car.officer).json()
    assert watch["status"] == "fulfilled" and watch["ended_at"] is not None
    snapshot = client.get("/api/police/watchlist/snapshot", headers=police(world.pingyang_key)).json()
    assert snapshot["entries"] == []
    changes = client.get(
        "/api/police/watchlist/changes", params={"after": cursor}, headers=police(world.pingyang_key)
    ).json()["changes"]
    assert [(c["kind"], c["watch_id"]) for c in changes] == [("fulfilled", car.watch["id"])]


def test_a_county_without_a_center_sends_the_car_to_the_nearest_one(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    watched_car(client, scope="330300")
    place = {"lon": IN_YUEQING[0], "lat": IN_YUEQING[1], "datum": "WGS84", "address": "乐清市柳市镇"}
    r = client.post("/api/police/captures", json=report(place=place), headers=police(world.yueqing_key))
    assert r.status_code == 201, r.text
    capture = r.json()
    assert capture["destination"]["id"] == centers.pingyang  # Hangzhou's center is four times as far
    assert capture["designated"] is False
    expected_km = geodesic(IN_YUEQING[::-1], factories.PINGYANG_CENTER_AT[::-1]).km
    assert capture["distance_km"] == pytest.approx(expected_km, abs=0.01)
    assert 70 < capture["distance_km"] < 80
    assert capture["place"]["jurisdiction_id"] == world.region.yueqing


def test_gcj02_coordinates_are_stored_in_wgs84_with_their_datum(
    client: TestClient, world: factories.World
) -> None:
    watched_car(client)
    place = {"lon": 120.4545, "lat": 27.6472, "datum": "GCJ02"}
    r = client.post("/api/police/captures", json=report(place=place), headers=police(world.pingyang_key))
    assert r.status_code == 201, r.text
    stored = r.json()["place"]
    assert stored["datum"] == "WGS84" and stored["datum_in"] == "GCJ02"
    assert stored["lon"] != pytest.approx(120.4545, abs=1e-4)  # GCJ-02 is offset a few hundred metres


def test_a_replayed_report_returns_the_first_capture_and_doubles_nothing(
    client: TestClient, world: factories.World, db: Database
) -> None:
    watched_car(client)
    first = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key))
    assert first.status_code == 201
    before = counts(db)
    assert before.captures == 1 and before.photos == 1
    again = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert counts(db) == before


def test_the_same_report_number_with_another_body_is_a_conflict(
    client: TestClient, world: factories.World, db: Database
) -> None:
    watched_car(client)
    assert (
        client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).status_code
        == 201
    )
    before = counts(db)
    changed = with_field(report(), "handover.keys", 1)
    r = client.post("/api/police/captures", json=changed, headers=police(world.pingyang_key))
    assert r.status_code == 409
    assert "PY-KY-20261123-0007" in r.json()["detail"] and "different content" in r.json()["detail"]
    assert counts(db) == before


def test_another_units_same_report_number_is_its_own_report(
    client: TestClient, world: factories.World
) -> None:
    watched_car(client)
    assert (
        client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).status_code
        == 201
    )
    # Another unit, the same number: a different report, of a car already captured.
    r = client.post("/api/police/captures", json=report(), headers=police(world.city_key))
    assert r.status_code == 409 and "captured already" in r.json()["detail"]


def test_a_vehicle_with_no_watch_is_a_conflict_and_nothing_is_stored(
    client: TestClient, world: factories.World, db: Database
) -> None:
    officer = login(client, "py.officer")
    register_vehicle(client, officer, open_case(client, officer))  # on a case, never watched
    before = counts(db)
    r = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key))
    assert r.status_code == 409 and r.json()["error"] == "Conflict"
    assert "no watch matches" in r.json()["detail"] and "浙C12345" in r.json()["detail"]
    r = client.post("/api/police/captures", json=report(plate="浙C99999"), headers=police(world.pingyang_key))
    assert r.status_code == 409 and "no watch matches" in r.json()["detail"]
    assert counts(db) == before


def test_a_watch_id_of_another_vehicle_is_a_conflict(
    client: TestClient, world: factories.World, db: Database
) -> None:
    car = watched_car(client)
    other = register_vehicle(client, car.officer, car.case, plate="浙C54321", vin=None)
    other_watch = issue_watch(client, car.officer, car.case, other["vehicle"]["id"])
    before = counts(db)
    r = client.post(
        "/api/police/captures", json=report(watch_id=other_watch["id"]), headers=police(world.pingyang_key)
    )
    assert (
        r.status_code == 409 and f"watch {other_watch['id']} is not a watch on 浙C12345" in r.json()["detail"]
    )
    assert counts(db) == before
    assert watch_status(db, car.watch["id"]) == WatchStatus.ACTIVE


def test_plate_colour_that_does_not_match_is_a_conflict(client: TestClient, world: factories.World) -> None:
    watched_car(client)
    r = client.post(
        "/api/police/captures", json=report(plate_colour="yellow"), headers=police(world.pingyang_key)
    )
    assert r.status_code == 409 and "blue" in r.json()["detail"]


def test_a_vin_alone_finds_the_car_even_under_other_plates(
    client: TestClient, world: factories.World
) -> None:
    watched_car(client)
    body = report(plate=None, plate_colour=None, vin="LSVAU218XN2183294")
    r = client.post("/api/police/captures", json=body, headers=police(world.pingyang_key))
    assert r.status_code == 201, r.text
    assert r.json()["vehicle"]["plate"] == "浙C12345"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("place.lon", 200.0, "place"),
        ("place.lat", -91.0, "place"),
        ("place.datum", ..., "place.datum"),
        ("place.datum", "BD09", "place.datum"),
        ("captured_at", "2026-11-23T09:30:00+08:00", "captured_at"),  # half an hour ahead
        ("captured_at", "2026-11-23T08:40:00", "captured_at"),  # no offset
        ("departed_at", "2026-11-23T08:00:00+08:00", "departed_at"),  # before the capture
        ("photos.0.content_base64", "not base64!!", "photos[0].content_base64"),
        ("photos.0.content_base64", "JVBERi0xLjQK", "photos[0].content_base64"),  # a PDF
        ("plate", "ABC", "plate"),
        ("vin", "LSVAU218XN2183295", "vin"),  # wrong check digit on a Chinese VIN
        ("officers", [], "officers"),
        ("handover.keys", -1, "handover.keys"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    client: TestClient, world: factories.World, db: Database, path: str, value: Any, field: str
) -> None:
    car = watched_car(client)
    before = counts(db)
    r = client.post(
        "/api/police/captures", json=with_field(report(), path, value), headers=police(world.pingyang_key)
    )
    assert r.status_code == 422, r.text
    assert field in r.json()["fields"], r.json()
    assert counts(db) == before
    assert watch_status(db, car.watch["id"]) == WatchStatus.ACTIVE


def test_neither_plate_nor_vin_is_refused(client: TestClient, world: factories.World) -> None:
    r = client.post(
        "/api/police/captures", json=report(plate=None, plate_colour=None), headers=police(world.pingyang_key)
    )
    assert r.status_code == 422 and "plate, the VIN" in r.json()["detail"]


def test_unknown_key_revoked_key_and_wrong_role_are_refused(
    client: TestClient, world: factories.World, db: Database
) -> None:
    car = watched_car(client)
    assert client.post("/api/police/captures", json=report()).status_code == 401
    r = client.post("/api/police/captures", json=report(), headers=police("ck_00000000_nothere"))
    assert r.status_code == 401
    assert client.post("/api/police/captures", json=report(), headers=car.officer).status_code == 403
    admin = login(client, "root.admin")
    prefix = "_".join(world.pingyang_key.split("_")[:2])
    key_id = next(
        k["id"] for k in client.get("/api/admin/api-keys", headers=admin).json() if k["prefix"] == prefix
    )
    assert client.post(f"/api/admin/api-keys/{key_id}/revoke", headers=admin).status_code == 200
    r = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key))
    assert r.status_code == 403 and "revoked" in r.json()["detail"]  # known but revoked: as everywhere
    assert counts(db).captures == 0


def test_the_center_records_the_arrival_once(
    client: TestClient, world: factories.World, clock: MovableClock
) -> None:
    watched_car(client)
    capture = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).json()
    staff = login(client, "py.center")
    assert [c["id"] for c in client.get("/api/captures", headers=staff).json()] == [capture["id"]]
    clock.advance(timedelta(minutes=25))
    r = client.post(f"/api/captures/{capture['id']}/arrive", headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "arrived"
    assert r.json()["arrived_at"] == "2026-11-23T01:25:00Z"
    assert r.json()["departed_at"] == "2026-11-23T01:00:00Z"
    again = client.post(f"/api/captures/{capture['id']}/arrive", headers=staff)
    assert again.status_code == 409 and "arrival is recorded once" in again.json()["detail"]


def test_the_reporting_unit_may_record_the_arrival_with_its_time(
    client: TestClient, world: factories.World
) -> None:
    watched_car(client)
    capture = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).json()
    r = client.post(
        f"/api/captures/{capture['id']}/arrive",
        json={"arrived_at": "2026-11-23T08:58:00+08:00"},
        headers=police(world.pingyang_key),
    )
    assert r.status_code == 422 and r.json()["fields"] == ["arrived_at"]  # before it left, at 09:00
    headers = {**police(world.pingyang_key), "Idempotency-Key": "arrive-1"}
    r = client.post(f"/api/captures/{capture['id']}/arrive", json={}, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "arrived"
    retry = client.post(f"/api/captures/{capture['id']}/arrive", json={}, headers=headers)
    assert retry.status_code == 200 and retry.json() == r.json()  # the same key: the first answer


def test_nobody_else_records_the_arrival(client: TestClient, world: factories.World) -> None:
    car = watched_car(client)
    capture = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).json()
    url = f"/api/captures/{capture['id']}/arrive"
    assert client.post(url, headers=login(client, "hz.center")).status_code == 404  # not its car
    assert client.post(url, headers=police(world.yueqing_key)).status_code == 404
    assert client.post(url, headers=car.officer).status_code == 403
    assert client.get(f"/api/captures/{capture['id']}", headers=car.officer).json()["status"] == "in_transit"


def test_who_sees_a_capture(client: TestClient, world: factories.World) -> None:
    car = watched_car(client)
    capture = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).json()
    url = f"/api/captures/{capture['id']}"
    for seer in (
        car.officer,
        login(client, "py.center"),
        police(world.pingyang_key),
        login(client, "root.admin"),
    ):
        assert client.get(url, headers=seer).status_code == 200
        assert [c["id"] for c in client.get("/api/captures", headers=seer).json()] == [capture["id"]]
    for stranger in (login(client, "lc.officer"), login(client, "hz.center"), police(world.yueqing_key)):
        r = client.get(url, headers=stranger)
        assert r.status_code == 404 and r.json()["error"] == "NotFound"
        assert client.get("/api/captures", headers=stranger).json() == []
    assert client.get("/api/captures/999999", headers=car.officer).status_code == 404
    assert client.get("/api/captures", params={"status": "arrived"}, headers=car.officer).json() == []


def test_the_officer_the_applicant_and_the_center_are_told(
    client: TestClient, world: factories.World, db: Database
) -> None:
    watched_car(client)
    assert (
        client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).status_code
        == 201
    )
    [officer_text] = [t for t in texts_to(db, OFFICER_PHONE) if "扣押" in t]
    assert officer_text.startswith(f"【云执车】您布控的车辆浙C12345已被扣押至{factories.PINGYANG_CENTER}")
    assert "11月23日08:40" in officer_text and "平阳县昆阳镇万全大道" in officer_text
    assert (
        "行驶证已移交" in officer_text
        and "钥匙2把" in officer_text
        and "(2026)浙0326执1234号" in officer_text
    )
    applicant_text = texts_to(db, APPLICANT_PHONE)[-1]
    assert applicant_text == (
        "【平阳县人民法院】您申请执行的(2026)浙0326执1234号一案，本院于11月23日依法扣押被执行人林某某名下的"
        f"小型轿车，车辆送往{factories.PINGYANG_CENTER}。如被执行人不履行债务，本院将依法对扣押财产进行处置变现。"
    )
    [center_text] = texts_to(db, CENTER_STAFF_PHONE)
    assert center_text.startswith(
        "【云执车】车辆浙C12345正由平阳县公安局交通警察大队送往本中心，预计11月23日"
    )
    for text in (officer_text, applicant_text, center_text):
        assert DEBTOR_ID not in text and "13900000002" not in text


def test_without_a_vehicle_type_the_applicant_reads_the_plate_category(
    client: TestClient, world: factories.World, db: Database
) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(
        client, officer, case, plate="浙CD12345", colour="green", type_code="52", vin=None
    )
    issue_watch(client, officer, case, link["vehicle"]["id"])
    body = report(plate="浙CD12345", plate_colour="green")
    assert (
        client.post("/api/police/captures", json=body, headers=police(world.pingyang_key)).status_code == 201
    )
    assert "名下的小型新能源汽车，" in texts_to(db, APPLICANT_PHONE)[-1]


def test_a_second_courts_queued_watch_stays_queued_and_its_officer_is_told(
    client: TestClient, world: factories.World, db: Database
) -> None:
    car = watched_car(client)
    lucheng = login(client, "lc.officer")
    other_case = open_case(client, lucheng, number="(2026)浙0302执567号")
    link = register_vehicle(client, lucheng, other_case, confirm=car.vehicle["id"])
    queued = issue_watch(client, lucheng, other_case, link["vehicle"]["id"], scope="330300")
    assert queued["status"] == "queued"

    capture = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).json()
    assert capture["watch_id"] == car.watch["id"]
    assert watch_status(db, car.watch["id"]) == WatchStatus.FULFILLED
    assert watch_status(db, queued["id"]) == WatchStatus.QUEUED
    [told] = [t for t in texts_to(db, LUCHENG_OFFICER_PHONE) if "扣押" in t]
    assert "您轮候布控的车辆浙C12345" in told and "平阳县人民法院扣押" in told and "仍在轮候" in told
    kinds = [e["kind"] for e in client.get(f"/api/cases/{other_case['id']}/timeline", headers=lucheng).json()]
    assert kinds[-1] == "watch.vehicle_captured"
    # The second court does not follow the capture itself: it is the first court's.
    assert client.get(f"/api/captures/{capture['id']}", headers=lucheng).status_code == 404


def test_a_queued_watch_is_fulfilled_when_no_watch_is_active(
    client: TestClient, world: factories.World, db: Database
) -> None:
    car = watched_car(client)
    lucheng = login(client, "lc.officer")
    other_case = open_case(client, lucheng, number="(2026)浙0302执567号")
    link = register_vehicle(client, lucheng, other_case, confirm=car.vehicle["id"])
    queued = issue_watch(client, lucheng, other_case, link["vehicle"]["id"], scope="330300")
    with db.unit_of_work() as s:  # the active watch ends without promoting the queued one (a bare edit)
        active = s.get(Watch, car.watch["id"])
        assert active is not None
        active.status = WatchStatus.LIFTED
    r = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key))
    assert r.status_code == 201, r.text
    assert r.json()["watch_id"] == queued["id"] and r.json()["court_id"] == world.lucheng_court
    assert watch_status(db, queued["id"]) == WatchStatus.FULFILLED


def test_a_fulfilled_watch_is_never_lapsed_reminded_or_lifted(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    car = watched_car(client)
    assert (
        client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).status_code
        == 201
    )
    r = client.post(
        f"/api/watches/{car.watch['id']}/lift", headers=car.officer, json={"reason": "debtor_paid"}
    )
    assert r.status_code == 409 and "fulfilled by a capture" in r.json()["detail"]
    for day in ("2028-11-20", "2028-11-23", "2028-11-24"):  # a reminder day, the last day, the day after
        clock.set(datetime.fromisoformat(day).replace(hour=8, tzinfo=SHANGHAI))
        report_ = sweep_watches(db)
        assert report_.lapsed == [] and report_.reminded == []
    assert watch_status(db, car.watch["id"]) == WatchStatus.FULFILLED


def test_a_watch_issued_after_the_capture_queues_behind_the_held_car(
    client: TestClient, world: factories.World, db: Database
) -> None:
    car = watched_car(client)
    assert (
        client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).status_code
        == 201
    )
    lucheng = login(client, "lc.officer")
    other_case = open_case(client, lucheng, number="(2026)浙0302执567号")
    link = register_vehicle(client, lucheng, other_case, confirm=car.vehicle["id"])
    late = issue_watch(client, lucheng, other_case, link["vehicle"]["id"], scope="330300")
    assert late["status"] == "queued"  # nobody is sent after a car the platform already holds
    snapshot = client.get("/api/police/watchlist/snapshot", headers=police(world.city_key)).json()
    assert snapshot["entries"] == []
    # The court whose watch was fulfilled cannot watch the same car again.
    again = client.post(
        f"/api/cases/{car.case['id']}/watches",
        headers=car.officer,
        json={
            "vehicle_id": late["vehicle"]["id"],
            "ruling_number": f"{car.case['case_number']}之二",
            "scope_code": "330326",
        },
    )
    assert again.status_code == 409 and "held for it already" in again.json()["detail"]
