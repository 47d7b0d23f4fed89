"""A service's signed messages as the platform receives them: the payment gateway's notifications, the
registry's callbacks, the auction and inquiry platforms' messages.

Each is signed the Standard Webhooks way. ``verified_id`` checks the signature, at the platform's clock,
before anything of the body is read (a bad one is ``InvalidSignature``, 401) and gives the message's id,
refused when it is longer than the receiver stores. The gateway's and the registry's messages are
``{"type", "timestamp", "data": {...}}``: ``envelope`` reads the parts every such message has, leaving
``data`` to the service's own reader. A platform's message is flat, its ``type`` beside its fields:
``validated`` reads it whole with the receiver's pydantic model. What a body lacks is the receiver's
``malformed`` error, in the receiver's words.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput
from car_enforce.core.outbound import standard_webhooks

MAX_ID_CHARS: Final = 64  # a message id, as the gateway's and the registry's receivers store it

E = TypeVar("E", bound=StrEnum)
M = TypeVar("M")


def verified_id(
    secret: str | bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    zh_name: str = "消息",
    max_chars: int | None = MAX_ID_CHARS,
    too_long: Callable[[int], Exception] | None = None,
) -> str:
    """The ``webhook-id`` of a message signed with ``secret`` (the ``whsec_`` text or the key's bytes);
    ``InvalidSignature`` for a bad or stale signature.

    An id longer than ``max_chars`` (None: no bound) is refused as ``too_long(max_chars)``, by default an
    ``InvalidInput`` in which ``zh_name`` names such a message (通知, 回调)."""
    msg_id = standard_webhooks.verify(secret, body, headers, now=int(clock.now().timestamp()))
    if max_chars is not None and len(msg_id) > max_chars:
        if too_long is not None:
            raise too_long(max_chars)
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


def validated(body: bytes, message: TypeAdapter[M], malformed: Callable[[str], Exception]) -> M:
    """A verified flat body as ``message`` reads it; else ``malformed(detail)`` is raised.

    The detail is "not JSON", or each problem as where and what ("buyer.id_number: String should match
    pattern ..."), never the value sent: a message may carry personal data (a buyer's ID number)."""
    try:
        return message.validate_python(json.loads(body))
    except ValidationError as exc:
        raise malformed(
            "; ".join(".".join(str(p) for p in e["loc"]) + f": {e['msg']}" for e in exc.errors())
        ) from None
    except ValueError:
        raise malformed("not JSON") from None
