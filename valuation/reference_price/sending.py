"""Sending the court's requests and notices to the inquiry platforms (docs/INQUIRY_PROTOCOL.md §1, §3).

Each platform is called in its own thread, with no transaction open during the call, and its answer is
stored in its own transaction: a platform that hangs or fails holds up nobody else's request, and one
that answers is on record before the slowest one is done. Every request carries its request id as the
``Idempotency-Key``, so a second dispatcher (or a retry after a lost answer) asks the platform nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock, sweeps
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.db import Database
from car_enforce.core.outbound.answers import text
from car_enforce.core.outbound.client import (
    MalformedResponse,
    OutboundClient,
    OutboundError,
    RetryPolicy,
    Service,
    json_object,
    new_http_pool,
)
from car_enforce.core.outbound.signing import HmacRequestSigner
from car_enforce.core.outbound.standard_webhooks import signing_key
from car_enforce.core.settings import Settings
from car_enforce.custody.models import Custody
from valuation.inquiry.models import InquiryPlatform
from valuation.inspection.models import Inspection
from valuation.reference_price import online, service
from valuation.reference_price.models import (
    InquiryRequest,
    NoticeStatus,
    PlatformNotice,
    ReferencePrice,
    RequestStatus,
)

log = logging.getLogger(__name__)
MAX_NOTICE_ATTEMPTS = 8  # a notice waits for a platform that is down; past this it is given up
REMOTE_ID_CHARS = 80  # the platform's inquiry id, as a request stores it


@dataclass(frozen=True, slots=True)
class Target:
    """Where a platform is and how it is signed for: read in a transaction, used after it (no row held)."""

    code: str
    base_url: str
    secret: str

    @classmethod
    def of(cls, platform: InquiryPlatform) -> Target:
        return cls(platform.code, platform.base_url, platform.secret)


def service_of(platform: Target, settings: Settings) -> Service:
    return Service(
        name=f"inquiry:{platform.code}",
        base_url=platform.base_url,
        connect_timeout_s=settings.http_connect_timeout_s,
        read_timeout_s=settings.inquiry_timeout_s,
        retry=RetryPolicy(attempts=settings.inquiry_attempts, base_delay_s=0.5, max_delay_s=5.0),
        signer=HmacRequestSigner(key=signing_key(platform.secret)),
    )


def callback_url(settings: Settings, platform: InquiryPlatform) -> str:
    return f"{settings.public_base_url.rstrip('/')}/api/inquiry-platforms/{platform.code}/reports"


def _inquiry_id(response: httpx.Response) -> str:
    document = json_object(response)
    if response.status_code != 202:
        raise MalformedResponse("expected 202 with an inquiry_id")
    return text(document, "inquiry_id", longest=REMOTE_ID_CHARS)


def request_body(session: Session, request: InquiryRequest, settings: Settings) -> dict[str, Any]:
    """What the platform is told (protocol §1): the court and case, the car's facts, the inspection."""
    pricing = session.get(ReferencePrice, request.pricing_id)
    platform = session.get(InquiryPlatform, request.platform_id)
    assert pricing is not None and platform is not None
    custody = session.get(Custody, pricing.custody_id)
    case = session.get(EnforcementCase, pricing.case_id)
    assert custody is not None and case is not None
    vehicle = custody.vehicle
    inspection = session.get(Inspection, pricing.inspection_id) if pricing.inspection_id else None
    return {
        "request_id": request.request_id,
        "court": {"name": custody.court.name, "case_number": case.case_number},
        "vehicle": {
            "plate": vehicle.plate,
            "plate_colour": vehicle.plate_colour,
            "vin": vehicle.vin,
            "brand_model": pricing.brand_model,
            "vehicle_class": custody.vehicle_class,
            "fuel": pricing.fuel,
            "first_registered_on": pricing.first_registered_on.isoformat(),
            "odometer_km": pricing.odometer_km,
        },
        "inspection": {
            "score": pricing.inspection_score,
            "grade": pricing.inspection_grade,
            "inspected_on": clock.local(inspection.inspected_at).date().isoformat() if inspection else None,
        },
        "purpose": "司法处置参考价",
        "callback_url": callback_url(settings, platform),
    }


@dataclass
class DispatchReport:
    received: list[str] = field(default_factory=list)  # request ids the platforms took
    failed: list[str] = field(default_factory=list)  # request ids given up
    errors: dict[str, str] = field(default_factory=dict)  # request id → why it failed (no personal data)
    notices_sent: int = 0
    notices_failed: int = 0


@dataclass(frozen=True, slots=True)
class _Call:
    kind: str  # "request" or "notice"
    row_id: int
    platform: Target
    path: str
    key: str
    body: dict[str, Any]


