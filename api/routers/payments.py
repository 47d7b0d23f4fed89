"""What the payment gateway tells the platform: signed notifications (Standard Webhooks), each taken once."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import RawBody, SessionDep
from api.errors import responses
from auction import deposits
from auction.settlement import balance
from car_enforce.core.payments.webhooks import PaymentEventType, accept_once, read_event

router = APIRouter(tags=["payments"])


@router.post("/api/payments/notifications", responses=responses(400, 401, 404, 409))
def notification(body: RawBody, request: Request, session: SessionDep) -> dict[str, bool]:
    """A notification of the gateway: its signature and timestamp checked (a bad one is 401 and changes
    nothing), then taken once — a replay is answered 200 with `taken: false` and changes nothing. A deposit
    order paid lets its bidder bid (网拍规定 Art. 17); a balance order paid pays the price in full (Art. 25),
    and the ruling and the registry's notice follow."""
    event = read_event(body, request.headers)
    if not accept_once(session, event):
        return {"taken": False}
    if event.type is PaymentEventType.ORDER_PAID and event.order_id is not None:
        if balance.owns(event.reference):
            balance.order_paid(session, event)
        else:
            deposits.order_paid(session, event)
    return {"taken": True}
