"""Bad input, idempotency and queued watches through the HTTP API: a clear 4xx and nothing stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.cases.models import EnforcementCase
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.vehicles.models import Vehicle
from car_enforce.watches.models import Watch, WatchlistChange
from tests import factories
from tests.api_helpers import case_body, issue_watch, login, open_case, register_vehicle


def count(db: Database, model: type) -> int:
    with db.unit_of_work(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    "number",
    [
        "2026浙0326执1234号",
        "(2026)浙0326民1234号",
        "(26)浙0326执1号",
        "(2026)浙0326执号",
        "(2099)浙0326执1234号",
        "",
    ],
)
def test_malformed_case_number_is_refused(client: TestClient, db: Database, number: str) -> None:
    r = client.post("/api/cases", json=case_body(number), headers=login(client, "py.officer"))
    assert r.status_code == 422, r.text
    assert r.json()["error"] in ("InvalidInput", "ValidationError")
    assert "case_number" in r.json()["detail"]
    assert count(db, EnforcementCase) == 0


def test_case_number_of_another_court_is_refused(client: TestClient, db: Database) -> None:
    r = client.post("/api/cases", json=case_body("(2026)浙0382执1234号"), headers=login(client, "py.officer"))
    assert r.status_code == 422 and "浙0382" in r.json()["detail"]


def test_bad_debtor_id_number_is_refused_and_nothing_stored(client: TestClient, db: Database) -> None:
    events_before = count(db, TimelineEvent)
    body = case_body()
    body["debtors"][0]["id_number"] = "330326198808080018"  # wrong check character
    r = client.post("/api/cases", json=body, headers=login(client, "py.officer"))
    assert r.status_code == 422 and "debtors[0].id_number" in r.json()["detail"]
    assert count(db, EnforcementCase) == 0 and count(db, TimelineEvent) == events_before


def test_duplicate_case_is_a_conflict(client: TestClient) -> None:
    officer = login(client, "py.officer")
    open_case(client, officer)
    r = client.post("/api/cases", json=case_body(), headers=officer)
    assert r.status_code == 409 and r.json()["error"] == "Conflict"


def test_same_idempotency_key_returns_the_first_case(client: TestClient, db: Database) -> None:
    officer = {**login(client, "py.officer"), "Idempotency-Key": "open-1234"}
    first = client.post("/api/cases", json=case_body(), headers=officer)
    second = client.post("/api/cases", json=case_body(), headers=officer)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("Idempotent-Replay") == "true"
    assert count(db, EnforcementCase) == 1
    other = client.post("/api/cases", json=case_body("(2026)浙0326执9号"), headers=officer)
    assert other.status_code == 409 and other.json()["error"] == "IdempotencyKeyReused"


@pytest.mark.parametrize(
    ("plate", "colour", "type_code", "vin", "field"),
    [
        ("浙C1234", "blue", "02", None, "plate"),
        ("NOPLATE", "blue", "02", None, "plate"),
        ("浙CD12345", "blue", "02", None, "plate_colour"),
        ("浙CD12345", "green", "02", None, "plate_type"),
        ("浙C12345", "green", "02", None, "plate_colour"),
        ("浙C12345", "blue", "02", "LSVAU2180N2183294", "vin"),  # Chinese VIN with a wrong check digit
        ("浙C12345", "blue", "02", "LSVAU218IN2183294", "vin"),  # I is never used in a VIN
    ],
)
def test_malformed_vehicle_is_refused(
    client: TestClient, db: Database, plate: str, colour: str, type_code: str, vin: str | None, field: str
) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    debtor = next(p["id"] for p in case["parties"] if p["role"] == "debtor")
    r = client.post(
        f"/api/cases/{case['id']}/vehicles",
        headers=officer,
        json={
            "plate": plate,
            "plate_colour": colour,
            "plate_type": type_code,
            "vin": vin,
            "owner_party_id": debtor,
        },
    )
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]
    assert count(db, Vehicle) == 0


def test_foreign_vin_with_bad_check_digit_is_kept_for_review(client: TestClient) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(client, officer, case, vin="WDB1240221A123456")
    assert link["vehicle"]["vin_needs_review"] is True


def test_plate_is_normalised_and_shown_as_written(client: TestClient) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(client, officer, case, plate="浙c·1o345", vin=None)
    assert link["vehicle"]["plate"] == "浙C10345"
    assert link["vehicle"]["plate_as_written"] == "浙c·1o345"


def _watch_attempt(
    client: TestClient,
    expires_on: str | None = None,
    scope: str = "330326",
    ruling: str = "(2026)浙0326执1234号之一",
) -> tuple[int, dict[str, str]]:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    link = register_vehicle(client, officer, case)
    body = {"vehicle_id": link["vehicle"]["id"], "ruling_number": ruling, "scope_code": scope}
    if expires_on:
        body["expires_on"] = expires_on
    r = client.post(f"/api/cases/{case['id']}/watches", headers=officer, json=body)
    return r.status_code, r.json()


def test_watch_longer_than_two_years_is_refused(client: TestClient, db: Database) -> None:
    status, body = _watch_attempt(client, expires_on="2028-11-24")
    assert status == 400 and body["error"] == "RuleViolation"
    assert "Art. 485" in body["rule"]
    assert count(db, Watch) == 0 and count(db, WatchlistChange) == 0


def test_watch_of_exactly_two_years_is_accepted(client: TestClient) -> None:
    status, body = _watch_attempt(client, expires_on="2028-11-23")
    assert status == 201 and body["expires_on"] == "2028-11-23"


def test_unknown_scope_is_refused(client: TestClient, db: Database) -> None:
    status, body = _watch_attempt(client, scope="990000")
    assert status == 404 and "990000" in body["detail"]
    assert count(db, Watch) == 0


def test_malformed_ruling_and_date_are_refused(client: TestClient) -> None:
    assert _watch_attempt(client, ruling="第1234号")[0] == 422


def test_malformed_date_is_refused(client: TestClient) -> None:
    status, body = _watch_attempt(client, expires_on="2027-02-30")
    assert status == 422 and "expires_on" in body["detail"]


def test_second_live_watch_of_the_same_court_is_a_conflict(client: TestClient, db: Database) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    vehicle_id = register_vehicle(client, officer, case)["vehicle"]["id"]
    issue_watch(client, officer, case, vehicle_id)
    r = client.post(
        f"/api/cases/{case['id']}/watches",
        headers=officer,
        json={"vehicle_id": vehicle_id, "ruling_number": "(2026)浙0326执1234号之二", "scope_code": "330300"},
    )
    assert r.status_code == 409 and "already" in r.json()["detail"]
    assert count(db, Watch) == 1


def test_renewal_after_expiry_is_refused(client: TestClient, clock: MovableClock) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    watch = issue_watch(
        client,
        officer,
        case,
        register_vehicle(client, officer, case)["vehicle"]["id"],
        expires_on="2026-12-31",
    )
    clock.advance(timedelta(days=40))  # 2027-01-02, the watch ended on 2026-12-31 and was not swept yet
    r = client.post(
        f"/api/watches/{watch['id']}/renew",
        headers=login(client, "py.officer"),
        json={"ruling_number": "(2026)浙0326执1234号之二"},
    )
    assert r.status_code == 409 and "lapsed" in r.json()["detail"]
    assert "Art. 485" in r.json()["rule"]


def test_other_court_queues_and_takes_effect_when_first_is_lifted(
    client: TestClient, world: factories.World
) -> None:
    py = login(client, "py.officer")
    case_py = open_case(client, py)
    vehicle_id = register_vehicle(client, py, case_py)["vehicle"]["id"]
    first = issue_watch(client, py, case_py, vehicle_id)

    lc = login(client, "lc.officer")
    case_lc = open_case(client, lc, "(2026)浙0302执77号")
    link = register_vehicle(client, lc, case_lc, confirm=vehicle_id)  # shown the Pingyang case first
    assert link["vehicle"]["id"] == vehicle_id  # the same car, one record
    queued = issue_watch(client, lc, case_lc, vehicle_id, scope="330300")
    assert queued["status"] == "queued" and queued["expires_on"] is None

    police = {"X-Api-Key": world.city_key}
    cursor = int(client.get("/api/police/watchlist/snapshot", headers=police).headers["X-Watchlist-Cursor"])
    assert (
        client.post(
            f"/api/watches/{first['id']}/lift", headers=py, json={"reason": "court_decision"}
        ).status_code
        == 200
    )
    now_active = client.get(f"/api/watches/{queued['id']}", headers=lc).json()
    assert now_active["status"] == "active" and now_active["starts_on"] == "2026-11-23"
    delta = client.get("/api/police/watchlist/changes", params={"after": cursor}, headers=police).json()
    assert [(c["kind"], c["watch_id"]) for c in delta["changes"]] == [
        ("lifted", first["id"]),
        ("issued", queued["id"]),
    ]
    assert delta["changes"][1]["entry"]["court"]["name"] == "温州市鹿城区人民法院"
    timeline = client.get(f"/api/cases/{case_lc['id']}/timeline", headers=lc).json()
    assert [e["kind"] for e in timeline][-2:] == ["watch.queued", "watch.activated"]


def test_lift_twice_is_a_conflict(client: TestClient) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    watch = issue_watch(client, officer, case, register_vehicle(client, officer, case)["vehicle"]["id"])
    assert (
        client.post(
            f"/api/watches/{watch['id']}/lift", headers=officer, json={"reason": "settlement"}
        ).status_code
        == 200
    )
    r = client.post(f"/api/watches/{watch['id']}/lift", headers=officer, json={"reason": "settlement"})
    assert r.status_code == 409


def test_lift_with_unknown_reason_is_malformed(client: TestClient) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    watch = issue_watch(client, officer, case, register_vehicle(client, officer, case)["vehicle"]["id"])
    r = client.post(f"/api/watches/{watch['id']}/lift", headers=officer, json={"reason": "bored"})
    assert r.status_code == 422 and r.json()["fields"] == ["reason"]


def test_deadline_in_a_guessed_year_is_provisional_until_the_schedule_is_loaded(client: TestClient) -> None:
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    vehicle_id = register_vehicle(client, officer, case)["vehicle"]["id"]
    first = issue_watch(client, officer, case, vehicle_id, expires_on="2028-03-01")
    assert first["expires_provisional"] is True  # 2028's holidays are not published yet

    admin = login(client, "root.admin")
    schedule = {
        "year": 2028,
        "source": "国务院办公厅关于2028年部分节假日安排的通知（测试）",
        "holidays": [{"name": "元旦", "start": "2028-01-01", "end": "2028-01-03"}],
        "workdays": [],
    }
    r = client.post("/api/admin/calendar-years", json=schedule, headers=admin)
    assert r.status_code == 201, r.text
    assert client.post("/api/admin/calendar-years", json=schedule, headers=officer).status_code == 403

    client.post(f"/api/watches/{first['id']}/lift", headers=officer, json={"reason": "court_decision"})
    second = issue_watch(client, officer, case, vehicle_id, expires_on="2028-03-01")
    assert second["expires_provisional"] is False


def test_bad_calendar_schedule_is_refused(client: TestClient) -> None:
    bad = {
        "year": 2028,
        "source": "x",
        "holidays": [{"name": "元旦", "start": "2029-01-01", "end": "2029-01-02"}],
    }
    r = client.post("/api/admin/calendar-years", json=bad, headers=login(client, "root.admin"))
    assert r.status_code == 422 and "holidays[0]" in r.json()["detail"]
