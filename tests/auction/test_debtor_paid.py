"""The debtor pays in full before the sale: the lot is withdrawn, the watches lifted, the car ordered back to
its owner and handed over at the gate on the owner's ID; each step on the timeline, the applicants told. A
car already sold stays sold (查封规定 Art. 28; 网拍规定 Art. 24)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from auction.models import AuctionLot, AuctionRound
from car_enforce.cases.models import EnforcementCase
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.notify.models import Notification
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.custody.models import Custody, ReleaseOrder
from tests import factories
from tests.api_helpers import DEBTOR_ID, login
from tests.auction_helpers import Listed, listed_lot, priced_car, sold

pytestmark = pytest.mark.usefixtures("centers")
PAID = {"amount_fen": 38_650_000, "paid_on": "2026-11-30", "note": "被执行人全额履行"}


def rows(db: Database, model: type, **where: object) -> list:  # type: ignore[type-arg]
    with db.unit_of_work(read_only=True) as s:
        found = list(s.scalars(select(model).filter_by(**where)))
        for row in found:
            s.expunge(row)
        return found


def test_the_debtor_pays_and_everything_held_is_let_go(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed: Listed = listed_lot(db, priced_car(db, world, centers))
    case_id = listed.priced.case_id
    clock.set(clock.now().replace(year=2026, month=11, day=30, hour=3))
    court = login(client, "py.officer")
    [held] = rows(db, Custody, id=listed.priced.custody_id)
    seized = client.post(
        f"/api/cases/{case_id}/vehicles/{held.vehicle_id}/registry-seizure",
        json={
            "ruling_number": "（2026）浙0326执1234号之一",
            "notice_number": "（2026）浙0326执1234号之一（查封登记）",
        },
        headers=court,
    )
    assert seized.status_code == 201, seized.text
    assert (
        client.post(
            f"/api/cases/{case_id}/debtor-paid", json=PAID, headers=login(client, "lc.officer")
        ).status_code
        == 404
    )
    r = client.post(f"/api/cases/{case_id}/debtor-paid", json=PAID, headers=court)
    assert r.status_code == 200, r.text
    assert r.json()["debtor_paid_at"] is not None
    assert client.post(f"/api/cases/{case_id}/debtor-paid", json=PAID, headers=court).status_code == 409

    # The registry's seizure is released by a notice of its own (查封规定 Art. 28).
    requests = client.get(f"/api/cases/{case_id}/registry-requests", headers=court).json()
    assert [(r["kind"], r["status"]) for r in requests] == [("seize", "queued"), ("release", "queued")]
    [lot] = rows(db, AuctionLot, id=listed.lot_id)
    [rnd] = rows(db, AuctionRound, id=listed.round_id)
    assert (lot.status, rnd.status) == ("withdrawn", "withdrawn")
    [order] = rows(db, ReleaseOrder, custody_id=listed.priced.custody_id)
    assert order.kind == "return_to_owner" and order.recipient_name == "林某某"
    staff = login(client, "py.center")
    out = client.post(
        f"/api/custody/{listed.priced.custody_id}/release",
        json={"order_id": order.id, "recipient_id_number": DEBTOR_ID, "keys_handed": 2},
        headers=staff,
    )
    assert out.status_code == 200, out.text
    [custody] = rows(db, Custody, id=listed.priced.custody_id)
    assert custody.status == "released"
    kinds = [e.kind for e in rows(db, TimelineEvent, case_id=case_id)]
    assert (
        kinds.index("case.debtor_paid")
        < kinds.index("auction.withdrawn")
        < kinds.index("custody.release_ordered")
    )
    texts = [m.body for m in rows(db, Notification)]
    assert any("拍卖已撤回" in t for t in texts) and any("出库" in t or "解除扣押" in t for t in texts)


def test_a_sold_car_stays_sold_and_nothing_is_recorded(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed = sold(db, clock, world, centers)
    r = client.post(
        f"/api/cases/{listed.priced.case_id}/debtor-paid",
        json={**PAID, "paid_on": date(2026, 12, 10).isoformat()},
        headers=login(client, "py.officer"),
    )
    assert r.status_code == 409 and "已拍卖成交" in r.json()["detail_zh"]
    [case] = rows(db, EnforcementCase, id=listed.priced.case_id)
    assert case.debtor_paid_at is None
    assert "case.debtor_paid" not in [e.kind for e in rows(db, TimelineEvent, case_id=case.id)]
