"""A simulated outside judicial-auction platform speaking docs/AUCTION_PLATFORM_PROTOCOL.md, one app per
platform: it keeps the lots the court publishes, takes their updates and withdrawals, and — when told to by
its controls — ends a lot's bidding and posts the signed ``bidding.closed`` back.

It stands in for someone else's service, so its state lives in the app instance's memory (one process). The
mode in force (``POST /control/mode``) decides how it answers the court's calls and signs its webhooks.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import AwareDatetime, BaseModel, Field

from api.simulators import signed_delivery
from api.simulators.common import CONTROL_HEADER, check_control, install_error_handlers, parse_body
from car_enforce.core import clock
from car_enforce.core.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthenticated

Mode = Literal["ok", "slow", "fail", "malformed", "bad_signature"]


@dataclass(frozen=True, slots=True)
class SimAuctionPlatform:
    """One simulated platform: the key the court calls it with, the secret it signs its webhooks with."""

    code: str
    name: str
    api_key: str
    webhook_secret: str


class SimulatedFailure(DomainError):
    status_code = 500


class LotIn(BaseModel):
    """Protocol §1: the lot's public facts (unknown fields ignored)."""

    ref: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=1, max_length=200)
    kind: Literal["auction", "sale"] = "auction"
    round: int = Field(ge=1, le=2)
    disclosures: dict[str, str] = Field(default_factory=dict)
    photos: list[str] = Field(default_factory=list, max_length=50)
    starting_price_fen: int = Field(gt=0)
    deposit_fen: int = Field(ge=0)
    increment_fen: int = Field(gt=0)
    balance_days: int = Field(ge=1, le=365)
    state: Literal["open", "suspended"] = "open"
    reason: str = Field(default="", max_length=500)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    callback_url: str = Field(min_length=1, max_length=300)


class UpdateIn(BaseModel):
    """Protocol §2: the round's state now (stopped or open) and when it runs."""

    ref: str = Field(max_length=80)
    state: Literal["open", "suspended"]
    reason: str = Field(default="", max_length=500)
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class WithdrawIn(BaseModel):
    ref: str = Field(max_length=80)
    reason: str = Field(min_length=1, max_length=500)


class ModeIn(BaseModel):
    mode: Mode
    delay_s: float = Field(default=0.0, ge=0, le=60)


class BuyerIn(BaseModel):
    name: str = "张三丰"
    id_number: str = "33032619800101123X"
    phone: str = "13800000000"
    bidder_number: str = "J0001"


class CloseIn(BaseModel):
    """What the control asks: end this lot's bidding now, sold (to this buyer, at this price) or unsold."""

    result: Literal["sold", "unsold"]
    price_fen: int | None = Field(default=None, gt=0)  # default: the starting price
    bids: int | None = Field(default=None, ge=0)  # default: 1 when sold, 0 when not
    closed_at: AwareDatetime | None = None  # default: the lot's end
    buyer: BuyerIn = Field(default_factory=BuyerIn)


