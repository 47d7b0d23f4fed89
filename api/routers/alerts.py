"""Alerts: the officer's list and decisions on possible hits, the police unit's alert feed, and cameras."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from api.deps import Allow, IdempotencyDep, Officer, PoliceAdapter, SessionDep
from api.errors import ErrorOut, responses
from car_enforce.core.db import RowId
from car_enforce.core.errors import CursorBeyondEnd, Forbidden
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.sightings import alerts, cameras
from car_enforce.sightings.models import AlertStatus
from car_enforce.sightings.reads import checked_place
from car_enforce.sightings.schemas import (
    AlertDecision,
    AlertDetailOut,
    AlertOut,
    CameraIn,
    CameraOut,
    CourtContact,
    DispatchesOut,
    DispatchOut,
    SightingOut,
)

router = APIRouter(tags=["alerts"], responses=responses(401, 403))
Viewer = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.POLICE_ADAPTER, Role.ADMIN))]


@router.get("/api/alerts", response_model=list[AlertOut])
def list_alerts(
    session: SessionDep,
    officer: Officer,
    status: AlertStatus | None = Query(None, description="pending: possible hits waiting for you"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> list[AlertOut]:
    """The alerts on your court's watches, newest first."""
    assert officer.organisation_id is not None
    found = alerts.alerts_of_court(
        session, officer.organisation_id, status=status, limit=limit, offset=offset
    )
    return [AlertOut.of(a) for a in found]


@router.get("/api/alerts/{alert_id}", response_model=AlertDetailOut, responses=responses(404))
def get_alert(alert_id: RowId, session: SessionDep, who: Viewer) -> AlertDetailOut:
    """One alert with every read of its pass (the evidence)."""
    alert = alerts.visible_alert(session, who, alert_id)
    return AlertDetailOut(
        **AlertOut.of(alert).model_dump(),
        evidence=[SightingOut.of(s) for s in alerts.sightings_of(session, alert)],
    )


@router.get(
    "/api/alerts/{alert_id}/evidence/{reference}",
    response_class=Response,
    responses={**responses(404), 200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def get_evidence(
    alert_id: RowId,
    session: SessionDep,
    who: Viewer,
    reference: str = Path(max_length=80, pattern=r"^sha256:[0-9a-f]{64}\.[a-z0-9]{1,8}$"),
) -> Response:
    """An image kept with one of the alert's reads."""
    content, media = alerts.evidence_image(session, who, alert_id, reference)
    return Response(content, media_type=media)


@router.post("/api/alerts/{alert_id}/confirm", response_model=AlertOut, responses=responses(404, 409, 422))
def confirm_alert(
    alert_id: RowId, body: AlertDecision, session: SessionDep, officer: Officer, idem: IdempotencyDep
) -> object:
    """It is the watched car: the possible hit is routed to the police of the place like a hit."""
    alert = alerts.visible_alert(session, officer, alert_id)
    return idem.run(
        lambda: AlertOut.of(alerts.confirm(session, actor=officer, alert=alert, note=body.note)), 200
    )


@router.post("/api/alerts/{alert_id}/reject", response_model=AlertOut, responses=responses(404, 409, 422))
def reject_alert(
    alert_id: RowId, body: AlertDecision, session: SessionDep, officer: Officer, idem: IdempotencyDep
) -> object:
    """Another car: the possible hit is closed and later look-alike reads of the same pass stay with it."""
    alert = alerts.visible_alert(session, officer, alert_id)
    return idem.run(
        lambda: AlertOut.of(alerts.reject(session, actor=officer, alert=alert, note=body.note)), 200
    )


@router.get(
    "/api/police/alerts",
    response_model=DispatchesOut,
    tags=["police"],
    responses={
        409: {
            "model": ErrorOut,
            "description": "The cursor is beyond the newest dispatch (CursorBeyondEnd): take the feed again "
            "from 0, or from the newest cursor the detail names",
        }
    },
)
def police_alerts(
    session: SessionDep,
    unit: PoliceAdapter,
    after: int = Query(0, ge=0, le=2**62, description="The cursor of the last alert already taken"),
    limit: int = Query(100, ge=1, le=1000),
) -> DispatchesOut:
    """Alerts routed to this unit (hits in its area, confirmed possible hits), oldest first after a cursor.

    A cursor beyond the newest dispatch was never handed out by this platform (its database was restored,
    or the cursor is another platform's): 409, and the detail says where to start again.
    """
    assert unit.organisation_id is not None
    rows = alerts.dispatches_after(session, unit.organisation_id, after, limit)
    # Only an empty page can hide a cursor beyond the end, so a page with alerts costs no extra query.
    if not rows and after > (newest := alerts.newest_dispatch_seq(session)):
        raise CursorBeyondEnd(
            f"after={after} is beyond the newest alert dispatch of this platform (cursor {newest}); it was "
            "not handed out here (a restored database, or another platform's cursor), and polling with it "
            "would never bring another alert: take the feed again from after=0 to receive every alert routed "
            "to this unit (recognise those already handled by alert id), or from after="
            f"{newest} to receive only alerts routed from now on",
            zh=f"游标 after={after} 超出本平台最新的预警推送（{newest}），不是本平台发出的游标；"
            f"请从 after=0 重新获取全部预警，或从 after={newest} 起只接收此后的预警",
        )
    out = [
        DispatchOut(
            seq=row.seq,
            alert=AlertOut.of(row.alert),
            court=CourtContact(name=row.court_name, phone=row.court_phone),
            description=row.description,
        )
        for row in rows
    ]
    return DispatchesOut(cursor=rows[-1].seq if rows else after, dispatches=out)


@router.get("/api/police/cameras", response_model=list[CameraOut], tags=["police"])
def list_cameras(session: SessionDep, unit: PoliceAdapter) -> list[CameraOut]:
    """The unit's cameras: known from their first message, or registered with a place."""
    if unit.organisation_id is None:
        raise Forbidden("a police unit's key is needed", zh="需使用公安交警单位的接口密钥")
    return [CameraOut.of(c) for c in cameras.cameras_of(session, unit.organisation_id)]


@router.put(
    "/api/police/cameras/{external_id:path}",
    response_model=CameraOut,
    tags=["police"],
    responses=responses(422),
)
def place_camera(
    body: CameraIn,
    session: SessionDep,
    unit: PoliceAdapter,
    external_id: str = Path(min_length=1, max_length=128),
) -> CameraOut:
    """Register a camera's name and place, so that reads without coordinates are routed by where it stands."""
    if unit.organisation_id is None:
        raise Forbidden("a police unit's key is needed", zh="需使用公安交警单位的接口密钥")
    place = None
    if body.lon is not None or body.lat is not None:
        place = checked_place(body.lon, body.lat, body.datum, "place")
    camera = cameras.place_camera(
        session,
        organisation_id=unit.organisation_id,
        external_id=external_id,
        name=body.name,
        place=place,
        vendor=body.vendor,
    )
    return CameraOut.of(camera)
