"""Tables of the built-in simulators: what they received, and the failures tests ask them to stage.

Kept in the database, not process memory, because several server processes may serve the simulator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text
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


class SimPaymentRequest(Base):
    """A keyed POST the simulated gateway answered: the same key and body get this answer again."""

    __tablename__ = "sim_payment_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))  # of the method, path and body
    status_code: Mapped[int]
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimPaymentWebhook(Base):
    """A notification the simulated gateway sends (after its commit), and how its delivery went."""

    __tablename__ = "sim_payment_webhook"

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
