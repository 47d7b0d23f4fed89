"""A simulated outside judicial-auction platform speaking docs/AUCTION_PLATFORM_PROTOCOL.md, one app per
platform: it keeps the lots the court publishes, takes their updates and withdrawals, and — when told to by
its controls — ends a lot's bidding and posts the signed ``bidding.closed`` back.

It stands in for someone else's service, so its state lives in the app instance's memory (one process). The
mode in force (``POST /control/mode``) decides how it answers the court's calls and signs its webhooks.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import AwareDatetime, BaseModel, Field

from api.simulators.common import IdempotencyKey, SimulatedFailure, parse_body, require_key
from api.simulators.in_memory import (
    InMemorySimulator,
    Message,
    add_reset,
    control_guard,
    mount_each,
    platform_app,
)
from car_enforce.core import clock
from car_enforce.core.errors import Conflict, NotFound, Unauthenticated

Mode = Literal["ok", "slow", "fail", "malformed", "bad_signature"]


@dataclass(frozen=True, slots=True)
class SimAuctionPlatform:
    """One simulated platform: the key the court calls it with, the secret it signs its webhooks with."""

    code: str
    name: str
    api_key: str
    webhook_secret: str


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


class Simulator(InMemorySimulator[Mode]):
    """One platform's state and behaviour; the routes of ``create_app`` are thin over it."""

    def __init__(self, platform: SimAuctionPlatform, *, control_key: str) -> None:
        self.platform = platform
        super().__init__(
            code=platform.code, secret=platform.webhook_secret, control_key=control_key, idle="ok"
        )

    def _clear(self) -> None:
        super()._clear()
        self._lots: dict[str, _Lot] = {}
        self._by_key: dict[str, str] = {}  # Idempotency-Key of a publication → remote id
        self._keys: set[str] = set()  # keys of the updates and withdrawals taken
        self._messages: dict[str, Message] = {}
        self._counter = 0
        self.calls: list[dict[str, Any]] = []

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

    def _lot_message(self, kept: _Lot, type_: str, payload: dict[str, Any]) -> Message:
        with self._lock:
            secret = "not-" + self.platform.webhook_secret if self.mode == "bad_signature" else None
        message = self._message(
            self._next(),
            type_,
            kept.lot.callback_url,
            {"type": type_, "ref": kept.lot.ref, "remote_id": kept.remote_id, **payload},
            about={"remote_id": kept.remote_id},
            secret=secret,
        )
        with self._lock:
            self._messages[message.message_id] = message
        return message

    def published_message(self, kept: _Lot) -> Message:
        return self._lot_message(kept, "lot.published", {"url": f"https://sim.example/{kept.remote_id}"})

    def close(self, remote_id: str, order: CloseIn) -> Message:
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
        return self._lot_message(kept, "bidding.closed", payload)

    def message(self, message_id: str) -> Message:
        with self._lock:
            found = self._messages.get(message_id)
        if found is None:
            raise NotFound(f"no message {message_id!r}", zh="没有这条消息")
        return found

    def log(self) -> dict[str, Any]:
        with self._lock:
            return {
                **self._log_head(),
                "lots": [kept.view() for kept in self._lots.values()],
                "calls": list(self.calls),
                "webhooks": list(self._sent),
            }


def _court(
    sim: Annotated[Simulator, Depends(Simulator.of)], authorization: Annotated[str | None, Header()] = None
) -> None:
    sim.check_key(authorization)


def create_app(platform: SimAuctionPlatform, *, control_key: str) -> FastAPI:
    """The simulated platform as an ASGI app of its own, to serve alone or mount (``mount``)."""
    sim = Simulator(platform, control_key=control_key)
    app = platform_app(
        sim,
        title=f"{platform.name}（模拟网络司法拍卖平台）",
        description="A simulated outside judicial-auction platform: docs/AUCTION_PLATFORM_PROTOCOL.md.",
    )
    court = [Depends(_court)]
    controls = [Depends(control_guard)]

    @app.post("/lots", status_code=201, dependencies=court)
    async def post_lot(request: Request, idempotency_key: IdempotencyKey = None) -> Response:
        """Protocol §1: keep the lot; a retry with the same key answers the first lot's id."""
        key = require_key(idempotency_key)
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
        key = require_key(idempotency_key)
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
        key = require_key(idempotency_key)
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

    add_reset(app, sim, dependencies=controls)

    return app


def mount(
    app: FastAPI,
    platforms: list[SimAuctionPlatform],
    *,
    control_key: str,
    prefix: str = "/sim/auction",
) -> dict[str, FastAPI]:
    """Mount each platform at ``{prefix}/{code}`` (its base URL); the mounted apps by code."""
    return mount_each(app, platforms, create_app, control_key=control_key, prefix=prefix, kind="auction")
