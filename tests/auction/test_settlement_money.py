"""The sale's money on the case's account (一案一账号): the price received once paid in full, the car's costs
charged to the center when it leaves, the distribution in its order (costs, the enforcement fee, the
applicant), the books balanced; a forfeited deposit and a debtor's payment received once each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from auction import closing
from auction.models import AuctionLot, AuctionRound
from auction.settlement import balance, papers, service
from auction.settlement.schemas import PapersIn
from car_enforce.case_money import distribution, payees
from car_enforce.case_money import service as case_money
from car_enforce.case_money.accounts import BANK, received
from car_enforce.case_money.models import CasePayee, PayeeKind
from car_enforce.case_money.rules import enforcement_fee_fen
from car_enforce.case_money.schemas import PayeeIn
from car_enforce.cases.models import EnforcementCase
from car_enforce.core.clock import MovableClock
from car_enforce.core.clock import local as clock_local
from car_enforce.core.db import Database
from car_enforce.custody import release
from car_enforce.custody.models import Custody
from car_enforce.custody.schemas import ReleaseIn
from tests import factories
from tests.api_helpers import login
from tests.auction_helpers import (
    DEPOSIT_FEN,
    PAPERS,
    PRICE,
    WINNER_ID,
    listed_lot,
    priced_car,
    settlement_of,
    sh,
    sold,
    user,
)
from tests.case_money_helpers import balances

pytestmark = pytest.mark.usefixtures("centers")


def test_the_price_reaches_the_case_account_the_costs_come_first_and_the_books_balance(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed = sold(db, clock, world, centers)
    sid = settlement_of(db, listed.round_id).id
    with db.unit_of_work() as s:
        winner = user(s, "winner")
        settlement = service.lock(s, sid)
        papers.submit(s, who=winner, settlement=settlement, data=PapersIn(**PAPERS))
        balance.submit_proof(
            s,
            who=winner,
            settlement=settlement,
            reference="BOC2026120001",
            amount_fen=PRICE - DEPOSIT_FEN,
            file=b"%PDF-1.4 receipt",
        )
        balance.check_proof(s, actor=user(s, "py.officer"), settlement=settlement, accepted=True)
    case_id = settlement_of(db, listed.round_id).case_id
    money = balances(db, case_id)
    assert money[BANK] == PRICE and money[received("sale_proceeds")] == PRICE  # received once, in full

    with db.unit_of_work() as s:  # the buyer takes the car at the gate: its costs are the case's
        custody = s.get(Custody, s.get(AuctionLot, listed.lot_id).custody_id)  # type: ignore[union-attr]
        assert custody is not None
        release.release(
            s,
            actor=user(s, "py.center"),
            custody=custody,
            data=ReleaseIn(
                order_id=settlement_of(db, listed.round_id).release_order_id,
                recipient_id_number=WINNER_ID,
                keys_handed=2,
            ),
        )
    with db.unit_of_work() as s:
        center = s.scalars(select(CasePayee).where(CasePayee.case_id == case_id)).one()
        assert center.kind == PayeeKind.COST and "辅助事务办理中心" in center.name
        case = s.get(EnforcementCase, case_id)
        assert case is not None
        applicant = next(p for p in case.parties if p.role == "applicant")
        debtor = next(p for p in case.parties if p.role == "debtor")
        payees.add_payees(
            s,
            case,
            actor=user(s, "py.officer"),
            payees=[
                PayeeIn(party_id=applicant.id, account_number="6222000011112222"),
                PayeeIn(kind=PayeeKind.DEBTOR, party_id=debtor.id, account_number="6222000033334444"),
            ],
        )
        plan = distribution.distribute(s, case_id, actor=user(s, "py.officer"))
        standing = case_money.standing(s, case)
    costs = plan.costs_fen
    assert costs > 0 and plan.available_fen == PRICE
    assert plan.creditors_fen + plan.fee_fen + costs + plan.surplus_fen == PRICE
    assert plan.surplus_fen == 0  # the debt (386,500 yuan) is far above the price
    assert plan.fee_fen <= enforcement_fee_fen(plan.creditors_fen + plan.fee_fen)
    assert standing.problems == [] and standing.undistributed_fen == 0


def test_a_forfeited_deposit_is_received_once(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed = sold(db, clock, world, centers)
    due = settlement_of(db, listed.round_id).balance_due_on
    clock.set(sh(due.year, due.month, due.day, 9) + timedelta(days=1))
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None
        closing.record_default(s, actor=user(s, "py.officer"), rnd=rnd, reason="未按期支付余款")
    case_id = settlement_of(db, listed.round_id).case_id
    assert balances(db, case_id)[received("forfeited_deposit")] == DEPOSIT_FEN


def test_a_debtors_payment_is_received_once(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    other = listed_lot(db, priced_car(db, world, centers))
    r = client.post(
        f"/api/cases/{other.priced.case_id}/debtor-paid",
        json={"amount_fen": 38_650_000, "paid_on": clock_local(clock.now()).date().isoformat()},
        headers=login(client, "py.officer"),
    )
    assert r.status_code == 200, r.text
    assert balances(db, other.priced.case_id)[received("debtor_payment")] == 38_650_000
