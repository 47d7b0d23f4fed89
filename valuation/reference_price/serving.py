"""The notice of the reference price, served on every party within 3 days of the result (Art. 21): by text
to each party with a phone, by public notice to one who cannot be reached (deemed served 15 days later).
Objections run 5 days from the day each party is served (Art. 22), except against 议价 and 定向询价 (Art. 24).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase, Party, PartyKind
from car_enforce.core import clock
from car_enforce.core.calendar.service import PrcCalendar, load_calendar
from car_enforce.core.errors import NotFound
from car_enforce.core.events import PARTY, Notice
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.core.zh import mask_name
from car_enforce.custody.models import Custody
from valuation.reference_price import rules
from valuation.reference_price.check import center_check
from valuation.reference_price.models import (
    Appraisal,
    AppraisalStatus,
    NoticeService,
    PriceNotice,
    ReferencePrice,
    RequestStatus,
    ServiceChannel,
)
from valuation.reference_price.notice import NoticeContent, NoticeResult, public_notice_text, sms_text
from valuation.reference_price.rules import Method
from valuation.reference_price.service import record_event

OBJECTIONS_LIE = (Method.ONLINE, Method.APPRAISAL)


def new_objection_code() -> str:
    """16 letters and digits (80 random bits) a party can type from the text message."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def code_digest(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def service_by_code(session: Session, code: str) -> NoticeService | None:
    return session.scalar(select(NoticeService).where(NoticeService.code_digest == code_digest(code)))


def notice_number(pricing: ReferencePrice, notice_id: int, on: date) -> str:
    return f"参价通〔{on.year}〕{notice_id:06d}号"


def counted_results(session: Session, pricing: ReferencePrice) -> list[tuple[str, str, str, int]]:
    """The platforms whose reports count (delivered in time, without basic errors): (code, name, report
    number, result)."""
    out = []
    for r in pricing.requests:
        if r.status != RequestStatus.REPORTED or not r.reports:
            continue
        latest = r.reports[-1]
        if latest.basic_errors:
            continue
        org = session.get(Organisation, r.platform_id)
        assert org is not None
        out.append((r.platform_code, org.name, latest.number, latest.result_fen))
    return out


def content_of(
    session: Session,
    pricing: ReferencePrice,
    number: str,
    on: date,
    *,
    set_aside: frozenset[str] = frozenset(),
    objected: frozenset[str] = frozenset(),
) -> NoticeContent:
    custody = session.get(Custody, pricing.custody_id)
    case = session.get(EnforcementCase, pricing.case_id)
    assert custody is not None and case is not None and pricing.price_fen is not None
    assert pricing.valid_until is not None and pricing.method is not None
    results: tuple[NoticeResult, ...] = ()
    if pricing.method == Method.ONLINE:
        results = tuple(
            NoticeResult(
                platform_name=name,
                report_number=report_number,
                result_fen=fen,
                counted=code not in set_aside | objected,
                note=_left_out(code, set_aside, objected),
            )
            for code, name, report_number, fen in counted_results(session, pricing)
        )
    elif pricing.method == Method.APPRAISAL:
        results = _appraisal_result(session, pricing)
    return NoticeContent(
        number=number,
        court_name=custody.court.name,
        case_number=case.case_number,
        issued_on=on,
        plate=custody.vehicle.plate_as_written,
        vin=custody.vehicle.vin,
        brand_model=pricing.brand_model,
        method=Method(pricing.method),
        results=results,
        price_fen=pricing.price_fen,
        valid_until=pricing.valid_until,
        center_check_fen=_center_check(session, pricing),
    )


def _left_out(code: str, set_aside: frozenset[str], objected: frozenset[str]) -> str:
    if code in set_aside:
        return "异议成立"
    if code in objected:
        return "已被提出异议（第十三条第二款）"
    return ""


def _appraisal_result(session: Session, pricing: ReferencePrice) -> tuple[NoticeResult, ...]:
    reported = session.scalar(
        select(Appraisal)
        .where(Appraisal.pricing_id == pricing.id, Appraisal.status == AppraisalStatus.REPORTED)
        .order_by(Appraisal.id.desc())
        .limit(1)
    )
    firm = session.get(Organisation, reported.firm_id) if reported is not None else None
    if reported is None or firm is None or reported.result_fen is None:
        return ()
    return (NoticeResult(firm.name, reported.report_number, reported.result_fen, True),)


def _center_check(session: Session, pricing: ReferencePrice) -> int | None:
    """The center's own estimate, printed as a check beside the price (never the price)."""
    if pricing.inspection_score is None:
        return None
    return center_check(session, pricing).estimate.value_fen


def _served_on(channel: ServiceChannel, today: date, calendar: PrcCalendar) -> date:
    if channel == ServiceChannel.SMS:
        return today
    return calendar.court_period_end(today, rules.PUBLIC_NOTICE_DAYS).on


