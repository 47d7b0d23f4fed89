"""The appraisal (委托评估, Art. 14–20): firms agreed by the parties or drawn by lot, in order; a report in
30 days, at most two extensions of at most 15 days (Art. 19); the next firm when one declines or fails."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.errors import Conflict, InvalidInput, NotFound, Rule, RuleViolation
from car_enforce.core.identity.models import Organisation, OrgKind
from car_enforce.core.identity.principal import Principal
from car_enforce.core.zh import yuan_text
from valuation.reference_price import rules
from valuation.reference_price.lot import draw, new_seed
from valuation.reference_price.models import Appraisal, AppraisalStatus, PricingStatus, ReferencePrice
from valuation.reference_price.rules import Method
from valuation.reference_price.service import (
    _checked_document,
    _checked_price,
    fix,
    lock,
    passed_methods,
    record_event,
    require_officer,
)
from valuation.reference_price.transitions import MACHINE, status_zh

RULE_FIRMS = Rule(
    "参考价规定 Art. 16: the firms are agreed by the parties, or drawn by lot",
    "《参考价规定》第十六条：评估机构由双方当事人协商确定；协商不成的，采取摇号方式随机确定",
)
RULE_PERIOD = rules.RULE_APPRAISAL_PERIOD


def firms(session: Session) -> list[Organisation]:
    """Every appraisal firm on the platform, by id: the lot draws among them."""
    return list(
        session.scalars(
            select(Organisation).where(Organisation.kind == OrgKind.APPRAISAL_FIRM).order_by(Organisation.id)
        )
    )


def current(session: Session, pricing: ReferencePrice) -> Appraisal | None:
    return session.scalar(
        select(Appraisal).where(Appraisal.pricing_id == pricing.id).order_by(Appraisal.id.desc()).limit(1)
    )


def entrust(
    session: Session, *, actor: Principal, pricing: ReferencePrice, agreed: Sequence[int] | None = None
) -> Appraisal:
    """Entrust the first firm of the order: the parties' agreed firms, or three drawn by lot from every firm
    with a seed recorded on the timeline, so anyone can redo the draw (Art. 16)."""
    require_officer(actor, pricing)
    lock(session, pricing)
    if pricing.status != PricingStatus.OPEN:
        raise Conflict(
            f"reference price {pricing.id} is {pricing.status}: an appraisal is entrusted while open",
            zh=f"参考价程序当前为“{status_zh(pricing.status)}”，只有在“确定中”时才能委托评估",
        )
    rules.check_order(Method.APPRAISAL, passed_methods(pricing))
    known = {f.id for f in firms(session)}
    candidates = sorted(known)
    seed = ""
    if agreed is not None:
        order = list(dict.fromkeys(agreed))
        if not 1 <= len(order) <= rules.APPRAISAL_FIRMS or not set(order) <= known:
            raise InvalidInput(
                "firms",
                f"1 to {rules.APPRAISAL_FIRMS} appraisal firms known to the platform, in the agreed order",
                zh=f"应为平台上登记的 1 至 {rules.APPRAISAL_FIRMS} 家评估机构，按当事人商定的顺序排列",
            )
        chosen_by = "agreed"
    else:
        seed = new_seed()
        order = list(draw(candidates, seed, rules.APPRAISAL_FIRMS))
        chosen_by = "lot"
    appraisal = _entrust_at(session, pricing, order, 0, chosen_by, seed)
    MACHINE.move(pricing, "appraise")
    pricing.method = Method.APPRAISAL
    session.flush()
    record_event(
        session,
        actor,
        pricing,
        "reference_price.appraisal_entrusted",
        {
            "firm_id": appraisal.firm_id,
            "order": order,
            "chosen_by": chosen_by,
            "seed": seed,
            "candidates": candidates if chosen_by == "lot" else [],
            "due_on": appraisal.due_on,
        },
        reason=RULE_FIRMS,
    )
    return appraisal


def _entrust_at(
    session: Session, pricing: ReferencePrice, order: list[int], position: int, chosen_by: str, seed: str
) -> Appraisal:
    today = clock.today_local()
    due = load_calendar(session).court_period_end(today, rules.APPRAISAL_REPORT_DAYS)
    appraisal = Appraisal(
        pricing_id=pricing.id,
        firm_id=order[position],
        position=position,
        order=order,
        chosen_by=chosen_by,
        seed=seed,
        status=AppraisalStatus.ENTRUSTED,
        entrusted_on=today,
        due_on=due.on,
        extensions=[],
    )
    session.add(appraisal)
    session.flush()
    return appraisal


def _running(session: Session, pricing: ReferencePrice) -> Appraisal:
    appraisal = current(session, pricing)
    if pricing.status != PricingStatus.APPRAISING or appraisal is None:
        raise Conflict(
            f"reference price {pricing.id} is {pricing.status}: no appraisal is running",
            zh=f"参考价程序当前为“{status_zh(pricing.status)}”，没有正在进行的委托评估",
        )
    return appraisal


def extend(
    session: Session, *, actor: Principal, pricing: ReferencePrice, days: int, reason: str
) -> Appraisal:
    """More time for the firm's report: at most two extensions, of at most 15 days each (Art. 19)."""
    require_officer(actor, pricing)
    lock(session, pricing)
    appraisal = _running(session, pricing)
    if clock.today_local() > appraisal.due_on:
        raise RuleViolation(
            f"the report was due by {appraisal.due_on}: a period that has run out is not extended",
            rule=rules.RULE_APPRAISAL_PERIOD,
            zh=f"评估报告的期限已于{zh.day(appraisal.due_on)}届满，已届满的期限不能延长",
        )
    rules.check_appraisal_extension(len(appraisal.extensions), days)
    appraisal.due_on = load_calendar(session).court_period_end(appraisal.due_on, days).on
    appraisal.extensions = [*appraisal.extensions, days]
    session.flush()
    record_event(
        session,
        actor,
        pricing,
        "reference_price.appraisal_extended",
        {"firm_id": appraisal.firm_id, "days": days, "due_on": appraisal.due_on, "reason": reason[:500]},
        reason=RULE_PERIOD,
    )
    return appraisal


