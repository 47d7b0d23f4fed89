"""The console's pages: login and logout, the home page of each role, an officer's cases.

Each page reads through the services with the person's own principal, so it shows exactly what the JSON
API would show the same person; a refusal renders the error in Chinese, a missing login goes to the login
page and comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Coroutine
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.demo import region as demo_region
from api.demo import seed as demo_seed
from api.deps import SessionDep
from api.web import regionmap
from api.web import session as web
from api.web.words import EVENT_NAMES, PRICING_STATUS_NAMES, REQUEST_STATUS_NAMES, SKIP_NAMES
from car_enforce.cases import service as cases
from car_enforce.core import clock, zh
from car_enforce.core.errors import DomainError, InvalidInput, NotFound, Unauthenticated
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import Organisation, OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.settings import get_settings
from car_enforce.core.timeline import service as timeline
from car_enforce.custody import service as custody_service
from car_enforce.sightings import alerts
from car_enforce.sightings.models import Alert, AlertStatus
from car_enforce.stages import figures
from car_enforce.vehicles import service as vehicles
from car_enforce.watches import service as watches
from car_enforce.watches.models import LiftReason, Watch
from car_enforce.watches.schemas import WatchCreate, WatchLift, WatchRenew
from valuation.reference_price import check, objections, rules, serving
from valuation.reference_price import service as pricing

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
    Role.OFFICER: (("/cases", "我的案件"), ("/alerts", "预警核实"), ("/command", "指挥中心")),
    Role.ADMIN: (("/command", "指挥中心"),),
    Role.POLICE_ADAPTER: (("/police/alerts", "辖区预警"),),
    Role.CENTER_STAFF: (("/center", "到站与在库"),),
    Role.APPLICANT: (("/my-cases", "我的案件进展"),),
}
LIVE_ROWS = 100  # the alerts a duty desk's page shows; older ones are in the API's feed


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
    if len(menu) == 1:
        return RedirectResponse(menu[0][0], status_code=303)
    return render(request, "home.html", who=who)


@router.get("/cases")
def case_list(request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER)
    rows = cases.list_cases(session, who, limit=200, offset=0)
    return render(request, "cases.html", who=who, cases=rows)


def _case_page(
    request: Request,
    session: Session,
    who: Principal,
    case_id: int,
    *,
    status_code: int = 200,
    form_errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    case = cases.visible_case(session, who, case_id)
    today = clock.today_local()
    return render(
        request,
        "case.html",
        status_code=status_code,
        who=who,
        case=case,
        vehicles=vehicles.vehicles_of_case(session, case),
        watches=watches.watches_of_case(session, case),
        events=timeline.events_of_case(session, case.id),
        event_names=EVENT_NAMES,
        scopes=watches.scope_choices(session),
        longest=watches.longest_term(session, today),
        rule_term=watches.RULE_TERM,
        form_errors=form_errors or {},
        form=form or {},
        pricings=pricing.pricings_of_case(session, who, case.id),
    )


@router.get("/cases/{case_id}")
def case_page(case_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER)
    return _case_page(request, session, who, case_id)


@router.post("/cases/{case_id}/watches")
def issue_watch(
    case_id: int,
    request: Request,
    session: SessionDep,
    # Defaults rather than FastAPI's own 422: the login and the CSRF token are checked first, and the
    # schema's refusal is shown on the page beside the form.
    vehicle_id: Annotated[int, Form()] = 0,
    ruling_number: Annotated[str, Form(max_length=64)] = "",
    scope_code: Annotated[str, Form(max_length=12)] = "",
    expires_on: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Issue a watch (布控) from the case page; a refusal shows its rule beside the field it concerns."""
    who = web.require(request, session, Role.OFFICER)
    web.check_csrf(request, csrf)
    case = cases.visible_case(session, who, case_id)
    form = {
        "vehicle_id": str(vehicle_id),
        "ruling_number": ruling_number,
        "scope_code": scope_code,
        "expires_on": expires_on,
    }
    try:
        until = date.fromisoformat(expires_on) if expires_on else None
    except ValueError:
        return _case_page(
            request,
            session,
            who,
            case_id,
            status_code=422,
            form=form,
            form_errors={"expires_on": "日期格式应为 年-月-日"},
        )
    try:
        data = WatchCreate(
            vehicle_id=vehicle_id, ruling_number=ruling_number, scope_code=scope_code, expires_on=until
        )
        with session.begin_nested():  # a refusal leaves nothing half-written behind the re-shown form
            watches.issue_watch(session, actor=who, case=case, data=data)
    except (DomainError, ValueError) as exc:
        status, problems = refusal(exc, form)
        return _case_page(request, session, who, case_id, status_code=status, form=form, form_errors=problems)
    return RedirectResponse(f"/cases/{case_id}#watches", status_code=303)


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
        return 422, {str(e["loc"][0]) if e["loc"] else "form": f"填写有误：{e['msg']}" for e in exc.errors()}
    return 422, {"form": f"填写有误：{exc}"}


