"""The payment gateway's client: orders a payer pays into the escrow, refunds, transfers, payouts.

Each POST carries the Idempotency-Key its caller chose for the logical operation (a deposit's order, the
refund of that deposit), so every try of it, now or after a crash, acts at most once at the gateway. An
answer is checked against what was asked: a 2xx that is not the promised object, or that describes some
other amount or reference, is an ``OutboundError`` like any failure, never a success. A batch of payouts
(``payout_batch``) carries a key of its own and one per payout: each payout acts once whatever batch
carries it, so a batch re-sent or re-composed after a crash pays only what was not paid.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import httpx

from car_enforce.core.clock import Clock
from car_enforce.core.outbound.client import (
    MalformedResponse,
    OutboundClient,
    RetryPolicy,
    Service,
    json_object,
)
from car_enforce.core.settings import Settings, get_settings

SERVICE_NAME = "payments"
MAX_FEN = 10**13  # a hundred billion yuan: past any deposit or payout, within a BIGINT
MAX_BATCH_ITEMS = 1_000  # payouts in one batch, as the gateway allows


class OrderStatus(StrEnum):
    PENDING = "pending"  # created, waiting for the payer
    PAID = "paid"  # the money is in the escrow
    REFUNDED = "refunded"  # all of it went back to the payer
    TRANSFERRED = "transferred"  # all of it left for a court's account (or part refunded, the rest sent)


class TransferKind(StrEnum):
    TRANSFER = "transfer"  # escrow → a court's account, out of one order
    PAYOUT = "payout"  # the platform's case money → a payee


class TransferStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Order:
    """A payment the payer makes at the gateway, into the escrow."""

    id: str
    status: OrderStatus
    amount_fen: int
    pay_url: str  # where the payer is sent to pay
    reference: str
    refunded_fen: int = 0
    transferred_fen: int = 0

    @property
    def held_fen(self) -> int:
        """What of it is still in the escrow."""
        if self.status is OrderStatus.PENDING:
            return 0
        return self.amount_fen - self.refunded_fen - self.transferred_fen


@dataclass(frozen=True, slots=True)
class Transfer:
    """Money leaving the escrow for an account: out of one order, or a payout."""

    id: str
    kind: TransferKind
    status: TransferStatus
    amount_fen: int
    to_account: str
    reference: str
    order_id: str | None = None
    failure_reason: str = ""
    key: str | None = None  # a payout's own idempotency key, when the gateway tells it


@dataclass(frozen=True, slots=True)
class PayoutItem:
    """One payout of a batch: its own idempotency key, the payee's account and name, the amount."""

    key: str
    to_account: str
    payee_name: str
    amount_fen: int
    reference: str = ""


# --- reading the answers ------------------------------------------------------------------------------


def _text(document: dict[str, Any], name: str, *, empty: bool = False) -> str:
    value = document.get(name)
    if not isinstance(value, str) or (not empty and not value):
        raise MalformedResponse(f"{name} is not a non-empty string")
    return value


def _fen(document: dict[str, Any], name: str) -> int:
    value = document.get(name)
    # bool is an int in Python; JSON true is no amount.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEN:
        raise MalformedResponse(f"{name} is not an amount in fen")
    return value


def _choice(document: dict[str, Any], name: str, kind: type[StrEnum]) -> Any:
    value = document.get(name)
    try:
        if not isinstance(value, str):
            raise ValueError(name)
        return kind(value)
    except ValueError:
        raise MalformedResponse(f"{name} is not one of {', '.join(kind)}") from None


def order_of(document: dict[str, Any]) -> Order:
    """An order as the gateway describes it, or ``MalformedResponse``."""
    order = Order(
        id=_text(document, "id"),
        status=_choice(document, "status", OrderStatus),
        amount_fen=_fen(document, "amount_fen"),
        pay_url=_text(document, "pay_url"),
        reference=_text(document, "reference", empty=True),
        refunded_fen=_fen(document, "refunded_fen"),
        transferred_fen=_fen(document, "transferred_fen"),
    )
    if order.amount_fen <= 0 or order.refunded_fen + order.transferred_fen > order.amount_fen:
        raise MalformedResponse("the order's amounts do not add up")
    return order


