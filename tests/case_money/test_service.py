"""The case money's verbs on both databases: payees added once, receipts and costs by key, the distribution
in its legal order, payouts refused beyond what is held, holds only for a recorded reason."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from car_enforce.case_money import accounts as acct
from car_enforce.case_money import distribution, entries, payees, service
from car_enforce.case_money import payouts as payout_verbs
from car_enforce.case_money.accounts import CostKind, Source
from car_enforce.case_money.models import (
    CasePayee,
    CasePayout,
    HoldReason,
    PayeeKind,
    PayeeStatus,
    PayoutStatus,
)
from car_enforce.case_money.rules import enforcement_fee_fen
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import ledger
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.identity.models import OrgKind
from car_enforce.core.identity.schemas import BankAccountIn
from car_enforce.core.identity.service import create_organisation, set_bank_account
from car_enforce.core.notify.models import Notification
from car_enforce.core.timeline.models import TimelineEvent
from tests.case_money_helpers import (
    OWED_FEN,
    MoneyCase,
    balances,
    money_case,
    payee,
    payouts,
    standard_payees,
    with_payees,
)
from tests.factories import SYSTEM, World


@pytest.fixture
def case(db: Database, world: World, clock: MovableClock) -> MoneyCase:
    return money_case(db)


def events_of(db: Database, kind: str) -> list[TimelineEvent]:
    with db.unit_of_work(read_only=True) as s:
        found = list(
            s.scalars(select(TimelineEvent).where(TimelineEvent.kind == kind).order_by(TimelineEvent.id))
        )
        s.expunge_all()  # read, kept as read
        return found


def texts(db: Database) -> list[str]:
    with db.unit_of_work(read_only=True) as s:
        return list(s.scalars(select(Notification.body).order_by(Notification.id)))


def receive(
    db: Database, case: MoneyCase, amount: int, key: str = "r1", source: Source = Source.SALE_PROCEEDS
) -> int:
    with db.unit_of_work() as s:
        posting, _made = entries.receive(
            s, case.id, amount_fen=amount, source=source, key=key, actor=case.officer
        )
        return posting.id


# --- payees -------------------------------------------------------------------------------------------


def test_payees_added_twice_are_added_once(db: Database, case: MoneyCase) -> None:
    first = standard_payees(db, case)
    again = standard_payees(db, case)
    assert first == again and len(first) == 3
    with db.unit_of_work(read_only=True) as s:
        applicant = s.get(CasePayee, first["6222000011112222"])
        assert applicant is not None
        # The case's only applicant: its name from the party, its claim the case's amount.
        assert (applicant.name, applicant.claim_fen) == ("温州某小额贷款公司", OWED_FEN)
    assert [e.data for e in events_of(db, "case_money.payees_added")] == [
        {"added": 3, "existing": 0},
        {"added": 0, "existing": 3},
    ]


def test_an_account_again_with_other_details_is_refused(db: Database, case: MoneyCase) -> None:
    standard_payees(db, case)
    with pytest.raises(Conflict, match="already, with other"):
        with_payees(
            db,
            case,
            payee("6222000011112222", name="别人", claim_fen=1),
            payee("NEW-0001", name="新", claim_fen=5),
        )
    with db.unit_of_work(read_only=True) as s:  # the new one in the same list was not added either
        assert s.scalar(select(func.count(CasePayee.id))) == 3


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"party_id": "debtor", "kind": "creditor"}, "party_id"),  # the debtor is no creditor
        ({"name": "某人"}, "claim_fen"),  # a creditor who is not a party needs its claim
        ({"kind": "cost", "name": "拖车", "claim_fen": 100}, "claim_fen"),
        ({"kind": "cost", "party_id": "applicant"}, "party_id"),
        ({"kind": "creditor"}, "name"),
    ],
)
def test_a_malformed_payee_is_refused(
    db: Database, case: MoneyCase, values: dict[str, object], field: str
) -> None:
    parties = {"debtor": case.debtor, "applicant": case.applicant}
    values = {k: parties.get(v, v) if k == "party_id" else v for k, v in values.items()}  # type: ignore[call-overload]
    with pytest.raises(InvalidInput) as refused:
        with_payees(db, case, payee("ACC-0001", **values))
    assert refused.value.field == f"payees[0].{field}"


def test_one_debtor_account_per_case(db: Database, case: MoneyCase) -> None:
    standard_payees(db, case)
    with pytest.raises(Conflict, match="one debtor's account"):
        with_payees(db, case, payee("ACC-0002", kind=PayeeKind.DEBTOR, name="另一个"))
    with db.unit_of_work(read_only=True) as s:  # refused after the insert: rolled back with it
        assert s.scalar(select(func.count(CasePayee.id))) == 3


def test_an_organisation_is_paid_at_the_account_it_registered_and_at_the_platforms_until_it_has(
    db: Database, case: MoneyCase
) -> None:
    with db.unit_of_work() as s:
        center = create_organisation(
            s, actor=SYSTEM, kind=OrgKind.AUX_CENTER, name="某辅助中心", code="AC-01"
        )
        found = s.get(EnforcementCase, case.id)
        assert found is not None
        before = s.get(CasePayee, payees.organisation_payee(s, found, center, prefix="CENTER", actor=SYSTEM))
        assert before is not None and before.account_number == "CENTER-AC-01"
        data = BankAccountIn(bank_name="农业银行平阳支行", bank_account="6228480300001234")
        set_bank_account(s, actor=SYSTEM, organisation_id=center.id, data=data)
        after = s.get(CasePayee, payees.organisation_payee(s, found, center, prefix="CENTER", actor=SYSTEM))
        assert after is not None and after.id != before.id
        assert (after.account_number, after.bank_name, after.kind) == (
            "6228480300001234",
            "农业银行平阳支行",
            PayeeKind.COST,
        )
        # Asked again, the same payee.
        assert payees.organisation_payee(s, found, center, prefix="CENTER", actor=SYSTEM) == after.id


# --- money in -----------------------------------------------------------------------------------------


def test_a_receipt_is_recorded_once_by_its_key_and_told_to_the_applicant(
    db: Database, case: MoneyCase
) -> None:
    first = receive(db, case, 20_000_000)
    assert receive(db, case, 20_000_000) == first
    assert balances(db, case.id) == {"bank": 20_000_000, "received:sale_proceeds": 20_000_000}
    assert len(events_of(db, "case_money.received")) == 1
    [sms] = texts(db)
    assert sms.startswith("【平阳县人民法院】您申请执行的(2026)浙0326执1234号一案，拍卖成交价款")
    assert "拍卖成交价款200,000.00元已到账" in sms
    with pytest.raises(Conflict), db.unit_of_work() as s:
        entries.receive(s, case.id, amount_fen=1, source=Source.SALE_PROCEEDS, key="r1", actor=case.officer)


def test_a_receipt_of_nothing_is_refused(db: Database, case: MoneyCase) -> None:
    with pytest.raises(InvalidInput), db.unit_of_work() as s:
        entries.receive(s, case.id, amount_fen=0, source=Source.OTHER, key="zero", actor=case.officer)


def test_a_cost_is_owed_to_a_cost_payee_only(db: Database, case: MoneyCase) -> None:
    ids = standard_payees(db, case)
    with db.unit_of_work() as s:
        entries.charge_cost(
            s,
            case.id,
            payee_id=ids["TOW-330326-01"],
            kind=CostKind.TOWING,
            amount_fen=80_000,
            key="tow",
            actor=case.officer,
        )
    with pytest.raises(InvalidInput), db.unit_of_work() as s:
        entries.charge_cost(
            s,
            case.id,
            payee_id=ids["6222000011112222"],
            kind="towing",
            amount_fen=1,
            key="x",
            actor=case.officer,
        )
    with pytest.raises(NotFound), db.unit_of_work() as s:
        entries.charge_cost(
            s, case.id, payee_id=9999, kind="towing", amount_fen=1, key="y", actor=case.officer
        )
    tow = ids["TOW-330326-01"]
    assert balances(db, case.id) == {"costs:charged": 80_000, f"cost:towing:{tow}": 80_000}


def test_a_receipt_is_reversed_until_it_is_distributed(db: Database, case: MoneyCase) -> None:
    standard_payees(db, case)
    wrong = receive(db, case, 5_000, key="wrong")
    with db.unit_of_work() as s:
        entries.reverse(s, case.id, wrong, key="undo-wrong", actor=case.officer, memo="误入账")
    right = receive(db, case, 7_000, key="right")
    with db.unit_of_work() as s:
        distribution.distribute(s, case.id, actor=case.officer)
    with pytest.raises(entries.AlreadyMoved), db.unit_of_work() as s:
        entries.reverse(s, case.id, right, key="undo-right", actor=case.officer)
    with db.unit_of_work(read_only=True) as s:
        standing = service.standing(s, service.case_of(s, case.id))
        assert standing.received_fen == 7_000
        assert standing.problems == []


# --- the distribution ---------------------------------------------------------------------------------


def test_the_distribution_pays_costs_then_the_fee_then_the_creditor_then_the_debtor(
    db: Database, case: MoneyCase
) -> None:
    ids = standard_payees(db, case)
    tow, lender, debtor = ids["TOW-330326-01"], ids["6222000011112222"], ids["6222000099998888"]
    with db.unit_of_work() as s:
        entries.charge_cost(
            s, case.id, payee_id=tow, kind="towing", amount_fen=80_000, key="tow", actor=case.officer
        )
    receive(db, case, 40_000_000, key="balance")  # 400,000 yuan for a claim of 386,500
    with db.unit_of_work() as s:
        result = distribution.distribute(s, case.id, actor=case.officer)
    fee = enforcement_fee_fen(OWED_FEN)
    assert (result.available_fen, result.costs_fen, result.fee_fen) == (40_000_000, 80_000, fee)
    assert result.creditors_fen == OWED_FEN
    assert result.surplus_fen == 40_000_000 - 80_000 - fee - OWED_FEN
    # Money arrived on Monday 23 November 2026: due 30 days later, on Wednesday 23 December.
    assert result.due_on == date(2026, 12, 23)
    assert balances(db, case.id) == {
        "bank": 40_000_000 - fee,  # the fee left for the court's revenue at once
        "received:sale_proceeds": 0,
        "costs:charged": 0,
        f"cost:towing:{tow}": 0,
        f"payable:{tow}": 80_000,
        "fee": 0,
        f"payable:{lender}": OWED_FEN,
        f"surplus:{debtor}": result.surplus_fen,
    }
    made = {p.payee_id: (p.amount_fen, p.status, p.due_on) for p in payouts(db, case.id)}
    assert made == {
        tow: (80_000, PayoutStatus.PENDING, date(2026, 12, 23)),
        lender: (OWED_FEN, PayoutStatus.PENDING, date(2026, 12, 23)),
        debtor: (result.surplus_fen, PayoutStatus.PENDING, date(2026, 12, 23)),
    }
    with db.unit_of_work(read_only=True) as s:
        assert s.get(CasePayee, lender).status == PayeeStatus.SATISFIED  # type: ignore[union-attr]
        assert ledger.check(s, acct.book(case.id)) == []
    assert any("您分得" in t for t in texts(db))
    # Nothing left to share: a second distribution is refused and changes nothing.
    with pytest.raises(distribution.NothingToDistribute), db.unit_of_work() as s:
        distribution.distribute(s, case.id, actor=case.officer)


def test_money_in_parts_is_shared_in_parts_and_the_fee_adds_up_to_the_whole(
    db: Database, case: MoneyCase
) -> None:
    ids = standard_payees(db, case)
    lender = ids["6222000011112222"]
    fees = 0
    for part in ("a", "b", "c"):
        receive(db, case, 10_000_000, key=part)
        with db.unit_of_work() as s:
            fees += distribution.distribute(s, case.id, actor=case.officer).fee_fen
    total = sum(p.amount_fen for p in payouts(db, case.id) if p.payee_id == lender)
    assert total + fees == 30_000_000
    # The fee on what the creditor got, taken in three parts: a fen of rounding a part at most, never more
    # than the rule's.
    assert 0 <= enforcement_fee_fen(total) - fees <= 3


def test_a_surplus_needs_the_debtors_account(db: Database, case: MoneyCase) -> None:
    with_payees(db, case, payee("6222000011112222", party_id=case.applicant))
    receive(db, case, OWED_FEN * 2)
    with pytest.raises(distribution.SurplusWithoutDebtor), db.unit_of_work() as s:
        distribution.distribute(s, case.id, actor=case.officer)
    assert payouts(db, case.id) == []
    assert balances(db, case.id)["received:sale_proceeds"] == OWED_FEN * 2


def test_the_fee_can_be_given(db: Database, case: MoneyCase) -> None:
    standard_payees(db, case)
    receive(db, case, 1_000_000)
    with db.unit_of_work() as s:
        assert distribution.distribute(s, case.id, actor=case.officer, fee_fen=0).fee_fen == 0


# --- payouts ------------------------------------------------------------------------------------------


def test_a_payout_beyond_what_the_case_holds_for_the_payee_is_refused(db: Database, case: MoneyCase) -> None:
    ids = standard_payees(db, case)
    lender = ids["6222000011112222"]
    receive(db, case, 1_000_000)
    with db.unit_of_work() as s:
        distribution.distribute(s, case.id, actor=case.officer, fee_fen=0)
    [made] = [p for p in payouts(db, case.id) if p.payee_id == lender]
    with db.unit_of_work() as s:  # the distribution's payout is on hold: its money is not free again
        payout_verbs.hold_payout(
            s, s.get(CasePayout, made.id), actor=case.officer, reason=HoldReason.CASE_SUSPENDED
        )  # type: ignore[arg-type]
    with pytest.raises(payout_verbs.BeyondHeld), db.unit_of_work() as s:
        payout_verbs.order_payout(s, case.id, payee_id=lender, amount_fen=1, key="more", actor=case.officer)
    with pytest.raises(NotFound), db.unit_of_work() as s:
        payout_verbs.order_payout(s, case.id, payee_id=424242, amount_fen=1, key="nobody", actor=case.officer)
    other = money_case(db, "(2026)浙0326执9999号")
    with pytest.raises(NotFound), db.unit_of_work() as s:  # another case's payee is no payee of this case
        payout_verbs.order_payout(
            s, other.id, payee_id=lender, amount_fen=1, key="elsewhere", actor=case.officer
        )
    assert len(payouts(db, case.id)) == 1


def test_an_officers_payout_is_made_once_by_its_key(db: Database, case: MoneyCase) -> None:
    ids = standard_payees(db, case)
    lender = ids["6222000011112222"]
    receive(db, case, 1_000_000)
    with db.unit_of_work() as s:
        distribution.distribute(s, case.id, actor=case.officer, fee_fen=0)
    [made] = [p for p in payouts(db, case.id) if p.payee_id == lender]
    with (
        db.unit_of_work() as s
    ):  # the distribution's payout is declined and left failed: the money is free again
        payout = s.get(CasePayout, made.id)
        assert payout is not None
        payout.status = PayoutStatus.FAILED
    with db.unit_of_work() as s:
        first, created = payout_verbs.order_payout(
            s, case.id, payee_id=lender, amount_fen=600_000, key="k1", actor=case.officer
        )
        assert created
    with db.unit_of_work() as s:
        again, created = payout_verbs.order_payout(
            s, case.id, payee_id=lender, amount_fen=600_000, key="k1", actor=case.officer
        )
        assert (again.id, created) == (first.id, False)
    with pytest.raises(Conflict), db.unit_of_work() as s:
        payout_verbs.order_payout(
            s, case.id, payee_id=lender, amount_fen=500_000, key="k1", actor=case.officer
        )
    with pytest.raises(payout_verbs.BeyondHeld), db.unit_of_work() as s:
        payout_verbs.order_payout(
            s, case.id, payee_id=lender, amount_fen=400_001, key="k2", actor=case.officer
        )


def test_a_hold_needs_a_reason_and_only_a_pending_payout_is_held(db: Database, case: MoneyCase) -> None:
    standard_payees(db, case)
    receive(db, case, 1_000_000)
    with db.unit_of_work() as s:
        distribution.distribute(s, case.id, actor=case.officer, fee_fen=0)
    payout_id = payouts(db, case.id)[0].id
    with pytest.raises(ValueError), db.unit_of_work() as s:
        payout_verbs.hold_payout(
            s, s.get(CasePayout, payout_id), actor=case.officer, reason="the officer is busy"
        )  # type: ignore[arg-type]
    with db.unit_of_work() as s:
        held = payout_verbs.hold_payout(
            s,
            s.get(CasePayout, payout_id),
            actor=case.officer,
            reason=HoldReason.FROZEN_ELSEWHERE,
            note="（2026）浙0302执冻12号",  # type: ignore[arg-type]
        )
        assert (held.status, held.held_reason) == (PayoutStatus.HELD, HoldReason.FROZEN_ELSEWHERE)
    with pytest.raises(Conflict), db.unit_of_work() as s:
        payout_verbs.hold_payout(
            s, s.get(CasePayout, payout_id), actor=case.officer, reason=HoldReason.CASE_SUSPENDED
        )  # type: ignore[arg-type]
    with db.unit_of_work() as s:
        released = payout_verbs.release_hold(s, s.get(CasePayout, payout_id), actor=case.officer)  # type: ignore[arg-type]
        assert (released.status, released.held_reason) == (PayoutStatus.PENDING, None)
    [held_event] = events_of(db, "case_money.payout_held")
    assert held_event.data["held_reason"] == "frozen_elsewhere"
    assert "法发〔2017〕6号" in held_event.reason
