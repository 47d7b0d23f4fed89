"""The case's money coming in and being shared out (一案一账号): payees, receipts, costs, the distribution.

Every verb that moves money takes the case's book lock first, so two officers (or a sweep and an officer)
never share out the same money twice; every verb posts to the ledger and records one event. Nothing here
commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from car_enforce.case_money import accounts as acct
from car_enforce.case_money.accounts import CostKind, Source
from car_enforce.case_money.models import CasePayee, CasePayout, PayeeKind, PayeeStatus, PayoutStatus
from car_enforce.case_money.rules import (
    PAYOUT_DAYS,
    RULE_FEE,
    RULE_ORDER,
    Claim,
    fee_of_distribution,
    plan_distribution,
)
from car_enforce.case_money.schemas import CostIn, PayeeIn, PayeesAdded, ReceiptIn, masked_account
from car_enforce.cases.models import EnforcementCase, PartyRole
from car_enforce.core import clock, events, ledger, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.db import insert_missing
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.events import CASE_APPLICANTS, PARTY, DomainEvent, Notice
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.core.ledger import LedgerPosting

MAX_KEY = 100  # a caller's key; the ledger's own prefix goes before it


class NothingToDistribute(Conflict):
    pass


class SurplusWithoutDebtor(Conflict):
    pass


class AlreadyMoved(Conflict):
    """Money a reversal would take back has been shared out or paid on already."""


def case_of(session: Session, case_id: int) -> EnforcementCase:
    case = session.get(EnforcementCase, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist", zh="没有找到此案件")
    return case


def lock(session: Session, case: EnforcementCase) -> None:
    """Take the case's money lock (its book's row) for the rest of the transaction."""
    ledger.lock(session, acct.book(case.id))


def _key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY:
        raise InvalidInput("key", f"a key of 1 to {MAX_KEY} characters", zh=f"编号应为 1 至 {MAX_KEY} 个字符")
    return key


def _amount(amount_fen: int) -> int:
    if (
        not isinstance(amount_fen, int)
        or isinstance(amount_fen, bool)
        or not 0 < amount_fen <= ledger.MAX_FEN
    ):
        raise InvalidInput("amount_fen", "a positive amount in fen", zh="金额应为正整数（分）")
    return amount_fen


def told(case: EnforcementCase, party_id: int, text: str, key: str) -> Notice:
    """A text to one party of the case, naming the court and the case."""
    return Notice(PARTY, party_id, f"【{case.court.name}】您申请执行的{case.case_number}一案，{text}", key)


# --- payees -------------------------------------------------------------------------------------------

_ONE_DEBTOR = "每个案件只登记一个被执行人退款账户"
_COMPARED = ("kind", "party_id", "name", "bank_name", "claim_fen", "rank", "secured")


def _payee_row(case: EnforcementCase, data: PayeeIn, field: str, now: datetime) -> dict[str, object]:
    party = None
    if data.party_id is not None:
        party = next((p for p in case.parties if p.id == data.party_id), None)
        wanted = {PayeeKind.CREDITOR: PartyRole.APPLICANT, PayeeKind.DEBTOR: PartyRole.DEBTOR}.get(data.kind)
        if party is None or party.role != wanted:
            what = None if wanted is None else {PartyRole.APPLICANT: "an applicant"}.get(wanted, "a debtor")
            raise InvalidInput(
                f"{field}.party_id",
                f"party {data.party_id} is not {what} of case {case.case_number}"
                if what
                else "a cost's party is not a party of the case",
                zh="所选当事人与收款人类别不符" if what else "执行费用的收款方不是案件当事人",
            )
    name = data.name.strip() or (party.name if party is not None else "")
    if not name:
        raise InvalidInput(f"{field}.name", "is empty", zh="不能为空")
    claim = data.claim_fen
    if data.kind == PayeeKind.CREDITOR:
        applicants = [p for p in case.parties if p.role == PartyRole.APPLICANT]
        if claim is None and party is not None and len(applicants) == 1:
            claim = case.amount_owed_fen  # the case's one applicant is owed what the case is about
        if not claim:
            raise InvalidInput(f"{field}.claim_fen", "a creditor's claim in fen", zh="请填写债权金额（分）")
    elif claim:
        raise InvalidInput(
            f"{field}.claim_fen", f"a {data.kind} payee has no claim", zh="只有债权人才有债权金额"
        )
    return {
        "case_id": case.id,
        "kind": data.kind,
        "party_id": data.party_id,
        "name": name,
        "account_number": data.account_number,
        "bank_name": data.bank_name.strip(),
        "claim_fen": claim or 0,
        "allocated_fen": 0,
        "rank": data.rank,
        "secured": data.secured,
        "status": PayeeStatus.ACTIVE,
        "added_at": now,
    }


def add_payees(
    session: Session, case: EnforcementCase, *, actor: Principal, payees: Sequence[PayeeIn]
) -> PayeesAdded:
    """Add the case's payees in bulk, one per bank account: a payee sent again as it was changes nothing,
    the same account with other details is refused (nothing is added)."""
    lock(session, case)
    now = clock.now()
    wanted: dict[str, dict[str, object]] = {}
    for i, data in enumerate(payees):
        row = _payee_row(case, data, f"payees[{i}]", now)
        first = wanted.setdefault(data.account_number, row)
        if any(first[k] != row[k] for k in _COMPARED):
            raise InvalidInput(
                f"payees[{i}].account_number",
                f"account {masked_account(data.account_number)} is given twice with other details",
                zh="同一账户在名单中出现两次且信息不一致",
            )
    debtors = sum(1 for row in wanted.values() if row["kind"] == PayeeKind.DEBTOR)
    if debtors > 1:
        raise Conflict("a case has one debtor's account for what is left over", zh=_ONE_DEBTOR)
    # Insert first, then compare only the accounts the case had already: with no look-up before the
    # insert, ten thousand new payees cost one statement whatever the table holds. A refusal below rolls
    # the insert back with the caller's transaction.
    added = {
        number
        for (_case, number) in insert_missing(
            session, CasePayee, list(wanted.values()), ["case_id", "account_number"]
        )
    }
    had = [number for number in wanted if number not in added]
    for start in range(0, len(had), 2000):
        for payee in session.scalars(
            select(CasePayee).where(
                CasePayee.case_id == case.id, CasePayee.account_number.in_(had[start : start + 2000])
            )
        ):
            row = wanted[payee.account_number]
            if any(getattr(payee, k) != row[k] for k in _COMPARED):
                number = payee.account_number
                raise Conflict(
                    f"account {masked_account(number)} is payee {payee.id} ({payee.name}) already, with "
                    "other details",
                    field="account_number",
                    zh=f"账户{masked_account(number)}已登记为收款人（{payee.name}），信息与本次不一致",
                )
    if debtors and any(wanted[n]["kind"] == PayeeKind.DEBTOR for n in added):
        count = session.scalar(
            select(func.count(CasePayee.id)).where(
                CasePayee.case_id == case.id, CasePayee.kind == PayeeKind.DEBTOR
            )
        )
        if (count or 0) > 1:
            raise Conflict("a case has one debtor's account for what is left over", zh=_ONE_DEBTOR)
    events.record(
        session,
        actor,
        DomainEvent(
            kind="case_money.payees_added",
            subject=f"case:{case.id}",
            case_id=case.id,
            data={"added": len(added), "existing": len(had)},
        ),
    )
    return PayeesAdded(added=len(added), existing=len(had))


def organisation_payee(
    session: Session, case: EnforcementCase, org: Organisation, *, prefix: str, actor: Principal
) -> int:
    """An organisation owed costs of the case (a center, an inquiry platform) as its cost payee, added once.
    Its account is the platform's settlement account for it, ``<prefix>-<code>``, until organisations
    register their bank details (a known gap)."""
    account = f"{prefix}-{org.code or org.id}"
    add_payees(
        session,
        case,
        actor=actor,
        payees=[PayeeIn(kind=PayeeKind.COST, name=org.name, account_number=account)],
    )
    payee_id = session.scalar(
        select(CasePayee.id).where(CasePayee.case_id == case.id, CasePayee.account_number == account)
    )
    assert payee_id is not None
    return payee_id


def payee_of(session: Session, case: EnforcementCase, payee_id: int) -> CasePayee:
    payee = session.get(CasePayee, payee_id)
    if payee is None or payee.case_id != case.id:
        raise NotFound(f"payee {payee_id} is not a payee of case {case.case_number}", zh="本案没有这个收款人")
    return payee


def payees_of(session: Session, case: EnforcementCase, *, limit: int, offset: int = 0) -> list[CasePayee]:
    return list(
        session.scalars(
            select(CasePayee)
            .where(CasePayee.case_id == case.id)
            .order_by(CasePayee.id)
            .limit(limit)
            .offset(offset)
        )
    )


def owed_account(payee: CasePayee) -> str:
    """Where what is owed to the payee waits to be paid: the debtor's surplus, or the payee's payable."""
    return acct.surplus(payee.id) if payee.kind == PayeeKind.DEBTOR else acct.payable(payee.id)


# --- money in -----------------------------------------------------------------------------------------


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
        acct.move(_amount(amount_fen), debit=acct.BANK, credit=acct.received(source)),
        key=f"receipt:{_key(key)}",
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
        acct.move(_amount(amount_fen), debit=acct.COSTS_CHARGED, credit=acct.cost(kind, payee.id)),
        key=f"cost:{_key(key)}",
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
            session, book, posting_id, key=f"reversal:{_key(key)}", memo=memo, actor=actor.label
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


# --- sharing out --------------------------------------------------------------------------------------


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


def new_idempotency_key() -> str:
    """The payment gateway's key for one try of a payout: random, so no other payout can ever share it."""
    return f"cm-{uuid.uuid4().hex}"


# --- where the money stands ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standing:
    held_fen: int
    undistributed_fen: int
    owed_fen: int
    in_flight_fen: int
    costs_uncovered_fen: int
    received_fen: int
    paid_out_fen: int
    accounts: dict[str, int]
    problems: list[str]


def standing(session: Session, case: EnforcementCase) -> Standing:
    """The case's balances, what they add up to, and whether the book checks out."""
    book = acct.book(case.id)
    balances = ledger.balances(session, book)

    def total(*prefixes: str) -> int:
        return sum(amount for code, amount in balances.items() if code.startswith(prefixes))

    return Standing(
        held_fen=balances.get(acct.BANK, 0),
        undistributed_fen=total("received:"),
        owed_fen=total("payable:", "surplus:") + balances.get(acct.FEE, 0),
        in_flight_fen=balances.get(acct.IN_FLIGHT, 0),
        costs_uncovered_fen=balances.get(acct.COSTS_CHARGED, 0),
        received_fen=ledger.kinds_total(session, book, acct.BANK, kinds=["receipt", "reversal"]),
        paid_out_fen=-ledger.kinds_total(session, book, acct.BANK, kinds=["payout.paid"]),
        accounts=balances,
        problems=ledger.check(session, book),
    )
