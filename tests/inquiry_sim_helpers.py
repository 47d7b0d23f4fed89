"""The court's side of the inquiry protocol, as small as tests need it: a receiver of the platforms' signed
callbacks (docs/INQUIRY_PROTOCOL.md §2), a request body (§1), and a client of one simulated platform."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.simulators.inquiry import SimPlatform
from car_enforce.core import clock
from car_enforce.core.outbound import standard_webhooks
from car_enforce.core.outbound.client import OutboundClient, Service
from car_enforce.core.outbound.signing import HmacRequestSigner, InvalidSignature
from car_enforce.core.outbound.standard_webhooks import signing_key
from tests.live import serve

CONTROL_KEY = "control-key-for-the-tests"


@dataclass(frozen=True, slots=True)
class Try:
    """One try of a callback as the receiver saw it, and what it answered."""

    code: str
    message_id: str
    status: int
    body: dict[str, Any] | None


class Receiver:
    """Verifies each callback with the platform's secret, as the court does, and records every try."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self.secrets = dict(secrets)
        self.base = ""
        self.unavailable = 0  # the next tries answered 503, to see the platform try again
        self._lock = threading.Lock()
        self.tries: list[Try] = []
        self.app = FastAPI()
        self.app.post("/api/inquiry-platforms/{code}/reports")(self._take)

    def url(self, code: str) -> str:
        return f"{self.base}/api/inquiry-platforms/{code}/reports"

    async def _take(self, code: str, request: Request) -> JSONResponse:
        raw = await request.body()
        message_id = request.headers.get("webhook-id", "")
        with self._lock:
            unavailable = self.unavailable > 0
            self.unavailable -= unavailable
        if unavailable:
            return self._answer(Try(code, message_id, 503, None), {"error": "Unavailable"})
        try:
            standard_webhooks.verify(
                signing_key(self.secrets[code]), raw, request.headers, now=int(clock.now().timestamp())
            )
        except InvalidSignature as exc:
            return self._answer(Try(code, message_id, 401, None), {"error": exc.name, "detail": exc.detail})
        body = json.loads(raw)
        report = body.get("report")
        if report is not None and "result_fen" not in report:
            return self._answer(Try(code, message_id, 422, body), {"error": "InvalidInput"})
        return self._answer(Try(code, message_id, 200, body), {"ok": True, "message": message_id})

    def _answer(self, seen: Try, document: dict[str, Any]) -> JSONResponse:
        with self._lock:
            self.tries.append(seen)
        return JSONResponse(document, status_code=seen.status)

    def taken(self) -> list[Try]:
        with self._lock:
            return [t for t in self.tries if t.status == 200]

    def wait(self, count: int, *, timeout_s: float = 5.0) -> list[Try]:
        """The first ``count`` messages taken, once there are that many."""
        deadline = time.monotonic() + timeout_s
        while True:
            taken = self.taken()
            if len(taken) >= count:
                return taken
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(taken)} messages taken, expected {count}: {self.tries}")
            time.sleep(0.01)


@contextmanager
def receiving(platforms: tuple[SimPlatform, ...]) -> Iterator[Receiver]:
    receiver = Receiver({p.code: p.secret for p in platforms})
    with serve(receiver.app) as base:
        receiver.base = base
        yield receiver


def inquiry(request_id: str, callback_url: str, **vehicle: Any) -> dict[str, Any]:
    """The court's request (§1) for a 2021 Lavida, inspected at 82.5 points."""
    return {
        "request_id": request_id,
        "court": {"name": "平阳县人民法院", "case_number": "（2026）浙0326执1234号"},
        "vehicle": {
            "plate": "浙C12345",
            "plate_colour": "blue",
            "vin": "LSVAU2180N2123456",
            "brand_model": "大众 朗逸 1.5L 自动",
            "vehicle_class": "small",
            "fuel": "petrol",
            "first_registered_on": "2021-03-15",
            "odometer_km": 86420,
            **vehicle,
        },
        "inspection": {"score": 82.5, "grade": 2},
        "purpose": "司法处置参考价",
        "received_by_deadline": None,
        "callback_url": callback_url,
    }


class SimClient:
    """The court's client of one simulated platform, and the test's hand on its controls."""

    def __init__(self, base_url: str, platform: SimPlatform) -> None:
        self.base_url = base_url
        self.platform = platform
        signer = HmacRequestSigner(key=signing_key(platform.secret))
        self.court = OutboundClient(
            Service(name=f"inquiry:{platform.code}", base_url=base_url, signer=signer)
        )
        self.control = httpx.Client(base_url=base_url, headers={"X-Control-Key": CONTROL_KEY}, timeout=10)

    def close(self) -> None:
        self.court.close()
        self.control.close()

    def inquire(self, body: dict[str, Any]) -> httpx.Response:
        return self.court.post("/inquiries", idempotency_key=body["request_id"], json=body)

    def notify(self, inquiry_id: str, key: str, body: dict[str, Any]) -> httpx.Response:
        return self.court.post(f"/inquiries/{inquiry_id}/notices", idempotency_key=key, json=body)

    def mode(self, mode: str, delay_s: float = 0.0) -> None:
        answer = self.control.post("/control/mode", json={"mode": mode, "delay_s": delay_s})
        assert answer.status_code == 200, answer.text

    def release(self) -> list[dict[str, Any]]:
        answer = self.control.post("/control/release")
        assert answer.status_code == 200, answer.text
        released: list[dict[str, Any]] = answer.json()["released"]
        return released

    def log(self) -> dict[str, Any]:
        answer = self.control.get("/control/log")
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()
        return document


@contextmanager
def simulator_client(base_url: str, platform: SimPlatform) -> Iterator[SimClient]:
    client = SimClient(base_url, platform)
    try:
        yield client
    finally:
        client.close()
