"""The administrator's boundary import: the GeoJSON checked and drawn on a map before anything is
written, then imported in the background with its progress on its own page."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api.deps import MAX_UPLOAD_BYTES, SessionDep
from api.web import regionmap
from api.web import session as web
from api.web import work as work_pages
from api.web.pages import PageRoute, refusal, render
from car_enforce.core import boundary_import as background
from car_enforce.core.errors import DomainError, InvalidInput
from car_enforce.core.geo import service as geo
from car_enforce.core.geo.datum import Datum
from car_enforce.core.geo.importer import geodesic_area_km2
from car_enforce.core.geo.models import JurisdictionLevel
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.work import service as work
from car_enforce.core.work.models import WorkStatus

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LEVEL_NAMES = {
    JurisdictionLevel.PROVINCE: "省",
    JurisdictionLevel.CITY: "市",
    JurisdictionLevel.COUNTY: "县（区）",
}
DATUM_NAMES = {Datum.GCJ02: "GCJ-02（高德、DataV 发布的边界）", Datum.WGS84: "WGS84（GPS）"}
FIELDS = ("file", "datum", "level", "parent_code", "source")


def _admin(request: Request, session: Session) -> Principal:
    return web.require(request, session, Role.ADMIN)


def _upload_page(
    request: Request,
    session: Session,
    who: Principal,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "boundaries.html",
        status_code=status_code,
        who=who,
        units=geo.all_jurisdictions(session),
        recent=work.recent_work(session, who, background.KIND, limit=8),
        status_names=work_pages.STATUS_NAMES,
        level_names=LEVEL_NAMES,
        datum_names=DATUM_NAMES,
        errors=errors or {},
        form=form or {},
    )


@router.get("/admin/boundaries")
def boundaries_page(request: Request, session: SessionDep) -> Response:
    return _upload_page(request, session, _admin(request, session))


@router.post("/admin/boundaries")
async def upload_boundaries(request: Request, session: SessionDep) -> Response:
    """The file is checked as the import would check it; what it would do is shown before it is done."""
    who = _admin(request, session)
    form = await request.form()
    web.check_csrf(request, str(form.get("csrf", "")))
    values = {name: str(form.get(name, "")).strip() for name in FIELDS if name != "file"}
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("file", "choose a GeoJSON file", zh="请选择 GeoJSON 文件")
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise InvalidInput(
                "file",
                f"is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB",
                zh=f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
            )
        with session.begin_nested():
            item = background.draft(
                session,
                actor=who,
                data=data,
                file_name=upload.filename,
                datum=Datum(values["datum"]),
                level=JurisdictionLevel(values["level"]),
                parent_code=values["parent_code"] or None,
                source=values["source"] or upload.filename,
            )
    except (DomainError, ValueError) as exc:
        status, problems = refusal(exc, FIELDS)
        if "geojson" in problems or any(k.startswith("features") for k in problems):
            problems = {"file": "；".join(problems.values())}  # the file's content: said beside the file
        return _upload_page(request, session, who, status_code=status, errors=problems, form=values)
    return RedirectResponse(f"/admin/boundaries/{item.id}", status_code=303)


@router.get("/admin/boundaries/{work_id}")
def preview_page(work_id: int, request: Request, session: SessionDep) -> Response:
    """The draft drawn on a map, with what it would create or change, and the buttons to go on."""
    who = _admin(request, session)
    item = work.visible_work(session, who, work_id, kind=background.KIND)
    if item.status != WorkStatus.DRAFT:
        return RedirectResponse(f"/work/{item.id}", status_code=303)
    plan = background.preview(session, item)
    drawn = regionmap.drawing([(f.name, f.geometry) for f in plan.features])
    rows = [
        (
            f,
            plan.is_new(f.code),
            sum(geodesic_area_km2(part) for part in f.geometry.geoms),
            len(f.geometry.geoms),
        )
        for f in plan.features
    ]
    return render(
        request,
        "boundary_preview.html",
        who=who,
        item=item,
        plan=plan,
        rows=rows,
        m=drawn,
        level_names=LEVEL_NAMES,
        datum_names=DATUM_NAMES,
    )


@router.post("/admin/boundaries/{work_id}/{verb}")
async def decide_draft(
    work_id: int, verb: str, request: Request, session: SessionDep, tasks: BackgroundTasks
) -> Response:
    """Import the previewed file (in the background), or throw the draft away."""
    who = _admin(request, session)
    form = await request.form()
    web.check_csrf(request, str(form.get("csrf", "")))
    item = work.visible_work(session, who, work_id, kind=background.KIND)
    if verb == "confirm":
        work.confirm(session, item)
        work_pages.run_soon(request, tasks)
        return RedirectResponse(f"/work/{item.id}", status_code=303)
    if verb == "cancel":
        work.cancel(session, item)
        return RedirectResponse("/admin/boundaries", status_code=303)
    raise InvalidInput("verb", f"no such decision {verb!r}", zh="没有这项操作")
