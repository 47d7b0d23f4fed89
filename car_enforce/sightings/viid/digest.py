"""HTTP Digest authentication (RFC 2617, MD5, ``qop="auth"``) for GA/T 1400 devices: pure functions.

GA/T 1400 devices register with Digest. Only ``qop="auth"`` is offered: a client offered ``auth-int``
as well may pick it and hash the body, which no field server checks. A client answering without ``qop``
(RFC 2069 style) is accepted too.

A nonce is its issue time and an HMAC over that time, the realm and the client's address, so any worker
holding the secret checks a nonce another worker issued, with no shared state; bound to the address, an
answer seen on the wire cannot be replayed from another one. A nonce lives ``NONCE_TTL``; an answer that
is right but whose nonce has expired gets a fresh challenge with ``stale=true`` (RFC 2617 §3.2.1), so the
client answers again without asking anyone for the password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Final
from urllib.parse import urlsplit

ALGORITHM: Final = "MD5"
QOP: Final = "auth"
NONCE_TTL: Final = timedelta(minutes=5)
# Workers' clocks may differ a little: a nonce stamped this far ahead of the checker's clock is still one.
_NONCE_CLOCK_SLACK = timedelta(seconds=30)

# 8 hex digits of issue time (Unix seconds) and 32 of MAC: 40 characters, short enough for the fixed
# buffers of camera firmware.
_TIME_DIGITS = 8
_MAC_DIGITS = 32
_NONCE = re.compile(rf"[0-9a-f]{{{_TIME_DIGITS + _MAC_DIGITS}}}")
_RESPONSE = re.compile(r"[0-9a-fA-F]{32}")
# auth-param = token "=" ( token | quoted-string ), the quoted string with backslash escapes.
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_REQUIRED = ("username", "realm", "nonce", "uri", "response")
_MAX_HEADER = 4096


class DigestError(ValueError):
    """An Authorization header that is not a Digest answer this server can check; the text says why."""


class NonceState(Enum):
    FRESH = "fresh"
    STALE = "stale"  # issued here, but expired
    FORGED = "forged"  # not issued here (or for another address or realm)


@dataclass(frozen=True, slots=True)
class Credentials:
    """The parameters of a Digest ``Authorization`` header."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    algorithm: str | None = None
    opaque: str | None = None


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def ha1(username: str, realm: str, password: str) -> str:
    """``MD5(username:realm:password)``: what the server keeps instead of the password."""
    return md5_hex(f"{username}:{realm}:{password}")


def _mac(secret: bytes, issued: int, realm: str, peer: str) -> str:
    message = f"{issued}\x1f{realm}\x1f{peer}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:_MAC_DIGITS]


def make_nonce(secret: bytes, *, realm: str, peer: str, now: datetime) -> str:
    issued = int(now.timestamp())
    return f"{issued:0{_TIME_DIGITS}x}{_mac(secret, issued, realm, peer)}"


def nonce_state(
    nonce: str, secret: bytes, *, realm: str, peer: str, now: datetime, ttl: timedelta = NONCE_TTL
) -> NonceState:
    """Whether ``nonce`` was issued here for this realm and address, and is still young enough."""
    if not _NONCE.fullmatch(nonce):
        return NonceState.FORGED
    issued = int(nonce[:_TIME_DIGITS], 16)
    if not hmac.compare_digest(nonce[_TIME_DIGITS:], _mac(secret, issued, realm, peer)):
        return NonceState.FORGED
    age = now.timestamp() - issued
    if age < -_NONCE_CLOCK_SLACK.total_seconds():
        return NonceState.FORGED
    return NonceState.STALE if age > ttl.total_seconds() else NonceState.FRESH


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def challenge(realm: str, nonce: str, *, stale: bool = False) -> str:
    """The ``WWW-Authenticate`` value of a 401: Digest, MD5, ``qop="auth"`` only."""
    parts = [
        f"realm={_quoted(realm)}",
        f'qop="{QOP}"',
        f"nonce={_quoted(nonce)}",
        # Returned unchanged by clients; some refuse a challenge without one. It carries nothing.
        f"opaque={_quoted(md5_hex(realm))}",
        f"algorithm={ALGORITHM}",
    ]
    if stale:
        parts.append("stale=true")
    return "Digest " + ", ".join(parts)


def parse_authorization(header: str) -> Credentials:
    """The parameters of ``Authorization: Digest …``; DigestError when it is not one that can be checked."""
    if len(header) > _MAX_HEADER:
        raise DigestError("the Authorization header is too long")
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        raise DigestError("authenticate with HTTP Digest (Authorization: Digest …)")
    params: dict[str, str] = {}
    position, text = 0, rest.strip()
    while position < len(text):
        found = _PARAM.match(text, position)
        if found is None or found.end() == position:
            raise DigestError(f"the Digest parameters cannot be read from position {position}")
        name = found.group(1).lower()
        if name in params:
            raise DigestError(f"the Digest parameter {name!r} is given twice")
        quoted, token = found.group(2), found.group(3)
        params[name] = _ESCAPE.sub(r"\1", quoted) if quoted is not None else token or ""
        position = found.end()
    missing = [name for name in _REQUIRED if not params.get(name)]
    if missing:
        raise DigestError(f"the Digest answer lacks {', '.join(missing)}")
    algorithm = params.get("algorithm")
    if algorithm is not None and algorithm.upper() != ALGORITHM:
        raise DigestError(f"algorithm {algorithm!r} was not offered; answer with MD5")
    qop = params.get("qop")
    if qop is not None:
        if qop.lower() != QOP:
            raise DigestError(f'qop {qop!r} was not offered; answer with qop="auth"')
        if not params.get("nc") or not params.get("cnonce"):
            raise DigestError('an answer with qop="auth" needs nc and cnonce')
    if not _RESPONSE.fullmatch(params["response"]):
        raise DigestError("the Digest response must be 32 hexadecimal digits")
    return Credentials(
        username=params["username"],
        realm=params["realm"],
        nonce=params["nonce"],
        uri=params["uri"],
        response=params["response"].lower(),
        qop=None if qop is None else QOP,
        nc=params.get("nc"),
        cnonce=params.get("cnonce"),
        algorithm=algorithm,
        opaque=params.get("opaque"),
    )


def uri_path(uri: str) -> str:
    """The path a Digest ``uri`` names: some clients send the absolute URL, most only the path."""
    return urlsplit(uri).path or "/"


def expected_response(ha1_hex: str, method: str, credentials: Credentials) -> str:
    """The ``response`` a client knowing the password computes (RFC 2617 §3.2.2.1; RFC 2069 without qop)."""
    ha2 = md5_hex(f"{method.upper()}:{credentials.uri}")
    if credentials.qop is None:
        return md5_hex(f"{ha1_hex}:{credentials.nonce}:{ha2}")
    return md5_hex(
        f"{ha1_hex}:{credentials.nonce}:{credentials.nc}:{credentials.cnonce}:{credentials.qop}:{ha2}"
    )


def verify(credentials: Credentials, ha1_hex: str, method: str) -> bool:
    """Whether the answer was computed from the password behind ``ha1_hex``, in constant time."""
    return hmac.compare_digest(expected_response(ha1_hex, method, credentials), credentials.response)
