"""A simulated payment gateway with an escrow (资金托管): the protocol ``car_enforce.core.payments`` speaks.

The platform creates an order a payer pays in their own name (a judicial-auction deposit), refunds it,
transfers it on to a court's account, and pays case money out, one payout at a time or in batches
(``transfers.py``); the payer pays at ``/orders/{id}/pay``.
Every POST of the platform needs ``Authorization: Bearer <payment_gateway_key>`` and an
``Idempotency-Key``: the same key with the same body gets the first answer and acts once, with another
body it is a 409. What happens is told back in signed notifications (``delivery.py``) sent after the
commit. Everything is kept in the database, so every server process answers alike; the failures a test
stages (``POST /failure-mode``) are kept there too.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Callable
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.simulators import failure_modes
from api.simulators.common import (
    ErrorOut,
    IdempotencyKey,
    RawBody,
    SettingsDep,
    bearer_guard,
    service_app,
)
from api.simulators.failure_modes import FailureModeOut, StoredFaults
from api.simulators.idempotency import Answer, KeyedRequests
from api.simulators.models import SimPaymentOrder, SimPaymentRequest, SimPaymentTransfer
from api.simulators.payments.delivery import OUTBOX, SIMULATOR, sending
from api.simulators.payments.transfers import (
    ACCOUNT_PATTERN,
    DECLINED,
    Fen,
    PayoutBatchIn,
    Url,
    check_same_payout,
    pay_batch,
    take_declines,
    transfer_out,
)
from car_enforce.core import clock, zh
from car_enforce.core.db import Database, get_database
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.settings import Settings

PREFIX: Final = "/sim/payments"
FAULTS: Final = StoredFaults(SIMULATOR, "simulated gateway failure", "模拟的支付网关故障")
KEYED: Final = KeyedRequests(SimPaymentRequest, FAULTS)

# --- what the platform sends --------------------------------------------------------------------------


class OrderIn(BaseModel):
    amount_fen: Fen
    payer_name: str = Field(min_length=1, max_length=64)
    payer_id_digest: str = Field(min_length=1, max_length=128)
    purpose: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_.-]*$")
    reference: str = Field(default="", max_length=128)
    notify_url: Url | None = None


class RefundIn(BaseModel):
    amount_fen: Fen


class TransferIn(BaseModel):
    order_id: str = Field(min_length=1, max_length=40)
    to_account: str = Field(pattern=ACCOUNT_PATTERN)
    amount_fen: Fen
    notify_url: Url | None = None


class PayoutIn(BaseModel):
    to_account: str = Field(pattern=ACCOUNT_PATTERN)
    payee_name: str = Field(min_length=1, max_length=64)
    amount_fen: Fen
    reference: str = Field(default="", max_length=128)
    notify_url: Url | None = None


class PayIn(BaseModel):
    account_name: str | None = Field(default=None, max_length=64)  # whose account the money came from


class FailureModeIn(failure_modes.FailureModeIn):
    mode: Literal["ok", "error500", "slow", "malformed", "bad_signature", "decline"]


# --- plumbing -----------------------------------------------------------------------------------------


def _keyed(
    request: Request,
    raw: bytes,
    key: str | None,
    work: Callable[[Session], Answer],
    *,
    keep_answer: bool = True,
) -> Response:
    """Run ``work`` once per Idempotency-Key (``KeyedRequests.answer``)."""
    return KEYED.answer(request, raw, key, lambda session, _: work(session), keep_answer=keep_answer)


def _order(session: Session, order_id: str, *, lock: bool = False) -> SimPaymentOrder:
    query = select(SimPaymentOrder).where(SimPaymentOrder.order_id == order_id)
    order = session.scalar(query.with_for_update() if lock else query)
    if order is None:
        raise NotFound(f"no order {order_id!r}", zh="没有这笔支付订单")
    return order


def _held(order: SimPaymentOrder) -> int:
    return 0 if order.status == "pending" else order.amount_fen - order.refunded_fen - order.transferred_fen


def _settle(order: SimPaymentOrder) -> None:
    # Emptied: named by where the last of it went, a court's account winning over the payer.
    if _held(order) == 0:
        order.status = "transferred" if order.transferred_fen else "refunded"


def _base_url(request: Request) -> str:
    # The root path holds the mount's prefix (base_url leaves it out): this is the gateway's own base URL.
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}{root}"


def _order_out(request: Request, order: SimPaymentOrder) -> dict[str, Any]:
    return {
        "id": order.order_id,
        "status": order.status,
        "amount_fen": order.amount_fen,
        "refunded_fen": order.refunded_fen,
        "transferred_fen": order.transferred_fen,
        "purpose": order.purpose,
        "reference": order.reference,
        "pay_url": f"{_base_url(request)}/orders/{order.order_id}/pay",
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
    }


def _parse_json(model: type[PayIn], raw: bytes) -> PayIn:
    if not raw.strip():
        return model()
    try:
        return model.model_validate_json(raw)
    except ValueError:
        raise InvalidInput("body", 'expected {"account_name": ...} or nothing', zh="请求体格式不对") from None


_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong key"},
    404: {"model": ErrorOut, "description": "No such order"},
    409: {
        "model": ErrorOut,
        "description": "The order's state forbids it, or the key was used for another body",
    },
    422: {"model": ErrorOut, "description": "Malformed payload, or no Idempotency-Key"},
    500: {"model": ErrorOut, "description": "A staged failure"},
}


# --- the verbs ----------------------------------------------------------------------------------------


class Gateway:
    """The gateway's verbs over one session; the routes are thin over them."""

    def __init__(self, session: Session, request: Request, settings: Settings, database: Database) -> None:
        self.session = session
        self.request = request
        self.settings = settings
        self.database = database

    def notify(self, type_: str, url: str, data: dict[str, Any]) -> None:
        OUTBOX.queue(self.session, self.database, sending(self.settings), type_=type_, url=url, data=data)

    def create_order(self, body: OrderIn) -> tuple[int, dict[str, Any]]:
        order = SimPaymentOrder(
            order_id=f"po_{secrets.token_hex(12)}",
            status="pending",
            amount_fen=body.amount_fen,
            refunded_fen=0,
            transferred_fen=0,
            payer_name=body.payer_name,
            payer_id_digest=body.payer_id_digest,
            purpose=body.purpose,
            reference=body.reference,
            notify_url=body.notify_url or self.settings.payments_notify_url,
            created_at=clock.now(),
            paid_at=None,
        )
        self.session.add(order)
        self.session.flush()
        return 201, _order_out(self.request, order)

    def pay(self, order_id: str, body: PayIn) -> SimPaymentOrder:
        order = _order(self.session, order_id, lock=True)
        if body.account_name is not None and body.account_name.strip() != order.payer_name:
            raise Conflict(
                "the paying account is not in the payer's name",
                zh="付款账户户名与竞买人不符：保证金须以竞买人本人名义交纳",
            )
        if order.status != "pending":
            return order  # paid before: a second press of the button pays nothing more
        order.status, order.paid_at = "paid", clock.now()
        self.notify(
            "order.paid",
            order.notify_url,
            {"order_id": order.order_id, "amount_fen": order.amount_fen, "reference": order.reference},
        )
        return order

    def refund(self, order_id: str, body: RefundIn) -> tuple[int, dict[str, Any]]:
        order = _order(self.session, order_id, lock=True)
        if order.status == "pending":
            raise Conflict("the order is not paid", zh="该订单尚未支付，无款可退")
        if body.amount_fen > _held(order):
            raise Conflict(
                f"only {_held(order)} fen of the order is held",
                zh=f"该订单仅余 {zh.yuan_text(_held(order))} 可退",
            )
        order.refunded_fen += body.amount_fen
        _settle(order)
        self.notify(
            "order.refunded",
            order.notify_url,
            {"order_id": order.order_id, "amount_fen": body.amount_fen, "reference": order.reference},
        )
        return 200, _order_out(self.request, order)

    def transfer(self, body: TransferIn) -> tuple[int, dict[str, Any]]:
        order = _order(self.session, body.order_id, lock=True)
        if order.status == "pending":
            raise Conflict("the order is not paid", zh="该订单尚未支付，无款可转")
        if body.amount_fen > _held(order):
            raise Conflict(
                f"only {_held(order)} fen of the order is held",
                zh=f"该订单仅余 {zh.yuan_text(_held(order))} 可转",
            )
        declined = take_declines(self.session, 1) == 1
        if not declined:
            order.transferred_fen += body.amount_fen
            _settle(order)
        transfer = self._transfer(
            kind="transfer",
            order_id=order.order_id,
            to_account=body.to_account,
            payee_name="",
            amount_fen=body.amount_fen,
            reference=order.reference,
            notify_url=body.notify_url or order.notify_url,
            declined=declined,
        )
        return 201, transfer_out(transfer)

    def payout(self, key: str, body: PayoutIn) -> tuple[int, dict[str, Any]]:
        earlier = self.session.scalar(select(SimPaymentTransfer).where(SimPaymentTransfer.payout_key == key))
        if earlier is not None:  # paid as an item of a batch under the same key
            check_same_payout(
                earlier,
                to_account=body.to_account,
                payee_name=body.payee_name,
                amount_fen=body.amount_fen,
                reference=body.reference,
            )
            return 201, transfer_out(earlier)
        transfer = self._transfer(
            kind="payout",
            payout_key=key,
            order_id=None,
            to_account=body.to_account,
            payee_name=body.payee_name,
            amount_fen=body.amount_fen,
            reference=body.reference,
            notify_url=body.notify_url or self.settings.payments_notify_url,
            declined=take_declines(self.session, 1) == 1,
        )
        return 201, transfer_out(transfer)

    def payout_batch(self, key: str, body: PayoutBatchIn) -> tuple[int, dict[str, Any]]:
        url = body.notify_url or self.settings.payments_notify_url
        return 201, pay_batch(self.session, batch_key=key, body=body, notify_url=url, notify=self.notify)

    def _transfer(
        self,
        *,
        kind: str,
        payout_key: str | None = None,
        order_id: str | None,
        to_account: str,
        payee_name: str,
        amount_fen: int,
        reference: str,
        notify_url: str,
        declined: bool,
    ) -> SimPaymentTransfer:
        transfer = SimPaymentTransfer(
            transfer_id=f"tr_{secrets.token_hex(12)}",
            payout_key=payout_key,
            kind=kind,
            status="failed" if declined else "succeeded",
            order_id=order_id,
            to_account=to_account,
            payee_name=payee_name,
            amount_fen=amount_fen,
            reference=reference,
            failure_reason=DECLINED if declined else "",
            notify_url=notify_url,
            created_at=clock.now(),
        )
        self.session.add(transfer)
        data = {
            "transfer_id": transfer.transfer_id,
            "order_id": order_id,
            "amount_fen": amount_fen,
            "reference": reference,
        }
        self.notify("transfer.failed" if declined else "transfer.succeeded", notify_url, data)
        return transfer


