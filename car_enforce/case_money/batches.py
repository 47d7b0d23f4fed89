"""Payouts of a mass case (涉众案件) in batches: the same three steps as one payout's (payouts.py), each for a
whole batch at once — one transaction marks the batch sent and posts it in flight in bulk, the gateway is
asked for every payout of it under each payout's own key with no transaction open, one transaction records
every answer. A crash anywhere leaves the batch's payouts sent; the next run asks the gateway again under
the same keys and is told what it did the first time, so nobody is paid twice and nobody is missed.

How the gateway is asked is the caller's: one call a payout (``one_by_one``), or a thousand a call
(``through_batches``). Each verb records one event per case for the batch, not one per payout.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from car_enforce.case_money import accounts as acct
from car_enforce.case_money import transitions
from car_enforce.case_money.models import CasePayee, CasePayout, PayeeKind, PayoutStatus
from car_enforce.case_money.payouts import _REFUSED, MAX_ATTEMPTS, SWEEP, PayoutOrder, due
from car_enforce.case_money.rules import RULE_PAYOUT
from car_enforce.case_money.service import told
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock, events, ledger, zh
from car_enforce.core.db import Database
from car_enforce.core.events import DomainEvent, Notice
from car_enforce.core.ledger import Entry
from car_enforce.core.outbound.client import OutboundError
from car_enforce.core.payments.client import (
    MAX_BATCH_ITEMS,
    PaymentGateway,
    PayoutItem,
    Transfer,
    TransferStatus,
)

Answer = Transfer | OutboundError
Pay = Callable[[Sequence[PayoutOrder]], Sequence[Answer]]


def one_by_one(gateway: PaymentGateway) -> Pay:
    """Ask the gateway for each payout in turn; a failed call is that payout's answer, not the batch's."""

    def pay(orders: Sequence[PayoutOrder]) -> list[Answer]:
        answers: list[Answer] = []
        for order in orders:
            try:
                answers.append(
                    gateway.payout(
                        order.key,
                        to_account=order.account,
                        payee_name=order.name,
                        amount_fen=order.amount_fen,
                        reference=order.reference,
                    )
                )
            except OutboundError as error:
                answers.append(error)
        return answers

    return pay


@dataclass(frozen=True, slots=True)
class _Row:
    """A payout of the batch as read under its lock, with what of its payee the steps need."""

    id: int
    case_id: int
    status: str
    amount_fen: int
    key: str
    attempts: int
    retries: int
    payee_id: int
    payee_kind: str
    party_id: int | None
    account: str
    name: str

    @property
    def owed(self) -> str:
        return (
            acct.surplus(self.payee_id)
            if self.payee_kind == PayeeKind.DEBTOR
            else acct.payable(self.payee_id)
        )


def through_batches(gateway: PaymentGateway) -> Pay:
    """Ask the gateway for a thousand payouts a call (its batch payouts). A batch's key is made from its
    payouts' keys, so the same batch asked again gets the first answer; each payout acts once by its own
    key whatever batch carries it. A call that fails is the answer of each payout it carried."""

    def pay(orders: Sequence[PayoutOrder]) -> list[Answer]:
        answers: list[Answer] = []
        for start in range(0, len(orders), MAX_BATCH_ITEMS):
            part = orders[start : start + MAX_BATCH_ITEMS]
            key = "cmb-" + hashlib.sha256("\n".join(o.key for o in part).encode()).hexdigest()[:40]
            items = [PayoutItem(o.key, o.account, o.name, o.amount_fen, o.reference) for o in part]
            try:
                answers += gateway.payout_batch(key, items)
            except OutboundError as error:
                answers += [error] * len(part)
        return answers

    return pay


def _locked(session: Session, payout_ids: Sequence[int]) -> list[_Row]:
    """The payouts, locked, read as plain rows: the batch's changes go out as a few bulk statements, not
    through the unit of work one object at a time."""
    query = (
        select(
            CasePayout.id,
            CasePayout.case_id,
            CasePayout.status,
            CasePayout.amount_fen,
            CasePayout.idempotency_key,
            CasePayout.attempts,
            CasePayout.retries,
            CasePayee.id,
            CasePayee.kind,
            CasePayee.party_id,
            CasePayee.account_number,
            CasePayee.name,
        )
        .join(CasePayee, CasePayee.id == CasePayout.payee_id)
        .where(CasePayout.id.in_(payout_ids))
        .order_by(CasePayout.id)
        .with_for_update(of=CasePayout)
    )
    return [_Row(*tuple(row)) for row in session.execute(query)]


def _update(session: Session, changes: list[dict[str, object]], **columns: object) -> None:
    """Write each payout's changes (``columns``: column → the bound name in ``changes``) in one statement."""
    if not changes:
        return
    table: Any = CasePayout.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("payout_id"))
        .values({name: bindparam(str(bound)) for name, bound in columns.items()}),
        changes,
    )


