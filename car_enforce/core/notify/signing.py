"""Webhook signatures: HMAC-SHA256 over a timestamp and the body, so receivers refuse forgeries and replays.

The header reads ``t=<unix seconds>,v1=<hex digest>``; the digest covers ``f"{t}.".encode() + body``, so
the timestamp cannot be swapped without breaking the signature, and a receiver that checks the timestamp
against its own clock refuses a request captured and sent again later. Several ``v1`` values may appear
(a sender rotating its secret signs with both); one matching value is enough.
"""

from __future__ import annotations

import hashlib
import hmac

from car_enforce.core.errors import Unauthenticated

SIGNATURE_HEADER = "X-CarEnforce-Signature"
DEFAULT_TOLERANCE_S = 300


class InvalidSignature(Unauthenticated):
    """The webhook's signature header is malformed, does not match the body, or is too old (a replay)."""


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The value of the signature header for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise InvalidSignature("malformed signature header: expected t=<unix>,v1=<hex>")
        if key == "t":
            if timestamp is not None or not value.isdigit():
                raise InvalidSignature("malformed signature header: bad timestamp")
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
        # Unknown schemes are ignored, so a later v2 can be added beside v1 without breaking receivers.
    if timestamp is None or not signatures:
        raise InvalidSignature("malformed signature header: expected t=<unix>,v1=<hex>")
    return timestamp, signatures


def verify(
    secret: str, body: bytes, header: str | None, *, now: int, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> None:
    """Raise ``InvalidSignature`` unless ``header`` signs ``body`` with ``secret`` within ``tolerance_s``."""
    if not header:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    timestamp, signatures = _parse(header)
    expected = _digest(secret, body, timestamp)
    # compare_digest on every candidate: the time taken must not tell how many leading characters matched.
    matched = False
    for candidate in signatures:
        # As bytes: compare_digest refuses non-ASCII str, and a header is whatever the sender put there.
        matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise InvalidSignature("signature does not match the body")
    # Checked after the signature, so only an authentic (but stale) request learns it was too old.
    if abs(now - timestamp) > tolerance_s:
        raise InvalidSignature(f"signature timestamp is more than {tolerance_s} s from now (replay refused)")
