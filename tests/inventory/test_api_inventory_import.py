"""Inventory imports (a center's Towbook-shaped yard export) through the HTTP API, on SQLite and PostgreSQL.

The fixture tests/fixtures/towbook_inventory.csv lists eight cars (lines 4–11). The 平阳 court watches two
of them: 浙C12345 (line 4, matched by plate) and the car with VIN LFV2A21KXG3045871 (line 5, NOPLATE,
matched by VIN); the six others need a person.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.core.clock import as_utc
from car_enforce.core.db import Database
from car_enforce.core.files import evidence
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.custody.models import Custody, CustodyCharge, CustodyEvent
from car_enforce.inventory.models import InventoryImport, InventoryRow
from tests import factories
from tests.api_helpers import login, register_vehicle
from tests.capture_helpers import police, report, watch_status
from tests.inventory_helpers import CSV, FIXTURE, PLATE_A, PLATE_B, TODAY, VIN_A, VIN_B, court_with_cars

# Every test here runs with the two centers of the region (the app starts after them).
pytestmark = pytest.mark.usefixtures("centers")


def upload(client: TestClient, center_id: int, headers: dict[str, str], data: bytes | None = None) -> Any:
    body = FIXTURE.read_bytes() if data is None else data
    return client.post(
        f"/api/centers/{center_id}/inventory-imports?file_name=towbook_inventory.csv",
        content=body,
        headers={**headers, **CSV},
    )


def count(db: Database, model: type) -> int:
    with db.unit_of_work(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def custody_of(db: Database, custody_id: int) -> tuple[Custody, list[tuple[str, int, str]]]:
    with db.unit_of_work(read_only=True) as s:
        custody = s.get(Custody, custody_id)
        assert custody is not None
        s.expunge(custody)
        charges = [
            (c.kind, c.amount_fen, c.dedupe_key)
            for c in s.scalars(
                select(CustodyCharge).where(CustodyCharge.custody_id == custody_id).order_by(CustodyCharge.id)
            )
        ]
        return custody, charges


def rows_by_line(imported: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {r["line"]: r for r in imported["rows"]}


# --- the import -------------------------------------------------------------------------------------


def test_the_fixture_takes_the_two_watched_cars_into_custody_and_lists_six_for_review(
    client: TestClient, centers: factories.Centers
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    response = upload(client, centers.pingyang, login(client, "py.center"))
    assert response.status_code == 201, response.text
    imported = response.json()
    assert imported["center_id"] == centers.pingyang and imported["file_name"] == "towbook_inventory.csv"
    assert imported["metadata_lines"][0] == "Towbook Impound Report"
    assert imported["counts"] == {"matched": 2, "review": 6, "resolved": 0, "dismissed": 0}
    # Review rows first, each group by line.
    assert [r["line"] for r in imported["rows"]] == [6, 7, 8, 9, 10, 11, 4, 5]
    assert [r["outcome"] for r in imported["rows"]] == ["review"] * 6 + ["matched"] * 2


def test_a_car_is_matched_by_plate_and_one_without_a_plate_by_vin(
    client: TestClient, db: Database, centers: factories.Centers, world: factories.World
) -> None:
    court = court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    rows = rows_by_line(upload(client, centers.pingyang, login(client, "py.center")).json())

    by_plate, by_vin = rows[4], rows[5]
    assert (by_plate["plate"], by_plate["vin"], by_plate["vehicle_id"]) == (
        PLATE_A,
        None,
        court.vehicles[PLATE_A]["id"],
    )
    assert (by_vin["plate"], by_vin["vin"], by_vin["vehicle_id"]) == (
        None,
        VIN_B,
        court.vehicles[PLATE_B]["id"],
    )
    assert by_plate["reason"] == "" and by_plate["decided_by"] == "user:py.center"
    assert by_plate["raw"]["Towed From"] == "平阳县昆阳镇万全大道188号, 近\n中石化加油站"

    custody, _ = custody_of(db, by_plate["custody_id"])
    assert custody.source == "import" and custody.capture_id is None and custody.status == "in_custody"
    assert (custody.center_id, custody.court_id, custody.case_id) == (
        centers.pingyang,
        world.pingyang_court,
        court.case["id"],
    )
    assert custody.watch_id == court.watches[PLATE_A]["id"]
    assert custody.bay == "A-12" and custody.keys_received == 1
    assert as_utc(custody.taken_in_at) == datetime(2026, 11, 20, 6, 15, tzinfo=UTC)  # 2:15 PM in the yard
    assert custody.storage_from == TODAY  # the export's own storage charge covers the days before
    assert custody.custodian_name == "user:py.center"
    assert "IMP-1041" in custody.condition_notes and "平阳县昆阳镇万全大道188号" in custody.condition_notes

    no_plate, _ = custody_of(db, by_vin["custody_id"])
    assert no_plate.vehicle_id == court.vehicles[PLATE_B]["id"] and no_plate.keys_received == 0
    assert no_plate.bay == "B-03"


def test_the_carried_over_charges_are_posted_in_exact_fen_parts_only(
    client: TestClient, db: Database, centers: factories.Centers
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    imported = upload(client, centers.pingyang, login(client, "py.center")).json()
    rows = rows_by_line(imported)
    _, charges_a = custody_of(db, rows[4]["custody_id"])
    _, charges_b = custody_of(db, rows[5]["custody_id"])
    key = f"import:{imported['id']}"
    # $1,259.65 tow + $450.00 storage; not the $1,709.65 total nor the balance, not the $0.00 admin fee.
    assert charges_a == [
        ("towing", 125965, f"{key}:Tow Charges"),
        ("storage", 45000, f"{key}:Storage Charges"),
    ]
    assert charges_b == [("storage", 25965, f"{key}:Storage Charges")]  # the $0.00 tow is not posted


def test_the_review_rows_say_why_in_plain_words(client: TestClient, centers: factories.Centers) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    rows = rows_by_line(upload(client, centers.pingyang, login(client, "py.center")).json())
    assert rows[6]["reason"] == "no plate and no VIN: the car cannot be identified; match it by hand"
    assert rows[7]["reason"] == "plate 浙C99999 is not on the platform"
    assert rows[8]["reason"].startswith("line 8, Impound Date: '20/11/2026 10:00' is not a real date")
    assert rows[9]["reason"].startswith("line 9, Plate: cannot be read as a plate: 7ABC123")
    assert rows[10]["reason"] == (
        "line 10, Stock #: IMP-1047 appears again on line 11; the yard's stock number names one car"
    )
    assert rows[11]["reason"].startswith("line 11, Stock #: IMP-1047 appears again on line 10")
    for line in range(6, 12):
        assert rows[line]["vehicle_id"] is None and rows[line]["custody_id"] is None
        assert rows[line]["decided_at"] is None
    assert rows[8]["values"]["impound_at"] is None and rows[7]["values"]["money"][0]["fen"] == 28000


def test_an_active_watch_is_fulfilled_since_the_car_is_in_the_yard(
    client: TestClient, db: Database, centers: factories.Centers, world: factories.World
) -> None:
    court = court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    upload(client, centers.pingyang, login(client, "py.center"))
    for plate in (PLATE_A, PLATE_B):
        assert watch_status(db, court.watches[plate]["id"]) == "fulfilled"
    snapshot = client.get("/api/police/watchlist/snapshot", headers=police(world.pingyang_key)).json()
    assert snapshot["entries"] == []
    kinds = [
        e["kind"] for e in client.get(f"/api/cases/{court.case['id']}/timeline", headers=court.officer).json()
    ]
    assert kinds.count("watch.fulfilled") == 2 and kinds.count("custody.imported") == 2


def test_one_timeline_event_counts_the_import(
    client: TestClient, db: Database, centers: factories.Centers
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    imported = upload(client, centers.pingyang, login(client, "py.center")).json()
    with db.unit_of_work(read_only=True) as s:
        [event] = s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "inventory.imported"))
        assert event.subject == f"inventory_import:{imported['id']}" and event.case_id is None
        assert event.data["rows"] == 8 and event.data["matched"] == 2 and event.data["review"] == 6


def test_the_same_file_again_is_the_first_import_and_changes_nothing(
    client: TestClient, db: Database, centers: factories.Centers
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    staff = login(client, "py.center")
    first = upload(client, centers.pingyang, staff)
    before = [count(db, m) for m in (InventoryImport, InventoryRow, Custody, CustodyCharge, TimelineEvent)]
    again = upload(client, centers.pingyang, staff)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    after = [count(db, m) for m in (InventoryImport, InventoryRow, Custody, CustodyCharge, TimelineEvent)]
    assert after == before == [1, 8, 2, 3, before[4]]


def test_a_multipart_upload_is_the_same_as_a_raw_body(
    client: TestClient, db: Database, centers: factories.Centers
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    staff = login(client, "py.center")
    files = {"file": ("库存 2026-11-22.csv", FIXTURE.read_bytes(), "text/csv")}
    response = client.post(f"/api/centers/{centers.pingyang}/inventory-imports", files=files, headers=staff)
    assert response.status_code == 201, response.text
    assert response.json()["file_name"] == "库存 2026-11-22.csv"
    assert response.json()["counts"]["matched"] == 2
    assert upload(client, centers.pingyang, staff).status_code == 200  # the same bytes: the same import


def test_the_import_keeps_the_file_as_evidence(client: TestClient, centers: factories.Centers) -> None:
    imported = upload(client, centers.pingyang, login(client, "py.center")).json()
    digest = hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    assert imported["file_digest"] == digest and imported["file_ref"] == f"sha256:{digest}.csv"
    assert evidence.read(imported["file_ref"]) == FIXTURE.read_bytes()


@pytest.mark.parametrize(
    "data",
    [
        b"plate,read_at,camera_id\r\n\xe6\xb5\x99C12345,2026-11-22T10:00:00+08:00,cam-1\r\n",
        "库存号,车牌,车架号\r\nIMP-1,浙C12345,\r\n".encode("gbk"),
        b"",
    ],
    ids=["reads-csv", "gbk", "empty"],
)
def test_a_file_that_is_not_a_towbook_export_is_a_422_and_nothing_is_stored(
    client: TestClient, db: Database, centers: factories.Centers, data: bytes
) -> None:
    response = upload(client, centers.pingyang, login(client, "py.center"), data)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "InvalidInput" and response.json()["fields"] == ["file"]
    assert count(db, InventoryImport) == 0 and count(db, InventoryRow) == 0
    assert not evidence._path(hashlib.sha256(data).hexdigest(), "csv").exists()


def test_a_multipart_form_without_a_file_part_is_a_422(
    client: TestClient, centers: factories.Centers
) -> None:
    response = client.post(
        f"/api/centers/{centers.pingyang}/inventory-imports",
        data={"note": "x"},
        files={"other": ("a.csv", b"x", "text/csv")},
        headers=login(client, "py.center"),
    )
    assert response.status_code == 422 and response.json()["fields"] == ["file"]


# --- cars that are not free to take in ----------------------------------------------------------------


def test_a_car_in_another_centers_custody_goes_to_review(
    client: TestClient, centers: factories.Centers
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    upload(client, centers.pingyang, login(client, "py.center"))
    # The 杭州 center's export lists the same cars (its own file: another metadata line).
    data = FIXTURE.read_bytes().replace(b"Towbook Impound Report", b"Towbook Impound Report HZ")
    response = upload(client, centers.hangzhou, login(client, "hz.center"), data)
    assert response.status_code == 201, response.text
    rows = rows_by_line(response.json())
    assert rows[4]["outcome"] == "review"
    assert rows[4]["reason"].startswith(f"{PLATE_A} is already in {factories.PINGYANG_CENTER}'s custody")
    assert response.json()["counts"]["matched"] == 0


def test_a_car_already_in_this_centers_custody_goes_to_review(
    client: TestClient, centers: factories.Centers
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    staff = login(client, "py.center")
    upload(client, centers.pingyang, staff)
    tomorrow = FIXTURE.read_bytes().replace(b"Generated 11/22/2026", b"Generated 11/23/2026")
    rows = rows_by_line(upload(client, centers.pingyang, staff, tomorrow).json())
    assert rows[5]["reason"].startswith("浙C6K088 is already in this center's custody")


def test_a_car_no_court_holds_goes_to_review(client: TestClient, centers: factories.Centers) -> None:
    court = court_with_cars(client, (PLATE_A, VIN_A), watched=False)
    rows = rows_by_line(upload(client, centers.pingyang, login(client, "py.center")).json())
    assert rows[4]["outcome"] == "review"
    assert rows[4]["reason"] == (
        f"no court holds {PLATE_A} (vehicle {court.vehicles[PLATE_A]['id']}): it has no active, queued or "
        "fulfilled watch on the platform"
    )


def test_a_car_captured_and_on_its_way_goes_to_review(
    client: TestClient, db: Database, centers: factories.Centers, world: factories.World
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A))
    captured = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key))
    assert captured.status_code == 201, captured.text
    rows = rows_by_line(upload(client, centers.pingyang, login(client, "py.center")).json())
    assert rows[4]["reason"] == (
        f"{PLATE_A} was captured by the police (capture {captured.json()['id']}) and is on its way to "
        f"{factories.PINGYANG_CENTER}: take it in through the capture"
    )
    assert count(db, Custody) == 0


def test_a_car_whose_capture_is_held_for_its_place_goes_to_review(
    client: TestClient, db: Database, centers: factories.Centers, world: factories.World
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A))
    slipped = report() | {"place": {"lon": 102.45, "lat": 27.65, "datum": "WGS84", "address": "平阳县"}}
    captured = client.post("/api/police/captures", json=slipped, headers=police(world.pingyang_key))
    assert captured.status_code == 201 and captured.json()["status"] == "held", captured.text
    rows = rows_by_line(upload(client, centers.pingyang, login(client, "py.center")).json())
    assert rows[4]["outcome"] == "review"
    assert rows[4]["reason"] == (
        f"{PLATE_A} was captured by the police (capture {captured.json()['id']}), held until its reported "
        "place is confirmed: take it in through the capture once it is"
    )
    assert count(db, Custody) == 0


def test_plate_and_vin_naming_different_cars_go_to_review(
    client: TestClient, centers: factories.Centers
) -> None:
    court = court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    data = FIXTURE.read_bytes().replace(b"NOPLATE", PLATE_A.encode())  # line 5: plate of A, VIN of B
    rows = rows_by_line(upload(client, centers.pingyang, login(client, "py.center"), data).json())
    assert rows[5]["outcome"] == "review"
    assert rows[5]["reason"] == (
        f"plate {PLATE_A} and VIN {VIN_B} name different vehicles on the platform "
        f"(vehicle {court.vehicles[PLATE_A]['id']} by plate, vehicle {court.vehicles[PLATE_B]['id']} by VIN)"
    )


# --- review: resolve and dismiss ---------------------------------------------------------------------


def test_a_reviewer_resolves_a_row_to_a_watched_car_and_it_is_taken_in(
    client: TestClient, db: Database, centers: factories.Centers
) -> None:
    # The yard typed 浙C99999 for the court's 浙C99998.
    court = court_with_cars(client, (PLATE_A, VIN_A), ("浙C99998", None))
    staff = login(client, "py.center")
    imported = upload(client, centers.pingyang, staff).json()
    vehicle_id = court.vehicles["浙C99998"]["id"]
    response = client.post(
        f"/api/inventory-imports/{imported['id']}/rows/7/resolve",
        json={"vehicle_id": vehicle_id},
        headers=staff,
    )
    assert response.status_code == 200, response.text
    row = response.json()
    assert row["outcome"] == "resolved" and row["vehicle_id"] == vehicle_id and row["custody_id"]
    assert row["reason"] == "plate 浙C99999 is not on the platform"  # why it needed review stays
    custody, charges = custody_of(db, row["custody_id"])
    assert custody.source == "import" and custody.bay == "C-02" and custody.keys_received == 0
    assert [(k, fen) for k, fen, _ in charges] == [("towing", 28000), ("storage", 27000)]
    assert watch_status(db, court.watches["浙C99998"]["id"]) == "fulfilled"
    shown = client.get(f"/api/inventory-imports/{imported['id']}", headers=staff).json()
    assert shown["counts"] == {"matched": 1, "review": 6, "resolved": 1, "dismissed": 0}

    again = client.post(
        f"/api/inventory-imports/{imported['id']}/rows/7/resolve",
        json={"vehicle_id": vehicle_id},
        headers=staff,
    )
    assert again.status_code == 409 and "resolved already" in again.json()["detail"]


def test_resolving_without_the_carried_over_charges_posts_none(
    client: TestClient, db: Database, centers: factories.Centers
) -> None:
    court = court_with_cars(client, ("浙C99998", None))
    staff = login(client, "py.center")
    imported = upload(client, centers.pingyang, staff).json()
    response = client.post(
        f"/api/inventory-imports/{imported['id']}/rows/7/resolve",
        json={"vehicle_id": court.vehicles["浙C99998"]["id"], "post_charges": False},
        headers=staff,
    )
    assert response.status_code == 200, response.text
    _, charges = custody_of(db, response.json()["custody_id"])
    assert charges == []


def test_resolving_to_a_car_no_court_holds_or_one_in_custody_is_a_409_and_changes_nothing(
    client: TestClient, db: Database, centers: factories.Centers
) -> None:
    court = court_with_cars(client, (PLATE_A, VIN_A))
    officer = court.officer
    free = register_vehicle(client, officer, court.case, plate="浙C99998", vin=None)["vehicle"]
    staff = login(client, "py.center")
    imported = upload(client, centers.pingyang, staff).json()
    url = f"/api/inventory-imports/{imported['id']}/rows/6/resolve"

    unheld = client.post(url, json={"vehicle_id": free["id"]}, headers=staff)
    assert unheld.status_code == 409 and unheld.json()["detail"].startswith("no court holds 浙C99998")
    held = client.post(url, json={"vehicle_id": court.vehicles[PLATE_A]["id"]}, headers=staff)
    assert held.status_code == 409 and "already in this center's custody" in held.json()["detail"]
    unknown = client.post(url, json={"vehicle_id": 999999}, headers=staff)
    assert unknown.status_code == 404

    assert count(db, Custody) == 1 and count(db, CustodyEvent) == 1
    row = rows_by_line(client.get(f"/api/inventory-imports/{imported['id']}", headers=staff).json())[6]
    assert row["outcome"] == "review" and row["decided_at"] is None


def test_a_reviewer_dismisses_a_row_with_a_reason(client: TestClient, centers: factories.Centers) -> None:
    staff = login(client, "py.center")
    imported = upload(client, centers.pingyang, staff).json()
    url = f"/api/inventory-imports/{imported['id']}/rows/9"
    response = client.post(f"{url}/dismiss", json={"reason": "美国牌照车辆，非法院查封车辆"}, headers=staff)
    assert response.status_code == 200, response.text
    row = response.json()
    assert row["outcome"] == "dismissed" and row["dismissal_reason"] == "美国牌照车辆，非法院查封车辆"
    assert row["reason"].startswith("line 9, Plate:") and row["decided_by"] == "user:py.center"

    assert client.post(f"{url}/dismiss", json={"reason": "again"}, headers=staff).status_code == 409
    assert client.post(f"{url}/resolve", json={"vehicle_id": 1}, headers=staff).status_code == 409


def test_dismissing_needs_a_reason(client: TestClient, centers: factories.Centers) -> None:
    staff = login(client, "py.center")
    imported = upload(client, centers.pingyang, staff).json()
    url = f"/api/inventory-imports/{imported['id']}/rows/9/dismiss"
    assert client.post(url, json={"reason": ""}, headers=staff).status_code == 422
    assert client.post(url, json={"reason": "   "}, headers=staff).status_code == 422
    assert client.post(url, json={}, headers=staff).status_code == 422


def test_a_matched_row_cannot_be_resolved_or_dismissed(
    client: TestClient, centers: factories.Centers
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A))
    staff = login(client, "py.center")
    imported = upload(client, centers.pingyang, staff).json()
    url = f"/api/inventory-imports/{imported['id']}/rows/4"
    dismissed = client.post(f"{url}/dismiss", json={"reason": "x"}, headers=staff)
    assert dismissed.status_code == 409 and "matched already" in dismissed.json()["detail"]


def test_a_line_without_a_row_is_a_404(client: TestClient, centers: factories.Centers) -> None:
    staff = login(client, "py.center")
    imported = upload(client, centers.pingyang, staff).json()
    for line in (1, 3, 12):
        response = client.post(
            f"/api/inventory-imports/{imported['id']}/rows/{line}/dismiss",
            json={"reason": "x"},
            headers=staff,
        )
        assert response.status_code == 404


def test_the_review_filter_lists_only_review_rows(client: TestClient, centers: factories.Centers) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    staff = login(client, "py.center")
    imported = upload(client, centers.pingyang, staff).json()
    shown = client.get(f"/api/inventory-imports/{imported['id']}?outcome=review", headers=staff).json()
    assert [r["line"] for r in shown["rows"]] == [6, 7, 8, 9, 10, 11]
    assert shown["counts"]["matched"] == 2  # the counts are of the whole import


# --- who may ----------------------------------------------------------------------------------------


def test_another_centers_staff_may_neither_import_here_nor_see_or_decide(
    client: TestClient, db: Database, centers: factories.Centers
) -> None:
    imported = upload(client, centers.pingyang, login(client, "py.center")).json()
    other = login(client, "hz.center")
    refused = upload(client, centers.pingyang, other)
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    assert client.get(f"/api/inventory-imports/{imported['id']}", headers=other).status_code == 404
    url = f"/api/inventory-imports/{imported['id']}/rows/9"
    assert client.post(f"{url}/dismiss", json={"reason": "x"}, headers=other).status_code == 404
    assert client.post(f"{url}/resolve", json={"vehicle_id": 1}, headers=other).status_code == 404
    assert count(db, InventoryImport) == 1


def test_an_officer_may_not_import(client: TestClient, centers: factories.Centers) -> None:
    response = upload(client, centers.pingyang, login(client, "py.officer"))
    assert response.status_code == 403


def test_an_admin_imports_into_any_center_and_an_unknown_center_is_a_404(
    client: TestClient, centers: factories.Centers, world: factories.World
) -> None:
    admin = login(client, "root.admin")
    response = upload(client, centers.hangzhou, admin)
    assert response.status_code == 201 and response.json()["imported_by"] == "user:root.admin"
    assert upload(client, 999999, admin).status_code == 404
    assert upload(client, world.pingyang_court, admin).status_code == 404  # a court is not a center
