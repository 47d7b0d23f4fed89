"""Opening the reference-price procedure of a car in custody, and the methods before the online inquiry:
the parties' agreed price (当事人议价, Art. 4) and the directed inquiry (定向询价, Art. 5–6), each tried or
passed over for a reason its article accepts; fixing the price, whatever method gave it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events, zh
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from car_enforce.core.events import APPLICANTS, OFFICER, DomainEvent, Notice
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.core.zh import yuan_text
from car_enforce.custody import service as custody_service
from car_enforce.custody.models import Custody, CustodyStatus
from valuation.inspection import service as inspections
from valuation.inspection.models import Inspection
from valuation.reference_price import rules
from valuation.reference_price.models import (
    LIVE,
    PricingStatus,
    PricingStep,
    ReferencePrice,
    StepOutcome,
)
from valuation.reference_price.rules import Method, Passed, SkipReason
from valuation.reference_price.transitions import MACHINE, status_zh

MAX_PRICE_FEN = 10**12  # ten billion yuan: past any car, and well inside a BIGINT


# --- who may do what ---------------------------------------------------------------------------------


def _is_officer_of(actor: Principal, court_id: int) -> bool:
    return actor.role == Role.OFFICER and actor.organisation_id == court_id


def _is_staff_of(actor: Principal, center_id: int) -> bool:
    return actor.role == Role.CENTER_STAFF and actor.organisation_id == center_id


def require_officer(actor: Principal, pricing: ReferencePrice) -> None:
    """The court decides the price: its officers record agreed prices, passes, objections and appraisals."""
    if not (_is_officer_of(actor, pricing.court_id) or actor.role == Role.ADMIN):
        raise Forbidden(
            "only an officer of the court that holds the car decides its reference price",
            zh="只有查封车辆的法院的执行人员才能确定参考价",
        )


def require_runner(actor: Principal, pricing: ReferencePrice) -> None:
    """The court's officers, and the staff of the center holding the car, run the online inquiry."""
    if not (
        _is_officer_of(actor, pricing.court_id)
        or _is_staff_of(actor, pricing.center_id)
        or actor.role == Role.ADMIN
    ):
        raise Forbidden(
            "only the court's officers or the holding center's staff run the price inquiry",
            zh="只有法院执行人员或保管车辆的辅助中心工作人员才能办理询价",
        )


def visible_pricing(session: Session, actor: Principal, pricing_id: int) -> ReferencePrice:
    """The procedure, if the caller sees the custody it prices (its court, its center, an admin)."""
    pricing = session.get(ReferencePrice, pricing_id)
    if pricing is None:
        raise NotFound(f"reference price {pricing_id} does not exist", zh="此参考价程序不存在")
    try:
        custody_service.visible_custody(session, actor, pricing.custody_id)
    except NotFound:
        raise NotFound(f"reference price {pricing_id} does not exist", zh="此参考价程序不存在") from None
    return pricing


def inspection_corrected_since(session: Session, pricing: ReferencePrice) -> Inspection | None:
    """The latest version of the car's inspection when it corrected the one this price was opened with.

    The price keeps the score it was opened with, whatever its status: the platforms and the appraisers
    were given that score, and the notice and the center's estimate go with the price. Its page says
    that a later version exists; a new price (after this one expires or is set aside) uses the latest.
    """
    if pricing.inspection_id is None:
        return None
    latest = inspections.latest_inspection(session, pricing.custody_id)
    return latest if latest is not None and latest.id != pricing.inspection_id else None


def pricings_of_custody(session: Session, actor: Principal, custody_id: int) -> list[ReferencePrice]:
    """Every procedure of a custody the caller sees, the newest first."""
    custody_service.visible_custody(session, actor, custody_id)
    return list(
        session.scalars(
            select(ReferencePrice)
            .where(ReferencePrice.custody_id == custody_id)
            .order_by(ReferencePrice.id.desc())
        )
    )


