"""A simulated price-inquiry platform (司法网络询价平台) speaking docs/INQUIRY_PROTOCOL.md, one app per
platform: it takes the court's signed requests, values the car, and posts signed reports back.

It stands in for an outside service run by someone else, so its state lives in the app instance's memory
(one process), not in the platform's database. What it does with an inquiry is decided by the mode in force
when the inquiry arrives (``POST /control/mode``); ``GET /control/log`` shows what it received and sent and
what the court answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from api.simulators.common import ErrorOut, IdempotencyKey, SimulatedFailure, parse_body, require_key
from api.simulators.in_memory import (
    InMemorySimulator,
    Message,
    add_reset,
    control_guard,
    mount_each,
    platform_app,
)
from api.simulators.inquiry import reports
from api.simulators.inquiry.platforms import SimPlatform
from api.simulators.inquiry.schemas import InquiryIn, Mode, ModeIn, NoticeIn
from car_enforce.core import clock
from car_enforce.core.errors import DomainError, InvalidInput, NotFound
from car_enforce.core.outbound.signing import HmacRequestSigner
from car_enforce.core.outbound.standard_webhooks import signing_key

EXTENSION_REASON: Final = "该车型近期可比成交样本不足，需补充调取样本，申请延长询价期限"


class InquiryAccepted(BaseModel):
    inquiry_id: str


class NoticeTaken(BaseModel):
    ok: bool = True


class ModeOut(BaseModel):
    mode: Mode
    delay_s: float


def wire_target(scope: Mapping[str, Any]) -> str:
    """The path and query as they came on the request line, a mount's prefix included (what was signed)."""
    raw = scope.get("raw_path")
    if raw is None:
        # A server that does not say: Starlette keeps the full path in a mounted app's scope.
        raw = quote(scope["path"]).encode("ascii")
    path = bytes(raw).partition(b"?")[0]  # some ASGI servers leave the query on raw_path
    query = bytes(scope.get("query_string", b""))
    return (path + (b"?" + query if query else b"")).decode("latin-1")


@dataclass
class _Inquiry:
    inquiry_id: str
    request: InquiryIn
    mode: Mode
    received_at: datetime
    held: bool = False  # a report held until /control/release
    withdrawn: bool = False


@dataclass
class _Log:
    inquiries: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)


