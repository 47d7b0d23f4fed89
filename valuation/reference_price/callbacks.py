"""What an inquiry platform sends us (docs/INQUIRY_PROTOCOL.md §2): reports, extension requests and
corrections, signed the Standard Webhooks way with the secret we share.

The signature is checked before anything is read; a message id already taken gets the same answer again
and stores nothing; a message the rules refuse stores nothing and names the article.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core.errors import InvalidInput, NotFound
from car_enforce.core.outbound import signed_messages
from car_enforce.core.outbound.standard_webhooks import signing_key
from car_enforce.custody.models import Custody
from valuation.inquiry.models import InquiryPlatform
from valuation.reference_price import online
from valuation.reference_price.models import (
    MESSAGE_ID_CHARS,
    InquiryReport,
    InquiryRequest,
    ReferencePrice,
)

MAX_SAMPLES = 50


class _Vehicle(BaseModel):
    plate: str = Field(max_length=32)
    vin: str | None = Field(default=None, max_length=17)
    brand_model: str = Field(default="", max_length=64)


class _Sample(BaseModel):
    source: str = Field(min_length=1, max_length=100)
    date: date
    price_fen: int = Field(gt=0, le=10**12)
    note: str = Field(default="", max_length=500)


class _Report(BaseModel):
    """Art. 11: the car's facts, the reference samples, the method, the result and its validity."""

    number: str = Field(min_length=1, max_length=64)
    issued_on: date
    valid_until: date
    vehicle: _Vehicle
    samples: list[_Sample] = Field(min_length=1, max_length=MAX_SAMPLES)
    method: str = Field(min_length=1, max_length=4000)
    result_fen: int = Field(gt=0, le=10**12)


class _ReportMessage(BaseModel):
    type: Literal["report", "correction"]
    request_id: str = Field(max_length=80)
    report: _Report


class _ExtensionMessage(BaseModel):
    type: Literal["extension_request"]
    request_id: str = Field(max_length=80)
    reason: str = Field(default="", max_length=500)


_Message = TypeAdapter(Annotated[_ReportMessage | _ExtensionMessage, Field(discriminator="type")])


def _platform(session: Session, code: str) -> InquiryPlatform:
    platform = session.scalar(select(InquiryPlatform).where(InquiryPlatform.code == code))
    if platform is None:
        raise NotFound(f"no inquiry platform {code!r}", zh=f"询价平台 {code} 不存在")
    return platform


def _malformed(problems: str) -> InvalidInput:
    return InvalidInput(
        "body",
        f"{problems} (参考价规定 Art. 11: a report carries the car, the samples, "
        "the method, the result and its validity)",
        zh="询价报告内容不全或格式不对：报告应载明车辆、样本、询价方法、结果和有效期",
    )


def _replayed(session: Session, platform: InquiryPlatform, message_id: str) -> dict[str, Any] | None:
    """The answer already given to this platform's message (its webhook-id), if it was taken before."""
    ours = select(InquiryRequest.id).where(InquiryRequest.platform_id == platform.organisation_id)
    report = session.scalar(
        select(InquiryReport).where(
            InquiryReport.message_id == message_id, InquiryReport.request_id.in_(ours)
        )
    )
    if report is not None:
        return {"ok": True, "report": report.number}
    asked = select(InquiryRequest.id).where(
        InquiryRequest.platform_id == platform.organisation_id,
        InquiryRequest.extension_message_id == message_id,
    )
    if session.scalar(asked) is not None:
        return {"ok": True, "extension": "asked"}
    return None


def receive(session: Session, code: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Take one message from platform ``code``; the answer to give it (200), or a domain error."""
    platform = _platform(session, code)
    message_id = signed_messages.verified_id(
        signing_key(platform.secret), body, headers, zh_name="询价平台消息", max_chars=MESSAGE_ID_CHARS
    )
    earlier = _replayed(session, platform, message_id)
    if earlier is not None:
        return earlier
    message = signed_messages.validated(body, _Message, _malformed)
    request = online.request_by_id(session, platform, message.request_id)
    if isinstance(message, _ExtensionMessage):
        online.take_extension_request(session, request, message_id=message_id, reason=message.reason)
        return {"ok": True, "extension": "asked"}
    pricing = session.get(ReferencePrice, request.pricing_id)
    assert pricing is not None
    custody = session.get(Custody, pricing.custody_id)
    assert custody is not None
    report = message.report
    row = online.take_report(
        session,
        request,
        message_id=message_id,
        report=online.ReportIn(
            number=report.number,
            issued_on=report.issued_on,
            valid_until=report.valid_until,
            vehicle=report.vehicle.model_dump(),
            samples=[s.model_dump(mode="json") for s in report.samples],
            method=report.method,
            result_fen=report.result_fen,
        ),
        correction=message.type == "correction",
        plate=custody.vehicle.plate,
        vin=custody.vehicle.vin,
    )
    return {"ok": True, "report": row.number}