def _record(
    session: Session, case_id: int, kind: str, data: dict[str, object], notices: tuple[Notice, ...]
) -> None:
    events.record(
        session,
        SWEEP,
        DomainEvent(
            kind=kind,
            subject=f"case:{case_id}",
            case_id=case_id,
            reason=RULE_PAYOUT,
            data=data,
            notices=notices,
        ),
    )


def mark_sent(session: Session, payout_ids: Sequence[int]) -> list[PayoutOrder]:
    """Step 1 for a batch: the pending payouts sent and their money in flight (one posting each, in bulk),
    their payees told; those an earlier run left sent are asked for again as they were."""
    session.flush()
    by_case: dict[int, list[_Row]] = defaultdict(list)
    orders: list[PayoutOrder] = []
    for row in _locked(session, payout_ids):
        if transitions.PAYOUT.can("send", row.status):
            by_case[row.case_id].append(row)
        elif row.status != PayoutStatus.SENT or row.attempts >= MAX_ATTEMPTS:
            continue
        orders.append(
            PayoutOrder(
                payout_id=row.id,
                key=row.key,
                account=row.account,
                name=row.name[:64],
                amount_fen=row.amount_fen,
                reference=f"case-payout:{row.id}",
            )
        )
    now = clock.now()
    for case_id, sent in by_case.items():
        _update(
            session,
            [{"payout_id": r.id, "sent": PayoutStatus.SENT, "at": now} for r in sent],
            status="sent",
            sent_at="at",
        )
        ledger.post_many(
            session,
            acct.book(case_id),
            [
                Entry(
                    key=f"payout:{r.id}:sent:{r.retries}",
                    kind="payout.sent",
                    lines=acct.move(r.amount_fen, debit=r.owed, credit=acct.IN_FLIGHT),
                    actor=SWEEP.label,
                )
                for r in sent
            ],
        )
        case = session.get(EnforcementCase, case_id)
        assert case is not None
        notices = tuple(
            told(
                case,
                r.party_id,
                f"案款{zh.yuan_text(r.amount_fen)}已汇出，正在汇往您尾号{r.account[-4:]}的账户，请注意查收。",
                f"case_money.payout_sent:{r.id}:{r.retries}",
            )
            for r in sent
            if r.party_id is not None
        )
        _record(
            session,
            case_id,
            "case_money.payouts_sent",
            {"payouts": len(sent), "amount_fen": sum(r.amount_fen for r in sent)},
            notices,
        )
    _expire(session)
    return orders