def explained(exc: DomainError) -> str:
    """A refusal for the person at the form: what is wrong (without the field's name, which the form shows
    beside it) and the rule it breaks."""
    text = exc.reason if isinstance(exc, InvalidInput) else exc.detail
    return f"{text}（依据：{exc.rule}）" if exc.rule else text


@router.get("/reference-prices/{pricing_id}")
def pricing_page(pricing_id: int, request: Request, session: SessionDep) -> Response:
    """The reference price of one car: the methods, the platforms' reports, the price, the notice and its
    service, the objections, and the center's own estimate beside them."""
    who = web.require(request, session, Role.OFFICER, Role.CENTER_STAFF)
    found = pricing.visible_pricing(session, who, pricing_id)
    notice = serving.latest_notice(session, found)
    center = check.center_check(session, found) if found.inspection_score is not None else None
    return render(
        request,
        "pricing.html",
        who=who,
        p=found,
        custody=custody_service.visible_custody(session, who, found.custody_id),
        notice=notice,
        parties={party.id: party for party in cases.visible_case(session, who, found.case_id).parties}
        if who.role == Role.OFFICER
        else {},
        objections=objections.objections_of(session, found),
        platform_names={r.platform_code: _org_name(session, r.platform_id) for r in found.requests},
        center=center,
        method_names=rules.NAMES_ZH,
        skip_names=SKIP_NAMES,
        status_names=PRICING_STATUS_NAMES,
        request_names=REQUEST_STATUS_NAMES,
    )


@router.get("/police/alerts")
def police_alerts(request: Request, session: SessionDep) -> Response:
    """The alerts routed to the unit, newest first; new ones appear as they come (live.js polls the rows)."""
    who = web.require(request, session, Role.POLICE_ADAPTER)
    assert who.organisation_id is not None
    rows = alerts.recent_dispatches(session, who.organisation_id, LIVE_ROWS)
    cursor = rows[0].seq if rows else alerts.newest_dispatch_seq(session)
    return render(request, "police_alerts.html", who=who, rows=rows, cursor=cursor)


@router.get("/police/alerts/rows")
def police_alert_rows(request: Request, session: SessionDep, after: int = 0) -> Response:
    """The rows of alerts routed after ``after``, newest first, for the page to put on top; its cursor in
    ``X-Cursor``."""
    who = web.require(request, session, Role.POLICE_ADAPTER)
    assert who.organisation_id is not None
    rows = list(reversed(alerts.dispatches_after(session, who.organisation_id, max(after, 0), LIVE_ROWS)))
    response = render(request, "police_alert_rows.html", who=who, rows=rows)
    response.headers["X-Cursor"] = str(rows[0].seq if rows else after)
    return response


