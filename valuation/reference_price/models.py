"""The reference-price procedure of one car (参考价确定程序), each method tried, and what came of it.

One ``reference_price`` row per attempt for a car in custody: it is opened (Art. 1), goes through the
methods in their order (Art. 2–5), and ends priced, set aside, expired (Art. 27, and a new one is opened)
or withdrawn. The online inquiry's requests and reports, the appraisal, the notice served on the parties,
their objections and the one inquiry fee hang off it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime

MESSAGE_ID_CHARS = 128  # a platform's webhook-id, as kept for its replay


class PricingStatus(StrEnum):
    OPEN = "open"  # methods are being tried: 议价, then 定向询价 (Art. 4–6)
    DIRECTING = "directing"  # a directed inquiry is out, with its deadline (Art. 5)
    INQUIRING = "inquiring"  # the online inquiry is out to every platform (Art. 10–12)
    APPRAISING = "appraising"  # a firm is appraising (Art. 14–20)
    PRICED = "priced"  # the reference price is fixed and valid
    SET_ASIDE = "set_aside"  # objections upheld against every result: a new procedure is needed
    EXPIRED = "expired"  # the validity ran out unused (Art. 27): a new procedure was opened
    WITHDRAWN = "withdrawn"  # the car left custody before the price was used


# The statuses of a procedure that still counts: a car has at most one (a second price while one is valid
# is refused).
LIVE = (
    PricingStatus.OPEN,
    PricingStatus.DIRECTING,
    PricingStatus.INQUIRING,
    PricingStatus.APPRAISING,
    PricingStatus.PRICED,
)
_LIVE = text("status IN ('open', 'directing', 'inquiring', 'appraising', 'priced')")


class Round(StrEnum):
    """Which period of the online inquiry is running."""

    REPORTS = "reports"  # the 3 days from each platform's receipt (Art. 11)
    EXTENSION = "extension"  # the 3 more days of those that asked (Art. 11)
    CORRECTIONS = "corrections"  # the 3 days for corrections (Art. 12)


class ReferencePrice(Base):
    __tablename__ = "reference_price"
    __table_args__ = (
        Index(
            "uq_reference_price_custody_live",
            "custody_id",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custody.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))  # the stage clocks' key
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("reference_price.id"))  # the expired one
    status: Mapped[PricingStatus] = mapped_column(String(16), index=True)
    method: Mapped[str | None] = mapped_column(String(16))  # the method running, or the one that priced

    # The car's facts as the valuers are told them: the registration certificate and the inspection.
    brand_model: Mapped[str] = mapped_column(String(64))
    first_registered_on: Mapped[date] = mapped_column(Date)
    fuel: Mapped[str] = mapped_column(String(16))
    odometer_km: Mapped[int | None]
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    inspection_score: Mapped[int | None]
    inspection_grade: Mapped[int | None]
    # Art. 7: why no professional needs to see the car on site (required before an online inquiry).
    online_reason: Mapped[str] = mapped_column(Text, default="")

    round: Mapped[str] = mapped_column(String(16), default="")  # a Round while inquiring
    round_due_on: Mapped[date | None] = mapped_column(Date)  # the extension's or the corrections' last day

    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    price_basis: Mapped[str] = mapped_column(Text, default="")  # how it was reached, in Chinese
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[date | None] = mapped_column(Date)
    first_announced_on: Mapped[date | None] = mapped_column(Date)  # set by the auction (Art. 27)

    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(96))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    steps: Mapped[list[PricingStep]] = relationship(order_by="PricingStep.id", lazy="selectin")
    requests: Mapped[list[InquiryRequest]] = relationship(order_by="InquiryRequest.id", lazy="selectin")


class StepOutcome(StrEnum):
    PASSED = "passed"  # passed over, for a reason its article accepts
    ASKED = "asked"  # a directed inquiry sent, with its deadline
    PRICED = "priced"  # the method gave the price
    STARTED = "started"  # the online inquiry or the appraisal began


class PricingStep(Base):
    """What happened to one method: passed over and why, asked, started, or the price it gave."""

    __tablename__ = "reference_price_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    pricing_id: Mapped[int] = mapped_column(ForeignKey("reference_price.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[StepOutcome] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32), default="")  # a SkipReason when passed over
    note: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[str] = mapped_column(String(200), default="")  # what it rests on (议价笔录, 复函…)
    body: Mapped[str] = mapped_column(String(128), default="")  # the body asked by a directed inquiry
    due_on: Mapped[date | None] = mapped_column(Date)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(96))


class RequestStatus(StrEnum):
    TO_SEND = "to_send"
    RECEIVED = "received"  # the platform took it: its 3 days run from this day
    REPORTED = "reported"
    FAILED = "failed"  # could not be delivered to the platform
    WITHDRAWN = "withdrawn"


class InquiryRequest(Base):
    """The request to one platform, and how its period stands."""

    __tablename__ = "inquiry_request"
    __table_args__ = (UniqueConstraint("pricing_id", "platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pricing_id: Mapped[int] = mapped_column(ForeignKey("reference_price.id"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("inquiry_platform.organisation_id"))
    request_id: Mapped[str] = mapped_column(String(80), unique=True)  # ours; the Idempotency-Key
    remote_id: Mapped[str] = mapped_column(String(80), default="")  # the platform's inquiry id
    status: Mapped[RequestStatus] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_on: Mapped[date | None] = mapped_column(Date)  # the last day of its 3 days (Art. 11)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    extension_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_message_id: Mapped[str | None] = mapped_column(String(MESSAGE_ID_CHARS))

    platform_code: Mapped[str] = mapped_column(String(40))
    reports: Mapped[list[InquiryReport]] = relationship(order_by="InquiryReport.id", lazy="selectin")


class InquiryReport(Base):
    """A report, or a correction of one, as a platform delivered it (Art. 11–12)."""

    __tablename__ = "inquiry_report"
    # A webhook-id is unique per sender only (Standard Webhooks): a retry is the same message of the same
    # request, and two platforms may well use the same ids.
    __table_args__ = (UniqueConstraint("request_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("inquiry_request.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID_CHARS))
    correction: Mapped[bool] = mapped_column(default=False)
    number: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    vehicle: Mapped[dict[str, Any]] = mapped_column(JSON)
    samples: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(Text)
    result_fen: Mapped[int] = mapped_column(BigInteger)
    # Art. 12: the report names another car (or another scope): kept, but it needs a correction.
    basic_errors: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NoticeStatus(StrEnum):
    TO_SEND = "to_send"
    SENT = "sent"
    FAILED = "failed"


class PlatformNotice(Base):
    """What we tell a platform (an extension granted or refused, a correction asked, a withdrawal):
    kept until sent, so a platform that is down hears it later."""

    __tablename__ = "inquiry_platform_notice"
    __table_args__ = (UniqueConstraint("request_id", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("inquiry_request.id"))
    type: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NoticeStatus] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppraisalStatus(StrEnum):
    ENTRUSTED = "entrusted"
    REPORTED = "reported"
    DECLINED = "declined"  # the firm refused or failed: the next firm in the order takes it


class Appraisal(Base):
    """An appraisal by one firm of the order the parties agreed or the lot drew (Art. 16, 19)."""

    __tablename__ = "reference_price_appraisal"

    id: Mapped[int] = mapped_column(primary_key=True)
    pricing_id: Mapped[int] = mapped_column(ForeignKey("reference_price.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    position: Mapped[int]  # in the order: 0 is the first firm
    order: Mapped[list[int]] = mapped_column(JSON)  # every firm of the order, by organisation id
    chosen_by: Mapped[str] = mapped_column(String(16))  # "agreed" or "lot"
    seed: Mapped[str] = mapped_column(String(64), default="")  # the lot's seed: the draw can be redone
    status: Mapped[AppraisalStatus] = mapped_column(String(16))
    entrusted_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    extensions: Mapped[list[int]] = mapped_column(JSON)  # days granted, at most two of at most 15 (Art. 19)
    report_number: Mapped[str] = mapped_column(String(64), default="")
    result_fen: Mapped[int | None] = mapped_column(BigInteger)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class PriceNotice(Base):
    """The notice of the reference price served on the parties (Art. 21), numbered, kept as issued."""

    __tablename__ = "reference_price_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    pricing_id: Mapped[int] = mapped_column(ForeignKey("reference_price.id"), index=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # what was printed, to print it again the same

    services: Mapped[list[NoticeService]] = relationship(order_by="NoticeService.id", lazy="selectin")


class ServiceChannel(StrEnum):
    SMS = "sms"  # 电子送达 by text message, served the day it is sent
    PUBLIC_NOTICE = "public_notice"  # 公告送达: deemed served 15 days after publication (Art. 21)


class NoticeService(Base):
    """The notice served on one party: how, and the day it counts as received (objections run from it)."""

    __tablename__ = "reference_price_service"
    __table_args__ = (UniqueConstraint("notice_id", "party_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("reference_price_notice.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id"))
    channel: Mapped[ServiceChannel] = mapped_column(String(16))
    started_on: Mapped[date] = mapped_column(Date)
    served_on: Mapped[date] = mapped_column(Date)
    objection_due_on: Mapped[date | None] = mapped_column(Date)  # None: no objection lies (Art. 24)
    # The SHA-256 of the code texted to the party, with which it files its objection itself (no account
    # needed); the code itself is only in the text message.
    code_digest: Mapped[str | None] = mapped_column(String(64), unique=True)


class ObjectionStatus(StrEnum):
    FILED = "filed"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class PriceObjection(Base):
    """A party's objection to the reports (Art. 22), and the court's decision on it."""

    __tablename__ = "reference_price_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    pricing_id: Mapped[int] = mapped_column(ForeignKey("reference_price.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id"))
    grounds: Mapped[list[str]] = mapped_column(JSON)
    platforms: Mapped[list[str]] = mapped_column(JSON)  # the platforms whose reports it is against
    statement: Mapped[str] = mapped_column(Text)
    filed_on: Mapped[date] = mapped_column(Date)
    filed_by: Mapped[str] = mapped_column(String(96))
    status: Mapped[ObjectionStatus] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(96), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")


class InquiryFee(Base):
    """Who is paid the one inquiry fee after the sale (Art. 31): a share per closest platform."""

    __tablename__ = "inquiry_fee"
    __table_args__ = (UniqueConstraint("pricing_id", "platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pricing_id: Mapped[int] = mapped_column(ForeignKey("reference_price.id"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("inquiry_platform.organisation_id"))
    share: Mapped[str] = mapped_column(String(16))  # a fraction, "1/2"
    final_price_fen: Mapped[int] = mapped_column(BigInteger)
    result_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # its fee x share
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
