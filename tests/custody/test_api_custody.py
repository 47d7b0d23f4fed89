"""Custody at the center through the HTTP API, on SQLite and PostgreSQL: intake, the seizure record, the
custody chain, tariffs and the running cost statement, release orders and release (出库)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.captures.models import Capture
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.security import sha256_hex
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.custody import release
from car_enforce.custody.models import (
    Custody,
    CustodyCharge,
    CustodyEvent,
    CustodyPhoto,
    ReleaseKind,
    ReleaseOrder,
)
from car_enforce.custody.schemas import ReleaseOrderIn
from car_enforce.stages.models import Stage, StageReached
from tests import factories
from tests.api_helpers import issue_watch, login, open_case, register_vehicle
from tests.capture_helpers import (
    APPLICANT_PHONE,
    OFFICER_PHONE,
    police,
    report,
    texts_to,
    watch_status,
    watched_car,
)
from tests.custody_helpers import InCustody, arrived_capture, intake_body, set_tariff, taken_in

# Every test here runs with the two centers of the region (the app starts after them).
pytestmark = pytest.mark.usefixtures("centers")

TODAY = date(2026, 11, 23)  # conftest's START, a Monday in Wenzhou
DEBTOR_ID_NUMBER = "330326199001011236"
BUYER_ID_NUMBER = "330326198505120036"


def in_custody(
    client: TestClient, world: factories.World, centers: factories.Centers, **intake: Any
) -> InCustody:
    return taken_in(client, world.pingyang_key, centers.pingyang, tariff_from=TODAY, **intake)


def count(db: Database, model: type) -> int:
    with db.unit_of_work(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_intake_takes_an_arrived_capture_into_custody(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    custody = car.custody
    assert custody["status"] == "in_custody"
    assert custody["source"] == "capture"
    assert custody["capture_id"] == car.capture["id"]
    assert custody["center_id"] == centers.pingyang
    assert custody["vehicle_class"] == "small"
    assert (custody["bay"], custody["odometer_km"], custody["fuel_percent"], custody["keys_received"]) == (
        "A-07",
        86420,
        35,
        2,
    )
    assert custody["papers"] == ["registration_certificate"]
    assert [b["item"] for b in custody["belongings"]] == ["雨伞", "儿童安全座椅"]
    assert len(custody["photos"]) == 4
    assert custody["storage_from"] == TODAY.isoformat()
    capture = client.get(f"/api/captures/{car.capture['id']}", headers=car.staff).json()
    assert capture["status"] == "in_custody"
    with db.unit_of_work(read_only=True) as s:
        reached = s.scalar(select(StageReached).where(StageReached.capture_id == car.capture["id"]))
        assert reached is not None and reached.stage == Stage.INTAKE
    assert any("已于11月23日入库" in t for t in texts_to(db, OFFICER_PHONE))
    assert any("入库保管" in t for t in texts_to(db, APPLICANT_PHONE))


def test_towing_is_charged_by_the_tariff_and_the_distance(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    km = car.capture["distance_km"]
    statement = client.get(f"/api/custody/{car.custody['id']}/statement", headers=car.officer).json()
    (towing,) = [c for c in statement["charges"] if c["kind"] == "towing"]
    started_km = -(-km // 1) if km else 0
    assert towing["amount_fen"] == 30000 + int(started_km) * 800
    assert towing["basis"]["km"] == int(started_km)


def test_statement_after_31_days_is_tariff_times_days_plus_towing(
    client: TestClient, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    clock.advance(timedelta(days=31))
    officer = login(client, "py.officer")  # the first login's token has expired
    statement = client.get(f"/api/custody/{car.custody['id']}/statement", headers=officer).json()
    towing = sum(c["amount_fen"] for c in statement["charges"] if c["kind"] == "towing")
    assert statement["storage_days"] == 31
    assert statement["storage_fen"] == 31 * 3000
    assert statement["total_fen"] == 31 * 3000 + towing
    assert statement["running"] is True
    assert statement["total_yuan"] == f"{(31 * 3000 + towing) // 100}.{(31 * 3000 + towing) % 100:02d}"


def test_a_new_tariff_prices_only_the_days_from_its_effective_day(
    client: TestClient, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    set_tariff(client, car.staff, centers.pingyang, TODAY + timedelta(days=10), storage_daily_fen=4500)
    clock.advance(timedelta(days=15))
    staff = login(client, "py.center")
    statement = client.get(f"/api/custody/{car.custody['id']}/statement", headers=staff).json()
    # The intake day is not paid: days 1 to 15 after it are, from day 10 at the new rate.
    spans = [(s["first_day"], s["days"], s["daily_fen"]) for s in statement["storage"]]
    assert spans == [
        ((TODAY + timedelta(days=1)).isoformat(), 9, 3000),
        ((TODAY + timedelta(days=10)).isoformat(), 6, 4500),
    ]
    assert statement["storage_fen"] == 9 * 3000 + 6 * 4500


def test_a_tariff_for_a_past_day_is_refused(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    staff = login(client, "py.center")
    body = {
        "vehicle_class": "small",
        "effective_from": (TODAY - timedelta(days=1)).isoformat(),
        "storage_daily_fen": 1,
        "towing_base_fen": 1,
        "towing_per_km_fen": 1,
        "inspection_fen": 1,
    }
    response = client.put(f"/api/centers/{centers.pingyang}/tariffs", json=body, headers=staff)
    assert response.status_code == 422
    assert "effective_from" in response.json()["detail"]


def test_another_centers_staff_cannot_set_its_tariff(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    body = {
        "vehicle_class": "small",
        "effective_from": TODAY.isoformat(),
        "storage_daily_fen": 1,
        "towing_base_fen": 1,
        "towing_per_km_fen": 1,
        "inspection_fen": 1,
    }
    response = client.put(
        f"/api/centers/{centers.pingyang}/tariffs", json=body, headers=login(client, "hz.center")
    )
    assert response.status_code == 403


def test_intake_before_arrival_is_refused_and_stores_nothing(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    staff = login(client, "py.center")
    set_tariff(client, staff, centers.pingyang, TODAY)
    watched_car(client)
    capture = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key)).json()
    before = (count(db, Custody), count(db, TimelineEvent))
    response = client.post(f"/api/captures/{capture['id']}/intake", json=intake_body(), headers=staff)
    assert response.status_code == 409
    assert "has not arrived" in response.json()["detail"]
    assert (count(db, Custody), count(db, TimelineEvent)) == before


def test_a_second_intake_is_refused(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    response = client.post(f"/api/captures/{car.capture['id']}/intake", json=intake_body(), headers=car.staff)
    assert response.status_code == 409
    assert "in_custody" in response.json()["detail"]
    assert count(db, Custody) == 1
    assert count(db, CustodyCharge) == 1


def test_an_intake_retried_with_its_key_gets_the_first_answer(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    staff = login(client, "py.center")
    set_tariff(client, staff, centers.pingyang, TODAY)
    _, capture = arrived_capture(client, world.pingyang_key)
    headers = {**staff, "Idempotency-Key": "intake-7"}
    first = client.post(f"/api/captures/{capture['id']}/intake", json=intake_body(), headers=headers)
    again = client.post(f"/api/captures/{capture['id']}/intake", json=intake_body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replay") == "true"
    assert again.json()["id"] == first.json()["id"]
    assert (count(db, Custody), count(db, CustodyCharge), count(db, CustodyEvent)) == (1, 1, 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"photos": []}, "photos"),
        ({"fuel_percent": None}, "fuel_percent"),
        ({"papers": ["registration_certificate", "registration_certificate"]}, "papers"),
        ({"fuel_percent": 101}, "fuel_percent"),
        ({"keys_received": -1}, "keys_received"),
        ({"key_labels": ["智能钥匙"]}, "key_labels"),  # two keys received, one named
        ({"key_labels": ["钥匙", "钥匙"]}, "key_labels"),
        ({"bay": ""}, "bay"),
    ],
)
def test_a_bad_intake_is_a_422_and_stores_nothing(
    client: TestClient,
    db: Database,
    world: factories.World,
    centers: factories.Centers,
    changes: dict[str, Any],
    field: str,
) -> None:
    staff = login(client, "py.center")
    set_tariff(client, staff, centers.pingyang, TODAY)
    _, capture = arrived_capture(client, world.pingyang_key)
    before = (count(db, Custody), count(db, CustodyPhoto), count(db, TimelineEvent))
    response = client.post(
        f"/api/captures/{capture['id']}/intake", json=intake_body(**changes), headers=staff
    )
    assert response.status_code == 422, response.text
    assert field in response.text
    assert (count(db, Custody), count(db, CustodyPhoto), count(db, TimelineEvent)) == before
    with db.unit_of_work(read_only=True) as s:
        assert s.get(Capture, capture["id"]).status == "arrived"  # type: ignore[union-attr]


def test_three_photos_are_not_enough(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    staff = login(client, "py.center")
    set_tariff(client, staff, centers.pingyang, TODAY)
    _, capture = arrived_capture(client, world.pingyang_key)
    body = intake_body()
    body["photos"] = body["photos"][:3]
    response = client.post(f"/api/captures/{capture['id']}/intake", json=body, headers=staff)
    assert response.status_code == 422
    assert "at least 4" in response.json()["detail"]


def test_a_new_energy_car_needs_its_charge_level(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    staff = login(client, "py.center")
    set_tariff(client, staff, centers.pingyang, TODAY)
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(
        client, officer, case, plate="浙CD12345", vin=None, colour="green", type_code="52"
    )
    issue_watch(client, officer, case, link["vehicle"]["id"], scope="330326")
    capture = client.post(
        "/api/police/captures",
        json=report(plate="浙CD12345", plate_colour="green"),
        headers=police(world.pingyang_key),
    ).json()
    client.post(f"/api/captures/{capture['id']}/arrive", headers=staff)
    refused = client.post(f"/api/captures/{capture['id']}/intake", json=intake_body(), headers=staff)
    assert refused.status_code == 422
    assert "charge_percent" in refused.json()["detail"]
    taken = client.post(
        f"/api/captures/{capture['id']}/intake", json=intake_body(charge_percent=64), headers=staff
    )
    assert taken.status_code == 201, taken.text
    assert taken.json()["charge_percent"] == 64


def test_no_tariff_no_intake(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    _, capture = arrived_capture(client, world.pingyang_key)
    response = client.post(
        f"/api/captures/{capture['id']}/intake", json=intake_body(), headers=login(client, "py.center")
    )
    assert response.status_code == 409
    assert "no tariff" in response.json()["detail"]
    assert count(db, Custody) == 0


def test_only_the_destination_centers_staff_take_the_car_in(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    staff = login(client, "py.center")
    set_tariff(client, staff, centers.pingyang, TODAY)
    _, capture = arrived_capture(client, world.pingyang_key)
    response = client.post(
        f"/api/captures/{capture['id']}/intake", json=intake_body(), headers=login(client, "hz.center")
    )
    assert response.status_code == 404  # another center does not see the capture at all
    officer = client.post(
        f"/api/captures/{capture['id']}/intake", json=intake_body(), headers=login(client, "py.officer")
    )
    assert officer.status_code == 403


def test_the_seizure_record_names_times_place_custodian_and_signatures(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    url = f"/api/custody/{car.custody['id']}/seizure-record"
    record = client.get(url, headers=car.officer).json()
    assert record["started_at"].startswith("2026-11-23T00:40")  # 08:40 in Wenzhou, the capture
    assert record["place"] == "平阳县昆阳镇万全大道"
    assert record["property_kind"] == "小型轿车"
    assert record["custodian"] == "李保管"
    assert record["missing_signatures"] == ["officer"]
    assert "执行措施开始时间：2026年11月23日 08:40" in record["text"]
    assert "保管人：李保管" in record["text"]
    signed = client.post(
        f"/api/custody/{car.custody['id']}/signatures",
        json={"role": "officer", "name": "王法官"},
        headers=car.officer,
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["missing_signatures"] == []
    assert "执行人员 王法官" in signed.json()["text"]
    again = client.post(
        f"/api/custody/{car.custody['id']}/signatures",
        json={"role": "officer", "name": "王法官"},
        headers=car.officer,
    )
    assert [s["name"] for s in again.json()["signatures"]] == ["李保管", "王法官"]
    forged = client.post(
        f"/api/custody/{car.custody['id']}/signatures",
        json={"role": "officer", "name": "某人"},
        headers=car.staff,
    )
    assert forged.status_code == 403


def test_the_chain_records_every_move_and_every_hand_in_order(
    client: TestClient, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    base = f"/api/custody/{car.custody['id']}"
    clock.advance(timedelta(hours=1))
    assert (
        client.post(f"{base}/keys", json={"to": "检测员 王某", "count": 1}, headers=car.staff).status_code
        == 201
    )
    moved = client.post(
        f"{base}/moves", json={"to_place": "检测工位2"}, headers={**car.staff, "Idempotency-Key": "m1"}
    )
    retried = client.post(
        f"{base}/moves", json={"to_place": "检测工位2"}, headers={**car.staff, "Idempotency-Key": "m1"}
    )
    assert moved.status_code == retried.status_code == 201
    assert retried.json()["seq"] == moved.json()["seq"]
    client.post(f"{base}/moves", json={"to_place": "A-07"}, headers=car.staff)
    client.post(f"{base}/keys", json={"to": "李保管（钥匙柜）", "count": 1}, headers=car.staff)
    chain = client.get(f"{base}/chain", headers=car.officer).json()
    assert [(e["seq"], e["kind"]) for e in chain] == [
        (1, "intake"),
        (2, "keys"),
        (3, "move"),
        (4, "move"),
        (5, "keys"),
    ]
    assert (chain[2]["from_place"], chain[2]["to_place"]) == ("A-07", "检测工位2")
    assert (chain[1]["keys_from"], chain[1]["keys_to"]) == ("李保管（钥匙柜）", "检测员 王某")
    custody = client.get(base, headers=car.staff).json()
    assert (custody["bay"], custody["keys_held_by"]) == ("A-07", "李保管（钥匙柜）")


def test_moving_to_where_the_car_is_or_passing_more_keys_than_came_is_refused(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    base = f"/api/custody/{car.custody['id']}"
    assert client.post(f"{base}/moves", json={"to_place": "A-07"}, headers=car.staff).status_code == 409
    too_many = client.post(f"{base}/keys", json={"to": "某人", "count": 3}, headers=car.staff)
    assert too_many.status_code == 422
    assert client.post(f"{base}/moves", json={"to_place": "B-01"}, headers=car.officer).status_code == 403


SAFE = "李保管（钥匙柜）"
INSPECTOR = "检测员 王某"


def keys_now(client: TestClient, car: InCustody) -> list[tuple[str, str]]:
    custody = client.get(f"/api/custody/{car.custody['id']}", headers=car.staff).json()
    return [(k["label"], k["holder"]) for k in custody["keys"]]


def key_ids(car: InCustody) -> dict[str, int]:
    return {k["label"]: k["id"] for k in car.custody["keys"]}


def moves(link: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(m["label"], m["from_holder"], m["to_holder"]) for m in link["keys"]]


def test_each_key_received_is_its_own_and_goes_into_the_key_safe(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers, key_labels=["智能钥匙", "机械钥匙"])
    assert [(k["number"], k["label"], k["holder"]) for k in car.custody["keys"]] == [
        (1, "智能钥匙", SAFE),
        (2, "机械钥匙", SAFE),
    ]
    chain = client.get(f"/api/custody/{car.custody['id']}/chain", headers=car.staff).json()
    assert moves(chain[0]) == [("智能钥匙", None, SAFE), ("机械钥匙", None, SAFE)]


def test_one_key_of_two_with_the_inspector_is_released_from_the_inspector_and_the_other_from_the_safe(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    """The complaint: one of two keys went to the inspector, and the release said both came from him."""
    car = in_custody(client, world, centers)
    base = f"/api/custody/{car.custody['id']}"
    passed = client.post(f"{base}/keys", json={"to": INSPECTOR, "count": 1}, headers=car.staff)
    assert passed.status_code == 201, passed.text
    released = client.post(f"{base}/release", json=release_body(order(client, car)["id"]), headers=car.staff)
    assert released.status_code == 200, released.text
    chain = client.get(f"{base}/chain", headers=car.officer).json()
    assert [e["kind"] for e in chain] == ["intake", "keys", "release"]
    assert (chain[-1]["keys_from"], chain[-1]["keys_count"]) == (f"{INSPECTOR}、{SAFE}", 2)  # not both his
    recipient = "解除扣押发还 3303**********1236"
    assert moves(chain[1]) == [("钥匙1", SAFE, INSPECTOR)]
    assert moves(chain[2]) == [("钥匙1", INSPECTOR, recipient), ("钥匙2", SAFE, recipient)]
    assert keys_now(client, car) == [("钥匙1", recipient), ("钥匙2", recipient)]


def test_a_key_passes_only_from_the_hand_that_holds_it(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    base, ids = f"/api/custody/{car.custody['id']}", key_ids(car)
    first = {"to": INSPECTOR, "key_ids": [ids["钥匙1"]], "from_holder": "钥匙柜"}
    assert client.post(f"{base}/keys", json=first, headers=car.staff).status_code == 201
    links = count(db, CustodyEvent)
    wrong_hand = client.post(
        f"{base}/keys",
        json={"to": "洗车工 张某", "key_ids": [ids["钥匙2"]], "from_holder": INSPECTOR},
        headers=car.staff,
    )
    assert wrong_hand.status_code == 409
    assert "钥匙2 is held by 李保管（钥匙柜）" in wrong_hand.json()["detail"]
    assert "查封规定" in wrong_hand.json()["rule"]
    again = client.post(f"{base}/keys", json={"to": INSPECTOR, "key_ids": [ids["钥匙1"]]}, headers=car.staff)
    assert again.status_code == 409  # the inspector has it already
    stranger = client.post(f"{base}/keys", json={"to": INSPECTOR, "key_ids": [999]}, headers=car.staff)
    assert stranger.status_code == 422 and "not a key of this car" in stranger.json()["detail"]
    assert count(db, CustodyEvent) == links  # nothing recorded by a refusal
    assert keys_now(client, car) == [("钥匙1", INSPECTOR), ("钥匙2", SAFE)]


def test_a_count_without_key_ids_works_only_when_it_says_which_keys(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    base = f"/api/custody/{car.custody['id']}"
    client.post(f"{base}/keys", json={"to": INSPECTOR, "count": 1}, headers=car.staff)
    split = client.post(f"{base}/keys", json={"to": "洗车工 张某", "count": 1}, headers=car.staff)
    assert split.status_code == 422 and "name which keys pass" in split.json()["detail"]
    both = client.post(f"{base}/keys", json={"to": "洗车工 张某", "count": 2}, headers=car.staff)
    assert both.status_code == 201, both.text
    assert moves(both.json()) == [("钥匙1", INSPECTOR, "洗车工 张某"), ("钥匙2", SAFE, "洗车工 张某")]
    back = client.post(f"{base}/keys", json={"to": "钥匙柜", "count": 2}, headers=car.staff)
    assert back.json()["keys_to"] == SAFE  # "钥匙柜" is the center's own key safe
    neither = client.post(f"{base}/keys", json={"to": INSPECTOR}, headers=car.staff)
    assert neither.status_code == 422


def test_passing_keys_retried_with_its_key_moves_them_once(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    base = f"/api/custody/{car.custody['id']}"
    headers = {**car.staff, "Idempotency-Key": "keys-1"}
    body = {"to": INSPECTOR, "key_ids": [key_ids(car)["钥匙2"]]}
    first = client.post(f"{base}/keys", json=body, headers=headers)
    retried = client.post(f"{base}/keys", json=body, headers=headers)
    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()
    assert keys_now(client, car) == [("钥匙1", SAFE), ("钥匙2", INSPECTOR)]
    chain = client.get(f"{base}/chain", headers=car.staff).json()
    assert [e["kind"] for e in chain] == ["intake", "keys"]


def test_the_car_leaves_only_with_every_key_back_in_the_safe_or_handed_over(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    base, ids = f"/api/custody/{car.custody['id']}", key_ids(car)
    client.post(f"{base}/keys", json={"to": INSPECTOR, "key_ids": [ids["钥匙2"]]}, headers=car.staff)
    issued = order(client, car)
    for keys in ({"keys_handed": 0}, {"key_ids": [ids["钥匙1"]]}):
        body = {"order_id": issued["id"], "recipient_id_number": DEBTOR_ID_NUMBER, **keys}
        refused = client.post(f"{base}/release", json=body, headers=car.staff)
        assert refused.status_code == 409, (keys, refused.text)
        assert refused.json()["error"] == "KeysNotBack"
        assert (
            "钥匙2 is with 检测员 王某" in refused.json()["detail"] and "查封规定" in refused.json()["rule"]
        )
    assert client.get(base, headers=car.staff).json()["status"] == "in_custody"
    # One key counted: the one out of the safe goes with the car.
    body = {"order_id": issued["id"], "recipient_id_number": DEBTOR_ID_NUMBER, "keys_handed": 1}
    released = client.post(f"{base}/release", json=body, headers=car.staff)
    assert released.status_code == 200, released.text
    recipient = "解除扣押发还 3303**********1236"
    assert keys_now(client, car) == [("钥匙1", SAFE), ("钥匙2", recipient)]  # one key stays, in the safe
    last = client.get(f"{base}/chain", headers=car.staff).json()[-1]
    assert moves(last) == [("钥匙2", INSPECTOR, recipient)] and last["keys_count"] == 1


def test_charges_are_posted_once_per_key(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    url = f"/api/custody/{car.custody['id']}/charges"
    body = {"amount_fen": 8000, "description": "电瓶搭电", "charge_key": "INV-0091"}
    first = client.post(url, json=body, headers=car.staff)
    again = client.post(url, json=body, headers=car.staff)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    changed = client.post(url, json={**body, "amount_fen": 9000}, headers=car.staff)
    assert changed.status_code == 409
    storage = client.post(url, json={**body, "kind": "storage", "charge_key": "S"}, headers=car.staff)
    assert storage.status_code == 422
    assert count(db, CustodyCharge) == 2  # towing and the one charge


def order(
    client: TestClient, car: InCustody, kind: str = "return_to_owner", id_number: str = DEBTOR_ID_NUMBER
) -> dict[str, Any]:
    response = client.post(
        f"/api/custody/{car.custody['id']}/release-orders",
        json={
            "kind": kind,
            "document_number": "（2026）浙0326执1234号之二",
            "recipient_name": "林某某",
            "recipient_id_number": id_number,
        },
        headers=car.officer,
    )
    assert response.status_code == 201, response.text
    return response.json()


def release_body(order_id: int, id_number: str = DEBTOR_ID_NUMBER) -> dict[str, Any]:
    return {"order_id": order_id, "recipient_id_number": id_number, "keys_handed": 2}


def test_a_release_without_an_order_is_refused(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    url = f"/api/custody/{car.custody['id']}/release"
    no_order = client.post(url, json=release_body(999), headers=car.staff)
    assert no_order.status_code == 409
    assert no_order.json()["error"] == "NoReleaseOrder"
    assert "the court has issued none" in no_order.json()["detail"]
    missing = client.post(
        url, json={"recipient_id_number": DEBTOR_ID_NUMBER, "keys_handed": 2}, headers=car.staff
    )
    assert missing.status_code == 422
    assert "order_id" in missing.text
    assert client.get(f"/api/custody/{car.custody['id']}", headers=car.staff).json()["status"] == "in_custody"
    assert count(db, CustodyEvent) == 1


def test_the_gate_checks_the_id_number_the_order_names(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    issued = order(client, car)
    assert issued["recipient_id_masked"] == "3303**********1236"
    assert issued["recipient_name"] == "林*某"
    wrong = client.post(
        f"/api/custody/{car.custody['id']}/release",
        json=release_body(issued["id"], BUYER_ID_NUMBER),
        headers=car.staff,
    )
    assert wrong.status_code == 403
    assert client.get(f"/api/custody/{car.custody['id']}", headers=car.staff).json()["status"] == "in_custody"


def test_a_revoked_order_releases_nothing(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    issued = order(client, car)
    second = client.post(
        f"/api/custody/{car.custody['id']}/release-orders",
        json={
            "kind": "return_to_owner",
            "document_number": "X",
            "recipient_name": "林某某",
            "recipient_id_number": DEBTOR_ID_NUMBER,
        },
        headers=car.officer,
    )
    assert second.status_code == 409  # one open order at a time
    revoked = client.post(
        f"/api/release-orders/{issued['id']}/revoke", json={"reason": "误发"}, headers=car.officer
    )
    assert revoked.json()["status"] == "revoked"
    response = client.post(
        f"/api/custody/{car.custody['id']}/release", json=release_body(issued["id"]), headers=car.staff
    )
    assert response.status_code == 409


def test_returning_the_car_to_its_owner_ends_the_watch_and_the_storage(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    clock.advance(timedelta(days=5))
    car.officer, car.staff = login(client, "py.officer"), login(client, "py.center")
    issued = order(client, car)
    released = client.post(
        f"/api/custody/{car.custody['id']}/release", json=release_body(issued["id"]), headers=car.staff
    )
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    assert watch_status(db, car.watch["id"]) == "released"
    assert client.get(f"/api/captures/{car.capture['id']}", headers=car.staff).json()["status"] == "released"
    orders = client.get(f"/api/custody/{car.custody['id']}/release-orders", headers=car.staff).json()
    assert orders[0]["status"] == "executed"
    chain = client.get(f"/api/custody/{car.custody['id']}/chain", headers=car.staff).json()
    assert chain[-1]["kind"] == "release"
    clock.advance(timedelta(days=20))
    car.officer, car.staff = login(client, "py.officer"), login(client, "py.center")
    statement = client.get(f"/api/custody/{car.custody['id']}/statement", headers=car.officer).json()
    assert statement["storage_days"] == 5  # storage ended with the release
    assert statement["running"] is False
    again = client.post(
        f"/api/custody/{car.custody['id']}/release", json=release_body(issued["id"]), headers=car.staff
    )
    assert again.status_code == 409
    assert any("解除扣押发还" in t for t in texts_to(db, APPLICANT_PHONE))


def queued_watch_of_lucheng(client: TestClient, car: InCustody) -> dict[str, Any]:
    officer = login(client, "lc.officer")
    from tests.api_helpers import case_body

    case = client.post("/api/cases", json=case_body("（2026）浙0302执555号"), headers=officer)
    assert case.status_code == 201, case.text
    link = register_vehicle(client, officer, case.json(), confirm=car.vehicle["id"])
    return issue_watch(client, officer, case.json(), link["vehicle"]["id"], scope="330300")


def test_a_car_returned_to_its_owner_passes_to_the_queued_court(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    queued = queued_watch_of_lucheng(client, car)
    assert queued["status"] == "queued"
    issued = order(client, car)
    client.post(
        f"/api/custody/{car.custody['id']}/release", json=release_body(issued["id"]), headers=car.staff
    )
    assert watch_status(db, queued["id"]) == "active"


def test_a_handover_to_a_buyer_is_not_ordered_without_the_sale_ruling(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    response = client.post(
        f"/api/custody/{car.custody['id']}/release-orders",
        json={
            "kind": "sale_handover",
            "document_number": "（2026）浙0326执1234号之二",
            "recipient_name": "林某某",
            "recipient_id_number": BUYER_ID_NUMBER,
        },
        headers=car.officer,
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "RuleViolation" and "成交裁定" in response.json()["detail_zh"]
    assert count(db, ReleaseOrder) == 0


RULING = "（2026）浙0326执1234号之一"


def sale_handover(db: Database, car: InCustody, id_number: str = BUYER_ID_NUMBER) -> int:
    """The order the sale's settlement issues on its served ruling (auction.settlement.progress)."""
    with db.unit_of_work() as s:
        custody = s.get(Custody, car.custody["id"])
        assert custody is not None
        issued = release.issue_order(
            s,
            actor=Principal.system("tests"),
            custody=custody,
            data=ReleaseOrderIn(
                kind=ReleaseKind.SALE_HANDOVER,
                document_number=RULING,
                recipient_name="买受人某",
                recipient_id_number=id_number,
            ),
            ruling=release.SaleRuling(RULING, sha256_hex(BUYER_ID_NUMBER)),
        )
        return issued.id


