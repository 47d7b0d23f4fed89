"""The center's inventory import on the console: the upload (its rows matched in the background, the
progress on its own page), the center's imports, and the review list of rows a person must decide."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api.deps import MAX_UPLOAD_BYTES, SessionDep
from api.web import session as web
from api.web import work as work_pages
from api.web.pages import PageRoute, refusal, render
from car_enforce.core.errors import DomainError, InvalidInput
from car_enforce.core.identity.models import Organisation, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.work import service as work
from car_enforce.core.work.models import WorkItem
from car_enforce.inventory import background, service
from car_enforce.inventory.models import RowOutcome

router = APIRouter(route_class=PageRoute, include_in_schema=False)
OUTCOME_NAMES = {
    RowOutcome.MATCHED: "已自动入库",
    RowOutcome.REVIEW: "待核对",
    RowOutcome.RESOLVED: "已人工匹配",
    RowOutcome.DISMISSED: "已排除",
}


def _clerk(request: Request, session: Session) -> Principal:
    return web.require(request, session, Role.CENTER_STAFF)


def _upload_page(
    request: Request,
    session: Session,
    who: Principal,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "inventory.html",
        status_code=status_code,
        who=who,
        imports=[(imp, service.counts_of(imp)) for imp in service.imports_of(session, who)],
        running=work.recent_work(session, who, background.KIND, limit=5),
        status_names=work_pages.STATUS_NAMES,
        errors=errors or {},
        max_mib=MAX_UPLOAD_BYTES // (1024 * 1024),
    )


@router.get("/center/inventory")
def inventory_page(request: Request, session: SessionDep) -> Response:
    return _upload_page(request, session, _clerk(request, session))


@router.post("/center/inventory")
async def upload_inventory(request: Request, session: SessionDep, tasks: BackgroundTasks) -> Response:
    """The yard's export: checked now (a file that is not one is refused beside the field, nothing kept),
    its rows matched in the background."""
    who = _clerk(request, session)
    form = await request.form()
    web.check_csrf(request, str(form.get("csrf", "")))
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("file", "choose the yard's CSV export", zh="请选择原系统导出的 CSV 文件")
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise InvalidInput(
                "file",
                f"is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB",
                zh=f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
            )
        center = session.get(Organisation, who.organisation_id)
        assert center is not None
        with session.begin_nested():
            started = background.start(
                session, actor=who, center=center, data=data, file_name=upload.filename
            )
    except (DomainError, ValueError) as exc:
        status, problems = refusal(exc, ("file",))
        return _upload_page(request, session, who, status_code=status, errors=problems)
    if isinstance(started, WorkItem):
        work_pages.run_soon(request, tasks)
        return RedirectResponse(f"/work/{started.id}", status_code=303)
    return RedirectResponse(f"/center/inventory/{started.id}?again=1", status_code=303)  # the same file again


def _import_page(
    request: Request,
    session: Session,
    who: Principal,
    import_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    imp = service.visible_import(session, who, import_id)
    return render(
        request,
        "inventory_import.html",
        status_code=status_code,
        who=who,
        imp=imp,
        rows=service.rows_of(session, imp),
        counts=service.counts_of(imp),
        outcome_names=OUTCOME_NAMES,
        errors=errors or {},
        again=request.query_params.get("again") == "1",
    )


@router.get("/center/inventory/{import_id}")
def import_page(import_id: int, request: Request, session: SessionDep) -> Response:
    return _import_page(request, session, _clerk(request, session), import_id)


@router.post("/center/inventory/{import_id}/rows/{line}/{verb}")
async def decide_row(import_id: int, line: int, verb: str, request: Request, session: SessionDep) -> Response:
    """A review row decided by the clerk: matched to the platform's car by its plate or VIN (taken into
    custody as an automatic match would be), or dismissed with a reason."""
    who = _clerk(request, session)
    form = await request.form()
    web.check_csrf(request, str(form.get("csrf", "")))
    imp = service.visible_import(session, who, import_id)
    row = service.row_at(session, imp, line)
    fields = ("plate", "vin", "reason")
    try:
        with session.begin_nested():
            if verb == "resolve":
                vehicle = service.identify_for_review(
                    session, str(form.get("plate", "")), str(form.get("vin", ""))
                )
                service.resolve_row(
                    session,
                    actor=who,
                    row=row,
                    vehicle_id=vehicle.id,
                    post_charges=form.get("post_charges") == "on",
                )
            elif verb == "dismiss":
                service.dismiss_row(session, actor=who, row=row, reason=str(form.get("reason", "")))
            else:
                raise InvalidInput("verb", f"no such decision {verb!r}", zh="没有这项操作")
    except (DomainError, ValueError) as exc:
        status, problems = refusal(exc, fields)
        errors = {f"row_{line}": "；".join(problems.values())}
        return _import_page(request, session, who, import_id, status_code=status, errors=errors)
    return RedirectResponse(f"/center/inventory/{import_id}#line-{line}", status_code=303)