@dataclass
class _Lot:
    remote_id: str
    lot: LotIn
    state: str  # open, suspended, withdrawn, sold, unsold
    received_at: datetime
    updates: list[dict[str, Any]] = field(default_factory=list)
    withdraw_reason: str = ""

    def view(self) -> dict[str, Any]:
        return {
            "remote_id": self.remote_id,
            "ref": self.lot.ref,
            "title": self.lot.title,
            "state": self.state,
            "starting_price_fen": self.lot.starting_price_fen,
            "starts_at": self.lot.starts_at.isoformat(),
            "ends_at": self.lot.ends_at.isoformat(),
            "reason": self.lot.reason,
            "withdraw_reason": self.withdraw_reason,
            "updates": list(self.updates),
            "received_at": self.received_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class _Message:
    message_id: str  # the webhook-id: the same on each try and each resend
    type: str
    remote_id: str
    url: str
    body: bytes
    secret: str  # the platform's, or a wrong one in bad_signature mode


class Simulator:
    """One platform's state and behaviour; the routes of ``create_app`` are thin over it."""

    def __init__(self, platform: SimAuctionPlatform, *, control_key: str) -> None:
        if not control_key:
            raise ValueError("the simulator needs a control key")
        self.platform = platform
        self.control_key = control_key
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._clear()

    def _clear(self) -> None:
        self.mode: Mode = "ok"
        self.delay_s = 0.0
        # In every id handed out: the court keeps ids across a restart of the simulator.
        self._run = secrets.token_hex(3)
        self._lots: dict[str, _Lot] = {}
        self._by_key: dict[str, str] = {}  # Idempotency-Key of a publication → remote id
        self._keys: set[str] = set()  # keys of the updates and withdrawals taken
        self._messages: dict[str, _Message] = {}
        self._counter = 0
        self.calls: list[dict[str, Any]] = []
        self.webhooks: list[dict[str, Any]] = []

    def _next(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    # --- the court's calls ----------------------------------------------------------------------------

    def check_key(self, authorization: str | None) -> None:
        expected = f"Bearer {self.platform.api_key}".encode()
        if authorization is None or not hmac.compare_digest(authorization.encode(), expected):
            raise Unauthenticated("missing or wrong API key", zh="缺少接口密钥或密钥不对")

    async def before_answer(self, call: str, key: str) -> str:
        """Act out the mode for one call of the court; the mode it was answered in."""
        with self._lock:
            mode, delay_s = self.mode, self.delay_s
            self.calls.append({"call": call, "key": key, "mode": mode, "at": clock.now().isoformat()})
        if mode == "fail":
            raise SimulatedFailure("simulated platform failure", zh="模拟的拍卖平台故障")
        if mode == "slow":
            await asyncio.sleep(delay_s)
        return mode

    def publish(self, key: str, lot: LotIn) -> tuple[_Lot, bool]:
        """Keep the lot; a repeat of its key answers the first lot (True when it is new)."""
        with self._lock:
            known = self._by_key.get(key)
            if known is not None:
                return self._lots[known], False
            self._counter += 1
            remote_id = f"{self.platform.code}-{self._run}-{self._counter:05d}"
            kept = _Lot(remote_id, lot, lot.state, clock.now())
            self._lots[remote_id] = kept
            self._by_key[key] = remote_id
            return kept, True

    def lot(self, remote_id: str) -> _Lot:
        found = self._lots.get(remote_id)
        if found is None:
            raise NotFound(f"no lot {remote_id!r}", zh="没有这件拍品")
        return found

    def update(self, remote_id: str, key: str, change: UpdateIn) -> _Lot:
        with self._lock:
            kept = self.lot(remote_id)
            if key in self._keys:
                return kept
            if kept.state not in ("open", "suspended"):
                raise Conflict(f"lot {remote_id} is {kept.state}", zh="拍品已结束或已撤回，不能修改")
            self._keys.add(key)
            kept.state = change.state
            kept.lot = kept.lot.model_copy(
                update={"starts_at": change.starts_at, "ends_at": change.ends_at, "reason": change.reason}
            )
            kept.updates.append({"key": key, **change.model_dump(mode="json")})
            return kept

    def withdraw(self, remote_id: str, key: str, body: WithdrawIn) -> _Lot:
        with self._lock:
            kept = self.lot(remote_id)
            if key in self._keys or kept.state == "withdrawn":
                return kept
            if kept.state in ("sold", "unsold"):
                raise Conflict(f"lot {remote_id} is {kept.state}", zh="拍品竞价已结束，不能撤回")
            self._keys.add(key)
            kept.state, kept.withdraw_reason = "withdrawn", body.reason
            return kept

    # --- the platform's webhooks ----------------------------------------------------------------------

    def _message(self, kept: _Lot, type_: str, payload: dict[str, Any]) -> _Message:
        with self._lock:
            secret = "not-" + self.platform.webhook_secret if self.mode == "bad_signature" else None
        number = self._next()
        document = {"type": type_, "ref": kept.lot.ref, "remote_id": kept.remote_id, **payload}
        message = _Message(
            message_id=f"msg_{self.platform.code}_{self._run}_{number}",
            type=type_,
            remote_id=kept.remote_id,
            url=kept.lot.callback_url,
            body=json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
            secret=secret or self.platform.webhook_secret,
        )
        with self._lock:
            self._messages[message.message_id] = message
        return message

    def published_message(self, kept: _Lot) -> _Message:
        return self._message(kept, "lot.published", {"url": f"https://sim.example/{kept.remote_id}"})

    def close(self, remote_id: str, order: CloseIn) -> _Message:
        """End the lot's bidding as the control says; the ``bidding.closed`` to send."""
        with self._lock:
            kept = self.lot(remote_id)
            if kept.state != "open":
                raise Conflict(f"lot {remote_id} is {kept.state}", zh="拍品不在竞价中")
            kept.state = order.result
        sold = order.result == "sold"
        payload: dict[str, Any] = {
            "result": order.result,
            "closed_at": (order.closed_at or kept.lot.ends_at).isoformat(),
            "bids": order.bids if order.bids is not None else int(sold),
            "final_price_fen": (order.price_fen or kept.lot.starting_price_fen) if sold else None,
            "buyer": order.buyer.model_dump() if sold else None,
        }
        return self._message(kept, "bidding.closed", payload)

    def message(self, message_id: str) -> _Message:
        with self._lock:
            found = self._messages.get(message_id)
        if found is None:
            raise NotFound(f"no message {message_id!r}", zh="没有这条消息")
        return found

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # a task nobody references may be collected before it runs
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, message: _Message) -> dict[str, Any]:
        """POST one message to the court, signed afresh at each try; network errors and 5xx are tried again
        (three tries in all), a 4xx is the court's answer and is not."""
        sent = await signed_delivery.deliver(message.url, message.secret, message.message_id, message.body)
        tries, status, answer, error = sent.tries, sent.status, sent.answer, sent.error
        record = {
            "message_id": message.message_id,
            "type": message.type,
            "remote_id": message.remote_id,
            "signed_rightly": message.secret == self.platform.webhook_secret,
            "attempts": tries,
            "status": status,
            "answer": answer,
            "error": error,
            "sent_at": clock.now().isoformat(),
        }
        with self._lock:
            self.webhooks.append(record)
        return record

    def set_mode(self, mode: Mode, delay_s: float) -> None:
        with self._lock:
            self.mode, self.delay_s = mode, delay_s

    def reset(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with self._lock:
            self._clear()

    def log(self) -> dict[str, Any]:
        with self._lock:
            return {
                "platform": self.platform.code,
                "mode": self.mode,
                "delay_s": self.delay_s,
                "lots": [kept.view() for kept in self._lots.values()],
                "calls": list(self.calls),
                "webhooks": list(self.webhooks),
            }


def _simulator(request: Request) -> Simulator:
    sim: Simulator = request.app.state.simulator
    return sim


SimulatorDep = Annotated[Simulator, Depends(_simulator)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


def _court(sim: SimulatorDep, authorization: Annotated[str | None, Header()] = None) -> None:
    sim.check_key(authorization)


def _control(sim: SimulatorDep, key: Annotated[str | None, Header(alias=CONTROL_HEADER)] = None) -> None:
    check_control(key, sim.control_key)


def _key(value: str | None) -> str:
    if not value:
        raise InvalidInput("Idempotency-Key", "required", zh="缺少此项")
    return value


def create_app(platform: SimAuctionPlatform, *, control_key: str) -> FastAPI:
    """The simulated platform as an ASGI app of its own, to serve alone or mount (``mount``)."""
    sim = Simulator(platform, control_key=control_key)
    app = FastAPI(
        title=f"{platform.name}（模拟网络司法拍卖平台）",
        description="A simulated outside judicial-auction platform: docs/AUCTION_PLATFORM_PROTOCOL.md.",
        version="1",
    )
    app.state.simulator = sim
    court = [Depends(_court)]
    controls = [Depends(_control)]

    install_error_handlers(app)

    @app.post("/lots", status_code=201, dependencies=court)
    async def post_lot(request: Request, idempotency_key: IdempotencyKey = None) -> Response:
        """Protocol §1: keep the lot; a retry with the same key answers the first lot's id."""
        key = _key(idempotency_key)
        lot: LotIn = parse_body(LotIn, await request.body())
        mode = await sim.before_answer("publish", key)
        kept, new = sim.publish(key, lot)
        if mode == "malformed":
            return JSONResponse({"accepted": True}, status_code=201)
        if new:
            sim.spawn(sim.deliver(sim.published_message(kept)))
        return JSONResponse(
            {"remote_id": kept.remote_id, "url": f"https://sim.example/{kept.remote_id}"}, status_code=201
        )

    @app.post("/lots/{remote_id}/update", dependencies=court)
    async def update_lot(
        remote_id: str, request: Request, idempotency_key: IdempotencyKey = None
    ) -> Response:
        """Protocol §2: the lot stopped, resumed, or its end moved."""
        key = _key(idempotency_key)
        change: UpdateIn = parse_body(UpdateIn, await request.body())
        mode = await sim.before_answer("update", key)
        kept = sim.update(remote_id, key, change)
        if mode == "malformed":
            return PlainTextResponse("ok")
        return JSONResponse({"remote_id": kept.remote_id, "state": kept.state})

    @app.post("/lots/{remote_id}/withdraw", dependencies=court)
    async def withdraw_lot(
        remote_id: str, request: Request, idempotency_key: IdempotencyKey = None
    ) -> Response:
        """Protocol §3: the court withdraws the lot (the debtor paid, the sale ended)."""
        key = _key(idempotency_key)
        body: WithdrawIn = parse_body(WithdrawIn, await request.body())
        mode = await sim.before_answer("withdraw", key)
        kept = sim.withdraw(remote_id, key, body)
        if mode == "malformed":
            return PlainTextResponse("ok")
        return JSONResponse({"remote_id": kept.remote_id, "state": kept.state})

    @app.get("/lots/{remote_id}", dependencies=court)
    async def get_lot(remote_id: str) -> dict[str, Any]:
        """The lot as the platform keeps it."""
        return sim.lot(remote_id).view()

    @app.post("/control/mode", dependencies=controls)
    async def set_mode(body: ModeIn) -> dict[str, Any]:
        """How the platform answers the court's calls, and signs its webhooks, from now on."""
        sim.set_mode(body.mode, body.delay_s)
        return {"mode": body.mode, "delay_s": body.delay_s}

    @app.post("/control/lots/{remote_id}/close", dependencies=controls)
    async def close_lot(remote_id: str, body: CloseIn) -> dict[str, Any]:
        """End the lot's bidding now and send ``bidding.closed``; answers with what the court answered."""
        return await sim.deliver(sim.close(remote_id, body))

    @app.post("/control/messages/{message_id}/resend", dependencies=controls)
    async def resend(message_id: str) -> dict[str, Any]:
        """Send a message again, as a platform retrying does: the same id, a fresh signature."""
        return await sim.deliver(sim.message(message_id))

    @app.get("/control/log", dependencies=controls)
    async def read_log() -> dict[str, Any]:
        """The lots kept, the court's calls and the webhooks sent with the court's answers."""
        return sim.log()

    @app.post("/control/reset", dependencies=controls)
    async def reset() -> dict[str, bool]:
        """Forget everything and go back to ok mode; sends under way are cancelled."""
        sim.reset()
        return {"ok": True}

    return app


def mount(
    app: FastAPI,
    platforms: list[SimAuctionPlatform],
    *,
    control_key: str,
    prefix: str = "/sim/auction",
) -> dict[str, FastAPI]:
    """Mount each platform at ``{prefix}/{code}`` (its base URL); the mounted apps by code."""
    apps: dict[str, FastAPI] = {}
    for platform in platforms:
        sub = create_app(platform, control_key=control_key)
        app.mount(f"{prefix.rstrip('/')}/{platform.code}", sub, name=f"sim-auction-{platform.code}")
        apps[platform.code] = sub
    return apps
