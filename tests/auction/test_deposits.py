"""Deposits through the payment gateway, over real HTTP: the platform on loopback with its simulated gateway
mounted; a bidder pays the order in their own name, the gateway's signed notification makes them eligible,
and after the close the losers' deposits go back, the buyer's to the court (网拍规定 Art. 17, 23, 25)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from api.simulators import payments as payments_sim
from api.simulators.models import SimPaymentTransfer
from auction import bidding, closing, deposits
from auction.models import AuctionBidder, Deposit, DepositStatus
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.schemas import BankAccountIn
from car_enforce.core.identity.service import set_bank_account
from car_enforce.core.outbound import RetryPolicy
from car_enforce.core.payments import OrderStatus, PaymentGateway
from car_enforce.core.settings import Settings, get_settings
from tests import factories
from tests.auction_helpers import (
    BIDDING_STARTS,
    DEPOSIT_FEN,
    START_FEN,
    Listed,
    buyer,
    listed_lot,
    priced_car,
    registered,
    user,
)
from tests.live import serve

pytestmark = pytest.mark.usefixtures("centers")


@pytest.fixture
def base_url(app: FastAPI, db: Database) -> Iterator[str]:
    with serve(app) as url:
        yield url
        payments_sim.wait_for_deliveries()  # no notification of this test may reach the next one's database


def gateway(base_url: str) -> PaymentGateway:
    values = get_settings().model_dump() | {
        "payment_gateway_url": f"{base_url}{payments_sim.PREFIX}",
        "payment_notify_url": f"{base_url}/api/payments/notifications",
    }
    return PaymentGateway(
        Settings(_env_file=None, **values), retry=RetryPolicy(attempts=2, base_delay_s=0.01)
    )


def status_of(db: Database, bidder_id: int) -> str:
    with db.unit_of_work(read_only=True) as s:
        return str(s.scalars(select(Deposit.status).where(Deposit.bidder_id == bidder_id)).one())


def wait_for(db: Database, bidder_id: int, status: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while status_of(db, bidder_id) != status:
        assert time.monotonic() < deadline, f"deposit of bidder {bidder_id} is {status_of(db, bidder_id)}"
        time.sleep(0.05)


def paid_through_the_gateway(db: Database, base_url: str, listed: Listed, n: int, name: str) -> AuctionBidder:
    who = buyer(db, f"payer{n}", phone=f"1360000000{n}")
    bidder = registered(db, listed.round_id, who, n, pay=False, real_name=name)
    with gateway(base_url) as gw:
        pay_url = deposits.start_payment(db, who=who, bidder_id=bidder.id, gateway=gw)
    page = httpx.get(pay_url, timeout=10)
    assert page.status_code == 200 and "确认支付" in page.text
    assert httpx.post(pay_url, data={"confirm": "1"}, timeout=10).status_code == 200  # the payer's bank
    wait_for(db, bidder.id, DepositStatus.HELD)
    return bidder


def test_deposits_are_paid_at_the_gateway_and_moved_after_the_close(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers, base_url: str
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    loser = paid_through_the_gateway(db, base_url, listed, 1, "李一某")
    winner = paid_through_the_gateway(db, base_url, listed, 2, "王二某")
    with db.unit_of_work() as s:  # the court's designated account (Art. 25), as its administrator set it
        account = BankAccountIn(bank_name="平阳县人民法院案款专户", bank_account="3301040160009876")
        set_bank_account(s, actor=factories.SYSTEM, organisation_id=world.pingyang_court, data=account)
    clock.set(BIDDING_STARTS)
    with db.unit_of_work() as s:
        bidding.place_bid(s, who=user(s, "payer1"), round_id=listed.round_id, amount_fen=START_FEN)
        bidding.place_bid(s, who=user(s, "payer2"), round_id=listed.round_id, amount_fen=START_FEN + 50_000)
    clock.set(BIDDING_STARTS + timedelta(days=2))
    assert closing.close_due(db) == [listed.round_id]
    with gateway(base_url) as gw:
        moved = deposits.move_due(db, gw)
        assert sorted(moved) == ["paid_to_court", "released"]
        assert deposits.move_due(db, gw) == []  # each deposit moves once
        with db.unit_of_work(read_only=True) as s:
            orders = {d.bidder_id: d.order_id for d in s.scalars(select(Deposit))}
        back, court = gw.get_order(orders[loser.id]), gw.get_order(orders[winner.id])
    assert back.status is OrderStatus.REFUNDED and back.refunded_fen == DEPOSIT_FEN
    assert court.status is OrderStatus.TRANSFERRED and court.transferred_fen == DEPOSIT_FEN
    with db.unit_of_work(read_only=True) as s:
        assert list(s.scalars(select(SimPaymentTransfer.to_account))) == ["3301040160009876"]


def test_a_notification_with_a_bad_signature_changes_nothing(client: httpx.Client) -> None:
    body = b'{"type":"order.paid","timestamp":"2026-11-23T01:00:00Z","data":{"order_id":"x","amount_fen":1}}'
    r = client.post(
        "/api/payments/notifications",
        content=body,
        headers={"webhook-id": "msg_1", "webhook-timestamp": "1795395600", "webhook-signature": "v1,AAAA"},
    )
    assert r.status_code == 401 and r.json()["detail_zh"]


def test_a_buyer_pays_through_the_api_on_one_machine(
    db: Database,
    clock: MovableClock,
    world: factories.World,
    centers: factories.Centers,
    base_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The API's deposit order on SQLite too: the gateway the platform serves itself is asked with no
    transaction of the request open, so it can write its order to the same database."""
    listed = listed_lot(db, priced_car(db, world, centers))
    monkeypatch.setenv("CARENFORCE_PUBLIC_BASE_URL", base_url)
    get_settings.cache_clear()
    try:
        with httpx.Client(base_url=base_url, timeout=15) as http:
            password = factories.PASSWORD
            r = http.post(
                "/api/buyers", json={"username": "api.payer", "password": password, "display_name": "x"}
            )
            assert r.status_code == 201, r.text
            token = http.post("/api/auth/login", json={"username": "api.payer", "password": password}).json()
            auth = {"Authorization": f"Bearer {token['access_token']}"}
            r = http.post(
                f"/api/auction/rounds/{listed.round_id}/register",
                json={"real_name": "赵三某", "id_number": "330326199001010012"},
                headers=auth,
            )
            assert r.status_code == 201, r.text
            bidder_id = r.json()["id"]
            r = http.post(f"/api/auction/bidders/{bidder_id}/deposit-order", headers=auth)
            assert r.status_code == 200, r.text
            pay_url = r.json()["pay_url"]
            again = http.post(f"/api/auction/bidders/{bidder_id}/deposit-order", headers=auth)
            assert again.json()["pay_url"] == pay_url  # one order, however often asked
            assert httpx.post(pay_url, data={"confirm": "1"}, timeout=10).status_code == 200
            wait_for(db, bidder_id, DepositStatus.HELD)
    finally:
        monkeypatch.delenv("CARENFORCE_PUBLIC_BASE_URL")
        get_settings.cache_clear()


