"""Tables of the built-in simulators: what they received, and the failures tests ask them to stage.

Kept in the database, not process memory, because several server processes may serve the simulator.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class SimSmsMessage(Base):
    """One text message the simulated SMS gateway accepted."""

    __tablename__ = "sim_sms_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # the id the gateway answers with
    # The sender's Idempotency-Key: a resend with the same key is answered with the first message.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimFailureMode(Base):
    """The next ``remaining`` requests to ``simulator`` fail the way ``mode`` says."""

    __tablename__ = "sim_failure_mode"

    simulator: Mapped[str] = mapped_column(String(32), primary_key=True)  # "sms", ...
    # "ok", "error500", "slow"; the payment gateway also "malformed", "bad_signature", "decline"
    mode: Mapped[str] = mapped_column(String(16))
    remaining: Mapped[int]
    delay_s: Mapped[float]  # how long "slow" waits before answering
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- what the payment gateway and the registry keep alike: their own tables, one shape ------------------


class KeyedRequest(Base):
    """The shape of a keyed POST a simulator answered: the same key and body get this answer again."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))  # of the method, path and body
    status_code: Mapped[int]
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboundMessage(Base):
    """The shape of a signed message a simulator sends (after its commit), and how its delivery went."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # the webhook-id, same on every try
    type: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    signed_rightly: Mapped[bool]  # False in the bad_signature failure mode
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed
    attempts: Mapped[int]
    last_status: Mapped[int | None]  # the receiver's last HTTP status; None after a network error
    last_error: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- the payment gateway (api/simulators/payments) ----------------------------------------------------


class SimPaymentOrder(Base):
    """An order a payer pays into the simulated gateway's escrow; what left it since, refunded or sent on."""

    __tablename__ = "sim_payment_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40), unique=True)  # the id the gateway answers with
    status: Mapped[str] = mapped_column(String(16))  # pending, paid, refunded, transferred
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger)
    transferred_fen: Mapped[int] = mapped_column(BigInteger)
    payer_name: Mapped[str] = mapped_column(String(64))  # only this person may pay it (in their own name)
    payer_id_digest: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(128), index=True)
    notify_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SimPaymentTransfer(Base):
    """Money that left the simulated escrow: out of one order to a court (transfer), or a payout."""

    __tablename__ = "sim_payment_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(40), unique=True)
    # A payout's own idempotency key, alone or in a batch: whatever request carries it again, it acts once.
    payout_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # transfer, payout
    status: Mapped[str] = mapped_column(String(16))  # succeeded, failed
    order_id: Mapped[str | None] = mapped_column(String(40), index=True)  # a transfer's order
    to_account: Mapped[str] = mapped_column(String(64))
    payee_name: Mapped[str] = mapped_column(String(64))  # a payout's payee; empty for a transfer
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(128))
    failure_reason: Mapped[str] = mapped_column(String(200))
    notify_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimPaymentRequest(KeyedRequest):
    """A keyed POST the simulated gateway answered: the same key and body get this answer again."""

    __tablename__ = "sim_payment_request"


class SimPaymentWebhook(OutboundMessage):
    """A notification the simulated gateway sends (after its commit), and how its delivery went."""

    __tablename__ = "sim_payment_webhook"


# --- the vehicle registry, 车管所 (api/simulators/registry) --------------------------------------------


class SimRegistryVehicle(Base):
    """A car's file at the simulated registry: what a transfer is checked against (登记规定 Art. 25, 29).

    Owners are kept masked, with a digest of the ID number: the simulator needs no more to answer."""

    __tablename__ = "sim_registry_vehicle"

    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)  # normal form; a transfer may change it
    vin: Mapped[str] = mapped_column(String(17), unique=True)
    owner_name: Mapped[str] = mapped_column(String(64))  # masked
    owner_id_masked: Mapped[str] = mapped_column(String(32))
    owner_id_digest: Mapped[str] = mapped_column(String(64))
    certificate_number: Mapped[str] = mapped_column(String(32))  # 机动车登记证书编号
    violations: Mapped[int]  # traffic violations and accidents not yet dealt with
    inspection_valid_until: Mapped[date | None] = mapped_column(Date)
    scrapping_on: Mapped[date | None] = mapped_column(Date)  # the compulsory scrapping date (强制报废)
    stolen: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimRegistrySeizure(Base):
    """A court's seizure registered on a file: in effect, queued behind an earlier one (轮候), released, or
    ended by a sale (lapsed)."""

    __tablename__ = "sim_registry_seizure"
    __table_args__ = (UniqueConstraint("court", "document_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # also the queue's order (查封规定 Art. 26)
    seizure_id: Mapped[str] = mapped_column(String(40), unique=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("sim_registry_vehicle.id"), index=True)
    court: Mapped[str] = mapped_column(String(64))
    case_number: Mapped[str] = mapped_column(String(64))
    document_number: Mapped[str] = mapped_column(String(80))  # the 协助执行通知书's number
    reference: Mapped[str] = mapped_column(String(128))  # the court's own, echoed back
    status: Mapped[str] = mapped_column(String(16))  # active, queued, released, lapsed
    release_notice_number: Mapped[str] = mapped_column(String(80))
    ended_by: Mapped[str] = mapped_column(String(40))  # the transfer that ended it (lapsed)
    notify_url: Mapped[str] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SimRegistryTransfer(Base):
    """A transfer after a court sale (登记规定 Art. 90): refused at once, or processing until ``due_at``."""

    __tablename__ = "sim_registry_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[str] = mapped_column(String(40), unique=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("sim_registry_vehicle.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # processing, completed, refused
    plate: Mapped[str] = mapped_column(String(16))  # the car's plate when the transfer was asked
    court: Mapped[str] = mapped_column(String(64))
    ruling_number: Mapped[str] = mapped_column(String(80))
    notice_number: Mapped[str] = mapped_column(String(80))
    reference: Mapped[str] = mapped_column(String(128))
    vin: Mapped[str] = mapped_column(String(17))  # as the notice gives it
    buyer_name: Mapped[str] = mapped_column(String(64))  # masked
    buyer_id_masked: Mapped[str] = mapped_column(String(32))
    buyer_id_digest: Mapped[str] = mapped_column(String(64))
    handed_over: Mapped[Any] = mapped_column(JSON)  # {"certificate", "licence", "plates"}: bools
    ends_seizures: Mapped[Any] = mapped_column(JSON)  # seizure ids the sale ends (查封规定 Art. 27)
    out_of_area: Mapped[bool]
    refusals: Mapped[Any] = mapped_column(JSON)  # [{"code", "detail", "zh", "rule"}]
    result: Mapped[Any] = mapped_column(JSON)  # once completed
    notify_url: Mapped[str] = mapped_column(String(500))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # completed or refused


class SimRegistryRequest(KeyedRequest):
    """A keyed POST the simulated registry answered: the same key and body get this answer again."""

    __tablename__ = "sim_registry_request"


class SimRegistryMessage(OutboundMessage):
    """A callback the simulated registry sends (after its commit), and how its delivery went."""

    __tablename__ = "sim_registry_message"