def live_pricing(session: Session, custody_id: int) -> ReferencePrice | None:
    return session.scalar(
        select(ReferencePrice).where(ReferencePrice.custody_id == custody_id, ReferencePrice.status.in_(LIVE))
    )


def lock(session: Session, pricing: ReferencePrice) -> None:
    """Moves of one procedure happen one at a time (a report and a sweep may race); re-read under the lock."""
    session.execute(select(ReferencePrice.id).where(ReferencePrice.id == pricing.id).with_for_update())
    session.refresh(pricing)


# --- the timeline -----------------------------------------------------------------------------------------


def record_event(
    session: Session,
    actor: Principal,
    pricing: ReferencePrice,
    kind: str,
    data: Mapping[str, Any],
    *,
    reason: str = "",
    notices: tuple[Notice, ...] = (),
) -> TimelineEvent:
    """One event of the procedure on its case's timeline, heard by the court and the holding center."""
    return events.record(
        session,
        actor,
        DomainEvent(
            kind=kind,
            subject=f"reference_price:{pricing.id}",
            case_id=pricing.case_id,
            data={"reference_price_id": pricing.id, "custody_id": pricing.custody_id, **data},
            reason=reason,
            parties=(pricing.court_id, pricing.center_id),
            notices=notices,
            context={"capture_id": pricing.capture_id},
        ),
    )


# --- opening (Art. 1) -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CarFacts:
    """What the valuers are told of the car beyond its plate and VIN: from its registration certificate."""

    brand_model: str
    first_registered_on: date
    fuel: str = "petrol"


def _checked_facts(facts: CarFacts, today: date) -> CarFacts:
    brand_model = " ".join(facts.brand_model.split())
    if not 2 <= len(brand_model) <= 64:
        raise InvalidInput(
            "brand_model",
            "the make and model as on the registration certificate, 2–64 chars",
            zh="请按机动车登记证书填写品牌型号，2 至 64 个字",
        )
    if facts.first_registered_on > today:
        raise InvalidInput(
            "first_registered_on",
            f"{facts.first_registered_on} is after today",
            zh=f"{zh.day(facts.first_registered_on)}晚于今天",
        )
    if facts.first_registered_on.year < 1950:
        raise InvalidInput(
            "first_registered_on",
            f"{facts.first_registered_on} is before any car of ours",
            zh=f"{zh.day(facts.first_registered_on)}过早，请核对初次登记日期",
        )
    return CarFacts(brand_model, facts.first_registered_on, facts.fuel)


