"""One car's auction through the HTTP API: the lot, its round checked and announced, two buyers signed up
and registered, their bids (a retry answered with the first), the close, the 确认书 and the deposits."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from auction import bidders, closing
from auction.models import Deposit
from car_enforce.core import zh
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests import factories
from tests.api_helpers import login
from tests.auction_helpers import (
    BIDDING_ENDS,
    BIDDING_STARTS,
    DEPOSIT_FEN,
    INCREMENT_FEN,
    NOTICED_ON,
    START_FEN,
    SYSTEM,
    id_number,
    priced_car,
    sh,
)

pytestmark = pytest.mark.usefixtures("centers")


def round_body(**changes: Any) -> dict[str, Any]:
    body = {
        "starting_price_fen": START_FEN,
        "deposit_fen": DEPOSIT_FEN,
        "announced_at": sh(2026, 11, 23, 9).isoformat(),
        "starts_at": BIDDING_STARTS.isoformat(),
        "ends_at": BIDDING_ENDS.isoformat(),
    }
    return body | changes


def announced(
    client: TestClient, db: Database, world: factories.World, centers: factories.Centers
) -> dict[str, Any]:
    priced = priced_car(db, world, centers)
    officer = login(client, "py.officer")
    r = client.post("/api/auction/lots", json={"custody_id": priced.custody_id}, headers=officer)
    assert r.status_code == 201, r.text
    lot = r.json()
    r = client.post(f"/api/auction/lots/{lot['id']}/rounds", json=round_body(), headers=officer)
    assert r.status_code == 201, r.text
    rnd = r.json()
    for name in lot["to_notify"]:
        r = client.post(
            f"/api/auction/rounds/{rnd['id']}/notices",
            json={"to": name, "way": "served", "on": NOTICED_ON.isoformat()},
            headers=officer,
        )
        assert r.status_code == 201, r.text
    r = client.post(f"/api/auction/rounds/{rnd['id']}/announce", headers=officer)
    assert r.status_code == 200, r.text
    return r.json()


def signed_up(client: TestClient, username: str) -> dict[str, str]:
    r = client.post(
        "/api/buyers",
        json={"username": username, "password": factories.PASSWORD, "display_name": username},
    )
    assert r.status_code == 201, r.text
    return login(client, username)


def paid(db: Database, bidder_id: int) -> None:
    """The gateway's word that the deposit was paid (its webhook)."""
    with db.unit_of_work() as s:
        deposit = s.scalars(select(Deposit).where(Deposit.bidder_id == bidder_id)).one()
        bidders.deposit_paid(
            s, actor=SYSTEM, deposit=deposit, order_id=f"o-{bidder_id}", at=deposit.bidder.registered_at
        )


def test_a_round_below_70_percent_is_refused_naming_article_10(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    priced = priced_car(db, world, centers)
    officer = login(client, "py.officer")
    lot = client.post("/api/auction/lots", json={"custody_id": priced.custody_id}, headers=officer).json()
    r = client.post(
        f"/api/auction/lots/{lot['id']}/rounds",
        json=round_body(starting_price_fen=START_FEN - 1),
        headers=officer,
    )
    assert r.status_code == 400
    body = r.json()
    assert "第十条" in body["rule_zh"] and body["detail_zh"]
    assert client.get(f"/api/auction/lots/{lot['id']}", headers=officer).json()["rounds"] == []


def test_an_announcement_before_the_parties_had_3_days_is_refused(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    priced = priced_car(db, world, centers)
    officer = login(client, "py.officer")
    lot = client.post("/api/auction/lots", json={"custody_id": priced.custody_id}, headers=officer).json()
    rnd = client.post(f"/api/auction/lots/{lot['id']}/rounds", json=round_body(), headers=officer).json()
    r = client.post(f"/api/auction/rounds/{rnd['id']}/announce", headers=officer)
    assert r.status_code == 400 and "第十六条" in r.json()["rule_zh"]


def test_two_buyers_bid_and_the_round_closes_once(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    rnd = announced(client, db, world, centers)
    a, b = signed_up(client, "buyer.a"), signed_up(client, "buyer.b")
    ids = []
    for n, who in enumerate((a, b), start=1):
        r = client.post(
            f"/api/auction/rounds/{rnd['id']}/register",
            json={"real_name": f"张{n}某", "id_number": id_number(n)},
            headers=who,
        )
        assert r.status_code == 201, r.text
        assert r.json()["deposit"]["status"] == "pending" and r.json()["deposit_due_fen"] == DEPOSIT_FEN
        ids.append(r.json()["id"])
        paid(db, r.json()["id"])
    clock.set(BIDDING_STARTS + timedelta(hours=1))
    a, b = login(client, "buyer.a"), login(client, "buyer.b")  # the sign-up's tokens ran out meanwhile
    url = f"/api/auction/rounds/{rnd['id']}/bids"
    r = client.post(f"/api/auction/rounds/{rnd['id']}/maximum", json={"max_fen": START_FEN * 2}, headers=a)
    assert r.status_code == 400 and "最高出价" in r.json()["detail_zh"]  # the court did not allow maxima
    first = client.post(url, json={"amount_fen": START_FEN}, headers=a | {"Idempotency-Key": "a-1"})
    assert first.status_code == 201, first.text
    again = client.post(url, json={"amount_fen": START_FEN}, headers=a | {"Idempotency-Key": "a-1"})
    assert again.status_code == 200 and again.json()["bids"][0]["seq"] == 1
    late = BIDDING_ENDS - timedelta(seconds=10)
    clock.set(late)
    a, b = login(client, "buyer.a"), login(client, "buyer.b")
    r = client.post(url, json={"amount_fen": START_FEN + INCREMENT_FEN}, headers=b)
    assert r.status_code == 201, r.text
    assert r.json()["bids"][0]["end_moved"] is True
    room = client.get(f"/api/auction/rounds/{rnd['id']}/room").json()
    assert room["price_fen"] == START_FEN + INCREMENT_FEN and room["bids"] == 2
    assert room["next_min_fen"] == START_FEN + 2 * INCREMENT_FEN
    assert "张" not in str(room)  # bidders by number only

    clock.set(late + timedelta(minutes=5) + closing.GRACE)
    assert closing.close_due(db) == [rnd["id"]]
    assert closing.close_due(db) == []  # exactly once
    officer = login(client, "py.officer")
    confirmation = client.get(f"/api/auction/rounds/{rnd['id']}/confirmation", headers=officer).json()
    assert confirmation["buyer_name"] == "张2某" and confirmation["price_fen"] == START_FEN + INCREMENT_FEN
    assert confirmation["balance_fen"] == START_FEN + INCREMENT_FEN - DEPOSIT_FEN
    statuses = {
        x["id"]: x["deposit"]["status"]
        for x in client.get(f"/api/auction/rounds/{rnd['id']}/bidders", headers=officer).json()
    }
    assert statuses == {ids[0]: "releasing", ids[1]: "to_court"}
    r = client.post(url, json={"amount_fen": START_FEN + 2 * INCREMENT_FEN}, headers=a)
    assert r.status_code == 409
    pdf = client.get(f"/api/auction/rounds/{rnd['id']}/confirmation.pdf")  # published: no login (Art. 22)
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "成交确认书" in text and "张2某" in text and confirmation["number"] in text
    assert zh.yuan_text(START_FEN + INCREMENT_FEN) in text
    assert id_number(2) not in text and id_number(2)[-4:] in text  # the ID number masked
