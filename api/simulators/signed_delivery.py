"""How a simulated outside service sends its signed messages to the platform, as a real one would: signed
afresh at each try (Standard Webhooks), tried again after a wait while the answer asks for it.

Every simulator sends this way; what differs is its ``Retries``. The inquiry and auction platforms use
``DEFAULT``: three tries in all, network errors and 5xx tried again, a 4xx taken as the platform's answer.
The payment gateway tries until a 2xx, as many times as its settings say (``Retries.doubling``).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import httpx

from car_enforce.core import clock
from car_enforce.core.outbound import standard_webhooks

MAX_ANSWER_CHARS: Final = 1000


@dataclass(frozen=True, slots=True)
class Retries:
    """How one message is tried: the waits between its tries (one try more than waits), how long a try
    may take, and whether only a 2xx ends it (else a network error or a 5xx alone is tried again)."""

    waits_s: tuple[float, ...] = (0.2, 0.4)
    timeout_s: float = 10.0
    until_2xx: bool = False

    @classmethod
    def doubling(cls, tries: int, first_wait_s: float, *, timeout_s: float, until_2xx: bool) -> Retries:
        """``tries`` in all, each wait twice the one before."""
        waits = tuple(first_wait_s * 2**n for n in range(tries - 1))
        return cls(waits_s=waits, timeout_s=timeout_s, until_2xx=until_2xx)

    def again(self, status: int | None) -> bool:
        """Whether a try that ended so is tried again (while waits are left)."""
        if status is None:
            return True
        if 200 <= status < 300:
            return False
        return self.until_2xx or status >= 500


DEFAULT: Final = Retries()


@dataclass(frozen=True, slots=True)
class Delivery:
    tries: int
    status: int | None  # the last answer's, None when the network failed
    answer: Any
    error: str

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


# After each try: how the delivery stands, and whether that try was the last.
OnTry = Callable[[Delivery, bool], None]


@functools.cache
def _tls() -> ssl.SSLContext:
    # Made once: loading the certificate authorities for each message cost more than sending it.
    return httpx.create_ssl_context()


def _answer(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:MAX_ANSWER_CHARS]


async def deliver(
    url: str,
    secret: str | tuple[str, ...],
    message_id: str,
    body: bytes,
    retries: Retries = DEFAULT,
    on_try: OnTry | None = None,
) -> Delivery:
    """POST ``body`` to ``url`` under ``message_id`` until an answer ends it or the tries run out."""
    sent = Delivery(0, None, None, "")
    waits = iter(retries.waits_s)
    async with httpx.AsyncClient(timeout=retries.timeout_s, follow_redirects=False, verify=_tls()) as http:
        while True:
            headers = standard_webhooks.sign(secret, message_id, int(clock.now().timestamp()), body)
            headers["Content-Type"] = "application/json"
            try:
                response = await http.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                sent = Delivery(sent.tries + 1, None, None, f"network error ({type(exc).__name__})")
            else:
                sent = Delivery(sent.tries + 1, response.status_code, _answer(response), "")
            wait = next(waits, None) if retries.again(sent.status) else None
            if on_try is not None:
                on_try(sent, wait is None)
            if wait is None:
                return sent
            await asyncio.sleep(wait)
