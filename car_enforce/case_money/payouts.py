"""Payouts of a case's money: made by a distribution (or an officer), held only for a recorded reason,
sent through the payment gateway one per transaction, each under a key fixed before its first send.

A payout is sent in three steps, the gateway called between two transactions, never inside one: (1) it is
marked sent and its amount moved from what the payee is owed to what is in flight, and the payee is told the
money is on its way; (2) the gateway is asked to pay under the payout's Idempotency-Key; (3) the answer is
recorded: paid out of the case account, or declined and back with what the payee is owed. A crash after
(1) or (2) leaves the payout sent; the next sweep asks the gateway again under the same key, which answers
with the first payment instead of paying twice. Only a person gives a declined payout a new key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.case_money import accounts as acct
from car_enforce.case_money import transitions
from car_enforce.case_money.models import (
    HOLD_REASON_ZH,
    CasePayee,
    CasePayout,
    HoldReason,
    PayoutStatus,
)
from car_enforce.case_money.payees import owed_account, payee_of
from car_enforce.case_money.rules import PAYOUT_DAYS, RULE_PAYOUT
from car_enforce.case_money.service import (
    case_of,
    checked_amount,
    checked_key,
    lock,
    new_idempotency_key,
    told,
)
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock, events, ledger, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict, NotFound
from car_enforce.core.events import DomainEvent, Notice
from car_enforce.core.identity.principal import Principal
from car_enforce.core.outbound.client import OutboundError
from car_enforce.core.payments.client import PaymentGateway, Transfer, TransferStatus

log = logging.getLogger(__name__)
SWEEP = Principal.system("case-payouts")
MAX_ATTEMPTS = 8  # calls under one key; then the payout waits for a person, who sees its last error
_UNSENT = (PayoutStatus.PENDING, PayoutStatus.HELD)


class BeyondHeld(Conflict):
    """A payout of more than the case holds for its payee."""


def _lock(session: Session, payout: CasePayout) -> None:
    session.execute(select(CasePayout.id).where(CasePayout.id == payout.id).with_for_update())
    session.refresh(payout)


def _event(
    session: Session,
    actor: Principal,
    payout: CasePayout,
    kind: str,
    *,
    text: str | None = None,
    reason: str = "",
    **data: object,
) -> None:
    """Record the payout's event; ``text`` goes to the payee when the payee is a party of the case."""
    notices: tuple[Notice, ...] = ()
    if text is not None and payout.payee.party_id is not None:
        case = session.get(EnforcementCase, payout.case_id)
        assert case is not None
        notices = (told(case, payout.payee.party_id, text, f"{kind}:{payout.id}:{payout.retries}"),)
    events.record(
        session,
        actor,
        DomainEvent(
            kind=kind,
            subject=f"case_payout:{payout.id}",
            case_id=payout.case_id,
            reason=reason,
            data={
                "payout_id": payout.id,
                "payee_id": payout.payee_id,
                "amount_fen": payout.amount_fen,
                **data,
            },
            notices=notices,
        ),
    )


def payouts_of(
    session: Session,
    case: EnforcementCase,
    *,
    status: PayoutStatus | None = None,
    limit: int,
    offset: int = 0,
) -> list[CasePayout]:
    query = select(CasePayout).where(CasePayout.case_id == case.id)
    if status is not None:
        query = query.where(CasePayout.status == status)
    return list(session.scalars(query.order_by(CasePayout.id).limit(limit).offset(offset)))


def payout_of(session: Session, case: EnforcementCase, payout_id: int) -> CasePayout:
    payout = session.get(CasePayout, payout_id)
    if payout is None or payout.case_id != case.id:
        raise NotFound(
            f"payout {payout_id} is not a payout of case {case.case_number}", zh="本案没有这笔案款发放"
        )
    return payout


def order_payout(
    session: Session, case_id: int, *, payee_id: int, amount_fen: int, key: str, actor: Principal
) -> tuple[CasePayout, bool]:
    """A payout an officer orders of what the case holds for a payee (distributed to it and not yet paid or
    ordered): refused beyond that, to a payee the case does not have; the same key again is the same
    payout. Whether it was made now is the second value."""
    case = case_of(session, case_id)
    lock(session, case)
    payee = payee_of(session, case, payee_id)
    request_key = f"order:{checked_key(key)}"
    earlier = session.scalar(
        select(CasePayout).where(CasePayout.case_id == case.id, CasePayout.request_key == request_key)
    )
    if earlier is not None:
        if earlier.payee_id != payee.id or earlier.amount_fen != amount_fen:
            raise Conflict(
                f"payout key {key!r} names payout {earlier.id} already, of another amount or payee",
                field="key",
                zh="此编号已用于另一笔不同的发放",
            )
        return earlier, False
    owed = ledger.balance(session, acct.book(case.id), owed_account(payee))
    ordered = session.scalar(
        select(func.coalesce(func.sum(CasePayout.amount_fen), 0)).where(
            CasePayout.payee_id == payee.id, CasePayout.status.in_(_UNSENT)
        )
    )
    free = owed - int(ordered or 0)
    if checked_amount(amount_fen) > free:
        raise BeyondHeld(
            f"the case holds {free} fen for payee {payee.id} not yet paid or ordered; {amount_fen} asked",
            field="amount_fen",
            zh=f"本案为该收款人留存的待发款项仅{zh.yuan_text(max(free, 0))}，"
            f"不能发放{zh.yuan_text(amount_fen)}",
        )
    now = clock.now()
    payout = CasePayout(
        case_id=case.id,
        payee_id=payee.id,
        amount_fen=amount_fen,
        request_key=request_key,
        idempotency_key=new_idempotency_key(),
        status=PayoutStatus.PENDING,
        arrived_at=now,
        due_on=load_calendar(session).court_period_end(clock.today_local(), PAYOUT_DAYS).on,
        created_at=now,
    )
    session.add(payout)
    session.flush()
    _event(session, actor, payout, "case_money.payout_ordered")
    return payout, True