def test_a_handover_order_names_the_buyer_of_the_ruling_and_nobody_else(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    with pytest.raises(release.WrongRecipient):
        sale_handover(db, car, id_number=DEBTOR_ID_NUMBER)
    assert count(db, ReleaseOrder) == 0


def test_a_sale_handover_ends_the_queued_watches_too(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    queued = queued_watch_of_lucheng(client, car)
    issued = sale_handover(db, car)
    refused = client.post(
        f"/api/custody/{car.custody['id']}/release",
        json=release_body(issued, DEBTOR_ID_NUMBER),
        headers=car.staff,
    )
    assert refused.status_code == 403, refused.text  # the gate hands the car only to the ruling's buyer
    response = client.post(
        f"/api/custody/{car.custody['id']}/release",
        json=release_body(issued, BUYER_ID_NUMBER),
        headers=car.staff,
    )
    assert response.status_code == 200, response.text
    assert watch_status(db, car.watch["id"]) == "released"
    assert watch_status(db, queued["id"]) == "released"


def test_custody_is_seen_only_by_its_court_its_center_and_admins(
    client: TestClient, world: factories.World, centers: factories.Centers
) -> None:
    car = in_custody(client, world, centers)
    url = f"/api/custody/{car.custody['id']}"
    assert client.get(url, headers=login(client, "hz.center")).status_code == 404
    assert client.get(url, headers=login(client, "lc.officer")).status_code == 404
    assert client.get(url, headers=login(client, "root.admin")).status_code == 200
    assert [c["id"] for c in client.get("/api/custody", headers=car.staff).json()] == [car.custody["id"]]
    assert client.get("/api/custody", headers=login(client, "hz.center")).json() == []
