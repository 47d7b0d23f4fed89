"""The vehicle registry (车管所): its signed callbacks, and where a case's requests to it stand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Allow, Officer, RawBody, SessionDep
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


class SeizureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ruling_number: str = Field(min_length=1, max_length=80, description="The seizure ruling (查封裁定)")
    notice_number: str = Field(min_length=1, max_length=80, description="Its 协助执行通知书 to the registry")


@router.post(
    "/api/cases/{case_id}/vehicles/{vehicle_id}/registry-seizure",
    status_code=201,
    response_model=RegistryRequestOut,
    responses=responses(401, 403, 404, 409, 422),
)
def seize_at_registry(
    case_id: RowId, vehicle_id: RowId, body: SeizureIn, session: SessionDep, who: Officer
) -> RegistryRequestOut:
    """Register the court's seizure of the car at the registry (查封登记; 查封规定 Art. 1, 7): it blocks any
    transfer until released; the debtor's payment or the sale releases it. Asked twice, the same request."""
    case = cases.visible_case(session, who, case_id)
    request = registry.queue_seizure(
        session,
        actor=who,
        case_id=case.id,
        vehicle_id=vehicle_id,
        ruling_number=body.ruling_number,
        notice_number=body.notice_number,
    )
    return RegistryRequestOut.of(request)
