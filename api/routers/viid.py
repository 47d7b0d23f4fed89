"""GA/T 1400 (视图库): checkpoint cameras and platforms register with HTTP Digest and push passing vehicles.

The verbs live in ``car_enforce.sightings.viid.service``; this module puts them at the standard's paths
and answers in its shapes, refusals included: a ``ResponseStatusObject`` with a non-zero ``StatusCode``
beside the HTTP status, and a fresh Digest challenge with every 401.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import Allow, PoliceAdapter, RawBody, SessionDep, api_key_scheme, bearer_scheme
from api.errors import responses
from car_enforce.core.errors import DomainError, Unauthenticated
from car_enforce.core.identity.models import Role
from car_enforce.sightings.vendors.encoding import charset_of
from car_enforce.sightings.viid import service as viid
from car_enforce.sightings.viid.schemas import (
    ResponseStatusAnswer,
    ResponseStatusListAnswer,
    SystemTimeAnswer,
    ViidAccountIn,
    ViidAccountOut,
)


class _ViidRoute(APIRoute):
    """A /VIID/ route: a refused request is answered in the standard's shape, a 401 with a challenge."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not self.path.startswith("/VIID/"):
            return handler

        async def viid_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                return await _refused(request, exc)

        return viid_handler


async def _refused(request: Request, error: DomainError) -> Response:
    session: Session | None = getattr(request.state, "viid_session", None)
    if session is not None:
        # Caught here, the error never reaches the session's owner, which would commit: undo it first.
        await run_in_threadpool(session.rollback)
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        stale = isinstance(error, viid.StaleNonce)
        headers["WWW-Authenticate"] = viid.challenge_header(_peer(request), stale=stale)
    device = (request.headers.get("User-Identify") or "").strip()[:32]
    body = viid.answer(request.url.path, device, viid.status_of(error), error.detail)
    return JSONResponse(body.model_dump(), status_code=error.status_code, headers=headers)


def _peer(request: Request) -> str:
    return viid.peer_address(request.client.host if request.client else None)


def _viid_session(request: Request, session: SessionDep) -> Session:
    request.state.viid_session = session
    return session


ViidSession = Annotated[Session, Depends(_viid_session)]
UserIdentify = Annotated[
    str | None, Header(alias="User-Identify", description="The device id, on every request after Register")
]


async def _charset(request: Request) -> str | None:
    return charset_of(request.headers.get("content-type"))


Charset = Annotated[str | None, Depends(_charset)]


class _DigestCaller(Allow):
    """An account proven by HTTP Digest (MD5, qop=auth); its password is a police unit's API key."""

    def __call__(  # type: ignore[override]
        self,
        request: Request,
        session: ViidSession,
        authorization: Annotated[str | None, Header()] = None,
    ) -> viid.Caller:
        caller = viid.authenticate(
            session,
            method=request.method,
            path=request.url.path,
            authorization=authorization,
            peer=_peer(request),
        )
        self.check(caller.principal)
        return caller


class _RegisteredDevice(Allow):
    """A registered device named in ``User-Identify``, calling from the address it registered from."""

    def __call__(  # type: ignore[override]
        self, request: Request, session: ViidSession, user_identify: UserIdentify = None
    ) -> viid.Registered:
        device = viid.registered(session, device_id=user_identify, peer=_peer(request))
        self.check(device.principal)
        return device


DigestCaller = Annotated[viid.Caller, Depends(_DigestCaller(Role.POLICE_ADAPTER))]
Device = Annotated[viid.Registered, Depends(_RegisteredDevice(Role.POLICE_ADAPTER))]

# The /VIID/ routes speak GA/T 1400's own protocol to devices, not the platform's API to its clients: they
# stay out of the OpenAPI document, which describes (and is fuzzed with) the platform's own credentials.
# README shows the flow.
router = APIRouter(tags=["police: GA/T 1400"], route_class=_ViidRoute)


@router.post(
    "/api/police/viid-accounts",
    status_code=201,
    response_model=ViidAccountOut,
    responses=responses(401, 403, 409, 422),
)
def create_viid_account(
    session: SessionDep,
    unit: PoliceAdapter,
    data: ViidAccountIn,
    api_key: Annotated[str | None, Depends(api_key_scheme)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> ViidAccountOut:
    """A GA/T 1400 account for the unit's checkpoint devices or platform.

    The key this request is sent with (``X-Api-Key``) becomes the account's HTTP Digest password: devices
    register with the user name and that key. Only ``MD5(username:realm:key)`` is stored; revoking the key
    ends the account. A user name already taken is 409.
    """
    secret = api_key or (bearer.credentials if bearer is not None else "")
    return viid.account_out(session, viid.create_account(session, unit=unit, secret=secret, data=data))


@router.post(
    "/VIID/System/Register",
    response_model=ResponseStatusAnswer,
    include_in_schema=False,
)
def register(
    request: Request,
    session: ViidSession,
    caller: DigestCaller,
    body: RawBody,
    charset: Charset,
    user_identify: UserIdentify = None,
) -> ResponseStatusAnswer:
    """Register ``RegisterObject.DeviceID`` from this address, after a 401 Digest challenge."""
    device_id = viid.device_id_of(viid.json_document(body, charset), "RegisterObject", user_identify)
    device = viid.register(session, caller=caller, device_id=device_id, peer=_peer(request))
    return viid.answer(request.url.path, device.device_id)


@router.post("/VIID/System/Keepalive", response_model=ResponseStatusAnswer, include_in_schema=False)
def keepalive(request: Request, session: ViidSession, device: Device) -> ResponseStatusAnswer:
    """A registered device is alive (``User-Identify``); one that is not registered gets 401 and registers."""
    viid.keepalive(session, device)
    return viid.answer(request.url.path, device.device.device_id)


@router.post(
    "/VIID/System/UnRegister",
    response_model=ResponseStatusAnswer,
    include_in_schema=False,
)
def unregister(
    request: Request,
    session: ViidSession,
    caller: DigestCaller,
    body: RawBody,
    charset: Charset,
    user_identify: UserIdentify = None,
) -> ResponseStatusAnswer:
    """End a registration: ``{"UnRegisterObject": {"DeviceID": …}}``, challenged with Digest again."""
    device_id = viid.device_id_of(viid.json_document(body, charset), "UnRegisterObject", user_identify)
    viid.unregister(session, caller=caller, device_id=device_id)
    return viid.answer(request.url.path, device_id)


@router.get("/VIID/System/Time", response_model=SystemTimeAnswer, include_in_schema=False)
def system_time(device: Device) -> SystemTimeAnswer:
    """The platform's time (Beijing) for a registered device to set its clock by."""
    return viid.system_time()


@router.post(
    "/VIID/MotorVehicles",
    response_model=ResponseStatusListAnswer,
    include_in_schema=False,
)
def motor_vehicles(
    session: ViidSession, device: Device, body: RawBody, charset: Charset
) -> ResponseStatusListAnswer:
    """Passing-vehicle records (``MotorVehicleListObject``), answered with one status per record."""
    statuses = viid.push_motor_vehicles(
        session, device, document=viid.json_document(body, charset), body=body
    )
    return viid.answer_list(statuses)
