"""The officer's pages: the court's cases, issuing, renewing and lifting a watch, the possible hits to
confirm or reject with their images, and a car's reference price with its notice."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import photos
from api.web import session as web
from api.web.pages import PageRoute, org_name, refusal, render
from api.web.words import (
    ALERT_STATUS_NAMES,
    EVENT_NAMES,
    PLATE_COLOUR_NAMES,
    PLATE_TYPE_NAMES,
    PRICING_STATUS_NAMES,
    REQUEST_STATUS_NAMES,
    SKIP_NAMES,
    WATCH_STATUS_NAMES,
)
from car_enforce.captures import service as captures
from car_enforce.cases import service as cases
from car_enforce.core import clock
from car_enforce.core.errors import DomainError, NotFound
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.timeline import service as timeline
from car_enforce.custody import service as custody_service
from car_enforce.sightings import alerts
from car_enforce.sightings.models import Alert, AlertStatus
from car_enforce.vehicles import service as vehicles
from car_enforce.watches import service as watches
from car_enforce.watches.models import LiftReason, Watch
from car_enforce.watches.schemas import WatchCreate, WatchLift, WatchRenew
from valuation.reference_price import check, objections, rules, serving
from valuation.reference_price import service as pricing

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/cases")
def case_list(request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER)
    rows = cases.list_cases(session, who, limit=200, offset=0)
    return render(request, "cases.html", who=who, cases=rows)


def render_case(
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
        car_photos=photos.case_photos(session, who, case.id),
        captures=captures.captures_of_case(session, who, case.id),
        plate_colours=PLATE_COLOUR_NAMES,
        plate_types=PLATE_TYPE_NAMES,
        watch_status_names=WATCH_STATUS_NAMES,
        pricing_status_names=PRICING_STATUS_NAMES,
    )


@router.get("/cases/{case_id}")
def case_page(case_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER)
    return render_case(request, session, who, case_id)


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
        return render_case(
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
        return render_case(
            request, session, who, case_id, status_code=status, form=form, form_errors=problems
        )
    return RedirectResponse(f"/cases/{case_id}#watches", status_code=303)


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
        raise NotFound(f"case {case_id} has no watch {watch_id} to {verb}", zh="本案没有可办理此项的布控")
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
        return render_case(request, session, who, case_id, status_code=status, form_errors=errors)
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
        status_names=ALERT_STATUS_NAMES,
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
        raise NotFound(f"no such decision {verb!r}", zh="没有这项操作")
    return RedirectResponse("/alerts", status_code=303)


@router.get("/alerts/{alert_id}/evidence/{reference}")
def alert_image(alert_id: int, reference: str, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER, Role.POLICE_ADAPTER, Role.ADMIN)
    content, media = alerts.evidence_image(session, who, alert_id, reference)
    return Response(content, media_type=media, headers={"Cache-Control": "private, max-age=3600"})


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
        platform_names={r.platform_code: org_name(session, r.platform_id) for r in found.requests},
        center=center,
        corrected=pricing.inspection_corrected_since(session, found),
        method_names=rules.NAMES_ZH,
        skip_names=SKIP_NAMES,
        status_names=PRICING_STATUS_NAMES,
        request_names=REQUEST_STATUS_NAMES,
    )


@router.get("/reference-prices/{pricing_id}/notice.pdf")
def pricing_notice_pdf(pricing_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.OFFICER, Role.CENTER_STAFF)
    found = pricing.visible_pricing(session, who, pricing_id)
    return Response(serving.latest_notice_pdf(session, found), media_type="application/pdf")
