"""The console's pages: login and logout, the home page of each role, an officer's cases.

Each page reads through the services with the person's own principal, so it shows exactly what the JSON
API would show the same person; a refusal renders the error in Chinese, a missing login goes to the login
page and comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from api.demo import region as demo_region
from api.demo import seed as demo_seed
from api.deps import SessionDep
from api.web import session as web
from api.web.words import EVENT_NAMES
from car_enforce.cases import service as cases
from car_enforce.core import zh
from car_enforce.core.errors import DomainError, Unauthenticated
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.settings import get_settings
from car_enforce.core.timeline import service as timeline
from car_enforce.vehicles import service as vehicles
from car_enforce.watches import service as watches

ROLE_NAMES = {
    Role.OFFICER: "执行干警",
    Role.POLICE_ADAPTER: "公安交警",
    Role.CENTER_STAFF: "辅助中心工作人员",
    Role.AUCTION_STAFF: "拍卖工作人员",
    Role.BUYER: "买受人",
    Role.APPLICANT: "申请执行人",
    Role.ADMIN: "平台管理员",
}
# The pages each role has, in its menu (later issues add theirs).
MENUS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.OFFICER: (("/cases", "我的案件"),),
}


def render(
    request: Request, name: str, *, status_code: int = 200, csrf: str | None = None, **context: Any
) -> HTMLResponse:
    who: Principal | None = context.pop("who", None)
    page = (
        zh.environment("api.web")
        .get_template(name)
        .render(
            who=who,
            role_name=ROLE_NAMES.get(who.role, "") if who is not None and who.role is not None else "",
            menu=MENUS.get(who.role, ()) if who is not None and who.role is not None else (),
            csrf=csrf if csrf is not None else web.csrf_token(request),
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(page, status_code=status_code)


_STATUS_TITLES = {
    403: "无权访问",
    404: "未找到",
    409: "当前状态不允许此操作",
    400: "不符合规定",
    422: "填写有误",
}


class PageRoute(APIRoute):
    """A page's errors are pages too: the login page for no session, an explanation for the rest."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except (web.LoginRequired, Unauthenticated):
                return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
            except DomainError as exc:
                title = _STATUS_TITLES.get(exc.status_code, "出错了")
                return render(request, "error.html", status_code=exc.status_code, title=title, error=exc)

        return run


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another one."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _demo_logins(session: Session) -> list[tuple[str, str, str]]:
    if not demo_seed.is_seeded(session):
        return []
    return [(login.who, login.username, ROLE_NAMES[login.role]) for login in demo_region.LOGINS]


@router.get("/login")
def login_page(request: Request, session: SessionDep, next: str | None = None) -> Response:
    value = request.cookies.get(web.LOGIN_COOKIE) or web.new_login_value()
    response = render(
        request,
        "login.html",
        csrf=value,
        next=_safe_next(next),
        demo=_demo_logins(session),
        demo_password=demo_seed.DEMO_PASSWORD,
        error=None,
    )
    web.set_login_cookie(request, response, value)
    return response


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    web.check_csrf(request, csrf)
    try:
        token, _ = identity.login(
            session, username=username.strip(), password=password, ttl_hours=get_settings().token_ttl_hours
        )
    except Unauthenticated:
        page = render(
            request,
            "login.html",
            status_code=401,
            next=_safe_next(next),
            demo=_demo_logins(session),
            demo_password=demo_seed.DEMO_PASSWORD,
            error="用户名或密码错误",
        )
        return page
    response = RedirectResponse(_safe_next(next), status_code=303)
    web.start(request, response, token)
    return response


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, csrf: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    web.check_csrf(request, csrf)
    response = RedirectResponse("/login", status_code=303)
    web.end(session, request, response)
    return response


@router.get("/")
def home(request: Request, session: SessionDep) -> Response:
    who = web.require(request, session)
    menu = MENUS.get(who.role, ()) if who.role is not None else ()
    if len(menu) == 1:
        return RedirectResponse(menu[0][0], status_code=303)
    return render(request, "home.html", who=who)


@router.get("/cases")
def case_list(request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER)
    rows = cases.list_cases(session, who, limit=200, offset=0)
    return render(request, "cases.html", who=who, cases=rows)


@router.get("/cases/{case_id}")
def case_page(case_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER)
    case = cases.visible_case(session, who, case_id)
    return render(
        request,
        "case.html",
        who=who,
        case=case,
        vehicles=vehicles.vehicles_of_case(session, case),
        watches=watches.watches_of_case(session, case),
        events=timeline.events_of_case(session, case.id),
        event_names=EVENT_NAMES,
    )


__all__ = ["router"]
