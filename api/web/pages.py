"""The console's foundation: each role's name and menu, rendering a page, a page's errors as pages, and a
form's refusal shown beside its field.

Each page reads through the services with the person's own principal, so it shows exactly what the JSON
API would show the same person; a refusal renders the error in Chinese, a missing login goes to the login
page and comes back. The pages themselves live in one file per role (login, officer, police, center,
applicant, command); ``api.web.console`` lists them for the app.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.web import session as web
from car_enforce.core import zh
from car_enforce.core.errors import DomainError, InvalidInput, Unauthenticated
from car_enforce.core.identity.models import ROLE_NAMES_ZH, Organisation, Role
from car_enforce.core.identity.principal import Principal

ROLE_NAMES = ROLE_NAMES_ZH
# The pages each role has, in its menu (later issues add theirs).
MENUS: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.OFFICER: (
        ("/cases", "我的案件"),
        ("/alerts", "预警核实"),
        ("/auction/lots", "拍卖"),
        ("/auction/settlements", "成交过户"),
        ("/command", "指挥中心"),
    ),
    Role.ADMIN: (
        ("/command", "指挥中心"),
        ("/admin/organisations", "机构"),
        ("/admin/users", "用户"),
        ("/admin/api-keys", "接口密钥"),
        ("/admin/boundaries", "边界导入"),
        ("/admin/calendar", "工作日历"),
        ("/admin/timeline", "时间线核验"),
    ),
    Role.POLICE_ADAPTER: (
        ("/police/alerts", "辖区预警"),
        ("/police/captures", "扣押报告"),
        ("/police/cameras", "我的卡口"),
    ),
    Role.CENTER_STAFF: (("/center", "到站与在库"), ("/center/inventory", "库存导入")),
    Role.APPLICANT: (("/my-cases", "我的案件进展"),),
    Role.AUCTION_STAFF: (("/auction/lots", "拍卖"), ("/auction/settlements", "成交过户")),
    Role.BUYER: (("/buyer", "我的竞买"),),
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


def refusal(exc: DomainError | ValueError, fields: Collection[str] = ()) -> tuple[int, dict[str, str]]:
    """A form's refusal as a page shows it: the status, and each message by the field it concerns ("form"
    when it concerns none): the schema's own checks, a value that is not a number or a date, or a rule (a
    rule's message that starts with one of the form's ``fields`` goes beside that field)."""
    if isinstance(exc, DomainError):
        field = getattr(exc, "field", None)
        if not isinstance(field, str):
            head = exc.detail.split(" ", 1)[0]
            field = head if head in fields else "form"
        return exc.status_code, {field: explained(exc)}
    if isinstance(exc, ValidationError):
        return 422, {
            str(e["loc"][0]) if e["loc"] else "form": f"填写有误：{zh.validation_error(e)}"
            for e in exc.errors()
        }
    return 422, {"form": f"填写有误：{exc}"}


def explained(exc: DomainError) -> str:
    """A refusal for the person at the form: what is wrong (without the field's name, which the form shows
    beside it) and the rule it breaks."""
    text = exc.zh or (exc.reason if isinstance(exc, InvalidInput) else exc.detail)
    rule = exc.rule_zh or exc.rule
    return f"{text}（依据：{rule}）" if rule else text


def form_error(field: str, words: str) -> InvalidInput:
    """A form's own check, which only a page makes: its refusal is in Chinese alone, and is its ``zh``."""
    return InvalidInput(field, words, zh=words)


def org_name(session: Session, organisation_id: int) -> str:
    org = session.get(Organisation, organisation_id)
    return org.name if org is not None else str(organisation_id)
