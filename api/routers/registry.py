"""The vehicle registry (车管所): its signed callbacks, and where a case's requests to it stand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api.deps import Allow, RawBody, SessionDep
from api.errors import responses
from car_enforce.cases import service as cases
from car_enforce.core.db import RowId
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.registry import service as registry
from car_enforce.registry.callbacks import read_callback, take_callback
from car_enforce.registry.schemas import RegistryRequestOut

router = APIRouter(tags=["registry"])
OfficerOrAdmin = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.ADMIN))]


@router.post("/api/registry/notifications", responses=responses(401, 404, 409, 422))
def notification(body: RawBody, request: Request, session: SessionDep) -> dict[str, bool]:
    """A callback of the registry: its signature and timestamp checked (a bad one is 401 and stores nothing),
    then taken once — a replay is answered 200 with `taken: false` and changes nothing. A seizure in effect,
    released or ended by a sale, a transfer done or refused: each on the case's timeline, told to its
    applicants."""
    callback = read_callback(body, request.headers)
    return {"taken": take_callback(session, callback)}


@router.get(
    "/api/cases/{case_id}/registry-requests",
    response_model=list[RegistryRequestOut],
    responses=responses(401, 403, 404),
)
def case_requests(case_id: RowId, session: SessionDep, who: OfficerOrAdmin) -> list[RegistryRequestOut]:
    """The case's requests to the registry (seizures, releases, transfers), oldest first, with what the
    registry said: a refusal's reasons in its own words, a transfer's new owner (masked) and papers."""
    case = cases.visible_case(session, who, case_id)
    return [RegistryRequestOut.of(r) for r in registry.requests_of_case(session, case.id)]
