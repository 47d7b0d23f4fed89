"""A simulated SMS gateway behind the same HTTP interface the platform expects of a real one.

``POST /sim/sms/messages`` takes ``{"to", "text"}`` with ``X-Api-Key`` and an optional ``Idempotency-Key``;
``GET /sim/sms/messages`` lists what arrived (for tests and the demo); ``POST /sim/sms/failure-mode`` stages
failures (HTTP 500, or a slow answer) for the next requests. Everything lives in the database, so every
server process behind a proxy answers the same.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.simulators import failure_modes
from api.simulators.common import ErrorOut, IdempotencyKey, error, problems
from api.simulators.failure_modes import FailureModeOut, StoredFaults
from api.simulators.models import SimSmsMessage
from car_enforce.core import clock
from car_enforce.core.db import get_database
from car_enforce.core.errors import Conflict, DomainError, Unauthenticated
from car_enforce.core.settings import Settings, get_settings

SIMULATOR = "sms"
MAX_TEXT_CHARS = 1000
# A mainland mobile number: 11 digits starting 13-19. ASCII digits only (\d would admit other scripts).
MOBILE_PATTERN = r"^1[3-9][0-9]{9}$"
FAULTS = StoredFaults(SIMULATOR, "simulated gateway failure", "模拟的短信网关故障")


class SimulatorRoute(APIRoute):
    """Renders errors as ``{"error", "detail"}`` itself, so the gateway answers alike in any host app."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                return error(exc.status_code, exc.name, exc.detail)
            except RequestValidationError as exc:
                # The rejected input (a phone number) is never echoed back.
                return error(422, "ValidationError", problems(exc.errors()) or "malformed request")

        return run


SettingsDep = Annotated[Settings, Depends(get_settings)]


def _require_key(
    settings: SettingsDep, x_api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None
) -> None:
    expected = settings.sms_gateway_key.encode()
    if x_api_key is None or not hmac.compare_digest(x_api_key.encode(), expected):
        raise Unauthenticated("missing or wrong X-Api-Key", zh="缺少 X-Api-Key 或其值不对")


def _session() -> Iterator[Session]:
    with get_database().unit_of_work() as session:
        yield session


def _read_session() -> Iterator[Session]:
    with get_database().unit_of_work(read_only=True) as session:
        yield session


# "function" scope: the commit happens before the answer leaves, so a 201 means the message is stored
# and a resend with the same Idempotency-Key is sure to find it.
SessionDep = Annotated[Session, Depends(_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(_read_session, scope="function")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong X-Api-Key"},
    422: {"model": ErrorOut, "description": "Malformed payload"},
}

router = APIRouter(
    prefix="/sim/sms",
    tags=["simulators"],
    route_class=SimulatorRoute,
    dependencies=[Depends(_require_key)],
    responses={401: _ERRORS[401]},
)


class SmsIn(BaseModel):
    to: str = Field(pattern=MOBILE_PATTERN, description="A mainland mobile number, 11 digits")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the text is blank")
        return value


class SmsAccepted(BaseModel):
    id: str
    status: Literal["accepted"] = "accepted"
    received_at: datetime


class SmsOut(BaseModel):
    id: str
    to: str
    text: str
    received_at: datetime
    idempotency_key: str | None


class FailureModeIn(failure_modes.FailureModeIn):
    mode: Literal["ok", "error500", "slow"]


def _accepted(message: SimSmsMessage) -> SmsAccepted:
    return SmsAccepted(id=message.message_id, received_at=message.received_at)


def _by_key(session: Session, key: str) -> SimSmsMessage | None:
    return session.scalar(select(SimSmsMessage).where(SimSmsMessage.idempotency_key == key))


def _replay(existing: SimSmsMessage, body: SmsIn, response: Response) -> SmsAccepted:
    if (existing.phone, existing.text) != (body.to, body.text):
        raise Conflict(
            "this Idempotency-Key was used for a different message",
            zh="此幂等键（Idempotency-Key）已用于另一条短信",
        )
    response.status_code = 200
    return _accepted(existing)


@router.post(
    "/messages",
    status_code=201,
    response_model=SmsAccepted,
    responses={
        200: {"model": SmsAccepted, "description": "A resend: the first message's id"},
        409: {"model": ErrorOut, "description": "Idempotency-Key reused for another text"},
        422: _ERRORS[422],
        500: {"model": ErrorOut, "description": "A staged failure"},
    },
)
def send_message(
    body: SmsIn,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> SmsAccepted:
    """Accept one message; a resend with the same Idempotency-Key answers the first id and stores nothing."""
    # A slow answer then answers normally: the sender has likely timed out; its retry must be deduplicated.
    FAULTS.before(get_database())
    if idempotency_key:
        existing = _by_key(session, idempotency_key)
        if existing is not None:
            return _replay(existing, body, response)
    message = SimSmsMessage(
        message_id=f"sim-{secrets.token_hex(12)}",
        phone=body.to,
        text=body.text,
        idempotency_key=idempotency_key or None,
        received_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # A concurrent resend with the same key won the insert; answer with its message.
        existing = _by_key(session, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return _replay(existing, body, response)
    return _accepted(message)


@router.get("/messages", response_model=list[SmsOut])
def list_messages(
    session: ReadSessionDep,
    to: Annotated[str | None, Query(max_length=16, description="Only messages to this number")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SmsOut]:
    """The latest ``limit`` messages received, newest last."""
    query = select(SimSmsMessage).order_by(SimSmsMessage.id.desc()).limit(limit)
    if to:
        query = query.where(SimSmsMessage.phone == to)
    rows = list(session.scalars(query))
    rows.reverse()
    return [
        SmsOut(
            id=r.message_id,
            to=r.phone,
            text=r.text,
            received_at=r.received_at,
            idempotency_key=r.idempotency_key,
        )
        for r in rows
    ]


@router.post("/failure-mode", response_model=FailureModeOut, responses={422: _ERRORS[422]})
def set_failure_mode(body: FailureModeIn) -> FailureModeOut:
    """Make the next ``count`` message requests fail as ``mode`` says ("ok" clears it)."""
    return FAULTS.stage(get_database(), body)
