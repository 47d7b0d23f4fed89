"""The online inquiry (网络询价, Art. 7–13): ask every platform at once, take their reports, and decide at
each deadline what follows: the mean, an extension, corrections, or the appraisal.

Each platform's 3 days run from the day it received the request (Art. 11), so the inquiry is decided
when every platform has reported, failed to be reached, or run out of time, whichever comes first for
each. A decision is taken by whoever notices first: the report that completes the set, or the sweep.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, zh
from car_enforce.core.calendar.service import PrcCalendar, load_calendar
from car_enforce.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.core.zh import yuan_text
from valuation.inquiry.models import InquiryPlatform
from valuation.inquiry.platforms import platforms_for
from valuation.inspection.models import Inspection
from valuation.reference_price import rules
from valuation.reference_price.models import (
    InquiryReport,
    InquiryRequest,
    NoticeStatus,
    PlatformNotice,
    PricingStatus,
    ReferencePrice,
    RequestStatus,
    Round,
    StepOutcome,
)
from valuation.reference_price.rules import Method, Next, PlatformState, SkipReason
from valuation.reference_price.service import (
    _news,
    _step,
    fix,
    lock,
    passed_methods,
    record_event,
    require_runner,
)
from valuation.reference_price.transitions import MACHINE, status_zh

SYSTEM = Principal.system("reference-price")
ROUNDING_ZH = "按分四舍五入"


# --- starting -------------------------------------------------------------------------------------------


class Why(NamedTuple):
    """Why something is refused: for the record and the platform, and in Chinese for the officer."""

    detail: str
    zh: str


def needs_on_site_inspection(session: Session, pricing: ReferencePrice) -> Why | None:
    """Why professionals must see the car (Art. 7), or None when the center's inspection is enough."""
    inspection = session.get(Inspection, pricing.inspection_id) if pricing.inspection_id else None
    if inspection is None:
        return Why(
            "the car has not been inspected at the center (GB/T 30323): inspect it, or entrust an appraisal",
            "车辆尚未在辅助中心检测（GB/T 30323），请先检测或委托评估",
        )
    if inspection.flood_damage or inspection.fire_damage:
        return Why(
            "the inspection found flood or fire damage, which only an on-site appraisal can value",
            "检测发现车辆有水淹或火烧损伤，只能委托现场评估",
        )
    return None


def request_id_of(pricing: ReferencePrice, platform: InquiryPlatform) -> str:
    """Ours, and the Idempotency-Key of every try: the random tail keeps it unique at the platform even
    when our row ids start again (a database restored or reseeded), where a platform that remembers an id
    would take a new inquiry for a retry of an old one and never answer it."""
    return f"inq-{pricing.id:06d}-{platform.code}-{secrets.token_hex(4)}"


def start_online(
    session: Session, *, actor: Principal, pricing: ReferencePrice, reason: str
) -> list[InquiryRequest]:
    """Ask every active platform of the court at once (Art. 10), for a car that needs no on-site inspection
    (Art. 7, the officer's reason recorded). The requests leave after the commit (``sending``)."""
    require_runner(actor, pricing)
    return start_online_for(session, actor=actor, pricing=pricing, reason=reason)


def start_online_for(
    session: Session, *, actor: Principal, pricing: ReferencePrice, reason: str
) -> list[InquiryRequest]:
    """``start_online`` for a caller already allowed (a sweep asking again after an expiry)."""
    lock(session, pricing)
    if pricing.status != PricingStatus.OPEN:
        raise Conflict(
            f"reference price {pricing.id} is {pricing.status}: the online inquiry starts while open",
            zh=f"参考价程序当前为“{status_zh(pricing.status)}”，只有在“确定中”时才能发起网络询价",
        )
    rules.check_order(Method.ONLINE, passed_methods(pricing))
    why_not = needs_on_site_inspection(session, pricing)
    if why_not is not None:
        raise RuleViolation(why_not.detail, rule=rules.RULE_ONLINE_ALLOWED, zh=why_not.zh)
    rules.check_online_allowed(False, reason)
    platforms = platforms_for(session, pricing.court_id)
    if not platforms:
        raise Conflict(
            "no inquiry platform is configured for this court: an administrator adds them first",
            zh="本院尚未配置询价平台，请系统管理员先添加",
        )
    MACHINE.move(pricing, "start_online")
    pricing.method = Method.ONLINE
    pricing.online_reason = reason.strip()
    pricing.round = Round.REPORTS
    requests = [
        InquiryRequest(
            pricing_id=pricing.id,
            platform_id=p.organisation_id,
            platform_code=p.code,
            request_id=request_id_of(pricing, p),
            status=RequestStatus.TO_SEND,
        )
        for p in platforms
    ]
    session.add_all(requests)
    _step(session, actor, pricing, Method.ONLINE, StepOutcome.STARTED, note=pricing.online_reason)
    record_event(
        session,
        actor,
        pricing,
        "reference_price.online_started",
        {"platforms": [p.code for p in platforms], "reason": pricing.online_reason},
        reason="参考价规定 Art. 7, 10",
    )
    return requests


