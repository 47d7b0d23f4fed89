"""Captures (扣押): police units report them; the court, the receiving center and the unit follow them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from api.deps import Allow, IdempotencyDep, PoliceAdapter, SessionDep, created_or_replayed
from api.errors import responses
from api.images import IMAGE, image
from car_enforce.captures import service as captures
from car_enforce.captures.models import CaptureStatus
from car_enforce.captures.schemas import ArrivalIn, CaptureOut, CaptureReport, PlaceConfirmationIn
from car_enforce.core.db import MAX_ROW_ID, RowId
from car_enforce.core.files.photos import PhotoPosition
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal

router = APIRouter(tags=["captures"], responses=responses(401, 403))
Follower = Annotated[
    Principal, Depends(Allow(Role.OFFICER, Role.CENTER_STAFF, Role.POLICE_ADAPTER, Role.ADMIN))
]
Receiver = Annotated[Principal, Depends(Allow(Role.CENTER_STAFF, Role.POLICE_ADAPTER))]
Confirmer = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.POLICE_ADAPTER))]


@router.post(
    "/api/police/captures",
    status_code=201,
    response_model=CaptureOut,
    responses={
        200: {"model": CaptureOut, "description": "A replay: the capture first reported"},
        **responses(409, 422),
    },
)
def report_capture(
    body: CaptureReport, session: SessionDep, unit: PoliceAdapter, response: Response
) -> CaptureOut:
    """Report a capture (扣押). The car goes to the center designated for the place, else the nearest one.

    The watch it fulfils leaves the watch list. `report_number` is the unit's own number for the report:
    sending the same report again returns the first capture (200) and changes nothing; the same number
    with different content is a 409. Photos: JPEG or PNG, at most 12, 5 MiB each.

    A place far outside the unit's area or far from the center is a slip of the coordinates: the capture
    is stored as `held` with its `hold_reason` (which names the limit passed), no tow distance is counted
    and the center is not told until the place is confirmed or corrected (`/confirm-place`).
    """
    capture, created = captures.report_capture(session, actor=unit, data=body)
    created_or_replayed(response, created)
    return CaptureOut.of(capture)


@router.get("/api/captures", response_model=list[CaptureOut])
def list_captures(
    session: SessionDep,
    who: Follower,
    status: CaptureStatus | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_ROW_ID),
) -> list[CaptureOut]:
    """The captures of the caller's court, center or police unit (all of them for an admin), newest first."""
    found = captures.list_captures(session, who, status=status, limit=limit, offset=offset)
    return [CaptureOut.of(c) for c in found]


@router.get("/api/captures/{capture_id}", response_model=CaptureOut, responses=responses(404))
def get_capture(capture_id: RowId, session: SessionDep, who: Follower) -> CaptureOut:
    return CaptureOut.of(captures.visible_capture(session, who, capture_id))


@router.get(
    "/api/captures/{capture_id}/photos/{position}",
    response_class=Response,
    responses={**IMAGE, **responses(404)},
)
def get_capture_photo(
    capture_id: RowId, position: PhotoPosition, session: SessionDep, who: Follower
) -> Response:
    """One photo of the capture as the unit sent it (the `url` of each of its `photos`), for whoever
    sees the capture; 404 past its last photo."""
    return image(captures.capture_photo(session, who, capture_id, position))


@router.post(
    "/api/captures/{capture_id}/arrive", response_model=CaptureOut, responses=responses(404, 409, 422)
)
def arrive(
    capture_id: RowId,
    session: SessionDep,
    who: Receiver,
    idem: IdempotencyDep,
    body: Annotated[ArrivalIn | None, Body()] = None,
) -> object:
    """The car reached its center. Recorded once: a second arrival is a 409 (an `Idempotency-Key` retry
    gets the first answer)."""
    capture = captures.visible_capture(session, who, capture_id)

    def run() -> CaptureOut:
        arrived = captures.record_arrival(session, actor=who, capture=capture, data=body or ArrivalIn())
        return CaptureOut.of(arrived)

    return idem.run(run, status_code=200)


@router.post(
    "/api/captures/{capture_id}/confirm-place",
    response_model=CaptureOut,
    responses=responses(404, 409, 422),
)
def confirm_place(
    capture_id: RowId, body: PlaceConfirmationIn, session: SessionDep, who: Confirmer, idem: IdempotencyDep
) -> object:
    """Confirm the place of a held capture as reported (`as_reported` with a `note` why it is right), or
    correct it (`place`). The center and the distance are worked out again from the place, the capture goes
    in transit and the center is told. By the reporting unit or an officer of the watch's court; once: a
    capture no longer held is a 409 (an `Idempotency-Key` retry gets the first answer)."""
    capture = captures.visible_capture(session, who, capture_id)

    def run() -> CaptureOut:
        return CaptureOut.of(captures.confirm_place(session, actor=who, capture=capture, data=body))

    return idem.run(run, status_code=200)