def open_pricing(
    session: Session,
    *,
    actor: Principal,
    custody: Custody,
    facts: CarFacts,
    previous: ReferencePrice | None = None,
) -> ReferencePrice:
    """Start the procedure for a car in custody (Art. 1: within 30 days of the seizure; the stage clocks
    watch that). One live procedure per car: a second price while one is valid is refused (Art. 27)."""
    if not (
        _is_officer_of(actor, custody.court_id)
        or _is_staff_of(actor, custody.center_id)
        or actor.role in (Role.ADMIN, None)  # None: a sweep opening the next one after an expiry
    ):
        raise Forbidden(
            "only the court's officers or the holding center's staff open the reference price",
            zh="只有法院执行人员或保管车辆的辅助中心工作人员才能启动参考价程序",
        )
    custody_service.lock_custody(session, custody)
    if custody.status != CustodyStatus.IN_CUSTODY:
        raise Conflict(
            f"custody {custody.id} is {custody.status}: only a car in custody is priced",
            zh="车辆已出库，只有在库车辆才能确定参考价",
        )
    live = live_pricing(session, custody.id)
    if live is not None:
        if live.status == PricingStatus.PRICED:
            raise RuleViolation(
                f"the car has a reference price valid until {live.valid_until} (reference price {live.id}); "
                "a new one only once it has run out unused",
                rule=rules.RULE_VALIDITY,
                zh=f"车辆已有参考价，有效期至{zh.day(live.valid_until) if live.valid_until else '—'}；"
                "有效期届满仍未使用的，才能重新确定",
            )
        raise Conflict(
            f"reference price {live.id} of this car is {live.status}: one procedure at a time",
            zh=f"此车辆的参考价程序正在进行（{status_zh(live.status)}），同一时间只能有一个程序",
        )
    now = clock.now()
    checked = _checked_facts(facts, clock.local(now).date())
    inspection = inspections.latest_inspection(session, custody.id)  # a correction counts from now on
    pricing = ReferencePrice(
        case_id=custody.case_id,
        custody_id=custody.id,
        vehicle_id=custody.vehicle_id,
        court_id=custody.court_id,
        center_id=custody.center_id,
        capture_id=custody.capture_id,
        previous_id=previous.id if previous is not None else None,
        status=PricingStatus.OPEN,
        method=None,
        brand_model=checked.brand_model,
        first_registered_on=checked.first_registered_on,
        fuel=checked.fuel,
        odometer_km=(inspection.odometer_km if inspection and inspection.odometer_km is not None else None)
        or custody.odometer_km,
        inspection_id=inspection.id if inspection else None,
        inspection_score=inspection.score if inspection else None,
        inspection_grade=inspection.grade if inspection else None,
        opened_at=now,
        opened_by=actor.label,
    )
    session.add(pricing)
    session.flush()
    record_event(
        session,
        actor,
        pricing,
        "reference_price.opened",
        {
            "opened_at": now,
            "plate": custody.vehicle.plate,
            "brand_model": pricing.brand_model,
            "inspection_id": pricing.inspection_id,
            "previous_id": pricing.previous_id,
        },
        reason="参考价规定 Art. 1",
    )
    return pricing


# --- the methods before the online inquiry (Art. 4–6) ------------------------------------------------------


def passed_methods(pricing: ReferencePrice) -> list[Passed]:
    return [
        Passed(Method(s.method), SkipReason(s.reason))
        for s in pricing.steps
        if s.outcome == StepOutcome.PASSED
    ]


def next_method(pricing: ReferencePrice) -> Method:
    """The first method not yet passed over: the only one the court may use now (Art. 2–5)."""
    done = {p.method for p in passed_methods(pricing)}
    return next(m for m in rules.ORDER if m not in done)


def _step(
    session: Session,
    actor: Principal,
    pricing: ReferencePrice,
    method: Method,
    outcome: StepOutcome,
    **fields: Any,
) -> PricingStep:
    step = PricingStep(
        pricing_id=pricing.id,
        method=method,
        outcome=outcome,
        recorded_at=clock.now(),
        recorded_by=actor.label,
        **fields,
    )
    session.add(step)
    session.flush()
    session.refresh(pricing)
    return step


def _check_method(pricing: ReferencePrice, method: Method) -> None:
    rules.check_order(method, passed_methods(pricing))


def _checked_note(note: str, field: str = "note") -> str:
    note = note.strip()
    if len(note) > 2000:
        raise InvalidInput(field, "at most 2000 characters", zh="不能超过 2000 个字")
    return note


def pass_method(
    session: Session,
    *,
    actor: Principal,
    pricing: ReferencePrice,
    method: Method,
    reason: SkipReason,
    note: str,
) -> PricingStep:
    """Pass over the next method for a reason its article accepts (the reason is on the record)."""
    require_officer(actor, pricing)
    lock(session, pricing)
    if pricing.status == PricingStatus.DIRECTING and method == Method.DIRECTED:
        MACHINE.move(pricing, "pass_directed")
    elif pricing.status != PricingStatus.OPEN:
        raise Conflict(
            f"reference price {pricing.id} is {pricing.status}: methods are passed over while open",
            zh=f"参考价程序当前为“{status_zh(pricing.status)}”，只有在“确定中”时才能不采用某种方式",
        )
    _check_method(pricing, method)
    if reason not in rules.ACCEPTED_SKIPS[method]:
        accepted = ", ".join(sorted(rules.ACCEPTED_SKIPS[method])) or "none: it is the last method"
        raise RuleViolation(
            f"{rules.NAMES_ZH[method]} cannot be passed over for '{reason}' (accepted: {accepted})",
            rule=rules.RULE_ORDER,
            zh=f"{rules.NAMES_ZH[method]}不能以“{rules.skip_zh(reason)}”为由不采用",
        )
    step = _step(session, actor, pricing, method, StepOutcome.PASSED, reason=reason, note=_checked_note(note))
    record_event(
        session,
        actor,
        pricing,
        "reference_price.method_passed",
        {"method": method, "reason": reason, "note": step.note},
        reason=rules.RULE_ORDER,
    )
    return step


