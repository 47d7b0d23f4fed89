"""Money in and costs on a case's account: receipts (the sale's price, a forfeited deposit, the debtor's
payment, money entered by hand), costs owed to cost payees, and the reversal of an entry made in error. Each
entry is named by its key: the same key again is the same entry. Nothing here commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.case_money import accounts as acct
from car_enforce.case_money.accounts import CostKind, Source
from car_enforce.case_money.models import PayeeKind
from car_enforce.case_money.payees import payee_of
from car_enforce.case_money.schemas import CostIn, ReceiptIn
from car_enforce.case_money.service import case_of, checked_amount, checked_key
from car_enforce.core import events, ledger, zh
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.events import CASE_APPLICANTS, DomainEvent, Notice
from car_enforce.core.identity.principal import Principal
from car_enforce.core.ledger import LedgerPosting


class AlreadyMoved(Conflict):
    """Money a reversal would take back has been shared out or paid on already."""


def receive(
    session: Session,
    case_id: int,
    *,
    amount_fen: int,
    source: Source | str,
    key: str,
    actor: Principal,
    memo: str = "",
) -> tuple[LedgerPosting, bool]:
    """Money arrived in the case's account; the same key again is the same receipt (nothing more). The
    posting, and whether this call made it."""
    case = case_of(session, case_id)
    source = Source(source)
    posting, made = ledger.post_or_replay(
        session,
        acct.book(case.id),
        acct.move(checked_amount(amount_fen), debit=acct.BANK, credit=acct.received(source)),
        key=f"receipt:{checked_key(key)}",
        kind="receipt",
        memo=memo,
        actor=actor.label,
    )
    if made:
        events.record(
            session,
            actor,
            DomainEvent(
                kind="case_money.received",
                subject=f"case:{case.id}",
                case_id=case.id,
                data={"posting_id": posting.id, "amount_fen": amount_fen, "source": source},
                notices=(
                    Notice(
                        CASE_APPLICANTS,
                        case.id,
                        f"{acct.SOURCE_ZH[source]}{zh.yuan_text(amount_fen)}已到账，法院将依法分配后发放。",
                    ),
                ),
            ),
        )
    return posting, made


def charge_cost(
    session: Session,
    case_id: int,
    *,
    payee_id: int,
    kind: CostKind | str,
    amount_fen: int,
    key: str,
    actor: Principal,
    memo: str = "",
) -> tuple[LedgerPosting, bool]:
    """A cost of enforcement owed to its party (a cost payee), to be covered first from the money received
    (执行工作规定 item 34); the same key again is the same charge. The posting, and whether this call made
    it."""
    case = case_of(session, case_id)
    kind = CostKind(kind)
    payee = payee_of(session, case, payee_id)
    if payee.kind != PayeeKind.COST:
        raise InvalidInput(
            "payee_id",
            f"payee {payee_id} is a {payee.kind}, not a cost's party",
            zh="该收款人不是执行费用的收款方",
        )
    posting, made = ledger.post_or_replay(
        session,
        acct.book(case.id),
        acct.move(checked_amount(amount_fen), debit=acct.COSTS_CHARGED, credit=acct.cost(kind, payee.id)),
        key=f"cost:{checked_key(key)}",
        kind="cost",
        memo=memo,
        actor=actor.label,
    )
    if made:
        events.record(
            session,
            actor,
            DomainEvent(
                kind="case_money.cost_charged",
                subject=f"case:{case.id}",
                case_id=case.id,
                data={"posting_id": posting.id, "amount_fen": amount_fen, "kind": kind, "payee_id": payee.id},
            ),
        )
    return posting, made


def enter_receipt(
    session: Session, case_id: int, data: ReceiptIn, *, actor: Principal
) -> tuple[LedgerPosting, bool]:
    """Money an officer enters by hand, named by the bank's serial number of the transfer."""
    return receive(
        session,
        case_id,
        amount_fen=data.amount_fen,
        source=data.source,
        key=f"bank:{data.reference}",
        actor=actor,
        memo=data.memo,
    )


def enter_cost(
    session: Session, case_id: int, data: CostIn, *, actor: Principal
) -> tuple[LedgerPosting, bool]:
    """A cost an officer enters by hand, named by its bill's number."""
    return charge_cost(
        session,
        case_id,
        payee_id=data.payee_id,
        kind=data.kind,
        amount_fen=data.amount_fen,
        key=f"bill:{data.reference}",
        actor=actor,
        memo=data.memo,
    )


def take_back(
    session: Session, case_id: int, posting_id: int, *, reason: str, actor: Principal
) -> tuple[LedgerPosting, bool]:
    """Reverse an entry made in error, with the reason; asked again, the reversal made the first time."""
    return reverse(session, case_id, posting_id, key=f"posting:{posting_id}", actor=actor, memo=reason)


REVERSIBLE = ("receipt", "cost")


def reverse(
    session: Session, case_id: int, posting_id: int, *, key: str, actor: Principal, memo: str = ""
) -> tuple[LedgerPosting, bool]:
    """Take back a receipt or a cost charged in error, by a reversing posting; refused once the money has
    been shared out or paid (``AlreadyMoved``) or when reversed already. The reversal, and whether this
    call made it."""
    case = case_of(session, case_id)
    book = acct.book(case.id)
    book_id = ledger.lock(session, book).id
    original = session.get(LedgerPosting, posting_id)
    if original is None or original.book_id != book_id:
        raise NotFound(
            f"posting {posting_id} is not in case {case.case_number}'s account", zh="本案账户中没有这笔记账"
        )
    if original.kind not in REVERSIBLE:
        raise Conflict(
            f"a {original.kind} posting is not reversed; only a receipt or a cost charged",
            zh="只有到账和执行费用记账可以冲正",
        )
    try:
        reversal, made = ledger.reverse_or_replay(
            session, book, posting_id, key=f"reversal:{checked_key(key)}", memo=memo, actor=actor.label
        )
    except ledger.Overdrawn as refused:
        raise AlreadyMoved(
            f"posting {posting_id}'s money has been distributed or paid out already: it cannot be taken back",
            zh="这笔款项已分配或已发放，不能冲正",
        ) from refused
    if made:
        events.record(
            session,
            actor,
            DomainEvent(
                kind="case_money.reversed",
                subject=f"case:{case.id}",
                case_id=case.id,
                reason=memo,
                data={"posting_id": posting_id, "reversal_id": reversal.id, "kind": original.kind},
            ),
        )
    return reversal, made
