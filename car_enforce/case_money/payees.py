"""The case's payees (一案一账号): one per bank account, added in bulk (a mass case's ten thousand in one
statement); the creditors, the cost payees (a center, a platform, an appraiser) and the debtor's account for
what is left over. Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.case_money import accounts as acct
from car_enforce.case_money.models import CasePayee, PayeeKind, PayeeStatus
from car_enforce.case_money.schemas import PayeeIn, PayeesAdded, masked_account
from car_enforce.case_money.service import lock
from car_enforce.cases.models import EnforcementCase, PartyRole
from car_enforce.core import clock, events
from car_enforce.core.db import insert_missing
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal

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


def _count(session: Session, case: EnforcementCase) -> int:
    return int(session.scalar(select(func.count(CasePayee.id)).where(CasePayee.case_id == case.id)) or 0)


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
    # Insert first, counting what the case holds before and after (under its lock, nobody else adds):
    # ten thousand new payees cost one executemany whatever the table holds. Only when some accounts were
    # there already are they read back and compared with what was sent; a refusal rolls the insert back
    # with the caller's transaction.
    before = _count(session, case)
    insert_missing(session, CasePayee, list(wanted.values()), ["case_id", "account_number"])
    added = _count(session, case) - before
    if added < len(wanted):
        numbers = list(wanted)
        for start in range(0, len(numbers), 2000):
            for payee in session.scalars(
                select(CasePayee).where(
                    CasePayee.case_id == case.id, CasePayee.account_number.in_(numbers[start : start + 2000])
                )
            ):
                row = wanted[payee.account_number]
                if any(getattr(payee, k) != row[k] for k in _COMPARED):
                    number = payee.account_number
                    raise Conflict(
                        f"account {masked_account(number)} is payee {payee.id} ({payee.name}) already, "
                        "with other details",
                        field="account_number",
                        zh=f"账户{masked_account(number)}已登记为收款人（{payee.name}），信息与本次不一致",
                    )
    if debtors and added:
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
            data={"added": added, "existing": len(wanted) - added},
        ),
    )
    return PayeesAdded(added=added, existing=len(wanted) - added)


def organisation_payee(
    session: Session, case: EnforcementCase, org: Organisation, *, prefix: str, actor: Principal
) -> int:
    """An organisation owed costs of the case (a center, an inquiry platform) as its cost payee, added once:
    paid to the account it registered (``identity.set_bank_account``), or, until it has, to the platform's
    settlement account for it, ``<prefix>-<code>``, from which the court pays it on."""
    account = org.bank_account or f"{prefix}-{org.code or org.id}"
    payee = PayeeIn(kind=PayeeKind.COST, name=org.name, account_number=account, bank_name=org.bank_name)
    add_payees(session, case, actor=actor, payees=[payee])
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
