"""Webhook signatures as the Standard Webhooks specification (1.0) defines them: stock libraries verify them.

Each try of a webhook carries three headers:

- ``webhook-id``: the message's id, the same on every try (receivers use it to take a message once);
- ``webhook-timestamp``: the unix seconds of this try (receivers refuse one too far from their clock);
- ``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, one per
  key in use (two while a secret is being rotated; one match is enough).

Secrets are shown as ``whsec_`` followed by the standard base64 (``+/``, padded) of the key's bytes; the
platform issues 32 random bytes. Subscriptions made before the platform adopted the specification hold
``whsec_`` and 43 URL-safe base64 characters, and the platform then keyed the HMAC with that whole text,
not with bytes decoded from it. Their receivers hold only the text, so for them the text stays the key
(its UTF-8 bytes, prefix included), and they verify with the stock libraries' raw-key form (Python:
``Webhook(secret.encode())``). The two kinds are told apart without a flag: the part after ``whsec_`` of
an old secret is 43 characters, never a multiple of four, so never canonical base64; every new secret's is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as secrets_mod
from collections.abc import Mapping
from dataclasses import dataclass

from car_enforce.core.outbound.signing import DEFAULT_TOLERANCE_S, InvalidSignature, SigningInput

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# The specification's bounds on a symmetric key.
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SCHEME = "v1"  # HMAC-SHA256; v1a (ed25519) is not used


def new_secret(nbytes: int = SECRET_BYTES) -> str:
    """A fresh signing secret in the specification's form: ``whsec_`` + standard base64 of random bytes."""
    if not MIN_SECRET_BYTES <= nbytes <= MAX_SECRET_BYTES:
        raise ValueError(f"a secret has {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes")
    return SECRET_PREFIX + base64.b64encode(secrets_mod.token_bytes(nbytes)).decode("ascii")


def _canonical_base64(text: str) -> bytes | None:
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Canonical only: padded, and the very text base64 would write, so no other string means the same key.
    if not decoded or base64.b64encode(decoded).decode("ascii") != text:
        return None
    return decoded


def is_legacy_secret(secret: str) -> bool:
    """Whether ``secret`` predates the specification: its own text, not decoded base64, is its key."""
    return not secret.startswith(SECRET_PREFIX) or _canonical_base64(secret[len(SECRET_PREFIX) :]) is None


def signing_key(secret: str) -> bytes:
    """The HMAC key behind a subscription's secret (see the module's note on old secrets)."""
    if not secret:
        raise ValueError("a webhook secret may not be empty")
    if secret.startswith(SECRET_PREFIX):
        decoded = _canonical_base64(secret[len(SECRET_PREFIX) :])
        if decoded is not None:
            return decoded
    return secret.encode()


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` entry of the ``webhook-signature`` header."""
    return f"{SCHEME}," + base64.b64encode(_digest(key, msg_id, timestamp, body)).decode("ascii")


def sign(secrets: str | tuple[str, ...], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers that sign ``body`` as message ``msg_id`` sent at ``timestamp`` (unix seconds)."""
    if not msg_id or "." in msg_id or any(c.isspace() for c in msg_id):
        # The id is part of the signed text, delimited by full stops: the specification forbids them in it.
        raise ValueError("a webhook id must be non-empty, without full stops or spaces")
    keys = [signing_key(s) for s in ((secrets,) if isinstance(secrets, str) else secrets)]
    if not keys:
        raise ValueError("no secret to sign with")
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: " ".join(signature(key, msg_id, timestamp, body) for key in keys),
    }


@dataclass(frozen=True, slots=True)
class StandardWebhookSigner:
    """Signs one webhook message (an outbound ``Signer``); several secrets while one is rotated out."""

    secrets: tuple[str, ...]
    message_id: str

    def headers(self, request: SigningInput) -> dict[str, str]:
        return sign(self.secrets, self.message_id, request.timestamp, request.body)


def verify(
    secret: str | bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: int,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> str:
    """Check a received webhook; return its ``webhook-id``, or raise ``InvalidSignature``.

    ``secret`` is the ``whsec_`` text, or the raw key as bytes; header names match in any case.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get(ID_HEADER, "")
    stamp = lower.get(TIMESTAMP_HEADER, "")
    signatures = lower.get(SIGNATURE_HEADER, "")
    if not (msg_id and stamp and signatures):
        raise InvalidSignature(
            f"missing {ID_HEADER}, {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header",
            zh=f"缺少请求头 {ID_HEADER}、{TIMESTAMP_HEADER} 或 {SIGNATURE_HEADER}",
        )
    if not (stamp.isascii() and stamp.isdigit()):
        raise InvalidSignature(
            f"malformed {TIMESTAMP_HEADER}: expected unix seconds", zh=f"{TIMESTAMP_HEADER} 应为 Unix 秒数"
        )
    timestamp = int(stamp)
    key = secret if isinstance(secret, bytes) else signing_key(secret)
    expected = _digest(key, msg_id, timestamp, body)
    matched = False
    for entry in signatures.split():
        scheme, _, encoded = entry.partition(",")
        if scheme != SCHEME:
            continue  # another scheme (v1a), or a later version: not ours to judge
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        # Every candidate is compared, in constant time: the time taken must not tell which one matched.
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise InvalidSignature("no signature matches the body", zh="没有与请求体相符的签名")
    # Checked after the signature, so only an authentic (but stale) request learns it was too old.
    if abs(now - timestamp) > tolerance_s:
        raise InvalidSignature(
            f"signature timestamp is more than {tolerance_s} s from now (replay refused)",
            zh=f"签名时间与当前时间相差超过 {tolerance_s} 秒（拒绝重放）",
        )
    return msg_id