# --- what the platforms say ------------------------------------------------------------------------------


def received(session: Session, request: InquiryRequest, remote_id: str, calendar: PrcCalendar) -> bool:
    """The platform took the request: its 3 days run from today (Art. 11). False when known already (its
    report may have come before its answer was stored: then only the platform's id is kept)."""
    if request.status != RequestStatus.TO_SEND:
        if remote_id and not request.remote_id:
            request.remote_id = remote_id
        return False
    pricing = session.get(ReferencePrice, request.pricing_id)
    assert pricing is not None
    now = clock.now()
    due = calendar.court_period_end(clock.local(now).date(), rules.ONLINE_REPORT_DAYS)
    request.status = RequestStatus.RECEIVED
    request.remote_id = remote_id
    request.received_at = now
    request.due_on, request.due_provisional = due.on, due.provisional
    session.flush()
    record_event(
        session,
        SYSTEM,
        pricing,
        "inquiry.request_received",
        {"platform": request.platform_code, "request_id": request.request_id, "due_on": due.on},
        reason="参考价规定 Art. 11",
    )
    return True


def send_failed(session: Session, request: InquiryRequest, error: str) -> None:
    """The request could not be delivered (the client's own tries are spent): the platform is left out of
    this inquiry, and the inquiry is decided if that was the last platform it waited for."""
    request.attempts += 1
    request.last_error = error[:200]
    if request.status != RequestStatus.TO_SEND:
        return
    request.status = RequestStatus.FAILED
    pricing = session.get(ReferencePrice, request.pricing_id)
    assert pricing is not None
    session.flush()
    record_event(
        session,
        SYSTEM,
        pricing,
        "inquiry.request_failed",
        {"platform": request.platform_code, "request_id": request.request_id, "error": request.last_error},
    )
    decide(session, pricing, load_calendar(session))


@dataclass(frozen=True, slots=True)
class ReportIn:
    number: str
    issued_on: date
    valid_until: date
    vehicle: dict[str, Any]
    samples: list[dict[str, Any]]
    method: str
    result_fen: int


def _basic_errors(pricing: ReferencePrice, vehicle: dict[str, Any], plate: str, vin: str | None) -> str:
    """Art. 12's basic errors: the report is about another car."""
    wrong = []
    if vin and str(vehicle.get("vin", "")).upper() != vin.upper():
        wrong.append(f"VIN {vehicle.get('vin')!r} is not {vin}")
    if str(vehicle.get("plate", "")) != plate:
        wrong.append(f"plate {vehicle.get('plate')!r} is not {plate}")
    return "; ".join(wrong)


def _in_time(pricing: ReferencePrice, request: InquiryRequest, today: date, correction: bool) -> Why | None:
    """Why the message is out of time, or None."""
    if correction:
        latest = _latest(request)
        if pricing.round != Round.CORRECTIONS or latest is None or not latest.basic_errors:
            return Why("no correction was asked of this platform (Art. 12)", "未通知此平台补正报告")
        if pricing.round_due_on is not None and today > pricing.round_due_on:
            return Why(
                f"corrections were due by {pricing.round_due_on} (Art. 12)",
                f"补正期限已于{zh.day(pricing.round_due_on)}届满",
            )
        return None
    if request.status != RequestStatus.RECEIVED:
        return Why(
            f"request {request.request_id} is {request.status}: it takes no report now",
            f"询价委托 {request.request_id} 当前不接收报告",
        )
    if request.due_on is not None and today <= request.due_on:
        return None
    extended = pricing.round == Round.EXTENSION and request.extension_asked_at is not None
    if extended and pricing.round_due_on is not None and today <= pricing.round_due_on:
        return None
    due = pricing.round_due_on if extended else request.due_on
    return Why(
        f"the report was due by {due} (Art. 11)",
        f"出具报告的期限已于{zh.day(due)}届满" if due is not None else "出具报告的期限已届满",
    )


