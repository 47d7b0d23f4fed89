"""From the hammer to the handover, over real HTTP with the simulated payment gateway: the balance paid in the
buyer's name or by a bank transfer the court checks, the ruling and the registry's notice issued on full
payment and read back from their PDFs, the one window, the ruling served, the handover at the gate to the
ruling's buyer only; and 悔拍 (网拍规定 Art. 24, 25; 拍卖变卖规定 Art. 20, 27; 登记规定 Art. 30, 90)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.simulators import payments as payments_sim
from api.simulators import registry as registry_sim
from auction import bidding, closing, rounds
from auction.models import AuctionLot, AuctionRound
from auction.settlement import balance
from auction.settlement import defaults as settlement_defaults
from auction.settlement.models import Settlement, SettlementStatus
from car_enforce.core import zh
from car_enforce.core.clock import MovableClock
from car_enforce.core.clock import local as clock_local
from car_enforce.core.db import Database
from car_enforce.core.errors import DomainError
from car_enforce.core.payments.webhooks import PaymentEvent, PaymentEventType
from car_enforce.core.settings import get_settings
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.custody.models import ReleaseOrder
from car_enforce.registry import RegistryClient
from car_enforce.registry import jobs as registry_jobs
from car_enforce.stages.models import StageReached
from tests import factories
from tests.api_helpers import DEBTOR_ID, VIN, login
from tests.auction_helpers import (
    DEPOSIT_FEN,
    LOSER_ID,
    PAPERS,
    PRICE,
    START_FEN,
    WINNER_ID,
    Listed,
    buyer,
    notify_all,
    pdf_text,
    plan,
    registered,
    settlement_of,
    sh,
    sold,
    user,
    valid_id,
)
from tests.live import serve

pytestmark = pytest.mark.usefixtures("centers")


def kinds(db: Database) -> list[str]:
    with db.unit_of_work(read_only=True) as s:
        return list(s.scalars(select(TimelineEvent.kind).order_by(TimelineEvent.id)))


@pytest.fixture
def base_url(app: FastAPI, db: Database) -> Iterator[str]:
    with serve(app) as url:
        yield url
        payments_sim.wait_for_deliveries()


def wait_for(db: Database, round_id: int, status: SettlementStatus, timeout_s: float = 10.0) -> Settlement:
    deadline = time.monotonic() + timeout_s
    while (found := settlement_of(db, round_id)).status != status:
        assert time.monotonic() < deadline, f"settlement is {found.status}"
        time.sleep(0.05)
    return found


def test_a_sold_round_opens_its_settlement_with_the_balance_due(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed = sold(db, clock, world, centers)
    settlement = settlement_of(db, listed.round_id)
    assert settlement.status == SettlementStatus.AWAITING_BALANCE
    assert (settlement.price_fen, settlement.deposit_fen) == (PRICE, DEPOSIT_FEN)
    assert settlement.balance_fen == PRICE - DEPOSIT_FEN
    assert settlement.buyer_name == "王二某" and settlement.buyer_number


def test_from_the_balance_to_the_handover_over_http(
    db: Database,
    clock: MovableClock,
    world: factories.World,
    centers: factories.Centers,
    base_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = sold(db, clock, world, centers)
    monkeypatch.setenv("CARENFORCE_PUBLIC_BASE_URL", base_url)
    get_settings.cache_clear()
    try:
        with httpx.Client(base_url=base_url, timeout=15) as http:
            me = login(http, "winner")
            mine = http.get("/api/auction/settlements", headers=me).json()
            assert [m["round_id"] for m in mine] == [listed.round_id]
            sid = mine[0]["id"]
            assert http.get("/api/auction/settlements", headers=login(http, "loser")).json() == []
            assert (
                http.get(f"/api/auction/settlements/{sid}", headers=login(http, "loser")).status_code == 404
            )

            # The one window first: papers for another buyer are refused and nothing is kept.
            other = http.post(
                f"/api/auction/settlements/{sid}/papers",
                json={**PAPERS, "id_number": LOSER_ID},
                headers=me,
            )
            assert other.status_code == 403 and "不符" in other.json()["detail_zh"]
            assert settlement_of(db, listed.round_id).papers is None
            r = http.post(f"/api/auction/settlements/{sid}/papers", json=PAPERS, headers=me)
            assert r.status_code == 200, r.text
            again = http.post(f"/api/auction/settlements/{sid}/papers", json=PAPERS, headers=me)
            assert again.status_code == 200
            assert kinds(db).count("auction.papers_received") == 1  # the same papers twice: taken once

            r = http.post(f"/api/auction/settlements/{sid}/balance-order", headers=me)
            assert r.status_code == 200, r.text
            pay_url = r.json()["pay_url"]
            assert (
                http.post(f"/api/auction/settlements/{sid}/balance-order", headers=me).json()["pay_url"]
                == pay_url
            )
            assert httpx.post(pay_url, data={"confirm": "1"}, timeout=10).status_code == 200
            settlement = wait_for(db, listed.round_id, SettlementStatus.RULED)
            assert settlement.transfer_status == "requested"

            # The registry (its simulator on the same loopback server) gets the ruling and the notice.
            registry = httpx.Client(
                base_url=f"{base_url}{registry_sim.PREFIX}",
                headers={"Authorization": f"Bearer {get_settings().registry_key}"},
                timeout=10,
            )
            filed = registry.post(
                "/control/files",
                json={
                    "plate": "浙C12345",
                    "vin": VIN,
                    "owner_name": "林某某",
                    "owner_id_number": DEBTOR_ID,
                    "inspection_valid_until": "2028-06-30",
                },
            )
            assert filed.status_code == 201, filed.text
            with RegistryClient() as client:
                registry_jobs.send_due(db, client)
            clock.advance(timedelta(hours=2, minutes=30))  # the registry's working time (登记规定 Art. 26)
            assert registry.post("/control/process-due").status_code == 200
            registry_sim.wait_for_deliveries()
            registered = settlement_of(db, listed.round_id)
            assert registered.transfer_status == "registered", registered.transfer_refusal
            assert registered.registration is not None and registered.registration["owner"].startswith("王")
            assert registered.paid_at is not None and registered.registered_at is not None
            # Paid and registered anew on the same working day (the Zhuji anchor, on the moved clock).
            assert clock_local(registered.registered_at).date() == clock_local(registered.paid_at).date()
    finally:
        monkeypatch.delenv("CARENFORCE_PUBLIC_BASE_URL")
        get_settings.cache_clear()

    # Paid in full: the ruling and the notice issued, the ruling served in the one window, the handover
    # ordered.
    # Numbered after the seizure ruling the watch rests on (…之一): a case numbers its documents in turn.
    assert settlement.paid_via == "gateway" and settlement.ruling_number.endswith("号之二")
    assert settlement.served_how.startswith("电子送达")
    with db.unit_of_work(read_only=True) as s:
        order = s.get(ReleaseOrder, settlement.release_order_id)
        assert order is not None and order.kind == "sale_handover"
        assert order.document_number == settlement.ruling_number
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None
    events = kinds(db)
    for kind in ("auction.balance_paid", "auction.ruling_issued", "auction.ruling_served"):
        assert events.count(kind) == 1, kind

    with httpx.Client(base_url=base_url, timeout=15) as http:
        me = login(http, "winner")
        ruling = http.get(f"/api/auction/settlements/{settlement.id}/documents/ruling.pdf", headers=me)
        assert ruling.status_code == 200 and ruling.headers["content-type"] == "application/pdf"
        text = pdf_text(ruling.content)
        for words in (
            "执行裁定书",
            settlement.ruling_number,
            "王二某",
            "平阳县人民法院",
            "林某某",
            zh.yuan_text(PRICE),
            "所有权",
        ):
            assert words in text, words
        notice = pdf_text(
            http.get(
                f"/api/auction/settlements/{settlement.id}/documents/registry_notice.pdf", headers=me
            ).content
        )
        for words in ("协助执行通知书", "车辆管理所", "王二某", "转移登记", settlement.ruling_number):
            assert words in notice, words
        # The gate: the ruling's buyer, with their ID, takes the car and its keys.
        staff = login(http, "py.center")
        custody_id = _custody_of(db, listed)
        wrong = http.post(
            f"/api/custody/{custody_id}/release",
            json={
                "order_id": settlement.release_order_id,
                "recipient_id_number": LOSER_ID,
                "keys_handed": 2,
            },
            headers=staff,
        )
        assert wrong.status_code == 403
        out = http.post(
            f"/api/custody/{custody_id}/release",
            json={
                "order_id": settlement.release_order_id,
                "recipient_id_number": WINNER_ID,
                "keys_handed": 2,
            },
            headers=staff,
        )
        assert out.status_code == 200, out.text
    done = settlement_of(db, listed.round_id)
    assert done.handed_over_at is not None and done.status == SettlementStatus.DONE
    with db.unit_of_work(read_only=True) as s:
        clocks = set(s.scalars(select(StageReached.stage)))
    # The stage clocks heard the steps: the ruling's 10 days ran from full payment, the handover's 15 from
    # service (拍卖变卖规定 Art. 20, 27), and both were met.
    assert {"paid_in_full", "ruling_served", "handed_over"} <= clocks


def _custody_of(db: Database, listed: Listed) -> int:
    with db.unit_of_work(read_only=True) as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        return lot.custody_id


def test_a_bank_transfer_counts_once_the_court_checked_it(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed = sold(db, clock, world, centers)
    sid = settlement_of(db, listed.round_id).id
    me, court = login(client, "winner"), login(client, "py.officer")
    url = f"/api/auction/settlements/{sid}/balance-proof"
    receipt = {"file": ("回单.pdf", b"%PDF-1.4 receipt", "application/pdf")}
    wrong = client.post(
        url, data={"reference": "BOC2026120001", "amount_fen": "1"}, files=receipt, headers=me
    )
    assert wrong.status_code == 422 and settlement_of(db, listed.round_id).proof is None
    balance = str(PRICE - DEPOSIT_FEN)
    r = client.post(
        url, data={"reference": "BOC2026120001", "amount_fen": balance}, files=receipt, headers=me
    )
    assert r.status_code == 200, r.text
    assert r.json()["proof_status"] == "submitted" and r.json()["status"] == "awaiting_balance"
    check = f"{url}/check"
    assert client.post(check, json={"accepted": True}, headers=me).status_code == 403
    r = client.post(check, json={"accepted": True}, headers=court)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paid" and r.json()["paid_via"] == "bank_proof"
    assert [d["kind"] for d in r.json()["documents"]] == ["ruling", "registry_notice"]
    twice = client.post(
        url, data={"reference": "BOC2026120002", "amount_fen": balance}, files=receipt, headers=me
    )
    assert twice.status_code == 409  # paid: a second payment is refused, nothing changes


def test_no_balance_in_time_is_a_default_and_the_buyer_is_barred(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed = sold(db, clock, world, centers)
    settlement = settlement_of(db, listed.round_id)
    court = login(client, "py.officer")
    url = f"/api/auction/rounds/{listed.round_id}/default"
    early = client.post(url, json={"reason": "未付余款"}, headers=court)
    assert early.status_code == 409  # the balance is not due yet
    clock.set(clock.now() + timedelta(days=30))
    r = client.post(url, json={"reason": "逾期未付余款"}, headers=login(client, "py.officer"))
    assert r.status_code == 200, r.text
    after = settlement_of(db, listed.round_id)
    assert after.status == SettlementStatus.DEFAULTED and after.defaulted_at is not None
    proof = client.post(
        f"/api/auction/settlements/{settlement.id}/balance-proof",
        data={"reference": "BOC2026120009", "amount_fen": str(settlement.balance_fen)},
        files={"file": ("回单.pdf", b"%PDF-1.4 receipt", "application/pdf")},
        headers=login(client, "winner"),
    )
    assert proof.status_code == 409
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(ReleaseOrder)) == 0


def test_a_resale_applies_the_forfeited_deposit_in_the_articles_order(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed = sold(db, clock, world, centers)
    due = settlement_of(db, listed.round_id).balance_due_on
    clock.set(sh(due.year, due.month, due.day, 9) + timedelta(days=1))
    assert settlement_defaults.warn_overdue(db) == [settlement_of(db, listed.round_id).id]
    assert settlement_defaults.warn_overdue(db) == []  # put before the court once
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None
        closing.record_default(s, actor=user(s, "py.officer"), rnd=rnd, reason="未按期支付余款")
    assert settlement_of(db, listed.round_id).forfeited_fen == DEPOSIT_FEN
    now = clock.now()
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        resale_id = rounds.draft_round(
            s,
            actor=user(s, "py.officer"),
            lot=lot,
            plan=plan(announced_at=now, starts_at=now + timedelta(days=16), ends_at=now + timedelta(days=17)),
        ).id
    notify_all(db, resale_id, on=(now - timedelta(days=5)).date())
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, resale_id)
        assert rnd is not None
        rounds.announce(s, actor=user(s, "py.officer"), rnd=rnd)
    registered(
        db, resale_id, buyer(db, "second", phone="13600000003"), 3, real_name="张三某", id_number=valid_id(3)
    )
    clock.set(now + timedelta(days=16, hours=1))
    with db.unit_of_work() as s:
        bidding.place_bid(s, who=user(s, "second"), round_id=resale_id, amount_fen=START_FEN)
    clock.set(now + timedelta(days=17, minutes=1))
    assert closing.close_due(db) == [resale_id]
    defaulted = settlement_of(db, listed.round_id)
    forfeit = defaulted.forfeit
    assert forfeit is not None and defaulted.forfeit_applied_at is not None
    # The storage of the days the default cost first, then the 500 yuan the resale fell short, then the debts.
    assert forfeit["costs_fen"] > 0 and forfeit["shortfall_fen"] == PRICE - START_FEN
    assert forfeit["costs_fen"] + forfeit["shortfall_fen"] + forfeit["debts_fen"] == DEPOSIT_FEN
    resold = settlement_of(db, resale_id)
    assert resold.buyer_name == "张三某" and resold.status == SettlementStatus.AWAITING_BALANCE
    assert kinds(db).count("auction.forfeit_applied") == 1


def test_a_balance_paid_to_the_wrong_lot_or_twice_changes_nothing(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed = sold(db, clock, world, centers)
    settlement = settlement_of(db, listed.round_id)
    due = settlement.balance_fen

    def paid(order_id: str, amount: int, reference: str) -> None:
        event = PaymentEvent(
            f"m-{order_id}-{amount}",
            PaymentEventType.ORDER_PAID,
            order_id,
            None,
            amount,
            clock.now(),
            reference,
        )
        with db.unit_of_work() as s:
            balance.order_paid(s, event)

    with pytest.raises(DomainError):  # an order of no settlement
        paid("po_x", due, "balance:999")
    with pytest.raises(DomainError):  # the right settlement, another amount
        paid("po_1", due - 1, f"balance:{settlement.id}")
    assert settlement_of(db, listed.round_id).status == SettlementStatus.AWAITING_BALANCE
    paid("po_1", due, f"balance:{settlement.id}")
    assert settlement_of(db, listed.round_id).paid_via == "gateway"
    with pytest.raises(DomainError):  # a second order paid on the same balance
        paid("po_2", due, f"balance:{settlement.id}")
    with pytest.raises(DomainError):  # the same order again, as a new message: the balance is not awaited
        paid("po_1", due, f"balance:{settlement.id}")
    assert kinds(db).count("auction.balance_paid") == 1
