"""The platform administrator's pages: organisations, users, machine keys (the secret shown once), the
official holiday schedules, and the timeline's hash chains recomputed.

Each page calls the same identity, calendar and timeline services as ``/api/admin``; the boundary import
has a page of its own.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import session as web
from api.web.pages import ROLE_NAMES, PageRoute, explained, refusal, render
from api.web.words import ORG_KIND_NAMES, chain_problem_words
from car_enforce.cases import service as cases
from car_enforce.core import clock, zh
from car_enforce.core.calendar import service as calendars
from car_enforce.core.calendar.schedule import YearSchedule
from car_enforce.core.errors import DomainError, InvalidInput, NotFound
from car_enforce.core.geo import service as geo
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import PAID_ORG_KINDS, ROLE_ORG_KINDS, ApiKey, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.schemas import ApiKeyCreate, OrganisationCreate, UserCreate, masked_account
from car_enforce.core.timeline import service as timeline

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ORG_FIELDS = ("kind", "name", "code", "jurisdiction_code", "contact_phone", "address", "lon", "lat")
USER_FIELDS = ("organisation_id", "role", "username", "display_name", "phone", "password")
KEY_FIELDS = ("organisation_id", "name", "role")
YEAR_FIELDS = ("year", "source", "holidays", "workdays")
# Which organisations each role may belong to, as the user form explains it.
ROLE_FITS = {
    role: "、".join(ORG_KIND_NAMES[kind] for kind in sorted(kinds)) for role, kinds in ROLE_ORG_KINDS.items()
}


def _admin(request: Request, session: Session) -> Principal:
    return web.require(request, session, Role.ADMIN)


def _organisation_choices(session: Session) -> list[tuple[int, str]]:
    return [
        (o.id, f"{o.name}（{ORG_KIND_NAMES.get(o.kind, o.kind)}）")
        for o in identity.list_organisations(session)
    ]


_NOT_DEGREES = "请填写十进制度数，如 120.5605"


def _role_refusal(exc: DomainError | ValueError, role: str, errors: dict[str, str]) -> dict[str, str]:
    """A role that does not fit the organisation, said with the kinds it may belong to."""
    if isinstance(exc, InvalidInput) and exc.field == "role" and role in ROLE_FITS:
        return {**errors, "role": f"{ROLE_NAMES[Role(role)]}只能属于：{ROLE_FITS[Role(role)]}"}
    return errors


# --- organisations ------------------------------------------------------------------------------


def organisations_page(
    request: Request,
    session: Session,
    who: Principal,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    bank: tuple[int, dict[str, str], dict[str, str]] | None = None,
) -> HTMLResponse:
    """The organisations and the form that adds one; ``bank``, one organisation's refused bank account form
    (its id, what was typed, the refusals), shown open on its row."""
    return render(
        request,
        "admin_organisations.html",
        status_code=status_code,
        who=who,
        organisations=identity.list_organisations(session),
        jurisdictions=geo.directory(session),
        kinds=ORG_KIND_NAMES,
        errors=errors or {},
        form=form or {},
        bank=bank or (0, {}, {}),
        masked=masked_account,
        paid_kinds=PAID_ORG_KINDS,
    )


@router.get("/admin/organisations")
def organisations(request: Request, session: SessionDep) -> Response:
    return organisations_page(request, session, _admin(request, session))


def _coordinate(field: str, text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput(field, "not a number of degrees", zh=_NOT_DEGREES)
    return value


@router.post("/admin/organisations")
def create_organisation(
    request: Request,
    session: SessionDep,
    # Defaults rather than FastAPI's own 422: the login and the CSRF token are checked first, and the
    # schema's refusal is shown beside the form's field.
    kind: Annotated[str, Form(max_length=32)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    code: Annotated[str, Form(max_length=64)] = "",
    jurisdiction_code: Annotated[str, Form(max_length=64)] = "",
    contact_phone: Annotated[str, Form(max_length=64)] = "",
    address: Annotated[str, Form(max_length=400)] = "",
    lon: Annotated[str, Form(max_length=32)] = "",
    lat: Annotated[str, Form(max_length=32)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    who = _admin(request, session)
    web.check_csrf(request, csrf)
    form = {
        "kind": kind,
        "name": name.strip(),
        "code": code.strip(),
        "jurisdiction_code": jurisdiction_code.strip(),
        "contact_phone": contact_phone.strip(),
        "address": address.strip(),
        "lon": lon.strip(),
        "lat": lat.strip(),
    }
    try:
        data = OrganisationCreate.model_validate(
            {
                **form,
                "code": form["code"] or None,
                "jurisdiction_code": form["jurisdiction_code"] or None,
                "lon": _coordinate("lon", lon),
                "lat": _coordinate("lat", lat),
            }
        )
        with session.begin_nested():  # a refusal leaves nothing half-written behind the re-shown form
            org = identity.add_organisation(session, actor=who, data=data)
    except (DomainError, ValueError) as exc:
        status, errors = refusal(exc, ORG_FIELDS)
        return organisations_page(request, session, who, status_code=status, errors=errors, form=form)
    return RedirectResponse(f"/admin/organisations#org-{org.id}", status_code=303)


# --- users --------------------------------------------------------------------------------------


def _users_page(
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
        "admin_users.html",
        status_code=status_code,
        who=who,
        users=identity.list_users(session),
        organisations=_organisation_choices(session),
        roles=ROLE_NAMES,
        fits=ROLE_FITS,
        kinds=ORG_KIND_NAMES,
        errors=errors or {},
        form=form or {},
    )


@router.get("/admin/users")
def users(request: Request, session: SessionDep) -> Response:
    return _users_page(request, session, _admin(request, session))


@router.post("/admin/users")
def create_user(
    request: Request,
    session: SessionDep,
    organisation_id: Annotated[str, Form(max_length=20)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    username: Annotated[str, Form(max_length=100)] = "",
    display_name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    who = _admin(request, session)
    web.check_csrf(request, csrf)
    # The password is never sent back into the page.
    form = {
        "organisation_id": organisation_id,
        "role": role,
        "username": username.strip(),
        "display_name": display_name.strip(),
        "phone": phone.strip(),
    }
    try:
        data = UserCreate.model_validate({**form, "password": password})
        with session.begin_nested():
            identity.create_user(
                session,
                actor=who,
                organisation_id=data.organisation_id,
                username=data.username,
                password=data.password,
                role=data.role,
                display_name=data.display_name,
                phone=data.phone,
            )
    except (DomainError, ValueError) as exc:
        status, errors = refusal(exc, USER_FIELDS)
        errors = _role_refusal(exc, role, errors)
        return _users_page(request, session, who, status_code=status, errors=errors, form=form)
    return RedirectResponse(f"/admin/users#user-{data.username}", status_code=303)


# --- machine keys -------------------------------------------------------------------------------


def _keys_page(
    request: Request,
    session: Session,
    who: Principal,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    created: tuple[ApiKey, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "admin_api_keys.html",
        status_code=status_code,
        who=who,
        keys=identity.list_api_keys(session),
        organisations=_organisation_choices(session),
        roles=ROLE_NAMES,
        fits=ROLE_FITS,
        errors=errors or {},
        form=form or {"role": Role.POLICE_ADAPTER},
        created=created,
    )


@router.get("/admin/api-keys")
def api_keys(request: Request, session: SessionDep) -> Response:
    return _keys_page(request, session, _admin(request, session))


@router.post("/admin/api-keys")
def create_api_key(
    request: Request,
    session: SessionDep,
    organisation_id: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Issue a key and show its secret in this answer only: not in a redirect's URL, not in a cookie,
    and not kept by the browser's cache, so reloading or going back never shows it again."""
    who = _admin(request, session)
    web.check_csrf(request, csrf)
    form = {"organisation_id": organisation_id, "name": name.strip(), "role": role}
    try:
        data = ApiKeyCreate.model_validate(form)
        with session.begin_nested():
            key, secret = identity.create_api_key(
                session, organisation_id=data.organisation_id, name=data.name, role=data.role, actor=who
            )
    except (DomainError, ValueError) as exc:
        status, errors = refusal(exc, KEY_FIELDS)
        errors = _role_refusal(exc, role, errors)
        return _keys_page(request, session, who, status_code=status, errors=errors, form=form)
    page = _keys_page(request, session, who, created=(key, secret))
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/admin/api-keys/{key_id}/revoke")
def revoke_api_key(
    key_id: int, request: Request, session: SessionDep, csrf: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    who = _admin(request, session)
    web.check_csrf(request, csrf)
    identity.revoke_api_key(session, key_id=key_id, actor=who)
    return RedirectResponse(f"/admin/api-keys#key-{key_id}", status_code=303)


# --- calendar years -----------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})-(\d{1,2})|年(\d{1,2})月(\d{1,2})日)$")


def _day(text: str) -> date | None:
    found = _DATE.match(text)
    if found is None:
        return None
    year, month, day = (int(g) for g in found.groups() if g is not None)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _lines(text: str) -> list[tuple[int, list[str]]]:
    """The non-empty lines, numbered from 1 as the person sees them, split on spaces ("至" as one)."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.replace("至", " ").replace("～", " ").replace("~", " ").split()
        if words:
            out.append((number, words))
    return out


def _holidays(text: str) -> tuple[list[dict[str, Any]], list[int]]:
    """One holiday a line: its name, its first day, and its last day when it lasts more than one."""
    spans, numbers = [], []
    for number, words in _lines(text):
        days = [_day(w) for w in words[1:]]
        if len(words) not in (2, 3) or None in days:
            raise InvalidInput(
                "holidays",
                f"line {number} is not 'name start [end]'",
                zh=f"第{number}行应写作“名称 开始日期 结束日期”，如“春节 2027-02-05 2027-02-11”",
            )
        spans.append({"name": words[0], "start": days[0], "end": days[-1]})
        numbers.append(number)
    return spans, numbers


def _workdays(text: str) -> tuple[list[dict[str, Any]], list[int]]:
    """One make-up workday (调休上班) a line: its name and its date."""
    days, numbers = [], []
    for number, words in _lines(text):
        day = _day(words[-1]) if len(words) == 2 else None
        if day is None:
            raise InvalidInput(
                "workdays",
                f"line {number} is not 'name date'",
                zh=f"第{number}行应写作“名称 日期”，如“春节调休 2027-02-14”",
            )
        days.append({"name": words[0], "date": day})
        numbers.append(number)
    return days, numbers


_ITEM = re.compile(r"^(holidays|workdays)\[(\d+)\]")


def _schedule_refusal(
    exc: DomainError | ValueError, lines: dict[str, list[int]]
) -> tuple[int, dict[str, str]]:
    """The schedule's refusal beside its box, pointing at the line the item came from."""
    if isinstance(exc, ValidationError):
        problems: dict[str, str] = {}
        for error in exc.errors():
            loc = error["loc"]
            box = str(loc[0]) if loc else "form"
            if box in lines and len(loc) > 1 and isinstance(loc[1], int):
                problems.setdefault(box, f"第{lines[box][loc[1]]}行：{zh.validation_error(error)}")
            else:
                problems.setdefault(
                    box if box in YEAR_FIELDS else "form", f"填写有误：{zh.validation_error(error)}"
                )
        return 422, problems
    status, problems = refusal(exc, YEAR_FIELDS)
    if isinstance(exc, InvalidInput) and (found := _ITEM.match(exc.field)):
        box, index = found.group(1), int(found.group(2))
        problems = {box: f"第{lines[box][index]}行：{explained(exc)}"}
    return status, problems


def _calendar_page(
    request: Request,
    session: Session,
    who: Principal,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    this_year = clock.today_local().year
    calendar = calendars.load_calendar(session)
    return render(
        request,
        "admin_calendar.html",
        status_code=status_code,
        who=who,
        years=calendars.loaded_years(session),
        sources=[(y, calendar.year_source(y)) for y in range(this_year, this_year + 3)],
        errors=errors or {},
        form=form or {"year": str(this_year + 1)},
    )


@router.get("/admin/calendar")
def calendar_years(request: Request, session: SessionDep) -> Response:
    return _calendar_page(request, session, _admin(request, session))


@router.post("/admin/calendar")
def load_calendar_year(
    request: Request,
    session: SessionDep,
    year: Annotated[str, Form(max_length=8)] = "",
    source: Annotated[str, Form(max_length=400)] = "",
    holidays: Annotated[str, Form(max_length=20_000)] = "",
    workdays: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Load (or replace) a year's official schedule typed line by line from the State Council's notice."""
    who = _admin(request, session)
    web.check_csrf(request, csrf)
    form = {"year": year.strip(), "source": source.strip(), "holidays": holidays, "workdays": workdays}
    lines: dict[str, list[int]] = {"holidays": [], "workdays": []}
    try:
        spans, lines["holidays"] = _holidays(holidays)
        days, lines["workdays"] = _workdays(workdays)
        schedule = YearSchedule.model_validate(
            {"year": form["year"], "source": form["source"], "holidays": spans, "workdays": days}
        )
        with session.begin_nested():
            calendars.load_official_year(session, schedule, who)
    except (DomainError, ValueError) as exc:
        status, errors = _schedule_refusal(exc, lines)
        return _calendar_page(request, session, who, status_code=status, errors=errors, form=form)
    return RedirectResponse(f"/admin/calendar#year-{schedule.year}", status_code=303)


# --- the timeline's check -----------------------------------------------------------------------


def _chain_name(session: Session, who: Principal, chain: str) -> str:
    if chain == timeline.SYSTEM_CHAIN:
        return "平台管理记录（机构、用户、密钥、日历）"
    case_id = chain.removeprefix("case:")
    if case_id.isdigit():
        try:
            return f"案件 {cases.visible_case(session, who, int(case_id)).case_number}"
        except NotFound:
            return f"案件（编号 {case_id}，已不存在）"
    return chain


SHOWN_PROBLEMS = 100


@router.get("/admin/timeline")
def timeline_check(request: Request, session: SessionDep, run: bool = False) -> Response:
    """Recompute every hash chain of the timeline on request (it reads every event), and say where the
    first broken link is."""
    who = _admin(request, session)
    found = timeline.check(session) if run else None
    problems = [
        {
            "chain": _chain_name(session, who, p.chain),
            "words": chain_problem_words(p),
            "event_id": p.event_id,
        }
        for p in (found.problems[:SHOWN_PROBLEMS] if found else [])
    ]
    return render(request, "admin_timeline.html", who=who, found=found, problems=problems)


__all__ = ["router"]