def take_report(
    session: Session,
    request: InquiryRequest,
    *,
    message_id: str,
    report: ReportIn,
    correction: bool,
    plate: str,
    vin: str | None,
) -> InquiryReport:
    """Store a platform's report (or its correction) delivered in time; a late one is refused and nothing
    is stored. A report about another car is kept as having basic errors (Art. 12)."""
    pricing = session.get(ReferencePrice, request.pricing_id)
    assert pricing is not None
    lock(session, pricing)
    if pricing.status != PricingStatus.INQUIRING:
        raise Conflict(
            f"the inquiry of reference price {pricing.id} is over ({pricing.status}): the report is too late",
            rule=rules.RULE_REPORT_PERIOD,
            zh=f"此参考价程序的网络询价已结束（{status_zh(pricing.status)}），报告逾期",
        )
    if request.status == RequestStatus.TO_SEND and not correction:
        # A fast platform reported before its answer to our request was stored (the two race): it has the
        # request, so it was received, now; its id comes with the stored answer.
        received(session, request, "", load_calendar(session))
    late = _in_time(pricing, request, clock.today_local(), correction)
    if late is not None:
        raise Conflict(
            late.detail, rule=rules.RULE_CORRECTION if correction else rules.RULE_REPORT_PERIOD, zh=late.zh
        )
    try:
        rules.check_validity(report.issued_on, report.valid_until)
    except RuleViolation as exc:
        raise Conflict(exc.detail, rule=rules.RULE_VALIDITY, zh=exc.zh) from None
    if report.valid_until < clock.today_local():
        raise Conflict(
            f"the report's validity ended on {report.valid_until}",
            rule=rules.RULE_VALIDITY,
            zh=f"报告的有效期已于{zh.day(report.valid_until)}届满",
        )
    if report.result_fen <= 0:
        raise InvalidInput("report.result_fen", "a result is more than 0 fen", zh="询价结果应大于 0")
    if not report.samples:
        raise InvalidInput(
            "report.samples",
            "a report names its reference samples (参考价规定 Art. 11)",
            zh="报告应列明参照的样本",
        )
    errors = _basic_errors(pricing, report.vehicle, plate, vin)
    row = InquiryReport(
        request_id=request.id,
        message_id=message_id,
        correction=correction,
        number=report.number,
        issued_on=report.issued_on,
        valid_until=report.valid_until,
        vehicle=report.vehicle,
        samples=report.samples,
        method=report.method,
        result_fen=report.result_fen,
        basic_errors=errors,
        received_at=clock.now(),
    )
    session.add(row)
    request.status = RequestStatus.REPORTED
    session.flush()
    session.refresh(request)
    record_event(
        session,
        SYSTEM,
        pricing,
        "inquiry.correction_received" if correction else "inquiry.report_received",
        {
            "platform": request.platform_code,
            "number": report.number,
            "result_fen": report.result_fen,
            "valid_until": report.valid_until,
            "basic_errors": errors,
        },
        reason=rules.RULE_CORRECTION if correction else rules.RULE_REPORT_PERIOD,
    )
    decide(session, pricing, load_calendar(session))
    return row


def take_extension_request(
    session: Session, request: InquiryRequest, *, message_id: str, reason: str
) -> None:
    """A platform asks for more time before its deadline (Art. 11); whether it gets it is decided at the
    deadline, by whether anyone delivered."""
    pricing = session.get(ReferencePrice, request.pricing_id)
    assert pricing is not None
    lock(session, pricing)
    today = clock.today_local()
    if request.status == RequestStatus.TO_SEND:  # asked before its answer to our request was stored
        received(session, request, "", load_calendar(session))
    if pricing.status != PricingStatus.INQUIRING or pricing.round != Round.REPORTS:
        raise Conflict(
            "the inquiry's report period is over: no extension can be asked",
            rule=rules.RULE_EXTENSION,
            zh="出具报告的期间已结束，不能再申请延期",
        )
    if request.status != RequestStatus.RECEIVED or request.due_on is None or today > request.due_on:
        raise Conflict(
            f"an extension is asked before the deadline ({request.due_on})",
            rule=rules.RULE_EXTENSION,
            zh=f"延期应在期限届满（{zh.day(request.due_on) if request.due_on else '—'}）前申请",
        )
    if request.extension_asked_at is not None:
        raise Conflict(
            "this platform asked for an extension already", rule=rules.RULE_EXTENSION, zh="此平台已申请过延期"
        )
    request.extension_asked_at = clock.now()
    request.extension_message_id = message_id
    session.flush()
    record_event(
        session,
        SYSTEM,
        pricing,
        "inquiry.extension_asked",
        {"platform": request.platform_code, "reason": reason[:500]},
        reason=rules.RULE_EXTENSION,
    )