def transfer_of(document: dict[str, Any]) -> Transfer:
    """A transfer or payout as the gateway describes it, or ``MalformedResponse``."""
    order_id = document.get("order_id")
    if order_id is not None and (not isinstance(order_id, str) or not order_id):
        raise MalformedResponse("order_id is neither null nor a non-empty string")
    key = document.get("key")
    if key is not None and (not isinstance(key, str) or not key):
        raise MalformedResponse("key is neither null nor a non-empty string")
    transfer = Transfer(
        id=_text(document, "id"),
        kind=_choice(document, "kind", TransferKind),
        status=_choice(document, "status", TransferStatus),
        amount_fen=_fen(document, "amount_fen"),
        to_account=_text(document, "to_account"),
        reference=_text(document, "reference", empty=True),
        order_id=order_id,
        failure_reason=_text(document, "failure_reason", empty=True),
        key=key,
    )
    if transfer.amount_fen <= 0:
        raise MalformedResponse("a transfer of nothing")
    return transfer


def batch_transfers_of(items: Sequence[PayoutItem], document: dict[str, Any]) -> list[Transfer]:
    """A batch's answer: one payout per item, in order, each about its item; or ``MalformedResponse``."""
    answers = document.get("transfers")
    if not isinstance(answers, list):
        raise MalformedResponse("transfers is not a list")
    _expect("batch", len(answers) == len(items))
    transfers = []
    for item, answer in zip(items, answers, strict=True):
        if not isinstance(answer, dict):
            raise MalformedResponse("a transfer is not an object")
        transfer = transfer_of(answer)
        _expect(
            "payout",
            transfer.kind is TransferKind.PAYOUT
            and transfer.key == item.key
            and transfer.amount_fen == item.amount_fen
            and transfer.to_account == item.to_account
            and transfer.reference == item.reference,
        )
        transfers.append(transfer)
    return transfers


def _expect(what: str, condition: bool) -> None:
    # The gateway answered about something other than what was asked: trying again gets the same answer.
    if not condition:
        raise MalformedResponse(f"the answer is about another {what}", permanent=True)


# --- the client ---------------------------------------------------------------------------------------


