"""Custody requests racing over real HTTP: one intake, one release, one charge per key, never a 5xx."""

from __future__ import annotations

from datetime import date

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.custody.models import Custody, CustodyCharge, CustodyEvent, CustodyEventKind
from tests import factories
from tests.api_helpers import login
from tests.concurrency_helpers import at_once
from tests.custody_helpers import arrived_capture, intake_body, set_tariff, taken_in
from tests.live import serve

TODAY = date(2026, 11, 23)
OWNER_ID = "330326199001011236"


def _world(db: Database) -> tuple[factories.World, factories.Centers]:
    world = factories.world(db)
    return world, factories.centers(db, world.region)


def test_one_capture_taken_in_at_once_makes_one_custody(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    world, centers = _world(db)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        staff = login(http, "py.center")
        set_tariff(http, staff, centers.pingyang, TODAY)  # type: ignore[arg-type]
        _, capture = arrived_capture(http, world.pingyang_key)  # type: ignore[arg-type]
        url = f"/api/captures/{capture['id']}/intake"
        responses = at_once([lambda: http.post(url, json=intake_body(), headers=staff)] * 3)
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409], [r.text for r in responses]
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Custody)) == 1
        assert s.scalar(select(func.count()).select_from(CustodyCharge)) == 1
        assert s.scalar(select(func.count()).select_from(CustodyEvent)) == 1


def test_a_release_racing_a_move_and_another_release_lets_the_car_out_once(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    world, centers = _world(db)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        car = taken_in(http, world.pingyang_key, centers.pingyang, tariff_from=TODAY)  # type: ignore[arg-type]
        custody = car.custody["id"]
        order = http.post(
            f"/api/custody/{custody}/release-orders",
            json={
                "kind": "return_to_owner",
                "document_number": "（2026）浙0326执1234号之二",
                "recipient_name": "林某某",
                "recipient_id_number": OWNER_ID,
            },
            headers=car.officer,
        ).json()
        body = {"order_id": order["id"], "recipient_id_number": OWNER_ID, "keys_handed": 2}
        responses = at_once(
            [lambda: http.post(f"/api/custody/{custody}/release", json=body, headers=car.staff)] * 2
            + [
                lambda: http.post(
                    f"/api/custody/{custody}/moves", json={"to_place": "B-01"}, headers=car.staff
                )
            ]
        )
    releases, move = responses[:2], responses[2]
    assert sorted(r.status_code for r in releases) == [200, 409], [r.text for r in releases]
    assert move.status_code in (201, 409), move.text
    with db.unit_of_work(read_only=True) as s:
        links = s.execute(select(CustodyEvent.seq, CustodyEvent.kind).order_by(CustodyEvent.seq)).all()
    kinds = [kind for _, kind in links]
    assert kinds.count(CustodyEventKind.RELEASE) == 1
    assert kinds[-1] == CustodyEventKind.RELEASE  # nothing moved after the car left
    assert [seq for seq, _ in links] == list(range(1, len(links) + 1))


def test_one_charge_key_sent_at_once_is_one_charge(app: FastAPI, db: Database, clock: MovableClock) -> None:
    world, centers = _world(db)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        car = taken_in(http, world.pingyang_key, centers.pingyang, tariff_from=TODAY)  # type: ignore[arg-type]
        url = f"/api/custody/{car.custody['id']}/charges"
        body = {"amount_fen": 8000, "description": "电瓶搭电", "charge_key": "INV-1"}
        responses = at_once([lambda: http.post(url, json=body, headers=car.staff)] * 4)
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(CustodyCharge)) == 2  # the towing and this one
