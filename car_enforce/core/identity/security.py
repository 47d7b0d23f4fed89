"""Secrets: argon2 for passwords, SHA-256 for high-entropy tokens and API keys."""

from __future__ import annotations

import hashlib
import re
import secrets
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from car_enforce.core.settings import get_settings


@lru_cache
def _hasher() -> tuple[PasswordHasher, str]:
    """The hasher and a dummy hash; verifying against the dummy keeps an unknown user's login as slow."""
    # RFC 9106's low-memory profile in production; the test suite sets the cheapest argon2 profile so that
    # hundreds of logins stay fast (the hashes stay real argon2id and verify the same way).
    profile = (
        profiles.CHEAPEST
        if get_settings().password_hash_profile == "cheapest"
        else (profiles.RFC_9106_LOW_MEMORY)
    )
    hasher = PasswordHasher.from_parameters(profile)
    return hasher, hasher.hash("not-a-real-password")


API_KEY_PREFIX = "ck"


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, dummy = _hasher()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def sha256_hex(secret: str) -> str:
    # Tokens and keys carry 256 random bits: a fast hash is safe for them, unlike for passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_key() -> tuple[str, str]:
    """A fresh key as (prefix, full secret); the prefix identifies the key in lists and logs."""
    prefix = f"{API_KEY_PREFIX}_{secrets.token_hex(4)}"
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


def prefix_of(api_key: str) -> str | None:
    parts = api_key.split("_")
    if len(parts) < 3 or parts[0] != API_KEY_PREFIX:
        return None
    return f"{parts[0]}_{parts[1]}"


# A key as it may appear inside text a machine sent (a webhook's free-text field, say).
_KEY_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9_-])({API_KEY_PREFIX}_[0-9a-f]{{8}})_[A-Za-z0-9_-]+")


def redact_keys(document: Any) -> Any:
    """A copy of a JSON-like document in which every API key is cut to its prefix (``ck_1a2b3c4d_…``).

    Evidence keeps what a device sent, but a key is a secret the platform only ever stores hashed.
    """

    def redact(text: str) -> str:
        return _KEY_IN_TEXT.sub(r"\1_…", text) if API_KEY_PREFIX in text else text

    root: list[Any] = [document]
    stack: list[tuple[list[Any] | dict[Any, Any], Any]] = [(root, 0)]
    while stack:  # iterative: a hostile document may nest deeper than the recursion limit
        parent, slot = stack.pop()
        value = parent[slot]
        if isinstance(value, str):
            parent[slot] = redact(value)
        elif isinstance(value, dict):
            copy = {redact(k) if isinstance(k, str) else k: v for k, v in value.items()}
            parent[slot] = copy
            stack.extend((copy, k) for k in copy)
        elif isinstance(value, list):
            items = list(value)
            parent[slot] = items
            stack.extend((items, i) for i in range(len(items)))
    return root[0]
