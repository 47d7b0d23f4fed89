"""The payment gateway: deposits into the platform's escrow, refunds, transfers to a court, payouts.

``PaymentGateway`` (``client.py``) calls it through the outbound client, each POST under the caller's
Idempotency-Key; ``webhooks.py`` verifies and reads its signed notifications and refuses a replay.
"""

from car_enforce.core.payments.client import (
    Order,
    OrderStatus,
    PaymentGateway,
    PayoutItem,
    Transfer,
    TransferKind,
    TransferStatus,
)
from car_enforce.core.payments.webhooks import (
    PaymentEvent,
    PaymentEventType,
    SettledPayout,
    accept_once,
    read_event,
)

__all__ = [
    "Order",
    "OrderStatus",
    "PaymentEvent",
    "PaymentEventType",
    "PaymentGateway",
    "PayoutItem",
    "SettledPayout",
    "Transfer",
    "TransferKind",
    "TransferStatus",
    "accept_once",
    "read_event",
]