class Simulator(InMemorySimulator[Mode]):
    """One platform's state and behaviour; the routes of ``create_app`` are thin over it."""

    def __init__(self, platform: SimPlatform, *, control_key: str) -> None:
        self.platform = platform
        self.key = signing_key(platform.secret)
        super().__init__(code=platform.code, secret=platform.secret, control_key=control_key, idle="ok")

    def _clear(self) -> None:
        super()._clear()
        self._inquiries: dict[str, _Inquiry] = {}
        self._by_request: dict[str, str] = {}
        self._notice_keys: set[tuple[str, str]] = set()
        self._counters = {"inquiry": 0, "message": 0, "report": 0}
        self._log = _Log()

    def _next(self, counter: str) -> int:
        with self._lock:
            self._counters[counter] += 1
            return self._counters[counter]

    # --- the court's side of the wire -----------------------------------------------------------------

    def verify(self, request: Request, body: bytes) -> None:
        HmacRequestSigner(key=self.key).verify(
            method=request.method,
            target=wire_target(request.scope),
            body=body,
            headers=request.headers,
            now=int(clock.now().timestamp()),
        )

    async def inquire(self, inquiry: InquiryIn) -> str:
        """Take one request and act on it per the mode in force now; the inquiry id."""
        with self._lock:
            mode, delay_s = self.mode, self.delay_s
        if mode == "fail":
            with self._lock:
                self._log.refused.append({"request_id": inquiry.request_id, "status": 500, "mode": mode})
            raise SimulatedFailure("simulated platform failure", zh="模拟的询价平台故障")
        if mode == "slow":
            await asyncio.sleep(delay_s)  # a hanging platform: the court's timeout decides what comes of it
        # A car this platform cannot value is refused now, not after the 202.
        reports.value(inquiry, clock.today_local(), self.platform)
        with self._lock:
            known = self._by_request.get(inquiry.request_id)
            if known is not None:
                return known  # a retry: the first body counts, and nothing happens twice
            self._counters["inquiry"] += 1
            inquiry_id = f"{self.platform.code}-{self._run}-{self._counters['inquiry']:06d}"
            held = mode in ("late", "extension")
            state = _Inquiry(inquiry_id, inquiry, mode, clock.now(), held=held)
            self._inquiries[inquiry_id] = state
            self._by_request[inquiry.request_id] = inquiry_id
            self._log.inquiries.append(
                {
                    "request_id": inquiry.request_id,
                    "inquiry_id": inquiry_id,
                    "mode": mode,
                    "received_at": state.received_at.isoformat(),
                }
            )
        if mode == "extension":
            message = self._inquiry_message(state, "extension_request", {"reason": EXTENSION_REASON})
            self.spawn(self.deliver(message))
        elif mode == "slow":
            self.spawn(self._report_later(state, 0.0))
        elif mode != "late":
            self.spawn(self._report_later(state, delay_s))
        return inquiry_id

    def notice(self, inquiry_id: str, key: str, notice: NoticeIn) -> None:
        """Take one notice (protocol §3); a repeat of its Idempotency-Key changes nothing."""
        correct = False
        with self._lock:
            state = self._inquiries.get(inquiry_id)
            if state is None:
                raise NotFound(f"no inquiry {inquiry_id!r}", zh="没有这项询价")
            if notice.request_id != state.request.request_id:
                raise InvalidInput(
                    "request_id", f"inquiry {inquiry_id} is for another request", zh="此询价属于另一个请求"
                )
            if (inquiry_id, key) in self._notice_keys:
                return
            self._notice_keys.add((inquiry_id, key))
            self._log.notices.append(
                {
                    "inquiry_id": inquiry_id,
                    **notice.model_dump(mode="json"),
                    "received_at": clock.now().isoformat(),
                }
            )
            if notice.type == "withdrawn":
                state.withdrawn, state.held = True, False
            correct = notice.type == "correction_requested" and not state.withdrawn
        if correct:
            self.spawn(self._report_now(state, "correction"))

    # --- the controls ---------------------------------------------------------------------------------

    async def release(self) -> list[dict[str, Any]]:
        """Send every held report now; what each send came to."""
        with self._lock:
            due = [s for s in self._inquiries.values() if s.held and not s.withdrawn]
            for s in due:
                s.held = False
        sends = [self._report_now(s, "report") for s in due]
        return [r for r in await asyncio.gather(*sends) if r is not None]

    def log(self) -> dict[str, Any]:
        with self._lock:
            return {
                **self._log_head(),
                "inquiries": list(self._log.inquiries),
                "refused": list(self._log.refused),
                "notices": list(self._log.notices),
                "callbacks": list(self._sent),
                "held": sum(s.held for s in self._inquiries.values() if not s.withdrawn),
            }

    # --- the platform's side of the wire --------------------------------------------------------------

    def _inquiry_message(
        self, state: _Inquiry, type_: str, payload: dict[str, Any], *, secret: str | None = None
    ) -> Message:
        request_id, url = state.request.request_id, state.request.callback_url
        return self._message(
            self._next("message"),
            type_,
            url,
            {"type": type_, "request_id": request_id, **payload},
            about={"inquiry_id": state.inquiry_id, "request_id": request_id, "url": url},
            secret=secret,
        )

    def _report_message(self, state: _Inquiry, type_: str) -> Message:
        """A report (or its correction) issued today; a report takes the flaw of its inquiry's mode."""
        issued_on = clock.today_local()
        number = reports.report_number(self.platform, issued_on.year, self._next("report"))
        body = reports.report(self.platform, state.request, number=number, issued_on=issued_on)
        secret = None
        if type_ == "report":  # a correction is the right report, rightly signed
            if state.mode == "malformed":
                del body["result_fen"]
            elif state.mode == "wrong_car":
                body["vehicle"] = reports.wrong_vehicle(body["vehicle"])
            elif state.mode == "bad_signature":
                secret = "not-" + self.platform.secret
        return self._inquiry_message(state, type_, {"report": body}, secret=secret)

    async def _report_later(self, state: _Inquiry, delay_s: float) -> None:
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        await self._report_now(state, "report")

    async def _report_now(self, state: _Inquiry, type_: str) -> dict[str, Any] | None:
        if state.withdrawn:
            return None
        try:
            message = self._report_message(state, type_)
        except DomainError as exc:  # the clock moved before the car's registration, say
            record = {"type": type_, "request_id": state.request.request_id, "error": exc.detail}
            with self._lock:
                self._sent.append(record)
            return record
        return await self.deliver(message)


