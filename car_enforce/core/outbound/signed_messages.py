"""A service's signed messages as the platform receives them: the payment gateway's notifications, the
registry's callbacks.

Each is signed the Standard Webhooks way and is ``{"type", "timestamp", "data": {...}}``. ``verified_id``
checks the signature, at the platform's clock, before anything of the body is read (a bad one is
``InvalidSignature``, 401) and gives the message's id; ``envelope`` then reads the parts every such message
has, leaving ``data`` to the service's own reader. What a body lacks is the receiver's ``malformed`` error,
in the receiver's words.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Generic, TypeVar

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput
from car_enforce.core.outbound import standard_webhooks

MAX_ID_CHARS: Final = 64  # a message id, as the receivers store it

E = TypeVar("E", bound=StrEnum)


def verified_id(secret: str, body: bytes, headers: Mapping[str, str], *, zh_name: str) -> str:
    """The ``webhook-id`` of a message signed with ``secret``; ``InvalidSignature`` for a bad or stale
    signature, ``InvalidInput`` for an id too long to store. ``zh_name`` names such a message (通知, 回调)."""
    msg_id = standard_webhooks.verify(secret, body, headers, now=int(clock.now().timestamp()))
    if len(msg_id) > MAX_ID_CHARS:
        raise InvalidInput("webhook-id", "too long", zh=f"{zh_name}编号（webhook-id）过长")
    return msg_id


@dataclass(frozen=True, slots=True)
class Envelope(Generic[E]):
    """What every message has: its type, its timestamp as sent (unread), its data."""

    type: E
    timestamp: Any
    data: dict[str, Any]


def envelope(body: bytes, types: type[E], malformed: Callable[[str], Exception]) -> Envelope[E]:
    """The envelope of a verified body, its type one of ``types``; else ``malformed(detail)`` is raised."""
    try:
        document = json.loads(body)
    except ValueError:
        raise malformed("not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise malformed("expected an object with type, timestamp and data")
    try:
        kind = types(str(document.get("type")))
    except ValueError:
        raise malformed(f"type is not one of {', '.join(types)}") from None
    return Envelope(kind, document.get("timestamp"), document["data"])
