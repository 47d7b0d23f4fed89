"""Inspection at the center (检测, GB/T 30323-2013): the checklist, recording it, reading it, its report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import HTMLResponse

from api.deps import Allow, AnyUser, SessionDep, created_or_replayed
from api.errors import responses
from car_enforce.core.db import RowId
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import service as custody_service
from valuation.inspection import report, service
from valuation.inspection.checklist import Checklist, checklist
from valuation.inspection.schemas import InspectionIn, InspectionOut

router = APIRouter(tags=["inspection"], responses=responses(401, 403))
Inspector = Annotated[Principal, Depends(Allow(Role.CENTER_STAFF))]
Follower = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.CENTER_STAFF, Role.ADMIN))]


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
    return InspectionOut.of(inspection)


@router.get("/api/custody/{custody_id}/inspection", response_model=InspectionOut, responses=responses(404))
def get_inspection_of_custody(custody_id: RowId, session: SessionDep, who: Follower) -> InspectionOut:
    """The inspection of a custody; 404 until it is recorded."""
    return InspectionOut.of(service.inspection_of_custody(session, who, custody_id))


@router.get("/api/inspections/{inspection_id}", response_model=InspectionOut, responses=responses(404))
def get_inspection(inspection_id: RowId, session: SessionDep, who: Follower) -> InspectionOut:
    return InspectionOut.of(service.visible_inspection(session, who, inspection_id))


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