def _checked_price(price_fen: int) -> int:
    if not 0 < price_fen <= MAX_PRICE_FEN:
        raise InvalidInput(
            "price_fen",
            f"a price is 1 to {MAX_PRICE_FEN} fen, not {price_fen}",
            zh=f"价格应为 0.01元 至 {yuan_text(MAX_PRICE_FEN)}",
        )
    return price_fen


def _checked_document(document: str) -> str:
    document = document.strip()
    if not 2 <= len(document) <= 200:
        raise InvalidInput(
            "document",
            "name the document the price comes from (2–200 characters)",
            zh="请填写价格所依据的文书，2 至 200 个字",
        )
    return document


def record_agreed_price(
    session: Session,
    *,
    actor: Principal,
    pricing: ReferencePrice,
    price_fen: int,
    document: str,
    note: str = "",
) -> ReferencePrice:
    """Both parties agreed a price (当事人议价, Art. 4): it is the reference price, beyond objection
    (Art. 24)."""
    require_officer(actor, pricing)
    lock(session, pricing)
    if pricing.status != PricingStatus.OPEN:
        raise Conflict(
            f"reference price {pricing.id} is {pricing.status}: an agreed price is recorded while open",
            zh=f"参考价程序当前为“{status_zh(pricing.status)}”，只有在“确定中”时才能记录议价结果",
        )
    _check_method(pricing, Method.AGREED)
    price_fen, document = _checked_price(price_fen), _checked_document(document)
    _step(
        session,
        actor,
        pricing,
        Method.AGREED,
        StepOutcome.PRICED,
        price_fen=price_fen,
        document=document,
        note=_checked_note(note),
    )
    fix(
        session,
        actor,
        pricing,
        method=Method.AGREED,
        price_fen=price_fen,
        basis=f"双方当事人议价确定（{document}）",
        valid_until=None,
        rule=rules.RULE_AGREED,
    )
    return pricing


def ask_directed(
    session: Session, *, actor: Principal, pricing: ReferencePrice, body: str, due_on: date, document: str
) -> PricingStep:
    """Send a directed inquiry to the body that holds a tax or government price for the car (Art. 5)."""
    require_officer(actor, pricing)
    lock(session, pricing)
    _check_method(pricing, Method.DIRECTED)
    body = body.strip()
    if not 2 <= len(body) <= 128:
        raise InvalidInput(
            "body",
            "the body asked (a tax bureau, a price authority), 2–128 characters",
            zh="请填写被询价的单位（如税务机关、价格主管部门），2 至 128 个字",
        )
    today = clock.today_local()
    if due_on <= today:
        raise InvalidInput(
            "due_on",
            f"the answer's deadline must be after today ({today})",
            zh=f"答复期限应晚于今天（{zh.day(today)}）",
        )
    MACHINE.move(pricing, "ask_directed")
    step = _step(
        session,
        actor,
        pricing,
        Method.DIRECTED,
        StepOutcome.ASKED,
        body=body,
        due_on=due_on,
        document=_checked_document(document),
    )
    record_event(
        session,
        actor,
        pricing,
        "reference_price.directed_asked",
        {"body": body, "due_on": due_on},
        reason="参考价规定 Art. 5",
    )
    return step


