"""A mass case's payouts in batches through the simulated gateway: a crash after the gateway paid a whole
batch and before our commit, then a rerun, pays nobody twice and misses nobody; declines in a batch fail
alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api import cli
from api.simulators.models import SimPaymentTransfer
from car_enforce.case_money import accounts as acct
from car_enforce.case_money import batches, distribution, entries, payees, service
from car_enforce.case_money.accounts import Source
from car_enforce.case_money.models import PayoutStatus
from car_enforce.case_money.schemas import PayeeIn
from car_enforce.core import ledger
from car_enforce.core.db import Database
from car_enforce.core.payments import PaymentGateway
from car_enforce.core.settings import get_settings
from tests.case_money_helpers import MoneyCase, commit_fails_once_when, money_case, payouts
from tests.factories import World
from tests.payments_helpers import Harness

PAYEES = 12


@pytest.fixture
def mass(db: Database, world: World, harness: Harness) -> MoneyCase:
    """A case of 12 investors, each owed 100 yuan and more, its money received and distributed."""
    case = money_case(db)
    owed = [
        PayeeIn(account_number=f"INV{i:06d}", name=f"集资参与人{i}", claim_fen=10_000 + i)
        for i in range(PAYEES)
    ]
    with db.unit_of_work() as s:
        payees.add_payees(s, service.case_of(s, case.id), actor=case.officer, payees=owed)
        total = sum(p.claim_fen or 0 for p in owed)
        entries.receive(
            s, case.id, amount_fen=total, source=Source.DEBTOR_PAYMENT, key="all", actor=case.officer
        )
    with db.unit_of_work() as s:
        distribution.distribute(s, case.id, actor=case.officer, fee_fen=0)
    return case


WAYS = {"one_by_one": batches.one_by_one, "through_batches": batches.through_batches}


@pytest.fixture(params=list(WAYS))
def way(request: pytest.FixtureRequest) -> Callable[[PaymentGateway], batches.Pay]:
    """How the gateway is asked: a call a payout, or the gateway's batch payouts."""
    return WAYS[request.param]


def references(db: Database) -> list[str]:
    with db.unit_of_work(read_only=True) as s:
        return list(
            s.scalars(select(SimPaymentTransfer.reference).where(SimPaymentTransfer.status == "succeeded"))
        )


def test_a_crash_after_a_batch_was_paid_pays_nobody_twice_and_misses_nobody(
    db: Database, harness: Harness, mass: MoneyCase, way: Callable[[PaymentGateway], batches.Pay]
) -> None:
    with harness.gateway() as gateway:
        pay = way(gateway)
        with commit_fails_once_when(PayoutStatus.SUCCEEDED), pytest.raises(RuntimeError, match="died"):
            batches.send_due_in_batches(db, pay, case_id=mass.id, batch=5)
        assert {p.status for p in payouts(db, mass.id)} == {PayoutStatus.SENT, PayoutStatus.PENDING}
        done = batches.send_due_in_batches(db, pay, case_id=mass.id, batch=5)
    assert done == ["succeeded"] * PAYEES
    paid = references(db)
    assert len(paid) == len(set(paid)) == PAYEES  # each payout paid once at the gateway
    assert {p.status for p in payouts(db, mass.id)} == {PayoutStatus.SUCCEEDED}
    with db.unit_of_work(read_only=True) as s:
        book = acct.book(mass.id)
        assert ledger.check(s, book) == []
        assert ledger.balances(s, book)[acct.BANK] == 0
        assert -ledger.kinds_total(s, book, acct.BANK, kinds=["payout.paid"]) == sum(
            p.amount_fen for p in payouts(db, mass.id)
        )


def test_declines_in_a_batch_fail_alone(
    db: Database, harness: Harness, mass: MoneyCase, way: Callable[[PaymentGateway], batches.Pay]
) -> None:
    harness.stage("decline", count=2)
    with harness.gateway() as gateway:
        done = batches.send_due_in_batches(db, way(gateway), case_id=mass.id, batch=100)
    assert sorted(done) == ["failed"] * 2 + ["succeeded"] * (PAYEES - 2)
    failed = [p for p in payouts(db, mass.id) if p.status == PayoutStatus.FAILED]
    with db.unit_of_work(read_only=True) as s:
        money = ledger.balances(s, acct.book(mass.id))
        assert ledger.check(s, acct.book(mass.id)) == []
    assert money[acct.BANK] == sum(p.amount_fen for p in failed)
    assert money[acct.IN_FLIGHT] == 0
    assert all(money[acct.payable(p.payee_id)] == p.amount_fen for p in failed)


def test_a_gateway_out_of_reach_leaves_the_batch_sent_for_the_next_run(
    db: Database, harness: Harness, mass: MoneyCase
) -> None:
    harness.stage("error500", count=3)  # the first payout's three tries
    with harness.gateway() as gateway:
        pay = batches.one_by_one(gateway)
        first = batches.send_due_in_batches(db, pay, case_id=mass.id, batch=100)
        assert first == ["succeeded"] * (PAYEES - 1)
        [stuck] = [p for p in payouts(db, mass.id) if p.status == PayoutStatus.SENT]
        assert "500" in stuck.last_error
        assert batches.send_due_in_batches(db, pay, case_id=mass.id) == ["succeeded"]
    assert len(references(db)) == PAYEES


def test_the_operators_command_pays_a_mass_case_after_a_crash_and_pays_nobody_twice(
    db: Database, harness: Harness, mass: MoneyCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run the command resumes: it died after the gateway paid its first batch, before the commit.
    with (
        harness.gateway() as gateway,
        commit_fails_once_when(PayoutStatus.SUCCEEDED),
        pytest.raises(RuntimeError, match="died"),
    ):
        batches.send_due_in_batches(db, batches.through_batches(gateway), case_id=mass.id, batch=5)
    for name, value in {
        "PAYMENT_GATEWAY_URL": harness.settings.payment_gateway_url,
        "PAYMENT_GATEWAY_KEY": harness.settings.payment_gateway_key,
        "PAYMENT_NOTIFY_URL": harness.settings.payment_notify_url,
    }.items():
        monkeypatch.setenv(f"CARENFORCE_{name}", value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["payouts", "send", "--case", str(mass.id), "--batch", "5"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"done: {PAYEES} paid, 0 declined, 0 still due"
    assert "5 / 12 payouts sent: 5 paid" in result.output
    paid = references(db)
    assert len(paid) == len(set(paid)) == PAYEES
    assert {p.status for p in payouts(db, mass.id)} == {PayoutStatus.SUCCEEDED}