class PaymentGateway:
    """Calls the payment gateway named in the settings (by default the built-in simulator)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        service = Service(
            name=SERVICE_NAME,
            base_url=self.settings.payments_url,
            connect_timeout_s=self.settings.http_connect_timeout_s,
            read_timeout_s=self.settings.http_timeout_s,
            retry=retry
            or RetryPolicy(attempts=self.settings.payment_attempts, base_delay_s=0.5, max_delay_s=5.0),
            headers={"Authorization": f"Bearer {self.settings.payment_gateway_key}"},
        )
        self._client = OutboundClient(service, http=http, clock=clock, sleep=sleep, rng=rng)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PaymentGateway:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def create_order(
        self,
        key: str,
        *,
        amount_fen: int,
        payer_name: str,
        payer_id_digest: str,
        purpose: str,
        reference: str,
        notify_url: str | None = None,
    ) -> Order:
        """An order for ``amount_fen`` that only ``payer_name`` may pay (网拍规定 Art. 17: in own name)."""
        if amount_fen <= 0:
            raise ValueError("an order is for a positive amount")
        body = {
            "amount_fen": amount_fen,
            "payer_name": payer_name,
            "payer_id_digest": payer_id_digest,
            "purpose": purpose,
            "reference": reference,
            "notify_url": notify_url or self.settings.payments_notify_url,
        }

        def check(response: httpx.Response) -> Order:
            order = order_of(json_object(response))
            _expect("order", order.amount_fen == amount_fen and order.reference == reference)
            return order

        result: Order = self._client.post("/orders", idempotency_key=key, json=body, check=check)
        return result

    def get_order(self, order_id: str) -> Order:
        def check(response: httpx.Response) -> Order:
            order = order_of(json_object(response))
            _expect("order", order.id == order_id)
            return order

        result: Order = self._client.get(f"/orders/{_segment(order_id)}", check=check)
        return result

    def refund(self, key: str, order_id: str, amount_fen: int) -> Order:
        """Send ``amount_fen`` of a paid order back to its payer (网拍规定 Art. 23: losing deposits)."""
        if amount_fen <= 0:
            raise ValueError("a refund is of a positive amount")

        def check(response: httpx.Response) -> Order:
            order = order_of(json_object(response))
            _expect("order", order.id == order_id)
            return order

        result: Order = self._client.post(
            f"/orders/{_segment(order_id)}/refund",
            idempotency_key=key,
            json={"amount_fen": amount_fen},
            check=check,
        )
        return result

    def transfer(self, key: str, order_id: str, *, to_account: str, amount_fen: int) -> Transfer:
        """Move ``amount_fen`` of a paid order from the escrow to a court's account (网拍规定 Art. 25)."""
        if amount_fen <= 0:
            raise ValueError("a transfer is of a positive amount")
        body = {
            "order_id": order_id,
            "to_account": to_account,
            "amount_fen": amount_fen,
            "notify_url": self.settings.payments_notify_url,
        }

        def check(response: httpx.Response) -> Transfer:
            transfer = transfer_of(json_object(response))
            _expect(
                "transfer",
                transfer.order_id == order_id
                and transfer.amount_fen == amount_fen
                and transfer.to_account == to_account,
            )
            return transfer

        result: Transfer = self._client.post("/transfers", idempotency_key=key, json=body, check=check)
        return result

    def payout(
        self, key: str, *, to_account: str, payee_name: str, amount_fen: int, reference: str
    ) -> Transfer:
        """Pay ``amount_fen`` of the platform's case money to a payee's account."""
        if amount_fen <= 0:
            raise ValueError("a payout is of a positive amount")
        body = {
            "to_account": to_account,
            "payee_name": payee_name,
            "amount_fen": amount_fen,
            "reference": reference,
            "notify_url": self.settings.payments_notify_url,
        }

        def check(response: httpx.Response) -> Transfer:
            transfer = transfer_of(json_object(response))
            _expect(
                "payout",
                transfer.amount_fen == amount_fen
                and transfer.to_account == to_account
                and transfer.reference == reference,
            )
            return transfer

        result: Transfer = self._client.post("/payouts", idempotency_key=key, json=body, check=check)
        return result

    def payout_batch(self, key: str, items: Sequence[PayoutItem]) -> list[Transfer]:
        """Pay up to 1,000 payees in one call; each item's transfer, in order (``failed`` ones included).

        ``key`` names this batch as composed; each item acts once by its own key, whatever batch carries it,
        so a batch re-composed after a crash (under a new key) pays only the items not paid before.
        """
        if not 1 <= len(items) <= MAX_BATCH_ITEMS:
            raise ValueError(f"a batch has 1 to {MAX_BATCH_ITEMS} payouts")
        if len({item.key for item in items}) != len(items) or not all(item.key for item in items):
            raise ValueError("each payout of a batch has a key of its own")
        if any(item.amount_fen <= 0 for item in items):
            raise ValueError("a payout is of a positive amount")
        body = {
            "items": [
                {
                    "key": item.key,
                    "to_account": item.to_account,
                    "payee_name": item.payee_name,
                    "amount_fen": item.amount_fen,
                    "reference": item.reference,
                }
                for item in items
            ],
            "notify_url": self.settings.payments_notify_url,
        }

        def check(response: httpx.Response) -> list[Transfer]:
            return batch_transfers_of(items, json_object(response))

        result: list[Transfer] = self._client.post(
            "/payout-batches", idempotency_key=key, json=body, check=check
        )
        return result


def _segment(value: str) -> str:
    # An id goes into the path as one segment, whatever it holds.
    if not value:
        raise ValueError("an empty id")
    return quote(value, safe="")
