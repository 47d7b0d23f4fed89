"""Logging in and out, and each role's home page (its menu, or its only page)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from api.demo import region as demo_region
from api.demo import seed as demo_seed
from api.deps import SessionDep
from api.web import session as web
from api.web.pages import MENUS, ROLE_NAMES, PageRoute, render
from car_enforce.core.errors import Unauthenticated
from car_enforce.core.identity import service as identity
from car_enforce.core.settings import get_settings

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
    """The demo's logins, listed on the demo only: never on a deployment's login page."""
    if not demo_seed.is_demo(session):
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
    if web.session_token(request) and web.principal(request, session) is None:
        response.delete_cookie(web.SESSION_COOKIE, path="/")  # a dead login (expired, revoked, reset)
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
    web.check_login_csrf(request, csrf)
    try:
        token, _ = identity.login(
            session, username=username.strip(), password=password, ttl_hours=get_settings().token_ttl_hours
        )
    except Unauthenticated:
        page = render(
            request,
            "login.html",
            status_code=401,
            csrf=request.cookies.get(web.LOGIN_COOKIE, ""),
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
    if menu:  # each role lands on its first page, the one it works from
        return RedirectResponse(menu[0][0], status_code=303)
    return render(request, "home.html", who=who)
