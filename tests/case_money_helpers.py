"""A case with its money: the 平阳 court's case opened through the service, its payees, its receipts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.case_money import accounts as acct
from car_enforce.case_money.models import CasePayee, CasePayout, PayeeKind, PayoutStatus
from car_enforce.case_money.schemas import PayeeIn
from car_enforce.case_money.service import add_payees, case_of
from car_enforce.cases.models import PartyRole
from car_enforce.cases.schemas import CaseCreate
from car_enforce.cases.service import open_case
from car_enforce.core import ledger
from car_enforce.core.db import Database
from car_enforce.core.identity.models import User
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import principal_of_user
from tests.api_helpers import case_body

OWED_FEN = 38_650_000  # 386,500 yuan, the case body's amount


def officer(session: Session, username: str = "py.officer") -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return principal_of_user(user)


@dataclass(frozen=True)
class MoneyCase:
    id: int
    applicant: int  # the applicant's party id
    debtor: int  # the debtor's party id
    officer: Principal


def money_case(database: Database, number: str = "(2026)浙0326执1234号", **body: Any) -> MoneyCase:
    """A case of the 平阳 court: one applicant (a lender with a phone), one debtor."""
    with database.unit_of_work() as s:
        who = officer(s)
        case = open_case(s, actor=who, data=CaseCreate.model_validate(case_body(number, **body)))
        applicant = next(p.id for p in case.parties if p.role == PartyRole.APPLICANT)
        debtor = next(p.id for p in case.parties if p.role == PartyRole.DEBTOR)
        return MoneyCase(case.id, applicant, debtor, who)


def payee(account: str, **values: Any) -> PayeeIn:
    return PayeeIn.model_validate({"account_number": account, **values})


def with_payees(database: Database, case: MoneyCase, *payees: PayeeIn) -> dict[str, int]:
    """Add payees; their ids by account number."""
    with database.unit_of_work() as s:
        add_payees(s, case_of(s, case.id), actor=case.officer, payees=list(payees))
        rows = s.scalars(select(CasePayee).where(CasePayee.case_id == case.id))
        return {p.account_number: p.id for p in rows}


def standard_payees(database: Database, case: MoneyCase) -> dict[str, int]:
    """The applicant (the case's claim), the debtor's refund account and a towing company."""
    return with_payees(
        database,
        case,
        payee("6222000011112222", party_id=case.applicant, bank_name="工商银行"),
        payee("6222000099998888", kind=PayeeKind.DEBTOR, party_id=case.debtor),
        payee("TOW-330326-01", kind=PayeeKind.COST, name="平阳县某拖车服务公司"),
    )


def balances(database: Database, case_id: int) -> dict[str, int]:
    with database.unit_of_work(read_only=True) as s:
        return ledger.balances(s, acct.book(case_id))


def payouts(database: Database, case_id: int) -> list[CasePayout]:
    with database.unit_of_work(read_only=True) as s:
        query = select(CasePayout).where(CasePayout.case_id == case_id).order_by(CasePayout.id)
        found = list(s.scalars(query))
        s.expunge_all()  # read, kept as read
        return found


def paid(database: Database, case_id: int) -> int:
    return sum(p.amount_fen for p in payouts(database, case_id) if p.status == PayoutStatus.SUCCEEDED)
