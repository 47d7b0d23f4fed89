"""Request and response shapes of the reference-price procedure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from car_enforce.core.db import RowId
from car_enforce.core.zh import yuan_text
from valuation.reference_price.check import NOTE, Check
from valuation.reference_price.models import (
    Appraisal,
    InquiryReport,
    InquiryRequest,
    PriceNotice,
    PriceObjection,
    PricingStep,
    ReferencePrice,
)
from valuation.reference_price.rules import Method, SkipReason
from valuation.reference_price.service import next_method

MAX_PRICE_FEN = 10**12


class PassIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Method = Field(description="The next method in the order: agreed, directed, online")
    reason: SkipReason = Field(description="A reason the method's article accepts")
    note: str = Field(default="", max_length=2000, examples=["被执行人拒绝议价（2026-11-24 电话记录）"])


class OpenIn(BaseModel):
    """Open the procedure for a car in custody; pass over methods and start the online inquiry in one go."""

    model_config = ConfigDict(extra="forbid")

    custody_id: RowId
    brand_model: str = Field(min_length=2, max_length=64, examples=["大众 朗逸 1.5L 自动"])
    first_registered_on: date = Field(
        examples=["2021-03-15"], description="As on the registration certificate"
    )
    fuel: str = Field(default="petrol", max_length=16, examples=["petrol", "electric", "hybrid", "diesel"])
    passed: list[PassIn] = Field(default_factory=list, max_length=3)
    online_reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Start the online inquiry at once: why the car needs no on-site inspection (Art. 7)",
    )


class AgreedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price_fen: int = Field(gt=0, le=MAX_PRICE_FEN)
    document: str = Field(min_length=2, max_length=200, examples=["议价笔录（2026-11-25）"])
    note: str = Field(default="", max_length=2000)


class DirectedAskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=2, max_length=128, examples=["国家税务总局平阳县税务局"])
    due_on: date
    document: str = Field(min_length=2, max_length=200, examples=["定向询价函（2026）浙0326执1234号之一"])


class DirectedAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price_fen: int = Field(gt=0, le=MAX_PRICE_FEN)
    document: str = Field(min_length=2, max_length=200, examples=["复函（平税函〔2026〕88号）"])


class OnlineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1, max_length=2000, examples=["车辆已在中心按GB/T 30323检测，无需现场专业勘验"]
    )


class StepOut(BaseModel):
    method: str
    outcome: str
    reason: str
    note: str
    document: str
    body: str
    due_on: date | None
    price_fen: int | None
    recorded_at: datetime
    recorded_by: str

    @classmethod
    def of(cls, s: PricingStep) -> StepOut:
        return cls(
            method=s.method,
            outcome=s.outcome,
            reason=s.reason,
            note=s.note,
            document=s.document,
            body=s.body,
            due_on=s.due_on,
            price_fen=s.price_fen,
            recorded_at=s.recorded_at,
            recorded_by=s.recorded_by,
        )


class ReportOut(BaseModel):
    number: str
    correction: bool
    issued_on: date
    valid_until: date
    result_fen: int
    result_text: str
    basic_errors: str
    samples: list[dict[str, Any]]
    method: str
    received_at: datetime

    @classmethod
    def of(cls, r: InquiryReport) -> ReportOut:
        return cls(
            number=r.number,
            correction=r.correction,
            issued_on=r.issued_on,
            valid_until=r.valid_until,
            result_fen=r.result_fen,
            result_text=yuan_text(r.result_fen),
            basic_errors=r.basic_errors,
            samples=r.samples,
            method=r.method,
            received_at=r.received_at,
        )


class RequestOut(BaseModel):
    platform: str
    request_id: str
    status: str
    received_at: datetime | None
    due_on: date | None
    due_provisional: bool
    extension_asked: bool
    last_error: str
    reports: list[ReportOut]

    @classmethod
    def of(cls, r: InquiryRequest) -> RequestOut:
        return cls(
            platform=r.platform_code,
            request_id=r.request_id,
            status=r.status,
            received_at=r.received_at,
            due_on=r.due_on,
            due_provisional=r.due_provisional,
            extension_asked=r.extension_asked_at is not None,
            last_error=r.last_error,
            reports=[ReportOut.of(x) for x in r.reports],
        )


class PricingOut(BaseModel):
    id: int
    case_id: int
    custody_id: int
    court_id: int
    center_id: int
    previous_id: int | None
    status: str
    method: str | None
    next_method: str | None = Field(description="The method the court may use now (Art. 2–5), while open")
    brand_model: str
    first_registered_on: date
    fuel: str
    odometer_km: int | None
    inspection_id: int | None
    inspection_score: int | None
    online_reason: str
    round: str
    round_due_on: date | None
    price_fen: int | None
    price_text: str | None
    price_basis: str
    fixed_at: datetime | None
    valid_until: date | None
    opened_at: datetime
    steps: list[StepOut]
    requests: list[RequestOut]

    @classmethod
    def of(cls, p: ReferencePrice) -> PricingOut:
        return cls(
            id=p.id,
            case_id=p.case_id,
            custody_id=p.custody_id,
            court_id=p.court_id,
            center_id=p.center_id,
            previous_id=p.previous_id,
            status=p.status,
            method=p.method,
            next_method=next_method(p) if p.status == "open" else None,
            brand_model=p.brand_model,
            first_registered_on=p.first_registered_on,
            fuel=p.fuel,
            odometer_km=p.odometer_km,
            inspection_id=p.inspection_id,
            inspection_score=p.inspection_score,
            online_reason=p.online_reason,
            round=p.round,
            round_due_on=p.round_due_on,
            price_fen=p.price_fen,
            price_text=yuan_text(p.price_fen) if p.price_fen is not None else None,
            price_basis=p.price_basis,
            fixed_at=p.fixed_at,
            valid_until=p.valid_until,
            opened_at=p.opened_at,
            steps=[StepOut.of(s) for s in p.steps],
            requests=[RequestOut.of(r) for r in p.requests],
        )


class ObjectionIn(BaseModel):
    """A party's written objection as the court received it (Art. 22)."""

    model_config = ConfigDict(extra="forbid")

    party_id: RowId
    grounds: list[str] = Field(
        min_length=1,
        max_length=4,
        examples=[["basic_data"]],
        description="basic_data, scope, qualification, procedure",
    )
    platforms: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="The platforms whose reports it is against (online inquiry)",
    )
    statement: str = Field(min_length=2, max_length=4000, examples=["报告所载车辆里程与实际不符"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upheld: bool
    note: str = Field(
        min_length=2, max_length=4000, examples=["经审查，该平台报告车辆基本信息错误，异议成立"]
    )


class ObjectionOut(BaseModel):
    id: int
    pricing_id: int
    party_id: int
    grounds: list[str]
    platforms: list[str]
    statement: str
    filed_on: date
    status: str
    decided_at: datetime | None
    decision_note: str

    @classmethod
    def of(cls, o: PriceObjection) -> ObjectionOut:
        return cls(
            id=o.id,
            pricing_id=o.pricing_id,
            party_id=o.party_id,
            grounds=o.grounds,
            platforms=o.platforms,
            statement=o.statement,
            filed_on=o.filed_on,
            status=o.status,
            decided_at=o.decided_at,
            decision_note=o.decision_note,
        )


class ServiceOut(BaseModel):
    party_id: int
    channel: str
    started_on: date
    served_on: date
    objection_due_on: date | None


class NoticeOut(BaseModel):
    id: int
    number: str
    issued_at: datetime
    price_fen: int
    services: list[ServiceOut]

    @classmethod
    def of(cls, n: PriceNotice) -> NoticeOut:
        return cls(
            id=n.id,
            number=n.number,
            issued_at=n.issued_at,
            price_fen=int(n.content["price_fen"]),
            services=[
                ServiceOut(
                    party_id=s.party_id,
                    channel=s.channel,
                    started_on=s.started_on,
                    served_on=s.served_on,
                    objection_due_on=s.objection_due_on,
                )
                for s in n.services
            ],
        )


class EntrustIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    firms: list[RowId] | None = Field(
        default=None,
        max_length=3,
        description="The firms the parties agreed, in order; none: three drawn by lot (Art. 16)",
    )


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=1, le=60, description="At most 15 (Art. 19); more is refused naming the article")
    reason: str = Field(default="", max_length=500)


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=2, max_length=2000, examples=["评估机构以无相应资质为由拒绝接受委托"])


class AppraisalReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=2, max_length=64, examples=["温评字〔2026〕第118号"])
    result_fen: int = Field(gt=0, le=MAX_PRICE_FEN)


class AppraisalOut(BaseModel):
    id: int
    firm_id: int
    position: int
    order: list[int]
    chosen_by: str
    seed: str
    status: str
    entrusted_on: date
    due_on: date
    extensions: list[int]
    report_number: str
    result_fen: int | None

    @classmethod
    def of(cls, a: Appraisal) -> AppraisalOut:
        return cls(
            id=a.id,
            firm_id=a.firm_id,
            position=a.position,
            order=a.order,
            chosen_by=a.chosen_by,
            seed=a.seed,
            status=a.status,
            entrusted_on=a.entrusted_on,
            due_on=a.due_on,
            extensions=a.extensions,
            report_number=a.report_number,
            result_fen=a.result_fen,
        )


class CheckOut(BaseModel):
    """The center's own estimate, shown beside the reports; never the reference price."""

    source: str
    value_fen: int
    value_text: str
    working: list[str]
    price_fen: int | None
    gap_percent: float | None = Field(description="How far the reference price sits from this estimate")
    note: str

    @classmethod
    def of(cls, c: Check) -> CheckOut:
        return cls(
            source=c.estimate.source,
            value_fen=c.estimate.value_fen,
            value_text=yuan_text(c.estimate.value_fen),
            working=list(c.estimate.working()),
            price_fen=c.price_fen,
            gap_percent=c.gap_percent,
            note=NOTE,
        )


class CodedObjectionIn(BaseModel):
    """A party's objection filed with the code texted to it with the notice."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=16, max_length=16, pattern=r"^[A-Za-z2-7]{16}$", examples=["K7QH2M4XW5RZ3PNA"]
    )
    grounds: list[str] = Field(min_length=1, max_length=4, examples=[["basic_data"]])
    platforms: list[str] = Field(default_factory=list, max_length=20)
    statement: str = Field(min_length=2, max_length=4000, examples=["报告所载车辆里程与实际不符"])
