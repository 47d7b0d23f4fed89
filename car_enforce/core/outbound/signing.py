"""Request signatures: what a signer sees of a request, and an HMAC signer with a timestamp for services.

A signer turns one try of a request into headers; the client calls it at every try, with the time of that
try, so a retry is signed afresh and a receiver can refuse anything older than its tolerance (a replay).
Webhooks use the Standard Webhooks signer (``standard_webhooks``); ``HmacRequestSigner`` is for services
that want our calls signed and leave the scheme to us (the built-in simulators, a platform's callback
check). Both verifiers check the signature before the timestamp, so only an authentic but stale request
learns that it was too old.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from car_enforce.core.errors import Unauthenticated

DEFAULT_TOLERANCE_S = 300


class InvalidSignature(Unauthenticated):
    """A signature that is missing, malformed, does not match what was sent, or is too old (a replay)."""


@dataclass(frozen=True, slots=True)
class SigningInput:
    """One try of a request, as a signer sees it."""

    method: str
    url: httpx.URL
    body: bytes
    timestamp: int  # unix seconds at this try
    idempotency_key: str | None


class Signer(Protocol):
    def headers(self, request: SigningInput) -> dict[str, str]:
        """The headers that sign ``request``."""
        ...


def _target(url: httpx.URL) -> str:
    # Path and query as they go on the wire: what the receiver reads off its request line.
    return url.raw_path.decode("ascii")


def _request_digest(
    key: bytes, method: str, target: str, key_header: str, timestamp: int, body: bytes
) -> str:
    # Newlines separate the parts: none of them can hold one, so no two requests sign the same text.
    text = f"{timestamp}\n{method.upper()}\n{target}\n{key_header}\n".encode() + body
    return hmac.new(key, text, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class HmacRequestSigner:
    """HMAC-SHA256 over the timestamp, method, path and query, Idempotency-Key and body: ``v1=<hex>``."""

    key: bytes
    timestamp_header: str = "X-CarEnforce-Timestamp"
    signature_header: str = "X-CarEnforce-Request-Signature"

    def headers(self, request: SigningInput) -> dict[str, str]:
        digest = _request_digest(
            self.key,
            request.method,
            _target(request.url),
            request.idempotency_key or "",
            request.timestamp,
            request.body,
        )
        return {self.timestamp_header: str(request.timestamp), self.signature_header: f"v1={digest}"}

    def verify(
        self,
        *,
        method: str,
        target: str,
        body: bytes,
        headers: Mapping[str, str],
        now: int,
        tolerance_s: int = DEFAULT_TOLERANCE_S,
    ) -> None:
        """Raise ``InvalidSignature`` unless ``headers`` sign this request within ``tolerance_s`` of ``now``.

        The receiver's side. ``target`` is the path and query as received; headers match in any case.
        """
        lower = {k.lower(): v for k, v in headers.items()}
        stamp = lower.get(self.timestamp_header.lower(), "")
        scheme, _, digest = lower.get(self.signature_header.lower(), "").partition("=")
        if not (stamp.isascii() and stamp.isdigit()):
            raise InvalidSignature(
                f"missing or malformed {self.timestamp_header}",
                zh=f"请求头 {self.timestamp_header} 缺失或格式不对",
            )
        if scheme != "v1" or not digest:
            raise InvalidSignature(
                f"missing or malformed {self.signature_header}",
                zh=f"请求头 {self.signature_header} 缺失或格式不对",
            )
        timestamp = int(stamp)
        key_header = lower.get("idempotency-key", "")
        expected = _request_digest(self.key, method, target, key_header, timestamp, body)
        # As bytes: compare_digest refuses non-ASCII str, and a header holds whatever the sender put there.
        if not hmac.compare_digest(expected.encode(), digest.encode()):
            raise InvalidSignature("signature does not match the request", zh="签名与请求不符")
        if abs(now - timestamp) > tolerance_s:
            raise InvalidSignature(
                f"signature timestamp is more than {tolerance_s} s from now (replay refused)",
                zh=f"签名时间与当前时间相差超过 {tolerance_s} 秒（拒绝重放）",
            )