# --- the routes ---------------------------------------------------------------------------------------


def _gateway(request: Request, settings: SettingsDep) -> Callable[[Session], Gateway]:
    database = get_database()
    return lambda session: Gateway(session, request, settings, database)


GatewayDep = Annotated[Callable[[Session], Gateway], Depends(_gateway)]

platform = APIRouter(
    dependencies=[Depends(bearer_guard(lambda settings: settings.payment_gateway_key))],
    responses={401: _ERRORS[401]},
)
payer = APIRouter()


@platform.post("/orders", status_code=201, responses={k: _ERRORS[k] for k in (409, 422, 500)})
def create_order(
    body: OrderIn, raw: RawBody, request: Request, gateway: GatewayDep, key: IdempotencyKey = None
) -> Response:
    """An order the payer pays at its ``pay_url``, into the escrow, in their own name."""
    return _keyed(request, raw, key, lambda s: gateway(s).create_order(body))


@platform.get("/orders/{order_id}", responses={k: _ERRORS[k] for k in (404, 500)})
def get_order(order_id: str, request: Request) -> Response:
    return FAULTS.read(lambda session: _order_out(request, _order(session, order_id)))


@platform.post("/orders/{order_id}/refund", responses={k: _ERRORS[k] for k in (404, 409, 422, 500)})
def refund(
    order_id: str,
    body: RefundIn,
    raw: RawBody,
    request: Request,
    gateway: GatewayDep,
    key: IdempotencyKey = None,
) -> Response:
    """Send part or all of what the order holds back to the payer."""
    return _keyed(request, raw, key, lambda s: gateway(s).refund(order_id, body))


