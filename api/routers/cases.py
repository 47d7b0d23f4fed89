"""Cases, their vehicles and their watches, for the officers of the court."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from api.deps import Allow, IdempotencyDep, Officer, SessionDep, created_or_replayed
from api.errors import ErrorOut, responses
from car_enforce.cases import payment
from car_enforce.cases import service as cases
from car_enforce.cases.schemas import CaseCreate, CaseOut, DebtorPaidIn, TimelineEventOut
from car_enforce.core.db import MAX_ROW_ID, RowId
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.timeline import service as timeline
from car_enforce.vehicles import service as vehicles
from car_enforce.vehicles.schemas import CaseVehicleOut, KnownVehicleOut, VehicleCreate
from car_enforce.watches import service as watches
from car_enforce.watches.schemas import WatchCreate, WatchOut

router = APIRouter(prefix="/api/cases", tags=["cases"], responses=responses(401, 403))
OfficerOrAdmin = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.ADMIN))]


@router.post("", status_code=201, response_model=CaseOut, responses=responses(409, 422))
def open_case(body: CaseCreate, session: SessionDep, officer: Officer, idem: IdempotencyDep) -> object:
    """Open an enforcement case in the officer's court."""
    return idem.run(lambda: CaseOut.of(cases.open_case(session, actor=officer, data=body)))


@router.get("", response_model=list[CaseOut])
def list_cases(
    session: SessionDep,
    who: OfficerOrAdmin,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_ROW_ID),
) -> list[CaseOut]:
    """The cases of the caller's court, newest first."""
    return [CaseOut.of(c) for c in cases.list_cases(session, who, limit=limit, offset=offset)]


@router.get("/{case_id}", response_model=CaseOut, responses=responses(404))
def get_case(case_id: RowId, session: SessionDep, who: OfficerOrAdmin) -> CaseOut:
    return CaseOut.of(cases.visible_case(session, who, case_id))


@router.get("/{case_id}/timeline", response_model=list[TimelineEventOut], responses=responses(404))
def case_timeline(case_id: RowId, session: SessionDep, who: OfficerOrAdmin) -> list[TimelineEventOut]:
    """Every state change of the case, in order, with its hash-chain link."""
    case = cases.visible_case(session, who, case_id)
    return [
        TimelineEventOut(
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            kind=e.kind,
            subject=e.subject,
            reason=e.reason,
            data=e.data,
            hash=e.hash,
        )
        for e in timeline.events_of_case(session, case.id)
    ]


class KnownVehicleRefusal(ErrorOut):
    known_vehicle: KnownVehicleOut
    confirm_with: dict[str, int] | None = Field(
        default=None, description="Present when confirming attaches the car: the field to send again"
    )


@router.post(
    "/{case_id}/vehicles",
    status_code=201,
    response_model=CaseVehicleOut,
    responses={
        **responses(404, 422),
        200: {"model": CaseVehicleOut, "description": "The same registration again: the first one"},
        409: {
            "model": KnownVehicleRefusal,
            "description": "`ConfirmKnownVehicle`: the plate is a car other cases pursue; it is shown, and "
            "the same request with `confirm_known_vehicle_id` attaches it. `VehicleIdentityConflict`: the "
            "VIN contradicts the known car (refused whatever is confirmed). Other conflicts: the car is on "
            "this case already with another owner or VIN.",
        },
    },
)
def register_vehicle(
    case_id: RowId,
    body: VehicleCreate,
    session: SessionDep,
    officer: Officer,
    idem: IdempotencyDep,
    response: Response,
) -> object:
    """Register a debtor's vehicle on the case. A plate the platform knows from other cases answers 409
    with the known car (VIN and owner masked, its other cases' courts and numbers) until the officer
    confirms it; the same registration sent again answers 200 with the first one."""
    case = cases.visible_case(session, officer, case_id)
    created = [True]

    def register() -> CaseVehicleOut:
        link, created[0] = vehicles.register_or_replay(session, actor=officer, case=case, data=body)
        return CaseVehicleOut.model_validate(link)

    answer = idem.run(register)
    if not created[0] and isinstance(answer, CaseVehicleOut):  # found, not made: so to a keyed retry too
        created_or_replayed(response, False)
        idem.claimed.remember(200, answer.model_dump(mode="json"))
    return answer


@router.get("/{case_id}/vehicles", response_model=list[CaseVehicleOut], responses=responses(404))
def case_vehicles(case_id: RowId, session: SessionDep, who: OfficerOrAdmin) -> list[CaseVehicleOut]:
    case = cases.visible_case(session, who, case_id)
    return [CaseVehicleOut.model_validate(link) for link in vehicles.vehicles_of_case(session, case)]


@router.post(
    "/{case_id}/watches", status_code=201, response_model=WatchOut, responses=responses(400, 404, 409, 422)
)
def issue_watch(
    case_id: RowId, body: WatchCreate, session: SessionDep, officer: Officer, idem: IdempotencyDep
) -> object:
    """Issue a watch (布控) on a vehicle of the case; queued if another court's watch is active."""
    case = cases.visible_case(session, officer, case_id)

    def issue() -> WatchOut:
        watch = watches.issue_watch(session, actor=officer, case=case, data=body)
        return WatchOut.of(watch, watches.scope_of(session, watch))

    return idem.run(issue)


@router.get("/{case_id}/watches", response_model=list[WatchOut], responses=responses(404))
def case_watches(case_id: RowId, session: SessionDep, who: OfficerOrAdmin) -> list[WatchOut]:
    case = cases.visible_case(session, who, case_id)
    return [WatchOut.of(w, watches.scope_of(session, w)) for w in watches.watches_of_case(session, case)]


@router.post("/{case_id}/debtor-paid", response_model=CaseOut, responses=responses(404, 409, 422))
def debtor_paid(case_id: RowId, body: DebtorPaidIn, session: SessionDep, officer: Officer) -> CaseOut:
    """The debtor paid in full before the sale (执行完毕): the case's watches are lifted, a lot still selling
    is withdrawn and each car at a center is ordered back to its owner, each step on the timeline and told
    to the applicants. Refused while a car of the case is sold (the sale stands), and recorded once."""
    case = cases.visible_case(session, officer, case_id)
    payment.record_debtor_paid(
        session, actor=officer, case=case, amount_fen=body.amount_fen, paid_on=body.paid_on, note=body.note
    )
    return CaseOut.of(case)