@router.post("/cases/{case_id}/watches/{watch_id}/{verb}")
def change_watch(
    case_id: int,
    watch_id: int,
    verb: str,
    request: Request,
    session: SessionDep,
    ruling_number: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Renew a watch (续行查封, two more years at most) or lift it, from the case page."""
    who = web.require(request, session, Role.OFFICER)
    web.check_csrf(request, csrf)
    watch = watches.visible_watch(session, who, watch_id)
    if watch.case_id != case_id or verb not in ("renew", "lift"):
        raise NotFound(f"case {case_id} has no watch {watch_id} to {verb}")
    form = {"ruling_number": ruling_number, "reason": reason}
    try:
        with session.begin_nested():
            if verb == "renew":
                watches.renew_watch(
                    session, actor=who, watch=watch, data=WatchRenew(ruling_number=ruling_number)
                )
            else:
                watches.lift_watch(session, actor=who, watch=watch, data=WatchLift(reason=LiftReason(reason)))
    except (DomainError, ValueError) as exc:
        status, problems = refusal(exc, form)
        errors = {f"watch_{watch_id}": "；".join(problems.values())}
        return _case_page(request, session, who, case_id, status_code=status, form_errors=errors)
    return RedirectResponse(f"/cases/{case_id}#watches", status_code=303)


@router.get("/alerts")
def officer_alerts(request: Request, session: SessionDep) -> Response:
    """Possible hits on the court's watches waiting for the officer, with each read's plate and images;
    below them the court's recent alerts."""
    who = web.require(request, session, Role.OFFICER)
    assert who.organisation_id is not None
    pending = alerts.alerts_of_court(
        session, who.organisation_id, status=AlertStatus.PENDING, limit=50, offset=0
    )
    recent = alerts.alerts_of_court(session, who.organisation_id, status=None, limit=50, offset=0)
    return render(
        request,
        "alerts.html",
        who=who,
        pending=[(a, alerts.sightings_of(session, a), _watched_plate(session, a)) for a in pending],
        recent=[a for a in recent if a.status != AlertStatus.PENDING],
    )


def _watched_plate(session: Session, alert: Alert) -> str:
    watch = session.get(Watch, alert.watch_id)
    return watch.vehicle.plate_as_written if watch is not None else ""


@router.post("/alerts/{alert_id}/{verb}")
def decide_alert(
    alert_id: int,
    verb: str,
    request: Request,
    session: SessionDep,
    note: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The officer's word on a possible hit: it is the car (confirm: routed to the police of the place) or
    another one (reject)."""
    who = web.require(request, session, Role.OFFICER)
    web.check_csrf(request, csrf)
    alert = alerts.visible_alert(session, who, alert_id)
    if verb == "confirm":
        alerts.confirm(session, actor=who, alert=alert, note=note.strip())
    elif verb == "reject":
        alerts.reject(session, actor=who, alert=alert, note=note.strip())
    else:
        raise NotFound(f"no such decision {verb!r}")
    return RedirectResponse("/alerts", status_code=303)


@router.get("/alerts/{alert_id}/evidence/{reference}")
def alert_image(alert_id: int, reference: str, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER, Role.POLICE_ADAPTER, Role.ADMIN)
    content, media = alerts.evidence_image(session, who, alert_id, reference)
    return Response(content, media_type=media, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/command")
def command_center(request: Request, session: SessionDep) -> Response:
    """指挥中心: the region's map with the centers and the recent captures and hits, the journey's times
    against the seed's anchors, and the deviation warnings. An officer sees the court's own; the operator,
    every court's."""
    who = web.require(request, session, Role.OFFICER, Role.ADMIN)
    court_id = who.organisation_id if who.role == Role.OFFICER else None
    found = figures.figures(session, court_id)
    drawn = regionmap.region_map(session)
    places: list[tuple[float | None, float | None, str, str]] = [
        (c.lon, c.lat, "center", c.name)
        for c in session.scalars(select(Organisation).where(Organisation.kind == OrgKind.AUX_CENTER))
    ]
    places += [(c.lon, c.lat, "capture", f"扣押 {c.plate_reported or ''}") for c in found.captures]
    places += [
        (a.lon, a.lat, "hit", f"预警 {a.plate}") for a in alerts.recent_hits(session, court_id, limit=200)
    ]
    dots = [
        dot
        for lon, lat, kind, title in places
        if drawn is not None and lon is not None and lat is not None
        if (dot := drawn.dot(lon, lat, kind, title)) is not None
    ]
    return render(
        request,
        "command.html",
        who=who,
        f=found,
        m=drawn,
        dots=dots,
        anchors={"watch": figures.WATCH_TO_CAPTURE_DAYS, "listing": figures.SEIZURE_TO_LISTING_WORKING_DAYS},
        stage_words={"intake": "扣押→入库", "inspection": "入库→检测", "reference_price": "检测→参考价"},
    )


def _org_name(session: Session, organisation_id: int) -> str:
    org = session.get(Organisation, organisation_id)
    return org.name if org is not None else str(organisation_id)


@router.get("/reference-prices/{pricing_id}/notice.pdf")
def pricing_notice_pdf(pricing_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER, Role.CENTER_STAFF)
    found = pricing.visible_pricing(session, who, pricing_id)
    return Response(serving.latest_notice_pdf(session, found), media_type="application/pdf")


__all__ = ["router"]
