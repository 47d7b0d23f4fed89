"""Inspection at the center (检测, GB/T 30323-2013): the checklist, recording and correcting it, reading it,
its defects' photos, its report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.deps import Allow, AnyUser, SessionDep, created_or_replayed
from api.errors import responses
from api.images import IMAGE, image
from car_enforce.core.db import RowId
from car_enforce.core.files.photos import PhotoPosition
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import service as custody_service
from valuation.inspection import report, service
from valuation.inspection.checklist import Checklist, checklist
from valuation.inspection.models import Inspection
from valuation.inspection.schemas import InspectionCorrectionIn, InspectionIn, InspectionOut

router = APIRouter(tags=["inspection"], responses=responses(401, 403))
Inspector = Annotated[Principal, Depends(Allow(Role.CENTER_STAFF))]
Follower = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.CENTER_STAFF, Role.ADMIN))]


def _out(session: Session, inspection: Inspection) -> InspectionOut:
    return InspectionOut.of(
        inspection,
        replaced=service.replaced_by(session, inspection),
        successor=service.successor_of(session, inspection),
    )


@router.get("/api/inspection-checklist", response_model=Checklist)
def get_checklist(_who: AnyUser) -> Checklist:
    """The GB/T 30323-2013 checklist inspections are scored against: sections in the order of inspection,
    items with their points, structural points of the accident check, and the defect codes valid on each."""
    return checklist()


@router.post(
    "/api/custody/{custody_id}/inspection",
    status_code=201,
    response_model=InspectionOut,
    responses={
        200: {"model": InspectionOut, "description": "A replay: the inspection first recorded"},
        **responses(404, 409, 422),
    },
)
def record_inspection(
    custody_id: RowId, body: InspectionIn, session: SessionDep, who: Inspector, response: Response
) -> InspectionOut:
    """Record the inspection of a car in the center's custody, whole: every checklist item scored once
    (0 to its points), every defect with its code and at least one photo. A structural defect makes the
    car an accident vehicle (grade 5). Charges the center's inspection fee to the debtor.

    The same submission again returns the first inspection (200); a different one is a 409.
    """
    custody = custody_service.visible_custody(session, who, custody_id)
    inspection, created = service.record_inspection(session, actor=who, custody=custody, data=body)
    created_or_replayed(response, created)
    return _out(session, inspection)


@router.get("/api/custody/{custody_id}/inspection", response_model=InspectionOut, responses=responses(404))
def get_inspection_of_custody(custody_id: RowId, session: SessionDep, who: Follower) -> InspectionOut:
    """The inspection of a custody as it counts: its latest version (a correction, if one was recorded);
    404 until it is recorded."""
    return _out(session, service.inspection_of_custody(session, who, custody_id))


@router.get("/api/inspections/{inspection_id}", response_model=InspectionOut, responses=responses(404))
def get_inspection(inspection_id: RowId, session: SessionDep, who: Follower) -> InspectionOut:
    """One version of an inspection; `latest` says whether it still counts, `corrects` what it corrected."""
    return _out(session, service.visible_inspection(session, who, inspection_id))


@router.post(
    "/api/inspections/{inspection_id}/corrections",
    status_code=201,
    response_model=InspectionOut,
    responses={
        200: {"model": InspectionOut, "description": "A replay: the correction first recorded"},
        **responses(404, 409, 422),
    },
)
def correct_inspection(
    inspection_id: RowId,
    body: InspectionCorrectionIn,
    session: SessionDep,
    who: Inspector,
    response: Response,
) -> InspectionOut:
    """Correct a mistake in the latest version of an inspection, by the center holding the car: the whole
    inspection as it should have been recorded (checked, scored and graded like the first) and the
    `reason`. A new version is recorded; the earlier one stays as it was, and its report says which
    version replaced it. No second fee is charged.

    A defect's photo may be kept by its `evidence_ref` instead of being sent again. Correcting a version
    that was corrected already is a 409 (the same correction again returns it, 200); so is a car no longer
    in custody. A reference price opened before keeps the score it was opened with and says so on its
    page; a price opened from now on uses the correction.
    """
    inspection = service.visible_inspection(session, who, inspection_id)
    corrected, created = service.correct_inspection(session, actor=who, inspection=inspection, data=body)
    created_or_replayed(response, created)
    return _out(session, corrected)


@router.get(
    "/api/inspections/{inspection_id}/defects/{defect_id}/photos/{position}",
    response_class=Response,
    responses={**IMAGE, **responses(404)},
)
def get_defect_photo(
    inspection_id: RowId, defect_id: RowId, position: PhotoPosition, session: SessionDep, who: Follower
) -> Response:
    """One photo of a defect (the `url` of each photo of the inspection's `defects`), for whoever sees the
    inspection: the car's court and center; 404 past the defect's last photo."""
    return image(service.defect_photo(session, who, inspection_id, defect_id, position))


@router.get(
    "/api/inspections/{inspection_id}/report.html",
    # Not HTMLResponse: FastAPI would then document the JSON errors of the route as text/html too.
    response_class=Response,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}, **responses(404)},
)
def get_report_html(inspection_id: RowId, session: SessionDep, who: Follower) -> HTMLResponse:
    """The inspection report as an HTML page (no personal data of the debtor), for the lot page."""
    inspection = service.visible_inspection(session, who, inspection_id)
    return HTMLResponse(report.render_html(report.report_data(session, inspection)))


@router.get(
    "/api/inspections/{inspection_id}/report.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **responses(404),
        **responses(503),
    },
)
def get_report_pdf(inspection_id: RowId, session: SessionDep, who: Follower) -> Response:
    """The inspection report as a PDF with its Chinese font embedded; the same content as the HTML page."""
    # Imported here: most processes never print a report, and the PDF library is 20 MB of memory.
    from valuation.inspection import report_pdf

    inspection = service.visible_inspection(session, who, inspection_id)
    pdf = report_pdf.render_pdf(report.report_data(session, inspection))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="inspection-{inspection.id}.pdf"'},
    )
