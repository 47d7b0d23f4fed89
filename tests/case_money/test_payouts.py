"""Payouts through the simulated payment gateway over loopback HTTP: each paid once under its key, even
when our commit fails after the gateway paid or the gateway cannot be reached; a declined payout fails,
nothing is posted as paid, and only a person sends it again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from api.simulators.models import SimPaymentTransfer
from car_enforce.case_money import accounts as acct
from car_enforce.case_money import distribution, entries, figures
from car_enforce.case_money import payouts as payout_verbs
from car_enforce.case_money.accounts import Source
from car_enforce.case_money.models import CasePayout, PayoutStatus
from car_enforce.core import ledger
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.notify.models import Notification
from tests.case_money_helpers import (
    MoneyCase,
    balances,
    commit_fails_once_when,
    money_case,
    payouts,
    standard_payees,
)
from tests.factories import World
from tests.payments_helpers import Harness

AMOUNT = 1_000_000  # 10,000 yuan received


@pytest.fixture
def case(db: Database, world: World, harness: Harness) -> MoneyCase:
    """A case whose 10,000 yuan are distributed (no fee): 10,000 yuan due to the applicant."""
    case = money_case(db)
    standard_payees(db, case)
    with db.unit_of_work() as s:
        entries.receive(
            s, case.id, amount_fen=AMOUNT, source=Source.SALE_PROCEEDS, key="r1", actor=case.officer
        )
        distribution.distribute(s, case.id, actor=case.officer, fee_fen=0)
    return case


def transfers(db: Database) -> list[tuple[str, str, int]]:
    with db.unit_of_work(read_only=True) as s:
        rows = s.execute(
            select(
                SimPaymentTransfer.reference, SimPaymentTransfer.status, SimPaymentTransfer.amount_fen
            ).order_by(SimPaymentTransfer.id)
        )
        return [(r, st, a) for r, st, a in rows]


def paid_out(db: Database, case: MoneyCase) -> int:
    with db.unit_of_work(read_only=True) as s:
        return -ledger.kinds_total(s, acct.book(case.id), acct.BANK, kinds=["payout.paid"])


def send(db: Database, harness: Harness, **kwargs: Any) -> list[str]:
    with harness.gateway() as gateway:
        return payout_verbs.send_due(db, gateway, **kwargs)


def test_due_payouts_are_paid_once_and_the_payee_is_told(
    db: Database, harness: Harness, case: MoneyCase
) -> None:
    [due] = payouts(db, case.id)
    assert send(db, harness) == ["succeeded"]
    assert send(db, harness) == []  # nothing due any more
    [done] = payouts(db, case.id)
    assert (done.status, done.attempts, done.transfer_id is not None) == (PayoutStatus.SUCCEEDED, 1, True)
    assert transfers(db) == [(f"case-payout:{due.id}", "succeeded", AMOUNT)]
    assert paid_out(db, case) == AMOUNT
    assert balances(db, case.id)["bank"] == 0
    assert balances(db, case.id)[acct.IN_FLIGHT] == 0
    with db.unit_of_work(read_only=True) as s:
        assert ledger.check(s, acct.book(case.id)) == []
        bodies = list(s.scalars(select(Notification.body)))
    assert any("已汇出" in b and "尾号2222" in b for b in bodies)


def test_a_crash_between_the_gateway_and_our_commit_pays_once(
    db: Database, harness: Harness, case: MoneyCase
) -> None:
    with commit_fails_once_when(PayoutStatus.SUCCEEDED) as failed:
        assert send(db, harness) == []  # the gateway paid; our record of it was lost
    assert failed
    [stuck] = payouts(db, case.id)
    assert stuck.status == PayoutStatus.SENT
    assert paid_out(db, case) == 0
    assert send(db, harness) == ["succeeded"]  # the rerun asks again under the same key
    assert [t[1] for t in transfers(db)] == ["succeeded"]  # the gateway paid once
    assert paid_out(db, case) == AMOUNT
    with db.unit_of_work(read_only=True) as s:
        assert ledger.check(s, acct.book(case.id)) == []


def test_a_gateway_out_of_reach_is_asked_again_under_the_same_key(
    db: Database, harness: Harness, case: MoneyCase
) -> None:
    harness.stage("error500", count=3)  # every try of the client's three
    assert send(db, harness) == []
    [stuck] = payouts(db, case.id)
    assert (stuck.status, stuck.attempts) == (PayoutStatus.SENT, 1)
    assert "500" in stuck.last_error
    assert transfers(db) == []
    assert send(db, harness) == ["succeeded"]
    [done] = payouts(db, case.id)
    assert done.idempotency_key == stuck.idempotency_key
    assert len(transfers(db)) == 1 and paid_out(db, case) == AMOUNT


def test_a_declined_payout_fails_and_only_a_person_sends_it_again(
    db: Database, harness: Harness, case: MoneyCase
) -> None:
    harness.stage("decline", count=1)
    assert send(db, harness) == ["failed"]
    [failed] = payouts(db, case.id)
    assert failed.status == PayoutStatus.FAILED and "银行退回" in failed.last_error
    assert paid_out(db, case) == 0
    money = balances(db, case.id)
    assert (money["bank"], money[acct.IN_FLIGHT], money[acct.payable(failed.payee_id)]) == (AMOUNT, 0, AMOUNT)
    assert send(db, harness) == []  # a sweep does not send it again by itself
    retry(db, case, failed.id)
    harness.stage("decline", count=1)  # the account still refuses
    assert send(db, harness) == ["failed"]
    assert balances(db, case.id)[acct.payable(failed.payee_id)] == AMOUNT
    retry(db, case, failed.id)
    assert send(db, harness) == ["succeeded"]
    [done] = payouts(db, case.id)
    assert done.idempotency_key != failed.idempotency_key and done.retries == 2
    assert [t[1] for t in transfers(db)] == ["failed", "failed", "succeeded"]
    assert paid_out(db, case) == AMOUNT
    assert balances(db, case.id)[acct.payable(failed.payee_id)] == 0
    with db.unit_of_work(read_only=True) as s:
        assert ledger.check(s, acct.book(case.id)) == []


def retry(db: Database, case: MoneyCase, payout_id: int) -> None:
    with db.unit_of_work() as s:
        payout = s.get(CasePayout, payout_id)
        assert payout is not None
        payout_verbs.retry_payout(s, payout, actor=case.officer)


def test_a_held_payout_is_not_sent(db: Database, harness: Harness, case: MoneyCase) -> None:
    [due] = payouts(db, case.id)
    with db.unit_of_work() as s:
        payout = s.get(CasePayout, due.id)
        assert payout is not None
        payout_verbs.hold_payout(s, payout, actor=case.officer, reason="creditor_unreachable")  # type: ignore[arg-type]
    assert send(db, harness) == []
    assert transfers(db) == []


def test_the_average_days_to_payout(
    db: Database, harness: Harness, world: World, clock: MovableClock
) -> None:
    case = money_case(db)
    standard_payees(db, case)
    with db.unit_of_work() as s:
        entries.receive(
            s, case.id, amount_fen=AMOUNT, source=Source.SALE_PROCEEDS, key="r1", actor=case.officer
        )
    clock.advance(timedelta(days=2))
    with db.unit_of_work() as s:
        distribution.distribute(s, case.id, actor=case.officer, fee_fen=0)
    clock.advance(timedelta(days=1, hours=12))
    assert send(db, harness) == ["succeeded"]
    with db.unit_of_work(read_only=True) as s:
        everywhere = figures.payout_days(s)
        here = figures.payout_days(s, court_id=world.pingyang_court)
        elsewhere = figures.payout_days(s, court_id=world.lucheng_court)
        count = s.scalar(select(func.count(CasePayout.id)))
    assert count == 1
    assert everywhere == here == figures.PayoutFigures(payouts=1, average_days=3.5, on_time=1)
    assert elsewhere == figures.PayoutFigures(payouts=0, average_days=None, on_time=0)
