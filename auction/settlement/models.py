"""A sale's way to its buyer: one settlement per sold round, and the documents the court issues for it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class SettlementStatus(StrEnum):
    AWAITING_BALANCE = "awaiting_balance"  # sold: the balance is due by the lot's deadline (网拍规定 Art. 25)
    PAID = "paid"  # the price is paid in full: the ruling is due within 10 days (拍卖变卖规定 Art. 20)
    RULED = "ruled"  # the ruling is served on the buyer: the car is theirs (民诉法解释 Art. 491)
    DONE = "done"  # new registration and the car handed over
    DEFAULTED = "defaulted"  # the balance was not paid in time (悔拍, 网拍规定 Art. 24)


class PaidVia(StrEnum):
    GATEWAY = "gateway"  # an order at the payment gateway, paid in the buyer's name
    BANK_PROOF = "bank_proof"  # a bank transfer to the court's account, its proof checked by staff
    NOTHING_DUE = "nothing_due"  # the deposit covered the price


class TransferStatus(StrEnum):
    NOT_STARTED = "not_started"
    REQUESTED = "requested"  # the notice is with the registry
    REFUSED = "refused"  # the registry said no, with its reason (登记规定 Art. 29, 25)
    REGISTERED = "registered"  # the new registration is made


class DocumentKind(StrEnum):
    RULING = "ruling"  # 成交裁定书 (拍卖变卖规定 Art. 20)
    REGISTRY_NOTICE = (
        "registry_notice"  # 协助执行通知书 to the 车管所 (查封规定 Art. 28; 登记规定 Art. 30, 90)
    )


class Settlement(Base):
    """One sold round from the hammer to the handover: who bought, what is owed, each step's instant."""

    __tablename__ = "auction_settlement"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("auction_round.id"), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("auction_lot.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[SettlementStatus] = mapped_column(String(24), index=True)

    # The buyer as the 确认书 names them; the user is known when they bid in the built-in room.
    buyer_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    buyer_name: Mapped[str] = mapped_column(String(64))
    buyer_id_digest: Mapped[str] = mapped_column(String(64))
    buyer_id_masked: Mapped[str] = mapped_column(String(32))
    buyer_number: Mapped[str] = mapped_column(String(16))

    price_fen: Mapped[int] = mapped_column(BigInteger)
    deposit_fen: Mapped[int] = mapped_column(BigInteger)  # counted towards the price (Art. 25)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    balance_due_on: Mapped[date] = mapped_column(Date)
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # The balance: an order at the gateway, or a bank transfer's proof the staff checked.
    order_id: Mapped[str] = mapped_column(String(64), default="")
    pay_url: Mapped[str] = mapped_column(String(256), default="")
    proof: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # reference, file, submitted_at
    paid_via: Mapped[str | None] = mapped_column(String(16))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The one window (一窗受理): what the buyer handed in, once.
    papers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    papers_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ruling_number: Mapped[str] = mapped_column(String(64), default="")
    notice_number: Mapped[str] = mapped_column(String(64), default="")
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # ownership passes (Art. 491)
    served_how: Mapped[str] = mapped_column(String(64), default="")

    transfer_status: Mapped[TransferStatus] = mapped_column(String(16), default=TransferStatus.NOT_STARTED)
    registry_request_id: Mapped[int | None] = mapped_column(ForeignKey("registry_request.id"))
    transfer_applications: Mapped[int] = mapped_column(default=0)  # 2 once applied again after a refusal
    transfer_refusal: Mapped[str] = mapped_column(Text, default="")  # the registry's reason, in Chinese
    registration: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the new title as the registry gave it
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    release_order_id: Mapped[int | None] = mapped_column(ForeignKey("release_order.id"))
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    defaulted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 悔拍: the deposit forfeited, and how it was applied once the re-auction ended (网拍规定 Art. 24).
    forfeited_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    forfeit: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    forfeit_applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SaleDocument(Base):
    """A document the court issues for a sale, numbered; its content is kept and printed on demand."""

    __tablename__ = "auction_sale_document"
    __table_args__ = (UniqueConstraint("settlement_id", "kind"), UniqueConstraint("kind", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("auction_settlement.id"))
    kind: Mapped[DocumentKind] = mapped_column(String(24))
    number: Mapped[str] = mapped_column(String(64))  # the notice carries the number of the ruling it executes
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))  # of the content, sealed into the timeline
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(96))
