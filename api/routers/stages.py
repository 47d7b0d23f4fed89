"""Stage clocks: each court's targets in working days, and how far each capture is along them and along
the law's deadlines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import Allow, SessionDep
from api.errors import responses
from car_enforce.captures import service as captures
from car_enforce.core.db import RowId
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.stages import service as stages
from car_enforce.stages.schemas import CaptureStagesOut, StageTargetsIn, StageTargetsOut

router = APIRouter(tags=["stages"], responses=responses(401, 403))
OfficerOrAdmin = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.ADMIN))]
Follower = Annotated[
    Principal, Depends(Allow(Role.OFFICER, Role.CENTER_STAFF, Role.POLICE_ADAPTER, Role.ADMIN))
]


@router.get("/api/courts/{court_id}/stage-targets", response_model=StageTargetsOut, responses=responses(404))
def get_stage_targets(court_id: RowId, session: SessionDep, who: OfficerOrAdmin) -> StageTargetsOut:
    """The court's target for each stage, in working days after the capture day, and whether it is the
    platform default. Only the court's own officers (and administrators) see them."""
    return StageTargetsOut.of(court_id, stages.visible_targets(session, who, court_id))


@router.put(
    "/api/courts/{court_id}/stage-targets", response_model=StageTargetsOut, responses=responses(404, 422)
)
def put_stage_targets(
    court_id: RowId, body: StageTargetsIn, session: SessionDep, who: OfficerOrAdmin
) -> StageTargetsOut:
    """Set the court's targets as a whole: 1 to 60 working days each, never fewer for a later stage
    (intake ≤ inspection ≤ reference_price ≤ listing). An omitted stage follows the platform default.
    Sending the same targets again changes nothing."""
    targets = stages.set_targets(session, actor=who, court_id=court_id, wanted=body.wanted())
    return StageTargetsOut.of(court_id, targets)


@router.get("/api/captures/{capture_id}/stages", response_model=CaptureStagesOut, responses=responses(404))
def capture_stages(capture_id: RowId, session: SessionDep, who: Follower) -> CaptureStagesOut:
    """The capture's stage clocks: for each stage its target, due day, when it was reached, the working
    days used, and whether it is on time or late (偏离); and the law's deadlines (start the reference-price
    procedure within 30 days of the seizure, disposal within 10 days of the price: 参考价规定 Art. 1, 30)
    with due day, when met, and the article. Seen by whoever sees the capture."""
    capture = captures.visible_capture(session, who, capture_id)
    return CaptureStagesOut.of(stages.capture_clock(session, capture))
