"""Who a case's money goes to (payees) and each payment made to them (payouts)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime


class PayeeKind(StrEnum):
    CREDITOR = "creditor"  # 申请执行人 or another creditor sharing in the distribution
    COST = "cost"  # a party owed a cost of enforcement (the towing company, the center, the platform)
    DEBTOR = "debtor"  # 被执行人: receives what is left over


class PayeeStatus(StrEnum):
    ACTIVE = "active"
    SATISFIED = "satisfied"  # a creditor allocated its whole claim: left out of later distributions


class CasePayee(Base):
    __tablename__ = "case_payee"
    # One payee per bank account in a case: an import of the same list twice adds no one twice.
    __table_args__ = (UniqueConstraint("case_id", "account_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    kind: Mapped[PayeeKind] = mapped_column(String(16))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_party.id"))
    name: Mapped[str] = mapped_column(String(128))
    account_number: Mapped[str] = mapped_column(String(64))
    bank_name: Mapped[str] = mapped_column(String(64), default="")
    claim_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # a creditor's claim; 0 for the others
    allocated_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # allocated by distributions so far
    rank: Mapped[int] = mapped_column(default=1)  # 1 is paid before 2
    secured: Mapped[bool] = mapped_column(default=False)  # a mortgage on the car: paid first (Art. 28)
    status: Mapped[PayeeStatus] = mapped_column(String(16), default=PayeeStatus.ACTIVE)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PayoutStatus(StrEnum):
    PENDING = "pending"  # due: the next sweep sends it
    HELD = "held"  # delayed for a recorded reason
    SENT = "sent"  # handed to the payment gateway under its key; the answer not yet recorded
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the bank declined: back with the payee's allocation until a person retries it


class HoldReason(StrEnum):
    """The only reasons a payout may wait past its 30 days (法发〔2017〕6号, article unconfirmed)."""

    PENDING_DISTRIBUTION = "pending_distribution"  # the distribution is not final (an objection)
    FROZEN_ELSEWHERE = "frozen_elsewhere"  # another court or authority froze the money
    CREDITOR_UNREACHABLE = "creditor_unreachable"
    CASE_SUSPENDED = "case_suspended"  # 中止执行


HOLD_REASON_ZH = {
    HoldReason.PENDING_DISTRIBUTION: "分配方案尚未确定",
    HoldReason.FROZEN_ELSEWHERE: "款项被他案冻结",
    HoldReason.CREDITOR_UNREACHABLE: "申请执行人无法联系",
    HoldReason.CASE_SUSPENDED: "案件中止执行",
}


class CasePayout(Base):
    __tablename__ = "case_payout"
    __table_args__ = (
        UniqueConstraint("case_id", "request_key"),
        Index("ix_case_payout_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    payee_id: Mapped[int] = mapped_column(ForeignKey("case_payee.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # What asked for it ("distribution:<posting>:<payee>", or the officer's key): asked twice, made once.
    request_key: Mapped[str] = mapped_column(String(160))
    # The Idempotency-Key of the gateway's payout, fixed before the gateway is first called: every try of
    # the same payout pays once. Only a person's retry of a declined payout gives it a new one.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[PayoutStatus] = mapped_column(String(16), default=PayoutStatus.PENDING)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the money it pays arrived
    due_on: Mapped[date] = mapped_column(Date)  # 30 days after, as a court period
    held_reason: Mapped[HoldReason | None] = mapped_column(String(32))
    hold_note: Mapped[str] = mapped_column(String(200), default="")
    transfer_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)  # calls to the gateway under the current key
    retries: Mapped[int] = mapped_column(default=0)  # new keys given by a person after a decline
    last_error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    payee: Mapped[CasePayee] = relationship(lazy="joined")
