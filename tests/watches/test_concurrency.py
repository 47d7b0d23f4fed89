"""Concurrent requests over real HTTP: a race never stores a duplicate and never answers 5xx."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from car_enforce.captures.models import Capture
from car_enforce.cases.models import EnforcementCase
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.sightings.models import Alert, AlertDispatch, ReadCount, Sighting
from car_enforce.watches.models import Watch, WatchStatus
from tests import factories
from tests.api_helpers import case_body, login, open_case, register_vehicle
from tests.concurrency_helpers import at_once
from tests.live import serve


def test_same_idempotency_key_at_once_opens_one_case(app: FastAPI, db: Database, clock: MovableClock) -> None:
    factories.world(db)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        headers = {**login(http, "py.officer"), "Idempotency-Key": "race-1"}
        responses = at_once([lambda: http.post("/api/cases", json=case_body(), headers=headers)] * 4)
    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.json()["id"] for r in responses}) == 1
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(EnforcementCase)) == 1


def test_two_courts_issuing_at_once_give_one_active_and_one_queued(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    factories.world(db)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        calls = []
        known: int | None = None  # the second court confirms the car the first registered
        for username, number in (
            ("py.officer", "(2026)浙0326执1234号"),
            ("lc.officer", "(2026)浙0302执77号"),
        ):
            officer = login(http, username)
            case = open_case(http, officer, number)
            link = register_vehicle(http, officer, case, vin=None, confirm=known)
            known = link["vehicle"]["id"]
            body = {
                "vehicle_id": link["vehicle"]["id"],
                "ruling_number": f"{number}之一",
                "scope_code": "330300",
            }
            calls.append(
                lambda case=case, officer=officer, body=body: http.post(
                    f"/api/cases/{case['id']}/watches", json=body, headers=officer
                )
            )
        responses = at_once(calls)
    assert sorted(r.status_code for r in responses) == [201, 201], [r.text for r in responses]
    assert sorted(r.json()["status"] for r in responses) == ["active", "queued"]
    with db.unit_of_work(read_only=True) as s:
        statuses = sorted(s.scalars(select(Watch.status)))
    assert statuses == [WatchStatus.ACTIVE, WatchStatus.QUEUED]


def _capture_report(number: str) -> dict[str, Any]:
    return {
        "report_number": number,
        "plate": "浙C12345",
        "captured_at": "2026-11-23T08:40:00+08:00",
        "place": {"lon": 120.45, "lat": 27.65, "datum": "WGS84"},
        "officers": [{"name": "陈警官", "badge_number": "033261"}],
        "handover": {"registration_certificate": True, "keys": 2},
    }


def test_a_capture_report_sent_at_once_and_a_second_unit_racing_it_store_one_capture(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    world = factories.world(db)
    factories.centers(db, world.region)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        officer = login(http, "py.officer")
        case = open_case(http, officer)
        link = register_vehicle(http, officer, case)
        body = {
            "vehicle_id": link["vehicle"]["id"],
            "ruling_number": f"{case['case_number']}之一",
            "scope_code": "330300",
        }
        assert http.post(f"/api/cases/{case['id']}/watches", json=body, headers=officer).status_code == 201
        same = {"X-Api-Key": world.pingyang_key}
        other = {"X-Api-Key": world.city_key}
        responses = at_once(
            [lambda: http.post("/api/police/captures", json=_capture_report("PY-1"), headers=same)] * 3
            + [lambda: http.post("/api/police/captures", json=_capture_report("WZ-9"), headers=other)]
        )
    codes = [r.status_code for r in responses]
    assert all(c in (200, 201, 409) for c in codes), [r.text for r in responses]
    assert codes.count(201) == 1
    ids = {r.json()["id"] for r in responses if r.status_code in (200, 201)}
    assert len(ids) == 1
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Capture)) == 1
        assert sorted(s.scalars(select(Watch.status))) == [WatchStatus.FULFILLED]


def _watched_car(http: httpx.Client) -> None:
    officer = login(http, "py.officer")
    case = open_case(http, officer)
    link = register_vehicle(http, officer, case)
    r = http.post(
        f"/api/cases/{case['id']}/watches",
        headers=officer,
        json={
            "vehicle_id": link["vehicle"]["id"],
            "ruling_number": f"{case['case_number']}之一",
            "scope_code": "330326",
        },
    )
    assert r.status_code == 201, r.text


def _read(read_id: str, second: int) -> dict[str, Any]:
    return {
        "plate": "浙C12345",
        "read_at": f"2026-11-23T08:59:{second:02d}+08:00",
        "camera_id": "gate-1",
        "lon": 120.45,
        "lat": 27.65,
        "datum": "WGS84",
        "read_id": read_id,
    }


def test_reads_of_one_pass_sent_at_once_raise_one_alert(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    world = factories.world(db)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        _watched_car(http)
        key = {"X-Api-Key": world.pingyang_key}
        calls = [
            (lambda i=i: http.post("/api/police/reads", headers=key, json={"reads": [_read(f"f{i}", i)]}))
            for i in range(6)
        ]
        responses = at_once(calls)
    assert [r.status_code for r in responses] == [200] * 6, [
        r.text for r in responses if r.status_code != 200
    ]
    assert len({alert for r in responses for alert in r.json()["alerts"]}) == 1
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 1
        assert s.scalar(select(Alert.sightings)) == 6
        assert s.scalar(select(func.count()).select_from(AlertDispatch)) == 1


def test_one_batch_posted_at_once_is_ingested_once(app: FastAPI, db: Database, clock: MovableClock) -> None:
    world = factories.world(db)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        _watched_car(http)
        body = {"reads": [_read("only", 1), {**_read("other", 2), "plate": "浙C99999"}]}
        key = {"X-Api-Key": world.pingyang_key}
        responses = at_once([lambda: http.post("/api/police/reads", headers=key, json=body)] * 4)
    assert [r.status_code for r in responses] == [200] * 4
    assert sorted(r.json()["replayed"] for r in responses) == [False, True, True, True]
    assert len({tuple(r.json()["alerts"]) for r in responses}) == 1
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Sighting)) == 1
        assert s.scalar(select(func.sum(ReadCount.reads))) == 2
