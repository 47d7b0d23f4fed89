"""Property tests: random sequences of receipts, costs, forfeitures, reversals, distributions and payouts
(one by one or in batches, paid or declined by the simulated gateway) keep every case's book balanced and
never pay out more than was received, nor any payee more than it was allocated."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from car_enforce.case_money import accounts as acct
from car_enforce.case_money import batches, distribution, entries
from car_enforce.case_money import payouts as payout_verbs
from car_enforce.case_money.accounts import CostKind, Source
from car_enforce.case_money.models import CasePayee, CasePayout, HoldReason, PayeeKind, PayoutStatus
from car_enforce.case_money.payees import owed_account
from car_enforce.core import ledger
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import DomainError
from tests.case_money_helpers import MoneyCase, money_case, payee, with_payees
from tests.factories import World
from tests.payments_helpers import Harness

NUMBERS = itertools.count(2000)


@dataclass(frozen=True)
class Receive:
    amount: int
    source: Source


@dataclass(frozen=True)
class Cost:
    amount: int
    kind: CostKind


@dataclass(frozen=True)
class Reverse:
    which: int  # of the receipts and costs so far, modulo their number


@dataclass(frozen=True)
class Distribute:
    pass


@dataclass(frozen=True)
class Send:
    decline: bool
    batched: bool  # the mass case's way: a batch a transaction


@dataclass(frozen=True)
class Retry:
    pass


@dataclass(frozen=True)
class Hold:
    which: int


@dataclass(frozen=True)
class Release:
    pass


amounts = st.integers(1, 5_000_000)
receipts = st.builds(Receive, amounts, st.sampled_from(list(Source)))
costs = st.builds(Cost, st.integers(1, 500_000), st.sampled_from(list(CostKind)))
picks = st.integers(0, 50)


@st.composite
def sequences(draw: st.DrawFn) -> list[object]:
    """Rounds of money coming in (receipts, forfeitures, costs, a reversal now and then), mostly shared
    out, then sent (some declined), retried or held: shaped so that most sequences pay someone."""
    chosen: list[object] = []
    for _ in range(draw(st.integers(1, 3))):
        chosen += draw(st.lists(receipts, min_size=1, max_size=2))
        chosen += draw(st.lists(costs, max_size=1))
        chosen += draw(st.lists(st.builds(Reverse, picks), max_size=1))
        if draw(st.integers(0, 4)):
            chosen.append(Distribute())
        chosen += draw(st.lists(st.builds(Hold, picks), max_size=1))
        chosen += draw(st.lists(st.builds(Send, st.booleans(), st.booleans()), max_size=2))
        chosen += draw(st.lists(st.just(Release()), max_size=1))
        chosen += draw(st.lists(st.builds(Reverse, picks), max_size=1))
        chosen += draw(st.lists(st.just(Retry()), max_size=1))
    return chosen


def check(db: Database, case: MoneyCase) -> None:
    """Every rule of the money that must hold after any step."""
    book = acct.book(case.id)
    with db.unit_of_work(read_only=True) as s:
        assert ledger.check(s, book) == []  # every posting sums to zero, so do the accounts; caches agree
        money = ledger.balances(s, book)
        received = ledger.kinds_total(s, book, acct.BANK, kinds=["receipt", "reversal"])
        paid = -ledger.kinds_total(s, book, acct.BANK, kinds=["payout.paid"])
        fee = -ledger.kinds_total(s, book, acct.BANK, kinds=["fee"])
        assert 0 <= paid + fee <= received
        assert money.get(acct.BANK, 0) == received - paid - fee
        listed = {p.id: p for p in s.scalars(select(CasePayee).where(CasePayee.case_id == case.id))}
        payouts = list(s.scalars(select(CasePayout).where(CasePayout.case_id == case.id)))
        for p in listed.values():
            mine = [x for x in payouts if x.payee_id == p.id]
            assert sum(x.amount_fen for x in mine) == p.allocated_fen  # every allocation has its payouts
            assert sum(x.amount_fen for x in mine if x.status == PayoutStatus.SUCCEEDED) <= p.allocated_fen
            if p.kind == PayeeKind.CREDITOR:
                assert p.allocated_fen <= p.claim_fen
            # What the payee is owed in the book is exactly its payouts not sent (or sent back).
            waiting = (PayoutStatus.PENDING, PayoutStatus.HELD, PayoutStatus.FAILED)
            owed = money.get(owed_account(p), 0)
            assert owed == sum(x.amount_fen for x in mine if x.status in waiting)
        assert money.get(acct.IN_FLIGHT, 0) == sum(
            x.amount_fen for x in payouts if x.status == PayoutStatus.SENT
        )


def run(
    db: Database, harness: Harness, case: MoneyCase, ids: dict[str, int], step: object, made: list[int]
) -> None:
    who = case.officer
    try:
        with db.unit_of_work() as s:
            if isinstance(step, Receive):
                key = f"r{len(made)}"
                made.append(
                    entries.receive(
                        s, case.id, amount_fen=step.amount, source=step.source, key=key, actor=who
                    )[0].id
                )
            elif isinstance(step, Cost):
                tow = ids["COST-0001"]
                posting, _made = entries.charge_cost(
                    s,
                    case.id,
                    payee_id=tow,
                    kind=step.kind,
                    amount_fen=step.amount,
                    key=f"c{len(made)}",
                    actor=who,
                )
                made.append(posting.id)
            elif isinstance(step, Reverse) and made:
                target = made[step.which % len(made)]
                entries.reverse(s, case.id, target, key=f"undo{target}", actor=who)
            elif isinstance(step, Distribute):
                distribution.distribute(s, case.id, actor=who)
            elif isinstance(step, Retry):
                failed = select(CasePayout).where(
                    CasePayout.case_id == case.id, CasePayout.status == PayoutStatus.FAILED
                )
                for payout in s.scalars(failed):
                    payout_verbs.retry_payout(s, payout, actor=who)
            elif isinstance(step, Release):
                held = select(CasePayout).where(
                    CasePayout.case_id == case.id, CasePayout.status == PayoutStatus.HELD
                )
                for payout in s.scalars(held):
                    payout_verbs.release_hold(s, payout, actor=who)
            elif isinstance(step, Hold):
                pending = list(
                    s.scalars(
                        select(CasePayout)
                        .where(CasePayout.case_id == case.id, CasePayout.status == PayoutStatus.PENDING)
                        .order_by(CasePayout.id)
                    )
                )
                if pending:
                    payout = pending[step.which % len(pending)]
                    payout_verbs.hold_payout(s, payout, actor=who, reason=HoldReason.PENDING_DISTRIBUTION)
    except DomainError:
        pass  # a refusal (money already moved, nothing to share, reversed already): it changed nothing
    if isinstance(step, Send):
        if step.decline:
            harness.stage("decline", count=1)
        with harness.gateway() as gateway:
            if step.batched:
                batches.send_due_in_batches(db, batches.one_by_one(gateway), case_id=case.id, batch=2)
            else:
                payout_verbs.send_due(db, gateway, case_id=case.id)
        harness.stage("ok", count=0)


def test_any_sequence_keeps_the_case_balanced(
    db: Database, harness: Harness, world: World, clock: MovableClock
) -> None:
    @settings(
        max_examples=30 if db.sqlite else 6,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(sequences())
    def sequence(chosen: list[object]) -> None:
        case = money_case(db, f"(2026)浙0326执{next(NUMBERS)}号")
        ids = with_payees(
            db,
            case,
            payee("MORTGAGE-01", name="某银行温州分行", claim_fen=3_000_000, secured=True),
            payee("LENDER-0001", party_id=case.applicant, claim_fen=4_000_000, rank=1),
            payee("LATER-0001", name="参与分配债权人", claim_fen=2_500_000, rank=2),
            payee("DEBTOR-0001", kind=PayeeKind.DEBTOR, party_id=case.debtor),
            payee("COST-0001", kind=PayeeKind.COST, name="平阳县某拖车服务公司"),
        )
        made: list[int] = []
        for step in chosen:
            run(db, harness, case, ids, step, made)
            check(db, case)
        with db.unit_of_work(read_only=True) as s:
            for status in s.scalars(select(CasePayout.status).where(CasePayout.case_id == case.id)).unique():
                event(f"a payout ends {status}")

    sequence()