def record_answers(session: Session, answers: Sequence[tuple[PayoutOrder, Answer]]) -> list[str]:
    """Step 3 for a batch: each answer recorded — paid out of the case account, declined and owed again,
    or (the gateway out of reach) left sent for the next run; postings in bulk, one event a case."""
    session.flush()
    asked = {order.payout_id: (order, answer) for order, answer in answers}
    by_case: dict[int, list[tuple[_Row, str]]] = defaultdict(list)
    errors: list[dict[str, object]] = []
    now = clock.now()
    for row in _locked(session, list(asked)):
        order, answer = asked[row.id]
        if row.status != PayoutStatus.SENT or row.key != order.key:
            continue  # another run recorded it
        if isinstance(answer, OutboundError):
            if answer.permanent and answer.status in _REFUSED:
                by_case[row.case_id].append((row, f"the gateway refused the payout: {answer.reason}"))
            else:
                errors.append({"payout_id": row.id, "tried": row.attempts + 1, "error": answer.reason[:200]})
        elif answer.status is TransferStatus.SUCCEEDED:
            by_case[row.case_id].append((row, ""))
        else:
            by_case[row.case_id].append((row, answer.failure_reason or f"transfer {answer.status}"))
    _update(session, errors, attempts="tried", last_error="error")
    statuses: list[str] = []
    for case_id, done in by_case.items():
        transfer_of: dict[int, str] = {}
        for r, _ in done:
            answer = asked[r.id][1]
            if isinstance(answer, Transfer):
                transfer_of[r.id] = answer.id
        paid = [r for r, error in done if not error]
        failed = [(r, error) for r, error in done if error]
        _update(
            session,
            [
                {
                    "payout_id": r.id,
                    "new": PayoutStatus.SUCCEEDED,
                    "tried": r.attempts + 1,
                    "tr": transfer_of[r.id],
                    "at": now,
                    "error": "",
                }
                for r in paid
            ],
            status="new",
            attempts="tried",
            transfer_id="tr",
            paid_at="at",
            last_error="error",
        )
        _update(
            session,
            [
                {
                    "payout_id": r.id,
                    "new": PayoutStatus.FAILED,
                    "tried": r.attempts + 1,
                    "tr": transfer_of.get(r.id),
                    "error": error[:200],
                }
                for r, error in failed
            ],
            status="new",
            attempts="tried",
            transfer_id="tr",
            last_error="error",
        )
        entries = [
            Entry(
                key=f"payout:{r.id}:paid",
                kind="payout.paid",
                lines=acct.move(r.amount_fen, debit=acct.IN_FLIGHT, credit=acct.BANK),
                actor=SWEEP.label,
            )
            for r in paid
        ] + [
            Entry(
                key=f"payout:{r.id}:declined:{r.retries}",
                kind="payout.declined",
                lines=acct.move(r.amount_fen, debit=acct.IN_FLIGHT, credit=r.owed),
                actor=SWEEP.label,
            )
            for r, _ in failed
        ]
        ledger.post_many(session, acct.book(case_id), entries)
        _record(
            session,
            case_id,
            "case_money.payouts_answered",
            {
                "paid": len(paid),
                "paid_fen": sum(r.amount_fen for r in paid),
                "failed": len(failed),
                "failed_ids": [r.id for r, _ in failed][:100],
            },
            (),
        )
        statuses += [PayoutStatus.SUCCEEDED] * len(paid) + [PayoutStatus.FAILED] * len(failed)
    _expire(session)
    return [str(status) for status in statuses]


def _expire(session: Session) -> None:
    # The payouts were written around the unit of work: any the session holds read themselves afresh.
    for row in list(session.identity_map.values()):
        if isinstance(row, CasePayout):
            session.expire(row)


def send_batch(database: Database, pay: Pay, payout_ids: Sequence[int]) -> list[str]:
    """One batch through the three steps; the statuses reached (a payout left sent is not listed)."""
    with database.unit_of_work() as session:
        orders = mark_sent(session, payout_ids)
    if not orders:
        return []
    answers = pay(orders)
    if len(answers) != len(orders):
        raise ValueError(f"{len(answers)} answers to {len(orders)} payouts")
    with database.unit_of_work() as session:
        return record_answers(session, list(zip(orders, answers, strict=True)))


def send_due_in_batches(
    database: Database,
    pay: Pay,
    *,
    case_id: int | None = None,
    batch: int = 500,
    limit: int = 1_000_000,
    on_batch: Callable[[int, int, list[str]], None] | None = None,
) -> list[str]:
    """Every due payout (of one case, or all), ``batch`` at a time; the statuses reached. ``on_batch`` is
    told after each batch is recorded: (payouts done so far, payouts due at the start, the batch's
    statuses), for an operator watching a long run."""
    with database.unit_of_work(read_only=True) as session:
        ids = due(session, limit=limit, case_id=case_id)
    done: list[str] = []
    for start in range(0, len(ids), batch):
        reached = send_batch(database, pay, ids[start : start + batch])
        done += reached
        if on_batch is not None:
            on_batch(min(start + batch, len(ids)), len(ids), reached)
    return done
