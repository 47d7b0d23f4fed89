"""Every photo of a car in the console, for whoever may see its record: the police unit's photos of the
capture, the intake photos, the inspection's defect photos; and the inspection report that shows them.

The access is the API's (the services' ``visible_*``): another court's or center's photo is "not found".
``car_photos`` gathers a car's photos for a page, which shows them with the macros of ``photos.html``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.images import image
from api.web import session as web
from api.web.pages import PageRoute
from car_enforce.captures import service as captures
from car_enforce.captures.models import Capture
from car_enforce.core.errors import NotFound
from car_enforce.core.files.photos import PhotoColumns
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import service as custody_service
from car_enforce.custody.models import Custody
from valuation.inspection import report, service
from valuation.inspection.checklist import checklist
from valuation.inspection.models import Inspection

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# Who reads a car's records in the console; the services narrow it to their own court's or center's.
CAPTURE_READERS = (Role.OFFICER, Role.CENTER_STAFF, Role.POLICE_ADAPTER, Role.ADMIN)
CUSTODY_READERS = (Role.OFFICER, Role.CENTER_STAFF, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Strip:
    """One row of thumbnails: what they show, and where each is served (``url``/position)."""

    title: str
    url: str
    photos: list[PhotoColumns]


@dataclass(frozen=True, slots=True)
class CarPhotos:
    """A car's photos from the roadside to the inspection, as far as it got and as the person may see."""

    capture: Capture
    custody: Custody | None
    inspection: Inspection | None  # its latest version
    strips: list[Strip] = field(default_factory=list)


def car_photos(
    session: Session, who: Principal, capture: Capture, custody: Custody | None = None
) -> CarPhotos:
    """The photos of one capture, of its custody and of the latest version of its inspection."""
    if custody is None:
        found = custody_service.custody_of_capture(session, capture.id)
        custody = found if found is not None and custody_service.sees(who, found) else None
    inspection = service.latest_inspection(session, custody.id) if custody is not None else None
    strips = [Strip("扣押照片（公安交警）", f"/captures/{capture.id}/photos", list(capture.photos))]
    if custody is not None:
        strips.append(Strip("入库照片", f"/custody/{custody.id}/photos", list(custody.photos)))
    if inspection is not None:
        data = checklist()
        strips += [
            Strip(
                f"检测缺陷：{report.defect_label(d, data)}",
                f"/inspections/{inspection.id}/defects/{d.id}/photos",
                list(d.photos),
            )
            for d in inspection.defects
        ]
    return CarPhotos(capture, custody, inspection, [s for s in strips if s.photos])


def case_photos(session: Session, who: Principal, case_id: int) -> list[CarPhotos]:
    """The photos of every capture of a case the person sees, the first capture first."""
    return [car_photos(session, who, c) for c in captures.captures_of_case(session, who, case_id)]


def custody_photos(session: Session, who: Principal, custody: Custody) -> CarPhotos | None:
    """The photos of a custody's car: its capture's (when it came from one), its intake's, its defects'."""
    if custody.capture_id is None:
        return None
    try:
        capture = captures.visible_capture(session, who, custody.capture_id)
    except NotFound:
        return None
    return car_photos(session, who, capture, custody)


@router.get("/captures/{capture_id}/photos/{position}")
def capture_photo(capture_id: int, position: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, *CAPTURE_READERS)
    return image(captures.capture_photo(session, who, capture_id, position))


@router.get("/custody/{custody_id}/photos/{position}")
def intake_photo(custody_id: int, position: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, *CUSTODY_READERS)
    return image(custody_service.intake_photo(session, who, custody_id, position))


@router.get("/inspections/{inspection_id}/defects/{defect_id}/photos/{position}")
def defect_photo(
    inspection_id: int, defect_id: int, position: int, request: Request, session: SessionDep
) -> Response:
    who = web.require(request, session, *CUSTODY_READERS)
    return image(service.defect_photo(session, who, inspection_id, defect_id, position))


def _console_photo_url(data: report.Report, photo: report.ReportPhoto) -> str:
    return f"/inspections/{data.inspection_id}/defects/{photo.defect_id}/photos/{photo.position}"


@router.get("/inspections/{inspection_id}/report")
def inspection_report(inspection_id: int, request: Request, session: SessionDep) -> Response:
    """The inspection report as printed, its defects' photos served by the console."""
    who = web.require(request, session, *CUSTODY_READERS)
    inspection = service.visible_inspection(session, who, inspection_id)
    return HTMLResponse(report.render_html(report.report_data(session, inspection), _console_photo_url))


@router.get("/inspections/{inspection_id}/report.pdf")
def inspection_report_pdf(inspection_id: int, request: Request, session: SessionDep) -> Response:
    # Imported here, as in the API: the PDF library is loaded only by a process that prints a report.
    from valuation.inspection import report_pdf

    who = web.require(request, session, *CUSTODY_READERS)
    inspection = service.visible_inspection(session, who, inspection_id)
    pdf = report_pdf.render_pdf(report.report_data(session, inspection))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="inspection-{inspection.id}.pdf"'},
    )
