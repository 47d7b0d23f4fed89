"""What the payment gateway tells us: its notifications, signed the Standard Webhooks way, taken once.

A notification is ``{"type", "timestamp", "data": {...}}``; ``read_event`` checks the signature before it
reads anything, then the body, and gives a ``PaymentEvent``; a batch of payouts is told in one message,
``payout_batch.settled``, whose event lists each payout it settled. The gateway sends a message again until it
is answered 2xx, so the receiver calls ``accept_once`` in the transaction that acts on it: a message id
already taken answers False and the receiver acts no second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.db import insert_once
from car_enforce.core.errors import InvalidInput
from car_enforce.core.outbound import signed_messages
from car_enforce.core.payments.client import MAX_BATCH_ITEMS, MAX_FEN, TransferStatus
from car_enforce.core.payments.models import PaymentMessage
from car_enforce.core.settings import get_settings

MAX_ID_CHARS = 64
MAX_KEY_CHARS = 128


class PaymentEventType(StrEnum):
    ORDER_PAID = "order.paid"
    ORDER_REFUNDED = "order.refunded"
    TRANSFER_SUCCEEDED = "transfer.succeeded"
    TRANSFER_FAILED = "transfer.failed"
    PAYOUT_BATCH_SETTLED = "payout_batch.settled"


@dataclass(frozen=True, slots=True)
class SettledPayout:
    """One payout of a batch, as its settlement message tells it."""

    transfer_id: str
    key: str  # the payout's own idempotency key
    status: TransferStatus  # succeeded, or failed (declined, or an account the bank cannot use)
    amount_fen: int
    reference: str


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """One notification: what happened to which order or transfer, for how much, and when."""

    msg_id: str  # the webhook-id: the same on every delivery of this message
    type: PaymentEventType
    order_id: str | None  # None for a payout
    transfer_id: str | None  # for transfer.* events
    amount_fen: int  # paid, refunded (this refund), or transferred; a batch's: what its payouts paid
    at: datetime
    reference: str = ""  # the caller's reference given with the order or payout
    payouts: tuple[SettledPayout, ...] = ()  # a batch's, in its order; empty for every other type


def _malformed(detail: str) -> InvalidInput:
    return InvalidInput("body", detail, zh="支付网关的通知格式不对")


def _id(data: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_CHARS:
        raise _malformed(f"data.{name} is not an id")
    return value


def _instant(text: Any) -> datetime:
    if not isinstance(text, str):
        raise _malformed("timestamp is not an ISO 8601 instant")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise _malformed("timestamp is not an ISO 8601 instant") from None
    if at.tzinfo is None:
        raise _malformed("timestamp has no offset")
    return at.astimezone(UTC)


def parse_event(msg_id: str, body: bytes) -> PaymentEvent:
    """The event a verified body describes, or ``InvalidInput``."""
    message = signed_messages.envelope(body, PaymentEventType, _malformed)
    kind, data = message.type, message.data
    at = _instant(message.timestamp)
    if kind is PaymentEventType.PAYOUT_BATCH_SETTLED:
        payouts = _payouts(data)
        paid = sum(p.amount_fen for p in payouts if p.status is TransferStatus.SUCCEEDED)
        return PaymentEvent(
            msg_id=msg_id,
            type=kind,
            order_id=None,
            transfer_id=None,
            amount_fen=paid,
            at=at,
            payouts=payouts,
        )
    amount = _amount(data, "data.")
    reference = _reference(data, "data.")
    is_transfer = kind in (PaymentEventType.TRANSFER_SUCCEEDED, PaymentEventType.TRANSFER_FAILED)
    return PaymentEvent(
        msg_id=msg_id,
        type=kind,
        order_id=_id(data, "order_id", required=not is_transfer),
        transfer_id=_id(data, "transfer_id", required=is_transfer),
        amount_fen=amount,
        at=at,
        reference=reference,
    )


def _amount(data: dict[str, Any], where: str) -> int:
    amount = data.get("amount_fen")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_FEN:
        raise _malformed(f"{where}amount_fen is not an amount in fen")
    return amount


def _reference(data: dict[str, Any], where: str) -> str:
    reference = data.get("reference", "")
    if not isinstance(reference, str):
        raise _malformed(f"{where}reference is not a string")
    return reference


def _payouts(data: dict[str, Any]) -> tuple[SettledPayout, ...]:
    items = data.get("transfers")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH_ITEMS:
        raise _malformed(f"data.transfers is not a list of 1 to {MAX_BATCH_ITEMS} payouts")
    payouts = []
    for index, item in enumerate(items):
        where = f"data.transfers.{index}."
        if not isinstance(item, dict):
            raise _malformed(f"{where[:-1]} is not an object")
        key = item.get("key")
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_CHARS:
            raise _malformed(f"{where}key is not a payout key")
        status = item.get("status")
        if status not in (TransferStatus.SUCCEEDED, TransferStatus.FAILED):
            raise _malformed(f"{where}status is neither succeeded nor failed")
        transfer_id = item.get("transfer_id")
        if not isinstance(transfer_id, str) or not 1 <= len(transfer_id) <= MAX_ID_CHARS:
            raise _malformed(f"{where}transfer_id is not an id")
        payouts.append(
            SettledPayout(
                transfer_id=transfer_id,
                key=key,
                status=TransferStatus(status),
                amount_fen=_amount(item, where),
                reference=_reference(item, where),
            )
        )
    return tuple(payouts)


def read_event(body: bytes, headers: Mapping[str, str], *, secret: str | None = None) -> PaymentEvent:
    """Verify a notification's signature (``InvalidSignature``, 401) and read it (``InvalidInput``)."""
    msg_id = signed_messages.verified_id(
        secret or get_settings().payment_webhook_secret, body, headers, zh_name="通知"
    )
    return parse_event(msg_id, body)


def accept_once(session: Session, event: PaymentEvent) -> bool:
    """Record the message as taken; False when it was taken before (a replay: act on it no second time).

    In the caller's transaction, so a message whose handling rolls back is taken again when resent.
    """
    row = insert_once(
        session, PaymentMessage, {"msg_id": event.msg_id, "received_at": clock.now()}, unique=["msg_id"]
    )
    return row is not None
