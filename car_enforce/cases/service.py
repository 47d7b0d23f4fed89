"""Case verbs: open a case, find the cases an officer may see."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.case_number import parse_case_number
from car_enforce.cases.id_numbers import check_credit_code, check_resident_id
from car_enforce.cases.models import CaseStatus, EnforcementCase, Party, PartyKind, PartyRole
from car_enforce.cases.schemas import CaseCreate, PartyIn
from car_enforce.core import clock, events
from car_enforce.core.access import Scope, own
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.models import Organisation, OrgKind, Role, User
from car_enforce.core.identity.principal import Principal

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def _checked_party(p: PartyIn, field: str) -> tuple[str, str]:
    if p.kind == PartyKind.PERSON:
        id_number = check_resident_id(p.id_number, f"{field}.id_number")
    else:
        id_number = check_credit_code(p.id_number, f"{field}.id_number")
    phone = p.phone.replace(" ", "")
    if phone and not _PHONE.match(phone):
        raise InvalidInput(
            f"{field}.phone",
            "a mainland mobile (11 digits) or a landline like 0577-12345678",
            zh="应为 11 位手机号码，或 0577-12345678 这样的固定电话号码",
        )
    return id_number, phone


def open_case(session: Session, *, actor: Principal, data: CaseCreate) -> EnforcementCase:
    """Open an enforcement case in the officer's own court."""
    court = session.get(Organisation, actor.organisation_id)
    if court is None or court.kind != OrgKind.COURT:
        raise InvalidInput(
            "court", "only an officer of a court can open a case", zh="只有法院的执行干警才能立案"
        )
    number = parse_case_number(data.case_number, "case_number", today_year=clock.today_local().year)
    if court.code and number.court_code != court.code:
        raise InvalidInput(
            "case_number",
            f"the court code {number.court_code} is not this court's ({court.code})",
            zh=f"案号中的法院代字{number.court_code}不是本院的代字（{court.code}）",
        )
    parties = [
        (PartyRole.APPLICANT, p, *_checked_party(p, f"applicants[{i}]"))
        for i, p in enumerate(data.applicants)
    ]
    parties += [
        (PartyRole.DEBTOR, p, *_checked_party(p, f"debtors[{i}]")) for i, p in enumerate(data.debtors)
    ]
    existing = session.scalar(
        select(EnforcementCase.id).where(
            EnforcementCase.court_id == court.id, EnforcementCase.case_number == number.text
        )
    )
    if existing is not None:
        raise Conflict(
            f"case {number.text} is already open in this court (id {existing})",
            zh=f"本院已登记案件{number.text}，不能重复立案",
        )
    case = EnforcementCase(
        court_id=court.id,
        case_number=number.text,
        officer_id=actor.user_id,
        amount_owed_fen=data.amount_owed_fen,
        status=CaseStatus.OPEN,
        opened_at=clock.now(),
    )
    case.parties = [
        Party(role=role, kind=p.kind, name=p.name.strip(), id_number=id_number, phone=phone)
        for role, p, id_number, phone in parties
    ]
    session.add(case)
    session.flush()
    # The timeline names the parties by role and kind only: ID numbers never enter the record's data.
    events.record(
        session,
        actor,
        DomainEvent(
            kind="case.opened",
            subject=f"case:{case.id}",
            case_id=case.id,
            data={
                "case_number": case.case_number,
                "amount_owed_fen": case.amount_owed_fen,
                "applicants": len(data.applicants),
                "debtors": len(data.debtors),
            },
        ),
    )
    return case


# Who sees a case: the officers of its court.
CASES = Scope(EnforcementCase, "case", {Role.OFFICER: [own(EnforcementCase.court_id)]}, noun_zh="案件")


def visible_case(session: Session, actor: Principal, case_id: int) -> EnforcementCase:
    """The case if the caller may see it; an officer sees only the cases of the officer's own court."""
    return CASES.load(session, actor, case_id)


def list_cases(session: Session, actor: Principal, *, limit: int, offset: int) -> list[EnforcementCase]:
    query = CASES.select(actor).order_by(EnforcementCase.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def debtor_of(case: EnforcementCase, party_id: int) -> Party:
    for party in case.parties:
        if party.id == party_id and party.role == PartyRole.DEBTOR:
            return party
    raise InvalidInput(
        "owner_party_id",
        f"party {party_id} is not a debtor of case {case.case_number}",
        zh="所选当事人不是本案的被执行人",
    )


def link_applicant(
    session: Session, *, actor: Principal, case: EnforcementCase, party_id: int, user_id: int
) -> Party:
    """Give an applicant's own login (申请执行人) sight of this case, through its party; the court does it.
    Linking the same account again changes nothing."""
    if not (
        actor.role == Role.ADMIN or (actor.role == Role.OFFICER and actor.organisation_id == case.court_id)
    ):
        raise Forbidden(
            "only an officer of the case's court links an applicant's account",
            zh="只有本案所属法院的执行干警才能关联申请执行人的账号",
        )
    party = next((p for p in case.parties if p.id == party_id and p.role == PartyRole.APPLICANT), None)
    if party is None:
        raise InvalidInput(
            "party_id",
            f"party {party_id} is not an applicant of case {case.case_number}",
            zh="所选当事人不是本案的申请执行人",
        )
    user = session.get(User, user_id)
    if user is None or user.role != Role.APPLICANT or not user.active:
        raise InvalidInput(
            "user_id",
            f"user {user_id} is not an active applicant account",
            zh="该账号不是有效的申请执行人账号",
        )
    if party.user_id == user.id:
        return party
    if party.user_id is not None:
        raise Conflict(
            f"party {party_id} is linked to another account already",
            field="party_id",
            zh="该申请执行人已关联其他账号（每个申请执行人只关联一个账号）",
        )
    party.user_id = user.id
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="case.applicant_linked",
            subject=f"case:{case.id}",
            case_id=case.id,
            data={"party_id": party.id, "user_id": user.id},
        ),
    )
    return party


def link_applicant_by_username(
    session: Session, *, actor: Principal, case: EnforcementCase, party_id: int, username: str
) -> Party:
    """``link_applicant`` for an account the officer names by its username (the applicant tells it). An
    unknown name and another role's account get the same answer: the court learns nothing of who else
    has a login."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or user.role != Role.APPLICANT or not user.active:
        raise InvalidInput(
            "username",
            f"no active applicant account is called {username.strip()!r}",
            zh="没有这个登录名的有效申请执行人账号，请向申请执行人核实",
        )
    return link_applicant(session, actor=actor, case=case, party_id=party_id, user_id=user.id)


def linked_accounts(session: Session, case: EnforcementCase) -> dict[int, User]:
    """The applicant account linked to each applicant party of the case that has one."""
    ids = {p.user_id: p.id for p in case.parties if p.role == PartyRole.APPLICANT and p.user_id is not None}
    if not ids:
        return {}
    return {ids[u.id]: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def cases_of_applicant(session: Session, actor: Principal) -> list[tuple[EnforcementCase, Party]]:
    """The cases an applicant's account is linked to, each with its party, the newest first."""
    if actor.role != Role.APPLICANT or actor.user_id is None:
        return []
    rows = session.execute(
        select(EnforcementCase, Party)
        .join(Party, Party.case_id == EnforcementCase.id)
        .where(Party.user_id == actor.user_id, Party.role == PartyRole.APPLICANT)
        .order_by(EnforcementCase.id.desc())
    ).all()
    return [(case, party) for case, party in rows]