def _calls(session: Session, settings: Settings) -> list[_Call]:
    calls: list[_Call] = []
    requests = session.scalars(
        select(InquiryRequest)
        .where(InquiryRequest.status == RequestStatus.TO_SEND)
        .order_by(InquiryRequest.id)
    )
    for r in requests:
        platform = session.get(InquiryPlatform, r.platform_id)
        assert platform is not None
        calls.append(
            _Call(
                "request",
                r.id,
                Target.of(platform),
                "/inquiries",
                r.request_id,
                request_body(session, r, settings),
            )
        )
    notices = session.scalars(
        select(PlatformNotice)
        .where(PlatformNotice.status == NoticeStatus.TO_SEND)
        .order_by(PlatformNotice.id)
    )
    for n in notices:
        asked = session.get(InquiryRequest, n.request_id)
        assert asked is not None
        platform = session.get(InquiryPlatform, asked.platform_id)
        assert platform is not None
        body: dict[str, Any] = {"type": n.type, "request_id": asked.request_id, "reason": n.reason}
        if n.due_on is not None:
            body["due_on"] = n.due_on.isoformat()
        calls.append(
            _Call(
                "notice",
                n.id,
                Target.of(platform),
                f"/inquiries/{asked.remote_id}/notices",
                f"{asked.request_id}:{n.type}",
                body,
            )
        )
    return calls


def _store(database: Database, call: _Call, outcome: str | OutboundError, report: DispatchReport) -> None:
    with database.unit_of_work() as session:
        if call.kind == "request":
            # The procedure first, then its request: the order a platform's report takes them in too.
            pricing_id = session.scalar(
                select(InquiryRequest.pricing_id).where(InquiryRequest.id == call.row_id)
            )
            pricing = session.get(ReferencePrice, pricing_id)
            assert pricing is not None
            service.lock(session, pricing)
            request = session.get(InquiryRequest, call.row_id, with_for_update=True)
            assert request is not None
            if isinstance(outcome, OutboundError):
                report.errors[request.request_id] = str(outcome)
                log.warning("inquiry request %s not taken: %s", request.request_id, outcome)
                online.send_failed(session, request, str(outcome))
                if request.status == RequestStatus.FAILED:
                    report.failed.append(request.request_id)
            else:
                # Taken by the platform: received now, or already (its report may have come first).
                online.received(session, request, outcome, load_calendar(session))
                report.received.append(request.request_id)
            return
        notice = session.get(PlatformNotice, call.row_id, with_for_update=True)
        assert notice is not None
        if notice.status != NoticeStatus.TO_SEND:
            return
        notice.attempts += 1
        if isinstance(outcome, OutboundError):
            notice.last_error = str(outcome)[:200]
            if outcome.permanent or notice.attempts >= MAX_NOTICE_ATTEMPTS:
                notice.status = NoticeStatus.FAILED
                report.notices_failed += 1
            return
        notice.status, notice.sent_at = NoticeStatus.SENT, clock.now()
        report.notices_sent += 1


def send_due(
    database: Database,
    settings: Settings,
    *,
    http: httpx.Client | None = None,
    sleep: Callable[[float], None] | None = None,
) -> DispatchReport:
    """Send every request not yet taken and every notice not yet sent, each platform call in parallel."""
    with database.unit_of_work(read_only=True) as session:
        calls = _calls(session, settings)
    report = DispatchReport()
    if not calls:
        return report
    pool = http or new_http_pool()

    def one(call: _Call) -> None:
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        client = OutboundClient(service_of(call.platform, settings), http=pool, **extra)
        outcome: str | OutboundError
        try:
            if call.kind == "request":
                outcome = client.post(call.path, idempotency_key=call.key, json=call.body, check=_inquiry_id)
            else:
                client.post(call.path, idempotency_key=call.key, json=call.body)
                outcome = "sent"
        except OutboundError as exc:
            outcome = exc
        try:
            _store(database, call, outcome, report)
        except Exception:  # one answer that cannot be stored must not stop the others; the sweep retries
            log.exception("inquiry %s %s: the answer could not be stored", call.kind, call.key)

    try:
        with ThreadPoolExecutor(max_workers=min(8, len(calls)), thread_name_prefix="inquiry") as workers:
            for future in [workers.submit(one, c) for c in calls]:
                future.result()
    finally:
        if http is None:
            pool.close()
    return report


def decide_due(database: Database, *, today: date | None = None) -> list[tuple[int, str]]:
    """The sweep: every running inquiry whose periods are over is decided, one per transaction (one that
    fails is logged and left for the next run; the others go on)."""
    with database.unit_of_work(read_only=True) as session:
        ids = online.inquiring_ids(session)

    def decide(session: Session, pricing_id: int) -> tuple[int, str] | None:
        pricing = session.get(ReferencePrice, pricing_id)
        assert pricing is not None
        service.lock(session, pricing)
        outcome = online.decide(session, pricing, load_calendar(session), today=today)
        return (pricing_id, outcome) if outcome is not None else None

    return sweeps.each(database, "reference-price-decide", ids, decide)
