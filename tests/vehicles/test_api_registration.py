"""Registering a debtor's car through the HTTP API when the platform already knows the plate: the known car
is shown and attached only once the officer confirms it; a VIN that contradicts it is refused; the same
registration again is the first one."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.core.db import Database
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.vehicles.models import CaseVehicle, Vehicle
from tests import factories
from tests.api_helpers import VIN, case_body, debtor_id, login, open_case, register_vehicle

OTHER_DEBTOR = {"kind": "person", "name": "张三丰", "id_number": "330302199001011235", "phone": "13900000009"}
OTHER_VIN = "LFV2A21K8G4012345"


def count(db: Database, model: type) -> int:
    with db.unit_of_work(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _lucheng_case(client: TestClient, debtor: dict[str, str] | None = None) -> tuple[dict[str, str], Any]:
    """A case of another court, against another debtor unless ``debtor`` says otherwise."""
    officer = login(client, "lc.officer")
    body = case_body("(2026)浙0302执77号", debtors=[debtor or OTHER_DEBTOR])
    r = client.post("/api/cases", json=body, headers=officer)
    assert r.status_code == 201, r.text
    return officer, r.json()


def _attempt(client: TestClient, headers: dict[str, str], case: dict[str, Any], **body: Any) -> Any:
    sent = {
        "plate": "浙C12345",
        "plate_colour": "blue",
        "plate_type": "02",
        "description": "白色大众帕萨特轿车",
        "owner_party_id": debtor_id(case),
        **body,
    }
    return client.post(f"/api/cases/{case['id']}/vehicles", headers=headers, json=sent)


def test_another_debtors_known_plate_is_shown_and_not_attached_unconfirmed(
    client: TestClient, db: Database, world: factories.World
) -> None:
    """The complaint: the plate of a car known with another debtor's VIN joined the new case silently."""
    py = login(client, "py.officer")
    first = register_vehicle(client, py, open_case(client, py))
    lc, case = _lucheng_case(client)
    events_before = count(db, TimelineEvent)

    r = _attempt(client, lc, case)

    assert r.status_code == 409, r.text
    body = r.json()
    assert body["error"] == "ConfirmKnownVehicle"
    assert body["confirm_with"] == {"confirm_known_vehicle_id": first["vehicle"]["id"]}
    known = body["known_vehicle"]
    assert (known["id"], known["plate"], known["vin_masked"]) == (
        first["vehicle"]["id"],
        "浙C12345",
        "LSVA*********3294",
    )
    assert known["differences"] == ["owner"]
    assert known["other_cases"] == [
        {
            "court": "平阳县人民法院",
            "court_phone": "0577-63600000",
            "case_number": "(2026)浙0326执1234号",
            "owner_name_masked": "林*某",
            "same_owner": False,
        }
    ]
    assert VIN not in r.text and "330326198808080019" not in r.text and "386,500" not in r.text
    assert count(db, CaseVehicle) == 1 and count(db, TimelineEvent) == events_before


def test_a_confirmed_known_car_is_attached_once_and_keeps_its_record(
    client: TestClient, db: Database, world: factories.World
) -> None:
    py = login(client, "py.officer")
    first = register_vehicle(client, py, open_case(client, py))
    lc, case = _lucheng_case(client)
    vehicle_id = first["vehicle"]["id"]

    r = _attempt(client, lc, case, confirm_known_vehicle_id=vehicle_id)
    assert r.status_code == 201, r.text
    assert r.json()["vehicle"]["id"] == vehicle_id and r.json()["vehicle"]["vin"] == VIN
    again = _attempt(client, lc, case, confirm_known_vehicle_id=vehicle_id)  # a second click on 确认
    assert (again.status_code, again.json()["id"]) == (200, r.json()["id"])

    assert count(db, Vehicle) == 1 and count(db, CaseVehicle) == 2
    with db.unit_of_work(read_only=True) as s:
        registered = s.scalars(
            select(TimelineEvent.data).where(
                TimelineEvent.kind == "vehicle.registered", TimelineEvent.case_id == case["id"]
            )
        ).all()
    assert [data["known_elsewhere_confirmed"] for data in registered] == [True]


def test_the_same_debtor_in_another_case_is_still_shown_first(
    client: TestClient, world: factories.World
) -> None:
    py = login(client, "py.officer")
    register_vehicle(client, py, open_case(client, py))
    lc, case = _lucheng_case(client, debtor=case_body()["debtors"][0])
    r = _attempt(client, lc, case, vin=VIN)
    assert r.status_code == 409 and r.json()["error"] == "ConfirmKnownVehicle"
    known = r.json()["known_vehicle"]
    assert (known["differences"], known["vin_matches"]) == ([], True)
    assert known["other_cases"][0]["same_owner"] is True