@platform.post("/transfers", status_code=201, responses={k: _ERRORS[k] for k in (404, 409, 422, 500)})
def transfer(
    body: TransferIn, raw: RawBody, request: Request, gateway: GatewayDep, key: IdempotencyKey = None
) -> Response:
    """Move part or all of what an order holds to an account (a court's); ``failed`` if the bank declines."""
    return _keyed(request, raw, key, lambda s: gateway(s).transfer(body))


@platform.post("/payouts", status_code=201, responses={k: _ERRORS[k] for k in (409, 422, 500)})
def payout(
    body: PayoutIn, raw: RawBody, request: Request, gateway: GatewayDep, key: IdempotencyKey = None
) -> Response:
    """Pay an amount to a payee's account; ``failed`` if the bank declines."""
    return _keyed(request, raw, key, lambda s: gateway(s).payout(str(key), body))


@platform.post("/payout-batches", status_code=201, responses={k: _ERRORS[k] for k in (409, 422, 500)})
def payout_batch(
    body: PayoutBatchIn, raw: RawBody, request: Request, gateway: GatewayDep, key: IdempotencyKey = None
) -> Response:
    """Pay up to 1,000 payees, each item once ever by its own ``key`` whatever batch carries it: an item
    paid before answers with its first transfer, an unusable account or a decline fails its item alone;
    ``{"transfers": [...]}`` in the items' order, told back in one ``payout_batch.settled`` message."""
    return _keyed(request, raw, key, lambda s: gateway(s).payout_batch(str(key), body), keep_answer=False)


