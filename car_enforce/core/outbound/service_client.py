"""The base of a client for one service the settings name (the payment gateway, the vehicle registry).

A subclass says which service it calls (``_account``: its name, address, key and tries) and adds the calls;
the base makes the ``OutboundClient`` every such client is made the same way with (the settings' timeouts,
a bearer key, a short doubling wait between tries) and closes its pool when it owns one.
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self
from urllib.parse import quote

import httpx

from car_enforce.core.clock import Clock
from car_enforce.core.outbound.client import OutboundClient, RetryPolicy, Service
from car_enforce.core.settings import Settings, get_settings


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """Which service a client calls, as the settings give it."""

    name: str  # in errors and logs
    base_url: str
    key: str  # sent as a bearer token on every call
    attempts: int  # tries in one call, the first one included


class ServiceClient(ABC):
    """Calls one service named in the settings; a context manager that closes the pool it made."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        account = self._account(self.settings)
        service = Service(
            name=account.name,
            base_url=account.base_url,
            connect_timeout_s=self.settings.http_connect_timeout_s,
            read_timeout_s=self.settings.http_timeout_s,
            retry=retry or RetryPolicy(attempts=account.attempts, base_delay_s=0.5, max_delay_s=5.0),
            headers={"Authorization": f"Bearer {account.key}"},
        )
        self._client = OutboundClient(service, http=http, clock=clock, sleep=sleep, rng=rng)

    @abstractmethod
    def _account(self, settings: Settings) -> ServiceAccount:
        """The service this client calls."""

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def path_segment(value: str) -> str:
    """An id as one segment of a path, whatever it holds."""
    if not value:
        raise ValueError("an empty id")
    return quote(value, safe="")