def _sold_with_two_deposits(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers, base_url: str
) -> tuple[Listed, AuctionBidder, AuctionBidder]:
    listed = listed_lot(db, priced_car(db, world, centers))
    loser = paid_through_the_gateway(db, base_url, listed, 1, "李一某")
    winner = paid_through_the_gateway(db, base_url, listed, 2, "王二某")
    with db.unit_of_work() as s:  # the court's designated account (Art. 25), as its administrator set it
        account = BankAccountIn(bank_name="平阳县人民法院案款专户", bank_account="3301040160009876")
        set_bank_account(s, actor=factories.SYSTEM, organisation_id=world.pingyang_court, data=account)
    clock.set(BIDDING_STARTS)
    with db.unit_of_work() as s:
        bidding.place_bid(s, who=user(s, "payer1"), round_id=listed.round_id, amount_fen=START_FEN)
        bidding.place_bid(s, who=user(s, "payer2"), round_id=listed.round_id, amount_fen=START_FEN + 50_000)
    clock.set(BIDDING_STARTS + timedelta(days=2))
    assert closing.close_due(db) == [listed.round_id]
    return listed, loser, winner


def test_a_transfer_the_bank_declines_is_not_taken_for_paid_and_is_tried_again(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers, base_url: str
) -> None:
    _, _, winner = _sold_with_two_deposits(db, clock, world, centers, base_url)
    control = httpx.post(
        f"{base_url}{payments_sim.PREFIX}/failure-mode",
        json={"mode": "decline", "count": 1},
        headers={"Authorization": f"Bearer {get_settings().payment_gateway_key}"},
        timeout=10,
    )
    assert control.status_code == 200, control.text
    with gateway(base_url) as gw:
        assert deposits.move_due(db, gw) == ["released"]  # the loser's back; the buyer's declined
        assert status_of(db, winner.id) == DepositStatus.TO_COURT
        assert deposits.move_due(db, gw) == ["paid_to_court"]  # a new transfer, once the bank takes it
    with db.unit_of_work(read_only=True) as s:
        deposit = s.scalars(select(Deposit).where(Deposit.bidder_id == winner.id)).one()
        assert deposit.attempts == 2 and deposit.last_error == ""


def test_a_deposit_paid_after_the_close_goes_straight_back(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers, base_url: str
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    who = buyer(db, "late.payer", phone="13600000009")
    late = registered(db, listed.round_id, who, 9, pay=False, real_name="迟某")
    with gateway(base_url) as gw:
        pay_url = deposits.start_payment(db, who=who, bidder_id=late.id, gateway=gw)
    clock.set(BIDDING_STARTS + timedelta(days=2))
    assert closing.close_due(db) == [listed.round_id]  # unsold; the order was never paid
    assert httpx.post(pay_url, data={"confirm": "1"}, timeout=10).status_code == 200
    wait_for(db, late.id, DepositStatus.RELEASING)
    with gateway(base_url) as gw:
        assert deposits.move_due(db, gw) == ["released"]
