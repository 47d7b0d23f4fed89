"""The hash-chained timeline: intact chains verify; an edited or deleted event is named."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.principal import Principal
from car_enforce.core.settings import PROJECT_ROOT
from car_enforce.core.timeline import service as timeline
from tests import factories
from tests.api_helpers import issue_watch, login, open_case, register_vehicle


@pytest.fixture
def story(app: FastAPI, db: Database, clock: MovableClock) -> Iterator[tuple[TestClient, int]]:
    factories.world(db)
    with TestClient(app) as client:
        officer = login(client, "py.officer")
        case = open_case(client, officer)
        issue_watch(client, officer, case, register_vehicle(client, officer, case)["vehicle"]["id"])
        yield client, case["id"]


def event_id(db: Database, case_id: int, kind: str) -> int:
    with db.unit_of_work(read_only=True) as s:
        return int(
            s.execute(
                text("SELECT id FROM timeline_event WHERE case_id = :c AND kind = :k"),
                {"c": case_id, "k": kind},
            ).scalar_one()
        )


def test_every_step_is_on_the_case_timeline(story: tuple[TestClient, int]) -> None:
    client, case_id = story
    events = client.get(f"/api/cases/{case_id}/timeline", headers=login(client, "py.officer")).json()
    assert [e["kind"] for e in events] == ["case.opened", "vehicle.registered", "watch.issued"]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert all(e["actor"] == "user:py.officer" for e in events)


def test_intact_timeline_verifies(story: tuple[TestClient, int], db: Database) -> None:
    client, _ = story
    with db.unit_of_work(read_only=True) as s:
        events = s.execute(text("SELECT count(*) FROM timeline_event")).scalar_one()
    r = client.get("/api/admin/timeline/verify", headers=login(client, "root.admin"))
    # The system chain and the case's, every event of both read.
    assert r.json() == {"intact": True, "problems": [], "chains_checked": 2, "events_checked": events}


def test_edited_event_is_named(story: tuple[TestClient, int], db: Database) -> None:
    client, case_id = story
    target = event_id(db, case_id, "vehicle.registered")
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE timeline_event SET actor = 'user:someone.else' WHERE id = :i"), {"i": target}
        )
    with db.unit_of_work(read_only=True) as s:
        problems = timeline.verify(s)
    assert len(problems) == 1
    assert problems[0].event_id == target and problems[0].chain == f"case:{case_id}"
    r = client.get("/api/admin/timeline/verify", headers=login(client, "root.admin")).json()
    assert r["intact"] is False and f"event {target}" in r["problems"][0]


def test_deleted_event_is_detected(story: tuple[TestClient, int], db: Database) -> None:
    _, case_id = story
    with db.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM notification WHERE event_id = :i"),
            {"i": event_id(db, case_id, "vehicle.registered")},
        )
        conn.execute(
            text("DELETE FROM timeline_event WHERE id = :i"),
            {"i": event_id(db, case_id, "vehicle.registered")},
        )
    with db.unit_of_work(read_only=True) as s:
        problems = [str(p) for p in timeline.verify(s)]
    assert any("missing" in p and "seq 2" in p for p in problems)


def test_deleting_the_newest_event_is_detected(story: tuple[TestClient, int], db: Database) -> None:
    _, case_id = story
    newest = event_id(db, case_id, "watch.issued")
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM notification WHERE event_id = :i"), {"i": newest})
        conn.execute(text("DELETE FROM timeline_event WHERE id = :i"), {"i": newest})
    with db.unit_of_work(read_only=True) as s:
        problems = [str(p) for p in timeline.verify(s)]
    assert problems and "head says seq 3 but the chain ends at 2" in problems[0]


def test_cli_verify_fails_naming_the_edited_event(story: tuple[TestClient, int], db: Database) -> None:
    _, case_id = story
    env = {**os.environ, "CARENFORCE_DATABASE_URL": db.url}
    ok = subprocess.run(
        [sys.executable, "-m", "api", "timeline", "verify"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    target = event_id(db, case_id, "watch.issued")
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE timeline_event SET reason = 'nothing happened' WHERE id = :i"), {"i": target}
        )
    bad = subprocess.run(
        [sys.executable, "-m", "api", "timeline", "verify"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert f"event {target}" in bad.stderr and "edited" in bad.stderr


def test_system_chain_records_administration(db: Database, clock: MovableClock) -> None:
    with db.unit_of_work() as s:
        timeline.record(
            s,
            actor=Principal.system("test"),
            kind="calendar.year_loaded",
            subject="calendar:2027",
            case_id=None,
            data={"days": 3},
        )
    with db.unit_of_work(read_only=True) as s:
        assert timeline.verify(s) == []
        assert timeline.verify(s, chain="system") == []