def hold_payout(
    session: Session, payout: CasePayout, *, actor: Principal, reason: HoldReason, note: str = ""
) -> CasePayout:
    """Delay a payout for one of the reasons the rules allow, recorded with it (法发〔2017〕6号)."""
    _lock(session, payout)
    reason = HoldReason(reason)
    transitions.PAYOUT.move(payout, "hold", rule=RULE_PAYOUT)
    payout.held_reason, payout.hold_note = reason, note.strip()[:200]
    session.flush()
    _event(
        session,
        actor,
        payout,
        "case_money.payout_held",
        reason=RULE_PAYOUT,
        held_reason=reason,
        note=payout.hold_note,
        text=f"您的案款{zh.yuan_text(payout.amount_fen)}因{HOLD_REASON_ZH[reason]}暂缓发放，原因消除后即予发放。",
    )
    return payout


def release_hold(session: Session, payout: CasePayout, *, actor: Principal) -> CasePayout:
    """The reason is gone: the payout is due again, and the next sweep sends it."""
    _lock(session, payout)
    held = payout.held_reason
    transitions.PAYOUT.move(payout, "release")
    payout.held_reason = None
    session.flush()
    _event(session, actor, payout, "case_money.hold_released", held_reason=held)
    return payout


def retry_payout(session: Session, payout: CasePayout, *, actor: Principal) -> CasePayout:
    """A person sends a declined payout again (the payee's account put right): a new key, since the old one
    would only get the declined answer back."""
    _lock(session, payout)
    transitions.PAYOUT.move(payout, "retry")
    payout.idempotency_key = new_idempotency_key()
    payout.retries += 1
    payout.attempts = 0
    session.flush()
    _event(session, actor, payout, "case_money.payout_retried", failed_with=payout.last_error)
    return payout


# --- sending ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayoutOrder:
    """What the gateway is asked for one payout, under the payout's key."""

    payout_id: int
    key: str
    account: str
    name: str
    amount_fen: int
    reference: str


def _mark_sent(session: Session, payout_id: int) -> PayoutOrder | None:
    """Step 1: the payout sent, its money in flight, the payee told; what to ask the gateway. A payout left
    sent by an earlier run is asked for again as it was."""
    payout = session.get(CasePayout, payout_id)
    if payout is None:
        return None
    _lock(session, payout)
    if payout.status == PayoutStatus.PENDING:
        transitions.PAYOUT.move(payout, "send")
        payout.sent_at = clock.now()
        payee = payout.payee
        ledger.post(
            session,
            acct.book(payout.case_id),
            acct.move(payout.amount_fen, debit=owed_account(payee), credit=acct.IN_FLIGHT),
            key=f"payout:{payout.id}:sent:{payout.retries}",
            kind="payout.sent",
            actor=SWEEP.label,
        )
        session.flush()
        _event(
            session,
            SWEEP,
            payout,
            "case_money.payout_sent",
            reason=RULE_PAYOUT,
            text=f"案款{zh.yuan_text(payout.amount_fen)}已汇出，正在汇往您尾号{payee.account_number[-4:]}的账户，请注意查收。",
        )
    elif payout.status != PayoutStatus.SENT or payout.attempts >= MAX_ATTEMPTS:
        return None
    return PayoutOrder(
        payout_id=payout.id,
        key=payout.idempotency_key,
        account=payout.payee.account_number,
        name=payout.payee.name[:64],
        amount_fen=payout.amount_fen,
        reference=f"case-payout:{payout.id}",
    )


def _declined(session: Session, payout: CasePayout, error: str, transfer_id: str | None) -> str:
    transitions.PAYOUT.move(payout, "fail")
    payout.last_error = error[:200]
    ledger.post(
        session,
        acct.book(payout.case_id),
        acct.move(payout.amount_fen, debit=acct.IN_FLIGHT, credit=owed_account(payout.payee)),
        key=f"payout:{payout.id}:declined:{payout.retries}",
        kind="payout.declined",
        actor=SWEEP.label,
    )
    session.flush()
    _event(
        session, SWEEP, payout, "case_money.payout_failed", transfer_id=transfer_id, error=payout.last_error
    )
    return str(payout.status)


