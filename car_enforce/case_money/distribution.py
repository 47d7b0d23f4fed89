"""Sharing out the money received (分配): costs first, then the enforcement fee, then the creditors by rank,
the rest to the debtor; each share a payout due within 30 days of the money's arrival. Nothing here
commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from car_enforce.case_money import accounts as acct
from car_enforce.case_money.accounts import CostKind
from car_enforce.case_money.models import CasePayee, CasePayout, PayeeKind, PayeeStatus, PayoutStatus
from car_enforce.case_money.rules import (
    PAYOUT_DAYS,
    RULE_FEE,
    RULE_ORDER,
    Claim,
    fee_of_distribution,
    plan_distribution,
)
from car_enforce.case_money.service import case_of, new_idempotency_key, told
from car_enforce.core import clock, events, ledger, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.db import refresh_statistics
from car_enforce.core.errors import Conflict
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.principal import Principal
from car_enforce.core.ledger import LedgerAccount, LedgerLine, LedgerPosting


class NothingToDistribute(Conflict):
    pass


class SurplusWithoutDebtor(Conflict):
    pass


MASS = 5_000  # payouts in one distribution past which the planner is told of them at once


@dataclass(frozen=True, slots=True)
class Distribution:
    posting_id: int
    available_fen: int
    costs_fen: int
    fee_fen: int
    creditors_fen: int
    surplus_fen: int
    payouts: int
    due_on: date


def _expire(session: Session, model: type[CasePayee]) -> None:
    for row in list(session.identity_map.values()):
        if isinstance(row, model):
            session.expire(row)


def _fee_due(session: Session, book: str, room: int, creditors: Sequence[Any], owed: int) -> int:
    """The enforcement fee of this distribution (rules.fee_of_distribution), given what earlier ones took."""
    taken = -ledger.kinds_total(session, book, acct.FEE, kinds=["distribution"])
    return fee_of_distribution(room, owed, sum(p.allocated_fen for p in creditors), taken)


def _arrival(session: Session, book: str) -> datetime:
    """When the money now distributed arrived: the first receipt since the last distribution."""
    book_id = ledger.lock(session, book).id  # held already: this reads its id
    last = session.scalar(
        select(func.max(LedgerPosting.id)).where(
            LedgerPosting.book_id == book_id, LedgerPosting.kind == "distribution"
        )
    )
    first = session.scalar(
        select(func.min(LedgerPosting.at)).where(
            LedgerPosting.book_id == book_id, LedgerPosting.kind == "receipt", LedgerPosting.id > (last or 0)
        )
    )
    return first or clock.now()


def distribute(
    session: Session, case_id: int, *, actor: Principal, fee_fen: int | None = None
) -> Distribution:
    """Share out all the money received and not yet distributed: costs first, then the enforcement fee,
    then the creditors by rank, the rest to the debtor (执行工作规定 item 34, 拍卖变卖规定 Art. 28); each
    payee's share becomes a payout due within 30 days of the money's arrival."""
    case = case_of(session, case_id)
    book = acct.book(case.id)
    ledger.lock(session, book)
    balances = ledger.balances(session, book)
    receipts = {
        code: amount for code, amount in sorted(balances.items()) if code.startswith("received:") and amount
    }
    available = sum(receipts.values())
    if not available:
        raise NothingToDistribute(
            f"case {case.case_number} holds no money received and not yet distributed",
            zh="本案没有待分配的执行款",
        )
    order = {kind: i for i, kind in enumerate(CostKind)}
    cost_accounts = sorted(
        ((code, amount) for code, amount in balances.items() if code.startswith("cost:") and amount),
        key=lambda item: (order[CostKind(item[0].split(":")[1])], int(item[0].split(":")[2])),
    )
    # Read as plain rows, not as objects of the session: a mass case has a hundred thousand of them.
    payees = list(
        session.execute(
            select(
                CasePayee.id,
                CasePayee.kind,
                CasePayee.party_id,
                CasePayee.account_number,
                CasePayee.claim_fen,
                CasePayee.allocated_fen,
                CasePayee.rank,
                CasePayee.secured,
                CasePayee.status,
            )
            .where(CasePayee.case_id == case.id)
            .order_by(CasePayee.id)
        )
    )
    creditors = [p for p in payees if p.kind == PayeeKind.CREDITOR]
    owed = [p for p in creditors if p.status == PayeeStatus.ACTIVE and p.claim_fen > p.allocated_fen]
    debtor = next((p for p in payees if p.kind == PayeeKind.DEBTOR), None)
    if fee_fen is None:
        room = max(0, available - sum(a for _, a in cost_accounts))
        fee_fen = _fee_due(session, book, room, creditors, sum(p.claim_fen - p.allocated_fen for p in owed))
    plan = plan_distribution(
        available,
        cost_accounts,
        fee_fen,
        [Claim(p.id, p.claim_fen - p.allocated_fen, p.rank, p.secured) for p in owed],
    )
    if plan.surplus_fen and debtor is None:
        raise SurplusWithoutDebtor(
            f"{plan.surplus_fen} fen is left over for the debtor, whose account is not on the case: add it "
            "as a payee of kind debtor first",
            rule=RULE_ORDER,
            zh=f"分配后余{zh.yuan_text(plan.surplus_fen)}应退还被执行人，请先登记被执行人的收款账户",
        )

    lines = [acct.line(code, amount) for code, amount in receipts.items()]
    paying: dict[int, int] = {}
    for code, covered in plan.costs:
        if covered:
            payee_id = int(code.split(":")[2])
            lines += [acct.line(code, covered), acct.line(acct.COSTS_CHARGED, -covered)]
            lines.append(acct.line(acct.payable(payee_id), -covered))
            paying[payee_id] = paying.get(payee_id, 0) + covered
    if plan.fee_fen:
        lines.append(acct.line(acct.FEE, -plan.fee_fen))
    for payee_id, share in plan.claims:
        if share:
            lines.append(acct.line(acct.payable(payee_id), -share))
            paying[payee_id] = paying.get(payee_id, 0) + share
    if plan.surplus_fen:
        assert debtor is not None
        lines.append(acct.line(acct.surplus(debtor.id), -plan.surplus_fen))
        paying[debtor.id] = paying.get(debtor.id, 0) + plan.surplus_fen
    arrived_at = _arrival(session, book)
    number = 1 + (
        session.scalar(
            select(func.count(LedgerPosting.id)).where(
                LedgerPosting.book_id == ledger.lock(session, book).id, LedgerPosting.kind == "distribution"
            )
        )
        or 0
    )
    posting = ledger.post(
        session,
        book,
        lines,
        key=f"distribution:{number}",
        kind="distribution",
        memo=f"第{number}次分配",
        actor=actor.label,
    )
    if plan.fee_fen:
        # The fee is the court's revenue, not the case's: it leaves the case account at once.
        ledger.post(
            session,
            book,
            acct.move(plan.fee_fen, debit=acct.FEE, credit=acct.BANK),
            key=f"fee:{number}",
            kind="fee",
            memo="执行申请费转入法院",
            actor=actor.label,
        )

    due = load_calendar(session).court_period_end(clock.local(arrived_at).date(), PAYOUT_DAYS)
    by_id = {p.id: p for p in payees}
    changes = []
    for payee_id, amount in paying.items():
        payee = by_id[payee_id]
        allocated = payee.allocated_fen + amount
        satisfied = payee.kind == PayeeKind.CREDITOR and allocated >= payee.claim_fen
        changes.append(
            {
                "payee_id": payee_id,
                "allocated": allocated,
                "new_status": PayeeStatus.SATISFIED if satisfied else payee.status,
            }
        )
    notices = tuple(
        told(
            case,
            by_id[payee_id].party_id or 0,
            f"执行款已分配，您分得{zh.yuan_text(amount)}，将于{zh.day(due.on)}前发放至您尾号"
            f"{by_id[payee_id].account_number[-4:]}的账户。",
            f"case-money-distributed:{posting.id}:{payee_id}",
        )
        for payee_id, amount in paying.items()
        if by_id[payee_id].party_id is not None and by_id[payee_id].kind == PayeeKind.CREDITOR
    )
    if changes:
        table: Any = CasePayee.__table__
        session.execute(
            update(table)
            .where(table.c.id == bindparam("payee_id"))
            .values(allocated_fen=bindparam("allocated"), status=bindparam("new_status")),
            changes,
        )
    now = clock.now()
    rows = [
        {
            "case_id": case.id,
            "payee_id": payee_id,
            "amount_fen": amount,
            "request_key": f"distribution:{posting.id}:{payee_id}",
            "idempotency_key": new_idempotency_key(),
            "status": PayoutStatus.PENDING,
            "arrived_at": arrived_at,
            "due_on": due.on,
            "hold_note": "",
            "attempts": 0,
            "retries": 0,
            "last_error": "",
            "created_at": now,
        }
        for payee_id, amount in paying.items()
    ]
    if rows:
        session.execute(CasePayout.__table__.insert(), rows)  # type: ignore[attr-defined]
    if len(rows) >= MASS:
        # A mass case: the payouts, their payees and the ledger have just grown by a hundred thousand rows,
        # and the payout sweep starts on them at once.
        refresh_statistics(session, CasePayout, CasePayee, LedgerPosting, LedgerLine, LedgerAccount)
    _expire(session, CasePayee)  # what the session holds of them was written around it
    creditors_fen = sum(a for _, a in plan.claims)
    events.record(
        session,
        actor,
        DomainEvent(
            kind="case_money.distributed",
            subject=f"case:{case.id}",
            case_id=case.id,
            reason=RULE_ORDER if not plan.fee_fen else f"{RULE_ORDER}; {RULE_FEE}",
            data={
                "posting_id": posting.id,
                "available_fen": available,
                "costs_fen": sum(a for _, a in plan.costs),
                "fee_fen": plan.fee_fen,
                "creditors_fen": creditors_fen,
                "creditors_paid": sum(1 for _, a in plan.claims if a),
                "surplus_fen": plan.surplus_fen,
                "payouts": len(rows),
                "due_on": due.on,
            },
            notices=notices,
        ),
    )
    return Distribution(
        posting_id=posting.id,
        available_fen=available,
        costs_fen=sum(a for _, a in plan.costs),
        fee_fen=plan.fee_fen,
        creditors_fen=creditors_fen,
        surplus_fen=plan.surplus_fen,
        payouts=len(rows),
        due_on=due.on,
    )
