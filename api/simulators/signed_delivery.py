"""How a simulated outside service sends its signed messages to the platform, as a real one would: signed
afresh at each try (Standard Webhooks), network errors and 5xx tried again (three tries in all), a 4xx taken
as the platform's answer. The inquiry platforms and the auction platform both send this way."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Final

import httpx

from car_enforce.core import clock
from car_enforce.core.outbound import standard_webhooks

BACKOFF_S: Final = (0.2, 0.4)  # the waits between the three tries of one message
TIMEOUT_S: Final = 10.0
MAX_ANSWER_CHARS: Final = 1000


@dataclass(frozen=True, slots=True)
class Delivery:
    tries: int
    status: int | None  # the last answer's, None when the network failed
    answer: Any
    error: str


def _answer(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:MAX_ANSWER_CHARS]


async def deliver(url: str, secret: str | tuple[str, ...], message_id: str, body: bytes) -> Delivery:
    status: int | None = None
    answer: Any = None
    error = ""
    tries = 0
    async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as http:
        for wait in (*BACKOFF_S, None):
            tries += 1
            headers = standard_webhooks.sign(secret, message_id, int(clock.now().timestamp()), body)
            headers["Content-Type"] = "application/json"
            try:
                response = await http.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                status, answer, error = None, None, f"network error ({type(exc).__name__})"
            else:
                status, answer, error = response.status_code, _answer(response), ""
                if status < 500:
                    break
            if wait is None:
                break
            await asyncio.sleep(wait)
    return Delivery(tries, status, answer, error)
