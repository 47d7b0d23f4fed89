"""A case with its money: the 平阳 court's case opened through the service, its payees, its receipts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from car_enforce.case_money import accounts as acct
from car_enforce.case_money import entries
from car_enforce.case_money.accounts import CostKind, Source
from car_enforce.case_money.models import CasePayee, CasePayout, PayeeKind, PayoutStatus
from car_enforce.case_money.payees import add_payees
from car_enforce.case_money.schemas import PayeeIn
from car_enforce.case_money.service import case_of
from car_enforce.cases.models import EnforcementCase, PartyRole
from car_enforce.cases.schemas import CaseCreate
from car_enforce.cases.service import link_applicant_by_username, open_case
from car_enforce.core import ledger
from car_enforce.core.db import Database
from car_enforce.core.identity.models import Organisation, OrgKind, Role, User
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import create_organisation, create_user, principal_of_user
from tests import factories
from tests.api_helpers import PASSWORD, case_body

OWED_FEN = 38_650_000  # 386,500 yuan, the case body's amount
RECEIVED = 1_000_000  # 10,000 yuan
TOWING = 30_000  # 300 yuan


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


@contextmanager
def commit_fails_once_when(paid: PayoutStatus) -> Iterator[list[int]]:
    """The next commit that records a payout as ``paid`` fails (the process dies there, as far as the
    database knows): what the gateway did is not recorded. Only that session's commit fails: the gateway's
    own (in this process, on another thread) goes through."""
    failed: list[int] = []

    def after_flush(session: Session, _context: Any) -> None:
        # Still the flush's own view here: the payouts it wrote are among the dirty.
        for row in session.dirty:
            if isinstance(row, CasePayout) and row.status == paid:
                session.info["dies_at_commit"] = row.id

    def on_execute(state: ORMExecuteState) -> None:
        # A payout written in bulk, around the unit of work.
        table = getattr(state.statement, "table", None)
        if state.is_update and table is not None and table.name == CasePayout.__tablename__:
            rows = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
            if any(paid in row.values() for row in rows):
                state.session.info["dies_at_commit"] = next(iter(rows[0].values()), 0)

    def before_commit(session: Session) -> None:
        dying = session.info.pop("dies_at_commit", None)
        if dying is not None and not failed:
            failed.append(dying)
            raise RuntimeError("the process died before its commit")

    listeners = [
        ("after_flush", after_flush),
        ("do_orm_execute", on_execute),
        ("before_commit", before_commit),
    ]
    for name, listener in listeners:
        event.listen(Session, name, listener)
    try:
        yield failed
    finally:
        for name, listener in listeners:
            event.remove(Session, name, listener)


def received_with_tow(db: Database, case: MoneyCase, *, towing: bool = True) -> dict[str, int]:
    """The standard payees, 10,000 yuan of sale proceeds received and the tow's 300 yuan charged."""
    ids = standard_payees(db, case)
    with db.unit_of_work() as s:
        entries.receive(
            s, case.id, amount_fen=RECEIVED, source=Source.SALE_PROCEEDS, key="r1", actor=case.officer
        )
        if towing:
            entries.charge_cost(
                s,
                case.id,
                payee_id=ids["TOW-330326-01"],
                kind=CostKind.TOWING,
                amount_fen=TOWING,
                key="tow",
                actor=case.officer,
            )
    return ids


def applicant_user(db: Database, username: str, case: MoneyCase | None = None, party_id: int = 0) -> None:
    """An applicant's account, linked to the case's party when one is named."""
    with db.unit_of_work() as s:
        public = s.scalar(select(Organisation).where(Organisation.code == "PUB")) or create_organisation(
            s, actor=factories.SYSTEM, kind=OrgKind.PUBLIC, name="公众", code="PUB"
        )
        create_user(
            s,
            actor=factories.SYSTEM,
            organisation_id=public.id,
            username=username,
            password=PASSWORD,
            role=Role.APPLICANT,
            display_name=username,
        )
        if case is not None:
            found = s.get(EnforcementCase, case.id)
            assert found is not None
            link_applicant_by_username(
                s, actor=officer(s), case=found, party_id=party_id or case.applicant, username=username
            )