def _record_answer(session: Session, payout_id: int, key: str, transfer: Transfer) -> str | None:
    """Step 3: the gateway's answer: paid out of the case account, or declined and owed again."""
    payout = session.get(CasePayout, payout_id)
    assert payout is not None
    _lock(session, payout)
    if payout.status != PayoutStatus.SENT or payout.idempotency_key != key:
        return None  # another run recorded it (the gateway acted once, by the key)
    payout.attempts += 1
    payout.transfer_id = transfer.id
    if transfer.status is not TransferStatus.SUCCEEDED:
        return _declined(
            session, payout, transfer.failure_reason or f"transfer {transfer.status}", transfer.id
        )
    transitions.PAYOUT.move(payout, "succeed")
    payout.paid_at, payout.last_error = clock.now(), ""
    ledger.post(
        session,
        acct.book(payout.case_id),
        acct.move(payout.amount_fen, debit=acct.IN_FLIGHT, credit=acct.BANK),
        key=f"payout:{payout.id}:paid",
        kind="payout.paid",
        actor=SWEEP.label,
    )
    session.flush()
    _event(session, SWEEP, payout, "case_money.payout_paid", transfer_id=transfer.id)
    return str(payout.status)


# The gateway refused the request itself (a malformed account): it paid nothing, and the same request
# under the same key would be refused again.
_REFUSED = frozenset({400, 422})


def _record_error(database: Database, payout_id: int, key: str, error: OutboundError) -> str | None:
    with database.unit_of_work() as session:
        payout = session.get(CasePayout, payout_id)
        assert payout is not None
        _lock(session, payout)
        if payout.status != PayoutStatus.SENT or payout.idempotency_key != key:
            return None
        payout.attempts += 1
        if error.permanent and error.status in _REFUSED:
            return _declined(session, payout, f"the gateway refused the payout: {error.reason}", None)
        payout.last_error = error.reason[:200]
        return None


def send_one(database: Database, payout_id: int, gateway: PaymentGateway) -> str | None:
    """Send one payout; the status it reached, None when nothing was due or the gateway failed (the payout
    stays sent and the next sweep asks again under the same key)."""
    with database.unit_of_work() as session:
        order = _mark_sent(session, payout_id)
    if order is None:
        return None
    try:
        transfer = gateway.payout(
            order.key,
            to_account=order.account,
            payee_name=order.name,
            amount_fen=order.amount_fen,
            reference=order.reference,
        )
    except OutboundError as error:
        return _record_error(database, payout_id, order.key, error)
    with database.unit_of_work() as session:
        return _record_answer(session, payout_id, order.key, transfer)


def due(session: Session, *, limit: int, case_id: int | None = None) -> list[int]:
    """The payouts to send (of one case, or every case): the pending ones, and those an earlier run left
    sent; earliest due first."""
    query = select(CasePayout.id).where(
        CasePayout.status.in_((PayoutStatus.PENDING, PayoutStatus.SENT)), CasePayout.attempts < MAX_ATTEMPTS
    )
    if case_id is not None:
        query = query.where(CasePayout.case_id == case_id)
    return list(session.scalars(query.order_by(CasePayout.due_on, CasePayout.id).limit(limit)))


def send_due(
    database: Database, gateway: PaymentGateway, *, limit: int = 500, case_id: int | None = None
) -> list[str]:
    """The sweep: up to ``limit`` payouts, one per transaction; one's trouble never stops the others."""
    with database.unit_of_work(read_only=True) as session:
        ids = due(session, limit=limit, case_id=case_id)
    done = []
    for payout_id in ids:
        try:
            status = send_one(database, payout_id, gateway)
        except Exception:
            log.exception("sending payout %s failed; the next sweep tries it again", payout_id)
            continue
        if status is not None:
            done.append(status)
    return done


def paid_to(session: Session, payee: CasePayee) -> int:
    """What the payee has been paid, in fen."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(CasePayout.amount_fen), 0)).where(
                CasePayout.payee_id == payee.id, CasePayout.status == PayoutStatus.SUCCEEDED
            )
        )
        or 0
    )


def overdue(session: Session, *, court_id: int | None = None) -> list[CasePayout]:
    """Payouts past their 30 days and not paid: what the officer must act on or explain."""
    query = select(CasePayout).where(
        CasePayout.status.in_((PayoutStatus.PENDING, PayoutStatus.SENT, PayoutStatus.FAILED)),
        CasePayout.due_on < clock.today_local(),
    )
    if court_id is not None:
        query = query.join(EnforcementCase, EnforcementCase.id == CasePayout.case_id).where(
            EnforcementCase.court_id == court_id
        )
    return list(session.scalars(query.order_by(CasePayout.due_on, CasePayout.id)))
