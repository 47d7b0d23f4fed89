"""The console's login: a session cookie holding a login token, and the CSRF tokens of its forms.

The cookie holds the same kind of token as ``POST /api/auth/login`` (stored hashed, expiring, revocable),
HttpOnly so no script reads it, SameSite=Lax so another site's form does not carry it, Secure when the
page came over TLS. A form's CSRF token is an HMAC of the session's token, so it needs no storage and a
page of another site, which cannot read the cookie, cannot compute it. Before login a random cookie and
the same value in the form guard the login form itself (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response
from sqlalchemy.orm import Session

from car_enforce.core.errors import DomainError, Forbidden, Unauthenticated
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.settings import get_settings

SESSION_COOKIE = "ce_session"
LOGIN_COOKIE = "ce_login"  # the login form's own CSRF value, before there is a session
CSRF_FIELD = "csrf"


class LoginRequired(DomainError):
    """No session, or an expired one: the page sends the person to the login page."""

    status_code = 401


class CsrfRefused(DomainError):
    """A form posted without its page's CSRF token (another site's form, or a stale page)."""

    status_code = 403


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def principal(request: Request, session: Session) -> Principal | None:
    """The person logged in on this browser, or None."""
    token = session_token(request)
    if not token:
        return None
    try:
        return identity.authenticate_token(session, token)
    except Unauthenticated:
        return None


def require(request: Request, session: Session, *roles: Role) -> Principal:
    """The person logged in, who must hold one of ``roles`` (any role when none is named)."""
    who = principal(request, session)
    if who is None:
        raise LoginRequired("请先登录", zh="请先登录")
    if roles and who.role not in roles:
        raise Forbidden("您的角色不能使用此页面", zh="您的角色不能使用此页面")
    return who


def csrf_token(request: Request, session: Session | None = None) -> str:
    """The token this browser's forms carry: bound to its session, or to its login cookie before one (and
    when the session cookie it still holds no longer works: a login page must stay usable)."""
    token = session_token(request)
    if token and (session is None or principal(request, session) is not None):
        return hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()
    return request.cookies.get(LOGIN_COOKIE, "")


def check_csrf(request: Request, submitted: str | None) -> None:
    _compare(csrf_token(request), submitted)


def check_login_csrf(request: Request, submitted: str | None) -> None:
    """The login form is checked against its own double-submit cookie, whatever session cookie is left."""
    _compare(request.cookies.get(LOGIN_COOKIE, ""), submitted)


def _compare(expected: str, submitted: str | None) -> None:
    if not expected or not submitted or not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfRefused(
            "表单已失效或来源不明（CSRF 校验失败），请刷新页面后重新提交",
            zh="表单已失效或来源不明（CSRF 校验失败），请刷新页面后重新提交",
        )


def new_login_value() -> str:
    return secrets.token_urlsafe(24)


def set_login_cookie(request: Request, response: Response, value: str, path: str = "/login") -> None:
    """The double-submit value of a form used before login (the login form, the sign-up form), sent to
    that form's path only."""
    response.set_cookie(
        LOGIN_COOKIE, value, httponly=True, samesite="lax", secure=_secure(request), path=path
    )


def start(request: Request, response: Response, token: str) -> None:
    hours = get_settings().token_ttl_hours
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")


def end(session: Session, request: Request, response: Response) -> None:
    token = session_token(request)
    if token:
        identity.logout(session, token)
    response.delete_cookie(SESSION_COOKIE, path="/")
