"""The debtor pays in full before the sale: the court records it once, and every domain that holds the
debtor's cars lets them go (the watches lifted, a lot still selling withdrawn, the registry's seizure
released, the car returned to its owner), each step on the timeline and told to the applicants."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock, events, zh
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, Rule
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal

RULE_PAID = Rule(
    "查封规定 Art. 28: once the debt is paid the court releases the seizure and tells the registry",
    "《最高人民法院关于人民法院民事执行中查封、扣押、冻结财产的规定》第二十八条：被执行人清偿债务的，"
    "人民法院应当作出解除查封、扣押、冻结裁定，并送达申请执行人、被执行人；已办理登记手续的，"
    "应当向登记机关发出协助执行通知书",
)


def record_debtor_paid(
    session: Session, *, actor: Principal, case: EnforcementCase, amount_fen: int, paid_on: date, note: str
) -> EnforcementCase:
    """The debtor paid what the case enforces: the one event ``case.debtor_paid``; its handlers release."""
    if actor.role != Role.OFFICER or actor.organisation_id != case.court_id:
        raise Forbidden(
            "only the enforcing court records that the debtor paid", zh="只有执行法院才能登记被执行人履行完毕"
        )
    session.execute(select(EnforcementCase.id).where(EnforcementCase.id == case.id).with_for_update())
    session.refresh(case)
    if case.debtor_paid_at is not None:
        raise Conflict(
            f"the debtor's payment was recorded on {zh.day(case.debtor_paid_at)}",
            zh=f"被执行人履行完毕已于{zh.day(case.debtor_paid_at)}登记",
        )
    if amount_fen <= 0:
        raise InvalidInput("amount_fen", "a positive amount in fen", zh="请填写履行金额")
    if paid_on > clock.today_local():
        raise InvalidInput("paid_on", "is in the future", zh="履行日期不能晚于今天")
    case.debtor_paid_at = clock.now()
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="case.debtor_paid",
            subject=f"case:{case.id}",
            case_id=case.id,
            reason=RULE_PAID,
            data={"case_id": case.id, "amount_fen": amount_fen, "paid_on": paid_on, "note": note.strip()},
            parties=(case.court_id,),
        ),
    )
    return case