def issue_notice(
    session: Session,
    actor: Principal,
    pricing: ReferencePrice,
    *,
    set_aside: frozenset[str] = frozenset(),
    objected: frozenset[str] = frozenset(),
) -> PriceNotice:
    """Number and keep the notice, and serve it on every party of the case (Art. 21)."""
    now = clock.now()
    today = clock.local(now).date()
    notice = PriceNotice(pricing_id=pricing.id, number="", issued_at=now, content={})
    session.add(notice)
    session.flush()
    notice.number = notice_number(pricing, notice.id, today)
    content = content_of(session, pricing, notice.number, today, set_aside=set_aside, objected=objected)
    notice.content = to_json(content)
    calendar = load_calendar(session)
    case = session.get(EnforcementCase, pricing.case_id)
    assert case is not None
    texts: list[Notice] = []
    served: list[dict[str, Any]] = []
    for party in case.parties:
        channel = ServiceChannel.SMS if party.phone else ServiceChannel.PUBLIC_NOTICE
        served_on = _served_on(channel, today, calendar)
        due = rules.objection_due(served_on, calendar).on if pricing.method in OBJECTIONS_LIE else None
        code = new_objection_code() if channel == ServiceChannel.SMS and due is not None else None
        session.add(
            NoticeService(
                notice_id=notice.id,
                party_id=party.id,
                channel=channel,
                started_on=today,
                served_on=served_on,
                objection_due_on=due,
                code_digest=code_digest(code) if code else None,
            )
        )
        if channel == ServiceChannel.SMS:
            text = sms_text(content, objection_code=code)
            texts.append(Notice(PARTY, party.id, text, f"price-notice:{notice.id}:{party.id}"))
        served.append(
            {
                "party_id": party.id,
                "role": party.role,
                "channel": channel,
                "served_on": served_on,
                "objection_due_on": due,
            }
        )
    session.flush()
    session.refresh(notice)
    record_event(
        session,
        actor,
        pricing,
        "reference_price.notice_issued",
        {
            "notice_id": notice.id,
            "number": notice.number,
            "price_fen": pricing.price_fen,
            "services": served,
            "public_notice": [public_notice_text(content, _label(p)) for p in case.parties if not p.phone],
        },
        reason="参考价规定 Art. 21",
        notices=tuple(texts),
    )
    return notice


def _label(party: Party) -> str:
    # On the timeline (and in webhooks) the name is masked; the published notice is the court's to print.
    return mask_name(party.name, company=party.kind == PartyKind.COMPANY)


def to_json(content: NoticeContent) -> dict[str, Any]:
    return {
        "number": content.number,
        "court_name": content.court_name,
        "case_number": content.case_number,
        "issued_on": content.issued_on.isoformat(),
        "plate": content.plate,
        "vin": content.vin,
        "brand_model": content.brand_model,
        "method": str(content.method),
        "results": [
            {
                "platform_name": r.platform_name,
                "report_number": r.report_number,
                "result_fen": r.result_fen,
                "counted": r.counted,
                "note": r.note,
            }
            for r in content.results
        ],
        "price_fen": content.price_fen,
        "valid_until": content.valid_until.isoformat(),
        "objection_days": content.objection_days,
        "center_check_fen": content.center_check_fen,
    }


def from_json(data: dict[str, Any]) -> NoticeContent:
    return NoticeContent(
        number=data["number"],
        court_name=data["court_name"],
        case_number=data["case_number"],
        issued_on=date.fromisoformat(data["issued_on"]),
        plate=data["plate"],
        vin=data["vin"],
        brand_model=data["brand_model"],
        method=Method(data["method"]),
        results=tuple(NoticeResult(**r) for r in data["results"]),
        price_fen=data["price_fen"],
        valid_until=date.fromisoformat(data["valid_until"]),
        objection_days=data["objection_days"],
        center_check_fen=data["center_check_fen"],
    )


def latest_notice(session: Session, pricing: ReferencePrice) -> PriceNotice | None:
    return session.scalar(
        select(PriceNotice)
        .where(PriceNotice.pricing_id == pricing.id)
        .order_by(PriceNotice.id.desc())
        .limit(1)
    )


def service_of(session: Session, pricing: ReferencePrice, party_id: int) -> NoticeService | None:
    notice = latest_notice(session, pricing)
    if notice is None:
        return None
    return next((s for s in notice.services if s.party_id == party_id), None)


def latest_notice_pdf(session: Session, pricing: ReferencePrice) -> bytes:
    """The latest notice of the price, printed; NotFound before there is one."""
    notice = latest_notice(session, pricing)
    if notice is None:
        raise NotFound(f"reference price {pricing.id} has no notice yet", zh="此参考价尚未出具通知书")
    return render_pdf(notice)


def render_pdf(notice: PriceNotice) -> bytes:
    """The notice printed as it was issued (its stored content, not today's data)."""
    # Imported when printing only: the PDF library and its font parser are heavy.
    from valuation.pdf_font import report_font
    from valuation.reference_price import notice_pdf

    path, face = report_font()
    return notice_pdf.render(from_json(notice.content), str(path), face)
