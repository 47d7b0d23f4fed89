"""The scheduler's watch sweep under a moved clock: reminders 30, 7 and 1 days before, lapse after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.db import Database
from car_enforce.core.notify.models import Channel, Notification
from car_enforce.watches.jobs import sweep_watches
from tests import factories
from tests.api_helpers import issue_watch, login, open_case, register_vehicle


@pytest.fixture
def setup(
    app: FastAPI, db: Database, clock: MovableClock
) -> Iterator[tuple[TestClient, factories.World, dict[str, object]]]:
    world = factories.world(db)
    with TestClient(app) as client:
        officer = login(client, "py.officer")
        case = open_case(client, officer)
        watch = issue_watch(
            client,
            officer,
            case,
            register_vehicle(client, officer, case)["vehicle"]["id"],
            expires_on="2026-12-31",
        )
        yield client, world, watch


def sms_to_officer(db: Database) -> list[str]:
    with db.unit_of_work(read_only=True) as s:
        return list(
            s.scalars(
                select(Notification.body)
                .where(Notification.channel == Channel.SMS, Notification.recipient == "13800000326")
                .order_by(Notification.id)
            )
        )


def at(clock: MovableClock, day: str) -> None:
    clock.set(datetime.fromisoformat(f"{day}T08:00:00").replace(tzinfo=SHANGHAI))


def test_reminders_once_each_then_lapse(
    setup: tuple[TestClient, factories.World, dict[str, object]], db: Database, clock: MovableClock
) -> None:
    client, world, watch = setup
    at(clock, "2026-11-30")
    assert sweep_watches(db).reminded == []
    at(clock, "2026-12-01")  # 30 days before the last day
    assert sweep_watches(db).reminded == [(watch["id"], 30)]
    assert sweep_watches(db).reminded == []  # a rerun sends nothing twice
    at(clock, "2026-12-24")
    assert sweep_watches(db).reminded == [(watch["id"], 7)]
    at(clock, "2026-12-30")
    assert sweep_watches(db).reminded == [(watch["id"], 1)]
    at(clock, "2026-12-31")  # the last day in force: still active
    assert sweep_watches(db).lapsed == []
    cursor = int(
        client.get("/api/police/watchlist/snapshot", headers={"X-Api-Key": world.pingyang_key}).headers[
            "X-Watchlist-Cursor"
        ]
    )
    at(clock, "2027-01-01")
    report = sweep_watches(db)
    assert report.lapsed == [watch["id"]]
    assert sweep_watches(db).lapsed == []

    texts = sms_to_officer(db)
    assert len(texts) == 4
    assert "还有30天" in texts[0] and "还有7天" in texts[1] and "还有1天" in texts[2]
    assert "浙C12345" in texts[3] and "自动失效" in texts[3]
    delta = client.get(
        "/api/police/watchlist/changes", params={"after": cursor}, headers={"X-Api-Key": world.pingyang_key}
    ).json()
    assert [c["kind"] for c in delta["changes"]] == ["lapsed"]
    w = client.get(f"/api/watches/{watch['id']}", headers=login(client, "py.officer")).json()
    assert w["status"] == "lapsed"


def test_missed_reminders_are_not_sent_stale(
    setup: tuple[TestClient, factories.World, dict[str, object]], db: Database, clock: MovableClock
) -> None:
    _, _, watch = setup
    at(clock, "2026-12-28")  # the sweep did not run for weeks: only the 7-day reminder is relevant
    assert sweep_watches(db).reminded == [(watch["id"], 7)]
    at(clock, "2026-12-29")
    assert sweep_watches(db).reminded == []
    assert len(sms_to_officer(db)) == 1


def test_renewal_resets_the_reminders(
    setup: tuple[TestClient, factories.World, dict[str, object]], db: Database, clock: MovableClock
) -> None:
    client, _, watch = setup
    at(clock, "2026-12-01")
    assert sweep_watches(db).reminded == [(watch["id"], 30)]
    r = client.post(
        f"/api/watches/{watch['id']}/renew",
        headers=login(client, "py.officer"),
        json={"ruling_number": "(2026)浙0326执1234号之二", "expires_on": "2027-01-29"},
    )
    assert r.status_code == 200, r.text
    at(clock, "2026-12-30")
    assert sweep_watches(db).reminded == [(watch["id"], 30)]  # 30 days before the new last day
