"""The center clerk's pages: cars on their way and at the gate, the intake form (photos from a phone's
camera), the cars in custody, and the inspection form generated from the checklist."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import photos, uploads
from api.web import session as web
from api.web.pages import PageRoute, form_error, refusal, render
from car_enforce.captures import service as captures
from car_enforce.captures.models import CaptureStatus
from car_enforce.captures.schemas import ArrivalIn
from car_enforce.core.errors import DomainError
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import service as custody
from car_enforce.custody.models import CustodyStatus
from car_enforce.custody.schemas import BelongingIn, IntakeIn, PaperKind
from valuation.inspection import report
from valuation.inspection import service as inspections
from valuation.inspection.checklist import checklist
from valuation.inspection.grading import grade_bands
from valuation.inspection.models import DefectTarget
from valuation.inspection.schemas import InspectionCorrectionIn, InspectionIn, ItemScoreIn

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAPER_NAMES = {
    PaperKind.REGISTRATION_CERTIFICATE: "机动车行驶证",
    PaperKind.REGISTRATION_BOOK: "机动车登记证书",
    PaperKind.INSURANCE_POLICY: "交强险保单",
    PaperKind.INSPECTION_MARK: "检验合格标志",
    PaperKind.PURCHASE_INVOICE: "购车发票",
}
MIN_INTAKE_PHOTOS = 4


def _clerk(request: Request, session: Session) -> Principal:
    return web.require(request, session, Role.CENTER_STAFF)


@router.get("/center")
def center_home(request: Request, session: SessionDep) -> Response:
    who = _clerk(request, session)
    coming = captures.list_captures(session, who, status=CaptureStatus.IN_TRANSIT, limit=100, offset=0)
    arrived = captures.list_captures(session, who, status=CaptureStatus.ARRIVED, limit=100, offset=0)
    held = custody.list_custody(session, who, status=CustodyStatus.IN_CUSTODY, limit=200, offset=0)
    return render(request, "center.html", who=who, coming=coming, arrived=arrived, held=held)


@router.post("/center/captures/{capture_id}/arrive")
async def arrive(capture_id: int, request: Request, session: SessionDep) -> Response:
    who = _clerk(request, session)
    form = await request.form()
    web.check_csrf(request, str(form.get("csrf", "")))
    capture = captures.visible_capture(session, who, capture_id)
    captures.record_arrival(session, actor=who, capture=capture, data=ArrivalIn())
    return RedirectResponse(f"/center/captures/{capture_id}/intake", status_code=303)


def _intake_page(
    request: Request,
    session: Session,
    who: Principal,
    capture_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    capture = captures.visible_capture(session, who, capture_id)
    return render(
        request,
        "intake.html",
        status_code=status_code,
        who=who,
        capture=capture,
        papers=PAPER_NAMES,
        errors=errors or {},
        form=form or {},
        min_photos=MIN_INTAKE_PHOTOS,
    )


@router.get("/center/captures/{capture_id}/intake")
def intake_form(capture_id: int, request: Request, session: SessionDep) -> Response:
    return _intake_page(request, session, _clerk(request, session), capture_id)


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


def _belongings(text: str) -> list[BelongingIn]:
    """One line an item: "雨伞" or "雨伞 × 2"."""
    items = []
    for line in text.splitlines():
        name, _, count = line.replace("×", "x").partition(" x ")
        if name.strip():
            items.append(
                BelongingIn(item=name.strip(), quantity=int(count) if count.strip().isdigit() else 1)
            )
    return items


@router.post("/center/captures/{capture_id}/intake")
async def intake(capture_id: int, request: Request, session: SessionDep) -> Response:
    """Take the car in: the form as multipart, its photos taken on the spot (at least four sides)."""
    who = _clerk(request, session)
    form = await request.form()
    web.check_csrf(request, str(form.get("csrf", "")))
    capture = captures.visible_capture(session, who, capture_id)
    fields = {k: str(v) for k, v in form.multi_items() if isinstance(v, str) and k != "csrf"}
    photos = await uploads.photos_in(form)
    try:
        if len(photos) < MIN_INTAKE_PHOTOS:
            raise form_error("photos", f"请至少拍摄{MIN_INTAKE_PHOTOS}张照片（车辆前、后、左、右）")
        data = IntakeIn(
            bay=fields.get("bay", ""),
            odometer_km=_int_or_none(fields.get("odometer_km", "")),
            fuel_percent=_int_or_none(fields.get("fuel_percent", "")),
            charge_percent=_int_or_none(fields.get("charge_percent", "")),
            keys_received=int(fields.get("keys_received") or 0),
            key_labels=[line.strip() for line in fields.get("key_labels", "").splitlines() if line.strip()],
            papers=[PaperKind(p) for p in form.getlist("papers") if isinstance(p, str)],
            belongings=_belongings(fields.get("belongings", "")),
            condition_notes=fields.get("condition_notes", ""),
            custodian_name=fields.get("custodian_name", ""),
            photos=photos,
        )
        with session.begin_nested():
            taken = custody.take_in(session, actor=who, capture=capture, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = refusal(exc)
        return _intake_page(request, session, who, capture_id, status_code=status, errors=errors, form=fields)
    return RedirectResponse(f"/center/custody/{taken.id}", status_code=303)


@router.get("/center/custody/{custody_id}")
def custody_page(custody_id: int, request: Request, session: SessionDep) -> Response:
    who = _clerk(request, session)
    held = custody.visible_custody(session, who, custody_id)
    try:
        inspection = inspections.inspection_of_custody(session, who, custody_id)
    except DomainError:
        inspection = None
    return render(
        request,
        "custody.html",
        who=who,
        c=held,
        inspection=inspection,
        papers=PAPER_NAMES,
        car_photos=photos.custody_photos(session, who, held),
    )


def _inspection_page(
    request: Request,
    session: Session,
    who: Principal,
    custody_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    kept: list[int] | None = None,
) -> HTMLResponse:
    """The inspection form; once the car is inspected, the same form to correct it, filled in with the
    latest version (its defects kept unless unticked) and asking the reason."""
    held = custody.visible_custody(session, who, custody_id)
    current = inspections.latest_inspection(session, held.id)
    data = checklist()
    return render(
        request,
        "inspection.html",
        status_code=status_code,
        who=who,
        c=held,
        checklist=data,
        bands=json.dumps(grade_bands(), ensure_ascii=False),
        errors=errors or {},
        form=form or {},
        current=current,
        current_scores={i.item_code: i.score for i in current.items} if current else {},
        defects=[(d, report.defect_label(d, data)) for d in current.defects] if current else [],
        kept=kept if kept is not None else [d.id for d in current.defects] if current else [],
    )


@router.get("/center/custody/{custody_id}/inspection")
def inspection_form(custody_id: int, request: Request, session: SessionDep) -> Response:
    return _inspection_page(request, session, _clerk(request, session), custody_id)


@router.post("/center/custody/{custody_id}/inspection")
async def inspect(custody_id: int, request: Request, session: SessionDep) -> Response:
    who = _clerk(request, session)
    form = await request.form()
    web.check_csrf(request, str(form.get("csrf", "")))
    held = custody.visible_custody(session, who, custody_id)
    fields = {k: str(v) for k, v in form.multi_items() if isinstance(v, str) and k != "csrf"}
    try:
        data = InspectionIn(**_inspection_fields(fields))
        with session.begin_nested():
            inspections.record_inspection(session, actor=who, custody=held, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = refusal(exc)
        return _inspection_page(
            request, session, who, custody_id, status_code=status, errors=errors, form=fields
        )
    return RedirectResponse(f"/center/custody/{custody_id}", status_code=303)


def _inspection_fields(fields: dict[str, str]) -> dict[str, Any]:
    """The inspection form's fields as the schema takes them: an item left empty keeps its full points."""
    return {
        "inspector_name": fields.get("inspector_name", ""),
        "odometer_km": _int_or_none(fields.get("odometer_km", "")),
        "items": [
            ItemScoreIn(code=item.code, score=int(fields.get(f"item_{item.code}") or item.points))
            for _, item in checklist().items
        ],
        "summary": fields.get("summary", ""),
    }