@platform.post("/failure-mode", response_model=FailureModeOut, responses={422: _ERRORS[422]})
def set_failure_mode(body: FailureModeIn) -> FailureModeOut:
    """Stage failures: the next ``count`` requests (error500, slow, malformed), notifications
    (bad_signature) or transfers and payouts (decline) fail so; "ok" clears it."""
    return FAULTS.stage(get_database(), body)


@platform.get("/webhooks")
def list_webhooks(limit: int = 100) -> list[dict[str, Any]]:
    """The latest notifications and how their delivery went, newest last (for tests and the demo)."""
    return OUTBOX.listing(get_database(), limit)


@platform.post("/webhooks/{message_id}/redeliver", status_code=202, responses={404: _ERRORS[404]})
def redeliver(message_id: str, settings: SettingsDep) -> dict[str, str]:
    """Send a notification again under its id, as a gateway does when it doubts it was received."""
    if not OUTBOX.redeliver(get_database(), sending(settings), message_id):
        raise NotFound(f"no notification {message_id!r}", zh="没有这条通知")
    return {"message_id": message_id}


_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em}}
dt{{color:#666}}dd{{margin:0 0 .8em}}button{{font-size:1.1em;padding:.5em 2em}}</style></head>
<body><h1>{title}</h1>{content}
<p><small>模拟支付网关 · 仅供测试与演示，不发生真实资金往来</small></p></body></html>
"""


def _page(title: str, content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), content=content), status_code=status)


def _order_facts(order: SimPaymentOrder) -> str:
    return (
        "<dl>"
        f"<dt>订单号</dt><dd>{html.escape(order.order_id)}</dd>"
        f"<dt>金额</dt><dd>{html.escape(zh.yuan_text(order.amount_fen))}</dd>"
        f"<dt>付款人</dt><dd>{html.escape(zh.mask_name(order.payer_name))}（须以本人名义付款）</dd>"
        "<dt>收款方</dt><dd>司法拍卖保证金托管账户</dd>"
        "</dl>"
    )


@payer.get("/orders/{order_id}/pay", response_class=HTMLResponse)
def pay_page(order_id: str) -> HTMLResponse:
    """The payer's page: what the order is for, and a button that pays it."""
    with get_database().unit_of_work(read_only=True) as session:
        order = session.scalar(select(SimPaymentOrder).where(SimPaymentOrder.order_id == order_id))
        if order is None:
            return _page("订单不存在", "<p>没有这笔支付订单，请回到拍卖页面重新发起。</p>", 404)
        facts, pending = _order_facts(order), order.status == "pending"
    if not pending:
        return _page("订单已支付", facts + "<p>这笔款项已经支付，无需再付。</p>")
    button = (
        '<form method="post" action=""><input type="hidden" name="confirm" value="1">'
        '<button type="submit">确认支付</button></form>'
    )
    return _page("支付保证金", facts + button)


@payer.post("/orders/{order_id}/pay", responses={k: _ERRORS[k] for k in (404, 409, 422)})
def pay(order_id: str, raw: RawBody, request: Request, gateway: GatewayDep) -> Response:
    """What the payer's bank does: the order is paid, and ``order.paid`` is sent after the commit."""
    form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    body = PayIn() if form else _parse_json(PayIn, raw)
    with get_database().unit_of_work() as session:
        order = gateway(session).pay(order_id, body)
        document = _order_out(request, order)
        facts = _order_facts(order)
    if form:
        return _page("支付成功", facts + "<p>款项已进入托管账户，可以关闭本页回到拍卖页面。</p>")
    return JSONResponse(document)


# --- the app ------------------------------------------------------------------------------------------


def create_app(settings: Settings | None = None) -> FastAPI:
    """The simulated gateway as an ASGI app of its own; ``settings`` default to the platform's."""
    return service_app(
        title="模拟支付网关",
        description="A simulated payment gateway with an escrow; see car_enforce/core/payments.",
        settings=settings,
        routers=(platform, payer),
    )


def mount(app: FastAPI, *, prefix: str = PREFIX, settings: Settings | None = None) -> FastAPI:
    """Mount the simulated gateway on ``app`` at ``prefix`` (its base URL); the mounted app."""
    sub = create_app(settings)
    app.mount(prefix.rstrip("/"), sub, name="sim-payments")
    return sub