_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    401: {"model": ErrorOut, "description": "Unsigned, badly signed or stale request"},
    404: {"model": ErrorOut, "description": "No such inquiry"},
    422: {"model": ErrorOut, "description": "Malformed request, or no Idempotency-Key"},
    500: {"model": ErrorOut, "description": "The platform is in fail mode"},
}


async def _signed_body(request: Request, sim: Annotated[Simulator, Depends(Simulator.of)]) -> bytes:
    """The raw body, once its signature is checked: nothing is read before that."""
    body = await request.body()
    sim.verify(request, body)
    return body


SignedBody = Annotated[bytes, Depends(_signed_body)]


def create_app(platform: SimPlatform, *, control_key: str) -> FastAPI:
    """The simulated platform as an ASGI app of its own, to serve alone or mount (``mount``)."""
    sim = Simulator(platform, control_key=control_key)
    app = platform_app(
        sim,
        title=f"{platform.name}（模拟司法网络询价平台）",
        description="A simulator of a court price-inquiry platform; see docs/INQUIRY_PROTOCOL.md.",
    )

    @app.post(
        "/inquiries",
        status_code=202,
        response_model=InquiryAccepted,
        responses={k: _ERRORS[k] for k in (401, 422, 500)},
    )
    async def post_inquiry(body: SignedBody, idempotency_key: IdempotencyKey = None) -> InquiryAccepted:
        """Protocol §1: take the court's request; a retry with the same key answers the first id."""
        key = require_key(
            idempotency_key,
            needs="required, equal to the request_id",
            zh="缺少此项，其值应与 request_id 相同",
        )
        inquiry = parse_body(InquiryIn, body)
        if key != inquiry.request_id:
            raise InvalidInput("Idempotency-Key", "must equal the request_id", zh="应与 request_id 相同")
        return InquiryAccepted(inquiry_id=await sim.inquire(inquiry))

    @app.post(
        "/inquiries/{inquiry_id}/notices",
        response_model=NoticeTaken,
        responses={k: _ERRORS[k] for k in (401, 404, 422)},
    )
    async def post_notice(
        inquiry_id: str, body: SignedBody, idempotency_key: IdempotencyKey = None
    ) -> NoticeTaken:
        """Protocol §3: extension granted or refused, a correction requested, the inquiry withdrawn."""
        sim.notice(inquiry_id, require_key(idempotency_key), parse_body(NoticeIn, body))
        return NoticeTaken()

    controls = [Depends(control_guard)]

    @app.post("/control/mode", response_model=ModeOut, dependencies=controls, responses={401: _ERRORS[401]})
    async def set_mode(body: ModeIn) -> ModeOut:
        """What the platform does with the inquiries that arrive from now on."""
        sim.set_mode(body.mode, body.delay_s)
        return ModeOut(mode=body.mode, delay_s=body.delay_s)

    @app.post("/control/release", dependencies=controls, responses={401: _ERRORS[401]})
    async def release() -> dict[str, Any]:
        """Send every held report now (late and extension modes); answers once they are sent."""
        return {"released": await sim.release()}

    @app.get("/control/log", dependencies=controls, responses={401: _ERRORS[401]})
    async def read_log() -> dict[str, Any]:
        """The inquiries received, the notices, the callbacks sent and the court's answers."""
        return sim.log()

    add_reset(app, sim, dependencies=controls, responses={401: _ERRORS[401]})

    return app


def mount(
    app: FastAPI,
    platforms: tuple[SimPlatform, ...] | list[SimPlatform],
    *,
    control_key: str,
    prefix: str = "/sim/inquiry",
) -> dict[str, FastAPI]:
    """Mount each platform at ``{prefix}/{code}`` (its base URL); the mounted apps by code."""
    return mount_each(app, platforms, create_app, control_key=control_key, prefix=prefix, kind="inquiry")