# --- deciding (Art. 11–13) ------------------------------------------------------------------------------


def _latest(request: InquiryRequest) -> InquiryReport | None:
    return request.reports[-1] if request.reports else None


def _states(pricing: ReferencePrice) -> list[PlatformState]:
    states = []
    for r in pricing.requests:
        latest = _latest(r)
        states.append(
            PlatformState(
                r.platform_code,
                result_fen=latest.result_fen if latest is not None else None,
                asked_extension=r.extension_asked_at is not None,
                basic_errors=bool(latest.basic_errors) if latest is not None else False,
            )
        )
    return states


def _still_running(pricing: ReferencePrice, today: date) -> bool:
    """Whether some platform may still deliver in the current period."""
    for r in pricing.requests:
        if pricing.round == Round.REPORTS:
            if r.status == RequestStatus.TO_SEND:
                return True
            if r.status == RequestStatus.RECEIVED and r.due_on is not None and today <= r.due_on:
                return True
        elif pricing.round_due_on is not None and today <= pricing.round_due_on:
            if (
                pricing.round == Round.EXTENSION
                and r.status == RequestStatus.RECEIVED
                and r.extension_asked_at
            ):
                return True
            latest = _latest(r)
            if pricing.round == Round.CORRECTIONS and latest is not None and latest.basic_errors:
                return True
    return False


def _tell(
    session: Session, request: InquiryRequest, kind: str, *, due_on: date | None = None, reason: str = ""
) -> None:
    if request.status in (RequestStatus.TO_SEND, RequestStatus.FAILED, RequestStatus.WITHDRAWN):
        return  # it never took the request: nothing to tell it
    exists = session.scalar(
        select(PlatformNotice.id).where(PlatformNotice.request_id == request.id, PlatformNotice.type == kind)
    )
    if exists is None:
        session.add(
            PlatformNotice(
                request_id=request.id,
                type=kind,
                due_on=due_on,
                reason=reason,
                status=NoticeStatus.TO_SEND,
                created_at=clock.now(),
            )
        )


def decide(
    session: Session, pricing: ReferencePrice, calendar: PrcCalendar, *, today: date | None = None
) -> Next | None:
    """Take the decision the rules give once the current period is over for every platform; None while
    some platform may still deliver (or when the inquiry is not running)."""
    if pricing.status != PricingStatus.INQUIRING:
        return None
    session.refresh(pricing)
    day = today or clock.today_local()
    if _still_running(pricing, day):
        return None
    decision = rules.at_deadline(
        _states(pricing),
        extended=pricing.round == Round.EXTENSION,
        corrected=pricing.round == Round.CORRECTIONS,
    )
    if decision.next == Next.PRICE:
        _price(session, pricing, decision.platforms, decision.price_fen)
    elif decision.next == Next.EXTEND:
        ends = [r.due_on for r in pricing.requests if r.platform_code in decision.platforms and r.due_on]
        due = calendar.court_period_end(max(ends), rules.ONLINE_EXTENSION_DAYS)
        pricing.round, pricing.round_due_on = Round.EXTENSION, due.on
        for r in pricing.requests:
            if r.platform_code in decision.platforms:
                _tell(session, r, "extension_granted", due_on=due.on)
        session.flush()
        record_event(
            session,
            SYSTEM,
            pricing,
            "inquiry.extended",
            {"platforms": list(decision.platforms), "due_on": due.on},
            reason=rules.RULE_EXTENSION,
        )
    elif decision.next == Next.CORRECT:
        due = calendar.court_period_end(day, rules.CORRECTION_DAYS)
        pricing.round, pricing.round_due_on = Round.CORRECTIONS, due.on
        for r in pricing.requests:
            if r.platform_code in decision.platforms:
                latest = _latest(r)
                errors = latest.basic_errors if latest is not None else ""
                _tell(session, r, "correction_requested", due_on=due.on, reason=errors)
        session.flush()
        record_event(
            session,
            SYSTEM,
            pricing,
            "inquiry.corrections_requested",
            {"platforms": list(decision.platforms), "due_on": due.on},
            reason=rules.RULE_CORRECTION,
        )
    else:
        _to_appraisal(session, pricing, decision.rule)
    return decision.next


