"""The case's money as the console shows it: totals summed in the database, the statement's accounts in
plain Chinese, a distribution's shares by order of priority, and an applicant's own money.

A mass case has a hundred thousand payees, each with accounts of its own: nothing here reads them all
into the process; every figure is a sum the database makes, every list a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from car_enforce.case_money import accounts as acct
from car_enforce.case_money.models import (
    HOLD_REASON_ZH,
    CasePayee,
    CasePayout,
    PayeeKind,
    PayoutStatus,
)
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import ledger
from car_enforce.core.ledger import LedgerAccount, LedgerBook, LedgerLine, LedgerPosting


@dataclass(frozen=True, slots=True)
class Totals:
    """What the case's book holds, by the plain Chinese heads the officer reads."""

    received_fen: int  # 到账: every receipt, less those reversed
    undistributed_fen: int  # received and not yet shared out
    costs_fen: int  # 费用: costs charged and not yet covered by a distribution
    fee_fen: int  # 执行费: taken by the distributions so far
    payable_fen: int  # 应付: shared out to the applicants and the costs' parties, not yet sent
    in_flight_fen: int  # 在途: sent to the bank, not yet paid
    paid_out_fen: int  # 已发放
    surplus_fen: int  # 退还被执行人: left over for the debtor, not yet sent
    held_fen: int  # what the case account holds
    balanced: bool  # the accounts sum to zero


def totals(session: Session, enforcement_case: EnforcementCase) -> Totals:
    """The case's totals, each summed by the database over the book's accounts."""
    book = acct.book(enforcement_case.id)
    code, signed = LedgerAccount.code, LedgerAccount.balance_fen

    def under(prefix: str) -> ColumnElement[int]:
        # Accounts owed to someone stand on the credit side: their balance is the negated signed sum.
        return func.coalesce(func.sum(case((code.like(f"{prefix}%"), -signed), else_=0)), 0)

    row = session.execute(
        select(
            under("received:"),
            under("cost:"),
            under("payable:"),
            under("surplus:"),
            func.coalesce(func.sum(signed), 0),
        )
        .join(LedgerBook, LedgerBook.id == LedgerAccount.book_id)
        .where(LedgerBook.key == book)
    ).one()
    undistributed, costs, payable, surplus, total = (int(v) for v in row)
    return Totals(
        received_fen=ledger.kinds_total(session, book, acct.BANK, kinds=["receipt", "reversal"]),
        undistributed_fen=undistributed,
        costs_fen=costs,
        fee_fen=-ledger.kinds_total(session, book, acct.FEE, kinds=["distribution"]),
        payable_fen=payable,
        in_flight_fen=ledger.balance(session, book, acct.IN_FLIGHT),
        paid_out_fen=-ledger.kinds_total(session, book, acct.BANK, kinds=["payout.paid"]),
        surplus_fen=surplus,
        held_fen=ledger.balance(session, book, acct.BANK),
        balanced=total == 0,
    )


def payee_count(session: Session, enforcement_case: EnforcementCase) -> int:
    return int(
        session.scalar(select(func.count(CasePayee.id)).where(CasePayee.case_id == enforcement_case.id)) or 0
    )


def cost_payees(session: Session, enforcement_case: EnforcementCase) -> list[CasePayee]:
    """The case's cost payees (a center, a platform, an appraiser): whom a cost entered by hand is owed to."""
    query = select(CasePayee).where(
        CasePayee.case_id == enforcement_case.id, CasePayee.kind == PayeeKind.COST
    )
    return list(session.scalars(query.order_by(CasePayee.id)))


def payout_count(
    session: Session, enforcement_case: EnforcementCase, status: PayoutStatus | None = None
) -> int:
    query = select(func.count(CasePayout.id)).where(CasePayout.case_id == enforcement_case.id)
    if status is not None:
        query = query.where(CasePayout.status == status)
    return int(session.scalar(query) or 0)


def account_names(
    session: Session, enforcement_case: EnforcementCase, codes: Iterable[str]
) -> dict[str, str]:
    """Each account of the case's book in plain Chinese, a payee's by the payee's name."""
    codes = set(codes)
    ids = {int(c.rsplit(":", 1)[1]) for c in codes if c.startswith(("cost:", "payable:", "surplus:"))}
    names = dict(
        session.execute(
            select(CasePayee.id, CasePayee.name).where(
                CasePayee.case_id == enforcement_case.id, CasePayee.id.in_(ids)
            )
        ).all()
    )
    fixed = {
        acct.BANK: "案款专户",
        acct.IN_FLIGHT: "在途（已汇出待到账）",
        acct.FEE: "执行费",
        acct.COSTS_CHARGED: "已发生待分配的费用",
    }
    named: dict[str, str] = {}
    for code in codes:
        head, _, rest = code.partition(":")
        if code in fixed:
            named[code] = fixed[code]
        elif head == "received":
            named[code] = f"待分配·{acct.SOURCE_ZH.get(acct.Source(rest), rest)}"
        elif head == "cost":
            kind, _, payee_id = rest.partition(":")
            named[code] = f"{acct.COST_ZH[acct.CostKind(kind)]}·{names.get(int(payee_id), payee_id)}"
        elif head == "payable":
            named[code] = f"应付·{names.get(int(rest), rest)}"
        elif head == "surplus":
            named[code] = f"退还被执行人·{names.get(int(rest), rest)}"
        else:
            named[code] = code
    return named