def answer_directed(
    session: Session, *, actor: Principal, pricing: ReferencePrice, price_fen: int, document: str
) -> ReferencePrice:
    """The body answered with a price: it is the reference price; no objection lies (Art. 24)."""
    require_officer(actor, pricing)
    lock(session, pricing)
    if pricing.status != PricingStatus.DIRECTING:
        raise Conflict(
            f"reference price {pricing.id} is {pricing.status}: no directed inquiry is out",
            zh=f"参考价程序当前为“{status_zh(pricing.status)}”，没有正在进行的定向询价",
        )
    price_fen, document = _checked_price(price_fen), _checked_document(document)
    asked = next(s for s in reversed(pricing.steps) if s.outcome == StepOutcome.ASKED)
    _step(
        session,
        actor,
        pricing,
        Method.DIRECTED,
        StepOutcome.PRICED,
        price_fen=price_fen,
        document=document,
        body=asked.body,
    )
    fix(
        session,
        actor,
        pricing,
        method=Method.DIRECTED,
        price_fen=price_fen,
        basis=f"{asked.body}定向询价确定（{document}）",
        valid_until=None,
        rule=rules.RULE_DIRECTED,
    )
    return pricing


# --- the price -------------------------------------------------------------------------------------------


def fix(
    session: Session,
    actor: Principal,
    pricing: ReferencePrice,
    *,
    method: Method,
    price_fen: int,
    basis: str,
    valid_until: date | None,
    rule: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """The price is fixed: valid until the reports' validity (at most a year, Art. 27). Handlers serve the
    notice on the parties and reach the stage clocks."""
    MACHINE.move(pricing, "fix")
    now = clock.now()
    today = clock.local(now).date()
    longest = rules.add_months(today, rules.VALIDITY_MAX_MONTHS)
    pricing.method = method
    pricing.price_fen = price_fen
    pricing.price_basis = basis
    pricing.fixed_at = now
    pricing.valid_until = min(valid_until, longest) if valid_until is not None else longest
    pricing.round, pricing.round_due_on = "", None
    session.flush()
    said = (
        f"参考价已确定：{yuan_text(price_fen)}（{rules.NAMES_ZH[method]}），有效期至{pricing.valid_until}。"
    )
    record_event(
        session,
        actor,
        pricing,
        "reference_price.fixed",
        {
            "fixed_at": now,
            "method": method,
            "price_fen": price_fen,
            "basis": basis,
            "valid_until": pricing.valid_until,
            **(detail or {}),
        },
        reason=rule,
        notices=_news(session, pricing, said, f"reference-price-fixed:{pricing.id}"),
    )


def _news(session: Session, pricing: ReferencePrice, text: str, key: str) -> tuple[Notice, ...]:
    """The officer who watched for the car, and the creditors, hear what became of it."""
    custody = session.get(Custody, pricing.custody_id)
    if custody is None or custody.watch_id is None:
        return ()
    plate = custody.vehicle.plate
    return (
        Notice(OFFICER, custody.watch_id, f"被扣押车辆{plate}{text}", key),
        Notice(APPLICANTS, custody.watch_id, f"被执行人车辆{plate}{text}"),
    )


__all__ = [
    "CarFacts",
    "answer_directed",
    "ask_directed",
    "fix",
    "live_pricing",
    "next_method",
    "open_pricing",
    "pass_method",
    "record_agreed_price",
    "record_event",
    "visible_pricing",
]


def pricings_of_case(session: Session, actor: Principal, case_id: int) -> list[ReferencePrice]:
    """The procedures of a case's cars that the caller sees (through their custody), the newest first."""
    rows = session.scalars(
        select(ReferencePrice).where(ReferencePrice.case_id == case_id).order_by(ReferencePrice.id.desc())
    )
    seen = []
    for pricing in rows:
        try:
            custody_service.visible_custody(session, actor, pricing.custody_id)
        except NotFound:
            continue
        seen.append(pricing)
    return seen
