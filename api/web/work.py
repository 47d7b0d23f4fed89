"""Long work on a page: where it stands (kept in the database, so a reload or another browser shows the
same), updated by a small script while it runs, and the link to what it made once it is done."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse

from api.deps import SessionDep
from api.web import session as web
from api.web.pages import PageRoute, render
from api.web.words import WORK_STATUS_NAMES
from car_enforce.core import boundary_import as boundary_work
from car_enforce.core.db import get_database
from car_enforce.core.identity.models import Role
from car_enforce.core.work import runner
from car_enforce.core.work import service as work
from car_enforce.core.work.models import WorkItem, WorkStatus
from car_enforce.inventory import background as inventory_work

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STATUS_NAMES = WORK_STATUS_NAMES
# Where the result of each kind of work is read, from its result.
RESULT_PAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    inventory_work.KIND: lambda result: f"/center/inventory/{result['import_id']}",
    boundary_work.KIND: lambda result: "/admin/boundaries",
}
ROLES = (Role.CENTER_STAFF, Role.ADMIN)  # the people who start long work today


def run_soon(request: Request, tasks: BackgroundTasks) -> None:
    """A serving process runs new work once the answer is out; the scheduler's sweep takes what is left
    (and tests run it themselves)."""
    if getattr(request.app.state, "run_work", False):
        tasks.add_task(runner.run_due, get_database())


def state(item: WorkItem) -> dict[str, Any]:
    url = RESULT_PAGES[item.kind](item.result) if item.status == WorkStatus.DONE else None
    return {
        "status": item.status,
        "status_name": STATUS_NAMES[WorkStatus(item.status)],
        "done": item.done,
        "total": item.total,
        "percent": work.percent(item),
        "summary": item.result.get("summary", ""),
        "error": item.error,
        "url": url,
        "finished": item.status in (WorkStatus.DONE, WorkStatus.FAILED, WorkStatus.CANCELLED),
    }


@router.get("/work/{work_id}")
def work_page(work_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, *ROLES)
    item = work.visible_work(session, who, work_id)
    return render(request, "work.html", who=who, item=item, s=state(item))


@router.get("/work/{work_id}/state")
def work_state(work_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, *ROLES)
    return JSONResponse(
        state(work.visible_work(session, who, work_id)), headers={"Cache-Control": "no-store"}
    )
