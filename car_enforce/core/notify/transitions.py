"""A notification's status machine: pending until it is sent, or until the outbox gives up on it."""

from __future__ import annotations

from car_enforce.core.errors import Conflict
from car_enforce.core.notify.models import DeliveryStatus
from car_enforce.core.status_machine import StatusMachine

# verb -> (statuses it may start from, status it leads to); a retry leaves it pending (no move).
TRANSITIONS: dict[str, tuple[frozenset[DeliveryStatus], DeliveryStatus]] = {
    "deliver": (frozenset({DeliveryStatus.PENDING}), DeliveryStatus.SENT),
    # The last attempt failed, the receiver refused it for good, or its subscription was ended.
    "give_up": (frozenset({DeliveryStatus.PENDING}), DeliveryStatus.FAILED),
}


class DeliveryStateConflict(Conflict):
    pass


STATUS_NAMES_ZH: dict[str, str] = {
    DeliveryStatus.PENDING: "待发送",
    DeliveryStatus.SENT: "已发送",
    DeliveryStatus.FAILED: "发送失败",
}

MACHINE = StatusMachine(
    "notification",
    TRANSITIONS,
    DeliveryStatus,
    DeliveryStateConflict,
    noun_zh="通知",
    status_names_zh=STATUS_NAMES_ZH,
)