def test_another_vin_for_a_known_plate_is_refused_even_when_confirmed(
    client: TestClient, db: Database, world: factories.World
) -> None:
    py = login(client, "py.officer")
    vehicle_id = register_vehicle(client, py, open_case(client, py))["vehicle"]["id"]
    lc, case = _lucheng_case(client)
    for confirm in (None, vehicle_id):
        r = _attempt(client, lc, case, vin=OTHER_VIN, confirm_known_vehicle_id=confirm)
        assert r.status_code == 409, r.text
        assert r.json()["error"] == "VehicleIdentityConflict" and r.json()["fields"] == ["vin"]
        assert "confirm_with" not in r.json()
        assert r.json()["known_vehicle"]["differences"] == ["owner", "vin"]
    with db.unit_of_work(read_only=True) as s:
        assert s.scalars(select(Vehicle.vin)).all() == [VIN]  # never overwritten
    assert count(db, CaseVehicle) == 1


def test_a_known_vin_under_another_plate_is_refused(
    client: TestClient, db: Database, world: factories.World
) -> None:
    py = login(client, "py.officer")
    register_vehicle(client, py, open_case(client, py))
    lc, case = _lucheng_case(client)
    r = _attempt(client, lc, case, plate="浙C54321", vin=VIN)
    assert r.status_code == 409 and r.json()["error"] == "VehicleIdentityConflict"
    assert r.json()["known_vehicle"]["plate"] == "浙C12345"
    assert "plate" in r.json()["known_vehicle"]["differences"]
    assert count(db, Vehicle) == 1


def test_a_confirmation_of_another_car_is_refused(
    client: TestClient, db: Database, world: factories.World
) -> None:
    py = login(client, "py.officer")
    vehicle_id = register_vehicle(client, py, open_case(client, py))["vehicle"]["id"]
    lc, case = _lucheng_case(client)
    r = _attempt(client, lc, case, confirm_known_vehicle_id=vehicle_id + 1)
    assert r.status_code == 409 and "confirm_known_vehicle_id" in r.json()["detail"]
    unknown = _attempt(client, lc, case, plate="浙C54321", confirm_known_vehicle_id=vehicle_id)
    assert unknown.status_code == 409  # a new plate names no known car to confirm
    assert count(db, CaseVehicle) == 1


def test_a_confirmed_car_without_a_vin_gets_the_vin_given(client: TestClient, world: factories.World) -> None:
    py = login(client, "py.officer")
    vehicle_id = register_vehicle(client, py, open_case(client, py), vin=None)["vehicle"]["id"]
    lc, case = _lucheng_case(client)
    shown = _attempt(client, lc, case, vin=VIN)
    assert shown.json()["known_vehicle"]["differences"] == ["owner", "vin_added"]
    r = _attempt(client, lc, case, vin=VIN, confirm_known_vehicle_id=vehicle_id)
    assert r.status_code == 201 and r.json()["vehicle"]["vin"] == VIN


def test_the_same_registration_again_is_the_first_one(
    client: TestClient, db: Database, world: factories.World
) -> None:
    py = login(client, "py.officer")
    case = open_case(client, py)
    first = _attempt(client, py, case, vin=VIN)
    assert first.status_code == 201
    events = count(db, TimelineEvent)
    for body in ({"vin": VIN}, {}):  # without the VIN it is still the same car, owner and case
        again = _attempt(client, py, case, **body)
        assert (again.status_code, again.json()) == (200, first.json())
    assert count(db, TimelineEvent) == events
    keyed = {**py, "Idempotency-Key": "reg-1"}
    assert _attempt(client, keyed, case, vin=VIN).status_code == 200
    assert _attempt(client, keyed, case, vin=VIN).status_code == 200  # the keyed replay says the same


def test_the_same_car_with_another_owner_on_the_same_case_is_a_conflict(
    client: TestClient, db: Database, world: factories.World
) -> None:
    py = login(client, "py.officer")
    body = case_body(debtors=[case_body()["debtors"][0], OTHER_DEBTOR])
    r = client.post("/api/cases", json=body, headers=py)
    case = r.json()
    second = [p["id"] for p in case["parties"] if p["role"] == "debtor"][1]
    assert _attempt(client, py, case, vin=VIN).status_code == 201
    clash = _attempt(client, py, case, vin=VIN, owner_party_id=second)
    assert clash.status_code == 409 and "already on case" in clash.json()["detail"]
    assert count(db, CaseVehicle) == 1
