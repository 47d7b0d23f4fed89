"""Objections to the reports (Art. 22–24): filed within 5 days of service on the four grounds, decided by
the court; one upheld against some results leaves the mean of the others (Art. 13), against all of them
the price is set aside and a new procedure is needed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from car_enforce.core.identity.principal import Principal
from valuation.reference_price import rules
from valuation.reference_price.models import (
    NoticeService,
    ObjectionStatus,
    PriceNotice,
    PriceObjection,
    PricingStatus,
    ReferencePrice,
)
from valuation.reference_price.online import ROUNDING_ZH, results_text
from valuation.reference_price.rules import Method
from valuation.reference_price.service import lock, record_event, require_officer, visible_pricing
from valuation.reference_price.serving import counted_results, latest_notice, service_by_code, service_of
from valuation.reference_price.transitions import MACHINE, status_zh


def file_objection(
    session: Session,
    *,
    actor: Principal,
    pricing: ReferencePrice,
    party_id: int,
    grounds: Sequence[str],
    platforms: Sequence[str],
    statement: str,
) -> PriceObjection:
    """Record a party's written objection, as the court received it today; refused (nothing stored) when
    late, on another ground, or against a method no objection lies against (Art. 22, 24)."""
    require_officer(actor, pricing)
    lock(session, pricing)
    service = service_of(session, pricing, party_id)
    if service is None:
        raise NotFound(
            f"party {party_id} was not served the notice of reference price {pricing.id}",
            zh="该当事人未被送达此参考价通知书",
        )
    return _file(session, actor, pricing, service, grounds, platforms, statement)


def file_with_code(
    session: Session, *, code: str, grounds: Sequence[str], platforms: Sequence[str], statement: str
) -> PriceObjection:
    """A party files its objection itself, with the code texted to it with the notice: the code says who
    it is and which notice it answers (only the latest notice of the price takes objections)."""
    service = service_by_code(session, code)
    if service is None:
        raise NotFound("no notice was served with this objection code", zh="此异议码没有对应的通知书，请核对")
    notice = session.get(PriceNotice, service.notice_id)
    assert notice is not None
    pricing = session.get(ReferencePrice, notice.pricing_id)
    assert pricing is not None
    lock(session, pricing)
    latest = latest_notice(session, pricing)
    if latest is None or latest.id != notice.id:
        raise Conflict(
            f"the notice was replaced by {latest.number if latest else 'another'}: use its code",
            zh=f"该通知书已被 {latest.number if latest else '新的通知书'} 取代，请使用新通知书上的异议码",
        )
    actor = Principal.system(f"party-{service.party_id}")
    return _file(session, actor, pricing, service, grounds, platforms, statement)


def _file(
    session: Session,
    actor: Principal,
    pricing: ReferencePrice,
    service: NoticeService,
    grounds: Sequence[str],
    platforms: Sequence[str],
    statement: str,
) -> PriceObjection:
    party_id = service.party_id
    if pricing.status != PricingStatus.PRICED or pricing.method is None:
        raise Conflict(
            f"reference price {pricing.id} is {pricing.status}: objections lie against a fixed price",
            zh=f"参考价程序当前为“{status_zh(pricing.status)}”；只能对已确定的参考价提出异议",
        )
    today = clock.today_local()
    checked = rules.check_objection(
        Method(pricing.method), grounds, service.served_on, today, load_calendar(session)
    )
    statement = statement.strip()
    if not 2 <= len(statement) <= 4000:
        raise InvalidInput(
            "statement",
            "the objection's written reasons, 2–4000 characters",
            zh="请填写异议的书面理由，2 至 4000 个字",
        )
    named = sorted(set(platforms))
    if pricing.method == Method.ONLINE:
        counted = {code for code, *_ in counted_results(session, pricing)}
        unknown = sorted(set(named) - counted)
        if not named or unknown:
            raise InvalidInput(
                "platforms",
                f"name the reports objected to among {', '.join(sorted(counted))}"
                + (f"; not among them: {', '.join(unknown)}" if unknown else ""),
                zh=f"请从 {'、'.join(sorted(counted))} 的报告中选择异议针对的报告"
                + (f"；{'、'.join(unknown)} 不在其中" if unknown else ""),
            )
    objection = PriceObjection(
        pricing_id=pricing.id,
        party_id=party_id,
        grounds=[g.value for g in checked],
        platforms=named,
        statement=statement,
        filed_on=today,
        filed_by=actor.label,
        status=ObjectionStatus.FILED,
    )
    session.add(objection)
    session.flush()
    record_event(
        session,
        actor,
        pricing,
        "reference_price.objection_filed",
        {
            "objection_id": objection.id,
            "party_id": party_id,
            "grounds": objection.grounds,
            "platforms": named,
        },
        reason=rules.RULE_OBJECTION,
    )
    return objection


def visible_objection(session: Session, actor: Principal, objection_id: int) -> PriceObjection:
    objection = session.get(PriceObjection, objection_id)
    if objection is None:
        raise NotFound(f"objection {objection_id} does not exist", zh="此异议不存在")
    try:
        visible_pricing(session, actor, objection.pricing_id)
    except NotFound:
        raise NotFound(f"objection {objection_id} does not exist", zh="此异议不存在") from None
    return objection


def objections_of(session: Session, pricing: ReferencePrice) -> list[PriceObjection]:
    return list(
        session.scalars(
            select(PriceObjection).where(PriceObjection.pricing_id == pricing.id).order_by(PriceObjection.id)
        )
    )


def decide_objection(
    session: Session, *, actor: Principal, objection: PriceObjection, upheld: bool, note: str
) -> ReferencePrice:
    """The court's decision. Upheld: the price becomes the mean of the results not objected to (Art. 13), or
    is set aside when none is left; either way the parties are served again."""
    pricing = session.get(ReferencePrice, objection.pricing_id)
    assert pricing is not None
    require_officer(actor, pricing)
    lock(session, pricing)
    if objection.status != ObjectionStatus.FILED:
        raise Conflict(
            f"objection {objection.id} was decided already ({objection.status})",
            zh=f"此异议已作出决定（{'异议成立' if objection.status == ObjectionStatus.UPHELD else '驳回'}）",
        )
    note = note.strip()
    if not 2 <= len(note) <= 4000:
        raise InvalidInput(
            "note", "the decision's reasons, 2–4000 characters", zh="请填写决定理由，2 至 4000 个字"
        )
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.decided_at, objection.decided_by, objection.decision_note = clock.now(), actor.label, note
    session.flush()
    kind = "reference_price.objection_upheld" if upheld else "reference_price.objection_dismissed"
    record_event(
        session,
        actor,
        pricing,
        kind,
        {"objection_id": objection.id, "platforms": objection.platforms},
        reason=rules.RULE_OBJECTION,
    )
    waiting = any(o.status == ObjectionStatus.FILED for o in objections_of(session, pricing))
    # The price moves once, when the last objection on it is decided: not once per decision, each move
    # serving a new notice with a new objection period.
    if pricing.status == PricingStatus.PRICED and not waiting and (upheld or pricing.method == Method.ONLINE):
        _reprice(session, actor, pricing)
    return pricing


def _reprice(session: Session, actor: Principal, pricing: ReferencePrice) -> None:
    """Art. 13 ¶2, as its text says: objections against some reports leave the mean of the reports no one
    objected to; objections against all of them, the mean of those whose objection failed. Taken when an
    objection is decided, so the price does not move on a filing the court has not looked at."""
    decided = [o for o in objections_of(session, pricing) if o.status != ObjectionStatus.FILED]
    objected = {code for o in decided for code in o.platforms}
    upheld = {code for o in decided if o.status == ObjectionStatus.UPHELD for code in o.platforms}
    if pricing.method != Method.ONLINE:
        # The appraisal report set aside: nothing is left to take the mean of.
        MACHINE.move(pricing, "set_aside")
        record_event(
            session, actor, pricing, "reference_price.set_aside", {"platforms": []}, reason=rules.RULE_MEAN
        )
        return
    results = {code: fen for code, _name, _number, fen in counted_results(session, pricing)}
    try:
        price = rules.price_after_objections(results, objected, upheld)
    except RuleViolation:
        MACHINE.move(pricing, "set_aside")
        record_event(
            session,
            actor,
            pricing,
            "reference_price.set_aside",
            {"platforms": sorted(upheld)},
            reason=rules.RULE_MEAN,
        )
        return
    if price == pricing.price_fen:
        return  # the same reports still count: nothing to serve again
    MACHINE.move(pricing, "reprice")
    untouched = {code: fen for code, fen in results.items() if code not in objected}
    left = untouched or {code: fen for code, fen in results.items() if code not in upheld}
    listed = results_text(session, pricing, left)
    pricing.price_fen = price
    pricing.price_basis = f"异议后{len(left)}家询价平台结果（{listed}）的算术平均值，{ROUNDING_ZH}"
    session.flush()
    record_event(
        session,
        actor,
        pricing,
        "reference_price.repriced",
        {
            "price_fen": price,
            "set_aside": sorted((set(results) - set(left)) & upheld),  # objections upheld (Art. 13)
            "objected": sorted((set(results) - set(left)) - upheld),  # objected to, not upheld (Art. 13 ¶2)
            "results": left,
        },
        reason=rules.RULE_MEAN,
    )