@router.post("/center/inspections/{inspection_id}/corrections")
async def correct_inspection(inspection_id: int, request: Request, session: SessionDep) -> Response:
    """A corrected version of the latest inspection, from the form filled in with it, and the reason."""
    who = _clerk(request, session)
    form = await request.form()
    web.check_csrf(request, str(form.get("csrf", "")))
    earlier = inspections.visible_inspection(session, who, inspection_id)
    fields = {
        k: str(v) for k, v in form.multi_items() if isinstance(v, str) and k not in ("csrf", "keep_defect")
    }
    kept = [int(v) for v in form.getlist("keep_defect") if isinstance(v, str) and v.isdigit()]
    try:
        if not fields.get("reason", "").strip():
            raise form_error("reason", "请填写更正理由：原检测记录哪里有误")
        defects = inspections.defects_kept(earlier, kept)
        data = InspectionCorrectionIn(
            **_inspection_fields(fields),
            defects=defects,
            flood_damage=any(d.target == DefectTarget.FLOOD for d in defects),
            fire_damage=any(d.target == DefectTarget.FIRE for d in defects),
            reason=fields["reason"],
        )
        with session.begin_nested():
            inspections.correct_inspection(session, actor=who, inspection=earlier, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = refusal(exc)
        return _inspection_page(
            request,
            session,
            who,
            earlier.custody_id,
            status_code=status,
            errors=errors,
            form=fields,
            kept=kept,
        )
    return RedirectResponse(f"/center/custody/{earlier.custody_id}", status_code=303)


__all__ = ["router"]