@dataclass(frozen=True, slots=True)
class Share:
    """One step of a distribution's order: who, how many of them, how much."""

    kind: PayeeKind
    secured: bool
    rank: int
    payees: int
    amount_fen: int


@dataclass(frozen=True, slots=True)
class DistributionResult:
    posting_id: int
    memo: str
    at: datetime
    fee_fen: int
    shares: list[Share]  # in the order the rules pay them: costs, secured creditors, ranks, the debtor
    due_on: date | None


_ORDER = {PayeeKind.COST: 0, PayeeKind.CREDITOR: 1, PayeeKind.DEBTOR: 2}


def distribution_result(
    session: Session, enforcement_case: EnforcementCase, posting_id: int
) -> DistributionResult | None:
    """What one distribution of the case shared out, summed by step of the order of priority; None when
    the posting is not one of the case's distributions."""
    posting = session.get(LedgerPosting, posting_id)
    if posting is None or posting.kind != "distribution":
        return None
    if session.scalar(select(LedgerBook.key).where(LedgerBook.id == posting.book_id)) != acct.book(
        enforcement_case.id
    ):
        return None
    fee = session.scalar(
        select(func.coalesce(func.sum(LedgerLine.amount_fen), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .where(LedgerLine.posting_id == posting.id, LedgerAccount.code == acct.FEE)
    )
    rows = session.execute(
        select(
            CasePayee.kind,
            CasePayee.secured,
            CasePayee.rank,
            func.count(CasePayout.id),
            func.sum(CasePayout.amount_fen),
            func.max(CasePayout.due_on),
        )
        .join(CasePayee, CasePayee.id == CasePayout.payee_id)
        .where(
            CasePayout.case_id == enforcement_case.id,
            CasePayout.request_key.like(f"distribution:{posting.id}:%"),
        )
        .group_by(CasePayee.kind, CasePayee.secured, CasePayee.rank)
    ).all()
    shares = sorted(
        (
            Share(PayeeKind(kind), bool(secured) and kind == PayeeKind.CREDITOR, rank, count, int(amount))
            for kind, secured, rank, count, amount, _ in rows
        ),
        key=lambda s: (_ORDER[s.kind], not s.secured, s.rank),
    )
    return DistributionResult(
        posting_id=posting.id,
        memo=posting.memo,
        at=posting.at,
        fee_fen=-int(fee or 0),
        shares=shares,
        due_on=max((due for *_, due in rows), default=None),
    )


def last_distribution(session: Session, enforcement_case: EnforcementCase) -> int | None:
    """The case's latest distribution posting, if it has one."""
    return session.scalar(
        select(func.max(LedgerPosting.id))
        .join(LedgerBook, LedgerBook.id == LedgerPosting.book_id)
        .where(LedgerBook.key == acct.book(enforcement_case.id), LedgerPosting.kind == "distribution")
    )


# --- the applicant's own money ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayoutLine:
    amount_fen: int
    status: PayoutStatus
    due_on: date
    paid_at: datetime | None
    held_reason: str  # in plain words; empty unless held


@dataclass(frozen=True, slots=True)
class MyMoney:
    """One applicant's money in one case: the case's receipts, and the applicant's own payee rows."""

    received_fen: int  # what has arrived in the case's account
    allocated_fen: int  # shared out to the applicant so far
    claim_fen: int
    waiting_fen: int  # allocated, not yet sent (pending or held)
    on_its_way_fen: int  # sent to the bank, not yet paid
    paid_fen: int
    account_tails: list[str]
    payouts: list[PayoutLine]


def money_of_applicant(session: Session, enforcement_case: EnforcementCase, party_id: int) -> MyMoney | None:
    """The applicant's money in the case, from its own payee rows alone (those of its party); None when
    the case has none for it yet."""
    payees = list(
        session.scalars(
            select(CasePayee)
            .where(
                CasePayee.case_id == enforcement_case.id,
                CasePayee.party_id == party_id,
                CasePayee.kind == PayeeKind.CREDITOR,
            )
            .order_by(CasePayee.id)
        )
    )
    if not payees:
        return None
    found = list(
        session.scalars(
            select(CasePayout)
            .where(CasePayout.payee_id.in_([p.id for p in payees]))
            .order_by(CasePayout.id.desc())
            .limit(50)
        )
    )

    def sum_of(*statuses: PayoutStatus) -> int:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(CasePayout.amount_fen), 0)).where(
                    CasePayout.payee_id.in_([p.id for p in payees]), CasePayout.status.in_(statuses)
                )
            )
            or 0
        )

    return MyMoney(
        received_fen=ledger.kinds_total(
            session, acct.book(enforcement_case.id), acct.BANK, kinds=["receipt", "reversal"]
        ),
        allocated_fen=sum(p.allocated_fen for p in payees),
        claim_fen=sum(p.claim_fen for p in payees),
        waiting_fen=sum_of(PayoutStatus.PENDING, PayoutStatus.HELD, PayoutStatus.FAILED),
        on_its_way_fen=sum_of(PayoutStatus.SENT),
        paid_fen=sum_of(PayoutStatus.SUCCEEDED),
        account_tails=[p.account_number[-4:] for p in payees],
        payouts=[
            PayoutLine(
                amount_fen=p.amount_fen,
                status=p.status,
                due_on=p.due_on,
                paid_at=p.paid_at,
                held_reason=HOLD_REASON_ZH[p.held_reason] if p.held_reason is not None else "",
            )
            for p in found
        ],
    )
