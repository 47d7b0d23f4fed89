"""The simulated payment gateway on a real server on loopback, with a receiver of its notifications beside it
that does what the platform's will: verify, read, take each message once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from api.simulators import payments as payments_sim
from car_enforce.core.db import get_database
from car_enforce.core.errors import DomainError
from car_enforce.core.outbound import RetryPolicy
from car_enforce.core.payments import PaymentEvent, PaymentEventType, PaymentGateway, accept_once, read_event
from car_enforce.core.settings import Settings
from tests.live import serve

GATEWAY_KEY = "test-payments-key"
SECRET = "whsec_dGVzdC1wYXltZW50LXdlYmhvb2stc2VjcmV0LTMyYnk="
HOOK_PATH = "/hooks/payments"
FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05, jitter=0)


def settings(base_url: str = "http://127.0.0.1:9", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "payment_gateway_url": f"{base_url}{payments_sim.PREFIX}",
        "payment_gateway_key": GATEWAY_KEY,
        "payment_webhook_secret": SECRET,
        "payment_notify_url": f"{base_url}{HOOK_PATH}",
        "payment_sim_webhook_attempts": 3,
        "payment_sim_webhook_backoff_s": 0.02,
        "http_connect_timeout_s": 2.0,
        "http_timeout_s": 5.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass(frozen=True, slots=True)
class Taken:
    """One delivery the receiver answered, and what it made of it."""

    status: int
    event: PaymentEvent | None
    fresh: bool  # False: a replay, taken before


@dataclass
class Receiver:
    """The platform's side: verifies each notification, reads it, takes its message id once."""

    unavailable: int = 0  # the next deliveries answered 503, to see the gateway try again
    seen: list[Taken] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.unavailable = 0
            self.seen.clear()

    def events(self) -> list[PaymentEvent]:
        """The events taken for the first time, in order."""
        with self.lock:
            return [t.event for t in self.seen if t.fresh and t.event is not None]

    def take(self, body: bytes, headers: Any) -> Taken:
        with self.lock:
            busy = self.unavailable > 0
            self.unavailable -= busy
        if busy:
            return Taken(503, None, False)
        try:
            event = read_event(body, headers, secret=SECRET)
            with get_database().unit_of_work() as session:
                fresh = accept_once(session, event)
        except DomainError as exc:
            return Taken(exc.status_code, None, False)
        return Taken(200, event, fresh)


async def _raw(request: Request) -> bytes:
    return await request.body()


def receiver_app(receiver: Receiver, sim_settings: Settings) -> FastAPI:
    app = FastAPI()
    payments_sim.mount(app, settings=sim_settings)

    @app.post(HOOK_PATH)
    def hook(request: Request, raw: Annotated[bytes, Depends(_raw)]) -> JSONResponse:
        taken = receiver.take(raw, request.headers)
        with receiver.lock:
            receiver.seen.append(taken)
        return JSONResponse({"taken": taken.fresh}, status_code=taken.status)

    return app


@dataclass
class Harness:
    base_url: str
    settings: Settings
    receiver: Receiver
    control: httpx.Client  # the gateway's own routes, with its key

    def gateway(self, *, retry: RetryPolicy = FAST, **overrides: Any) -> PaymentGateway:
        return PaymentGateway(settings(self.base_url, **overrides), retry=retry)

    def stage(self, mode: str, count: int = 1, delay_s: float = 0.0) -> None:
        response = self.control.post("/failure-mode", json={"mode": mode, "count": count, "delay_s": delay_s})
        assert response.status_code == 200, response.text

    def pay(self, order_id: str, **body: Any) -> httpx.Response:
        """What the payer's bank does (no key: the payer is not the platform)."""
        return httpx.post(f"{self.settings.payments_url}/orders/{order_id}/pay", json=body or None)

    def notifications(self) -> list[dict[str, Any]]:
        payments_sim.wait_for_deliveries()
        response = self.control.get("/webhooks")
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows

    def events(self) -> list[PaymentEvent]:
        """What the receiver took, once every send has ended; in the order they arrived, which need not
        be the order they happened in (each message is sent on its own, as a real gateway's are)."""
        payments_sim.wait_for_deliveries()
        return self.receiver.events()

    def events_of(self, kind: PaymentEventType) -> list[PaymentEvent]:
        return [e for e in self.events() if e.type is kind]


@contextmanager
def running() -> Iterator[Harness]:
    """The gateway and the receiver on one loopback server; every send finished before it stops."""
    receiver = Receiver()
    sim_settings = settings()
    with serve(receiver_app(receiver, sim_settings)) as base_url:
        harness = Harness(
            base_url,
            settings(base_url),
            receiver,
            httpx.Client(
                base_url=f"{base_url}{payments_sim.PREFIX}",
                headers={"Authorization": f"Bearer {GATEWAY_KEY}"},
                timeout=10,
            ),
        )
        try:
            yield harness
        finally:
            payments_sim.wait_for_deliveries()
            harness.control.close()