def _price(session: Session, pricing: ReferencePrice, counted: Sequence[str], price_fen: int | None) -> None:
    assert price_fen is not None
    reports = {r.platform_code: _latest(r) for r in pricing.requests}
    results = {code: rep.result_fen for code, rep in reports.items() if code in counted and rep is not None}
    valid_until = min(rep.valid_until for code, rep in reports.items() if code in counted and rep is not None)
    for r in pricing.requests:
        if r.status == RequestStatus.RECEIVED:
            # Someone delivered: the ones still working (or asking for time) are told it is over (Art. 11).
            _tell(
                session,
                r,
                "extension_refused" if r.extension_asked_at else "withdrawn",
                reason="其他询价平台已按期出具报告",
            )
            r.status = RequestStatus.WITHDRAWN
    listed = results_text(session, pricing, results)
    basis = f"{len(results)}家询价平台按期出具结果（{listed}）的算术平均值，{ROUNDING_ZH}"
    fix(
        session,
        SYSTEM,
        pricing,
        method=Method.ONLINE,
        price_fen=price_fen,
        basis=basis,
        valid_until=valid_until,
        rule=rules.RULE_MEAN,
        detail={"results": results},
    )


def results_text(session: Session, pricing: ReferencePrice, results: dict[str, int]) -> str:
    """``模拟询价平台甲 99,166.00元、…``: the results by platform name, for the price's basis."""
    names = {r.platform_code: r.platform_id for r in pricing.requests}
    named = []
    for code, fen in results.items():
        org = session.get(Organisation, names[code])
        named.append(f"{org.name if org is not None else code} {yuan_text(fen)}")
    return "、".join(named)


def withdraw_requests(session: Session, pricing: ReferencePrice, reason: str) -> None:
    """The platforms still working on the inquiry are told it is withdrawn; those not yet asked never are."""
    for r in pricing.requests:
        if r.status == RequestStatus.RECEIVED:
            _tell(session, r, "withdrawn", reason=reason)
        if r.status in (RequestStatus.RECEIVED, RequestStatus.TO_SEND):
            r.status = RequestStatus.WITHDRAWN


def _to_appraisal(session: Session, pricing: ReferencePrice, rule: str) -> None:
    """Nobody delivered and nobody asked (or the corrections failed): the online inquiry is passed over as
    failed and the court entrusts an appraisal (Art. 11 ¶3)."""
    withdraw_requests(session, pricing, "询价不成，转委托评估")
    MACHINE.move(pricing, "inquiry_failed")
    pricing.round, pricing.round_due_on, pricing.method = "", None, None
    _step(
        session,
        SYSTEM,
        pricing,
        Method.ONLINE,
        StepOutcome.PASSED,
        reason=SkipReason.FAILED,
        note="网络询价未获有效结果",
    )
    said = "网络询价未获有效结果，须委托评估确定参考价。"
    record_event(
        session,
        SYSTEM,
        pricing,
        "reference_price.online_failed",
        {"next": Method.APPRAISAL},
        reason=rule,
        notices=_news(session, pricing, said, f"reference-price-online-failed:{pricing.id}"),
    )


def request_by_id(session: Session, platform: InquiryPlatform, request_id: str) -> InquiryRequest:
    request = session.scalar(
        select(InquiryRequest).where(
            InquiryRequest.request_id == request_id, InquiryRequest.platform_id == platform.organisation_id
        )
    )
    if request is None:
        raise NotFound(
            f"no request {request_id!r} was sent to {platform.code}",
            zh=f"没有向 {platform.code} 发出编号为 {request_id} 的询价委托",
        )
    return request


def inquiring_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(ReferencePrice.id)
            .where(ReferencePrice.status == PricingStatus.INQUIRING)
            .order_by(ReferencePrice.id)
        )
    )
