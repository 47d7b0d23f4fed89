"""What the payment gateway tells the platform: signed notifications (Standard Webhooks), each taken once."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import RawBody, SessionDep
from api.errors import responses
from auction import deposits
from car_enforce.core.payments.webhooks import read_event

router = APIRouter(tags=["payments"])


@router.post("/api/payments/notifications", responses=responses(400, 401, 404))
def notification(body: RawBody, request: Request, session: SessionDep) -> dict[str, bool]:
    """A notification of the gateway: its signature and timestamp checked (a bad one is 401 and changes
    nothing), then taken once — a replay is answered 200 with `taken: false` and changes nothing. A deposit
    order paid lets its bidder bid (网拍规定 Art. 17)."""
    event = read_event(body, request.headers)
    return {"taken": deposits.take_event(session, event)}
