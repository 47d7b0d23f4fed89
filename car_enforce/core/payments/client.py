"""The payment gateway's client: orders a payer pays into the escrow, refunds, transfers, payouts.

Each POST carries the Idempotency-Key its caller chose for the logical operation (a deposit's order, the
refund of that deposit), so every try of it, now or after a crash, acts at most once at the gateway. An
answer is checked against what was asked: a 2xx that is not the promised object, or that describes some
other amount or reference, is an ``OutboundError`` like any failure, never a success. A batch of payouts
(``payout_batch``) carries a key of its own and one per payout: each payout acts once whatever batch
carries it, so a batch re-sent or re-composed after a crash pays only what was not paid.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from car_enforce.core.outbound.answers import answer_about, answer_check, choice, expect, text
from car_enforce.core.outbound.client import MalformedResponse, json_object
from car_enforce.core.outbound.service_client import ServiceAccount, ServiceClient, path_segment
from car_enforce.core.settings import Settings

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


def _fen(document: dict[str, Any], name: str) -> int:
    value = document.get(name)
    # bool is an int in Python; JSON true is no amount.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEN:
        raise MalformedResponse(f"{name} is not an amount in fen")
    return value


def order_of(document: dict[str, Any]) -> Order:
    """An order as the gateway describes it, or ``MalformedResponse``."""
    order = Order(
        id=text(document, "id"),
        status=choice(document, "status", OrderStatus),
        amount_fen=_fen(document, "amount_fen"),
        pay_url=text(document, "pay_url"),
        reference=text(document, "reference", empty=True),
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
        id=text(document, "id"),
        kind=choice(document, "kind", TransferKind),
        status=choice(document, "status", TransferStatus),
        amount_fen=_fen(document, "amount_fen"),
        to_account=text(document, "to_account"),
        reference=text(document, "reference", empty=True),
        order_id=order_id,
        failure_reason=text(document, "failure_reason", empty=True),
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
    expect("batch", len(answers) == len(items))
    transfers = []
    for item, answer in zip(items, answers, strict=True):
        if not isinstance(answer, dict):
            raise MalformedResponse("a transfer is not an object")
        transfer = transfer_of(answer)
        expect(
            "payout",
            transfer.kind is TransferKind.PAYOUT
            and transfer.key == item.key
            and transfer.amount_fen == item.amount_fen
            and transfer.to_account == item.to_account
            and transfer.reference == item.reference,
        )
        transfers.append(transfer)
    return transfers


# --- the client ---------------------------------------------------------------------------------------


class PaymentGateway(ServiceClient):
    """Calls the payment gateway named in the settings (by default the built-in simulator)."""

    def _account(self, settings: Settings) -> ServiceAccount:
        return ServiceAccount(
            SERVICE_NAME, settings.payments_url, settings.payment_gateway_key, settings.payment_attempts
        )

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
        check = answer_check(
            order_of, "order", lambda o: o.amount_fen == amount_fen and o.reference == reference
        )
        return self._client.post("/orders", idempotency_key=key, json=body, check=check)

    def get_order(self, order_id: str) -> Order:
        return self._client.get(
            f"/orders/{path_segment(order_id)}", check=answer_about(order_of, "order", order_id)
        )

    def refund(self, key: str, order_id: str, amount_fen: int) -> Order:
        """Send ``amount_fen`` of a paid order back to its payer (网拍规定 Art. 23: losing deposits)."""
        if amount_fen <= 0:
            raise ValueError("a refund is of a positive amount")
        return self._client.post(
            f"/orders/{path_segment(order_id)}/refund",
            idempotency_key=key,
            json={"amount_fen": amount_fen},
            check=answer_about(order_of, "order", order_id),
        )

    def transfer(self, key: str, order_id: str, *, to_account: str, amount_fen: int) -> Transfer:
        """Move ``amount_fen`` of a paid order from the escrow to a court's account (网拍规定 Art. 25)."""
        return self._send_money(
            "/transfers",
            "transfer",
            key,
            {"order_id": order_id, "to_account": to_account, "amount_fen": amount_fen},
            lambda t: t.order_id == order_id and t.amount_fen == amount_fen and t.to_account == to_account,
        )

    def payout(
        self, key: str, *, to_account: str, payee_name: str, amount_fen: int, reference: str
    ) -> Transfer:
        """Pay ``amount_fen`` of the platform's case money to a payee's account."""
        return self._send_money(
            "/payouts",
            "payout",
            key,
            {
                "to_account": to_account,
                "payee_name": payee_name,
                "amount_fen": amount_fen,
                "reference": reference,
            },
            lambda t: t.amount_fen == amount_fen and t.to_account == to_account and t.reference == reference,
        )

    def _send_money(
        self, path: str, what: str, key: str, body: dict[str, Any], agrees: Callable[[Transfer], bool]
    ) -> Transfer:
        """POST a ``what`` (a transfer, a payout) of ``body``'s positive amount, the gateway to notify us of
        it; the answer is that ``what`` if it ``agrees`` with what was asked."""
        if body["amount_fen"] <= 0:
            raise ValueError(f"a {what} is of a positive amount")
        notified = {**body, "notify_url": self.settings.payments_notify_url}
        return self._client.post(
            path, idempotency_key=key, json=notified, check=answer_check(transfer_of, what, agrees)
        )

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

        return self._client.post("/payout-batches", idempotency_key=key, json=body, check=check)