def decline(session: Session, *, actor: Principal, pricing: ReferencePrice, note: str) -> Appraisal | None:
    """The firm refused or failed: the next firm of the order takes it; None when the order is spent (the
    court then entrusts anew)."""
    require_officer(actor, pricing)
    lock(session, pricing)
    appraisal = _running(session, pricing)
    appraisal.status, appraisal.note = AppraisalStatus.DECLINED, note.strip()[:2000]
    position = appraisal.position + 1
    following = None
    if position < len(appraisal.order):
        following = _entrust_at(
            session, pricing, appraisal.order, position, appraisal.chosen_by, appraisal.seed
        )
    else:
        MACHINE.move(pricing, "appraisal_failed")
        pricing.method = None
    session.flush()
    record_event(
        session,
        actor,
        pricing,
        "reference_price.appraisal_declined",
        {
            "firm_id": appraisal.firm_id,
            "next_firm_id": following.firm_id if following else None,
            "note": appraisal.note,
        },
        reason=RULE_FIRMS,
    )
    return following


def record_report(
    session: Session, *, actor: Principal, pricing: ReferencePrice, number: str, result_fen: int
) -> ReferencePrice:
    """The firm's report, within its period: its result is the reference price."""
    require_officer(actor, pricing)
    lock(session, pricing)
    appraisal = _running(session, pricing)
    today = clock.today_local()
    if today > appraisal.due_on:
        raise RuleViolation(
            f"the report was due by {appraisal.due_on}",
            rule=RULE_PERIOD,
            zh=f"评估报告的期限已于{zh.day(appraisal.due_on)}届满",
        )
    number, result_fen = _checked_document(number), _checked_price(result_fen)
    appraisal.status, appraisal.report_number = AppraisalStatus.REPORTED, number
    appraisal.result_fen, appraisal.reported_at = result_fen, clock.now()
    firm = session.get(Organisation, appraisal.firm_id)
    if firm is None:
        raise NotFound(f"no appraisal firm {appraisal.firm_id}", zh="此评估机构不存在")
    fix(
        session,
        actor,
        pricing,
        method=Method.APPRAISAL,
        price_fen=result_fen,
        basis=f"{firm.name}评估报告（{number}）评估结果{yuan_text(result_fen)}",
        valid_until=None,
        rule=rules.RULE_APPRAISED,
    )
    return pricing
