"""The officer's pages around one case: registering a car on it (a plate the platform knows is shown and
confirmed first), the case's timeline with its hash chain verified, a seized car's stage clock against its
targets and the law's deadlines, and linking the applicants' own accounts to the case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import session as web
from api.web.officer import render_case
from api.web.pages import PageRoute, refusal, render
from api.web.words import (
    EVENT_NAMES,
    KNOWN_DIFFERENCES,
    LEGAL_DEADLINE_NAMES,
    PLATE_COLOUR_NAMES,
    STAGE_NAMES,
    STAGE_STATUS_NAMES,
    chain_problem_words,
)
from car_enforce.captures import service as captures
from car_enforce.cases import service as cases
from car_enforce.cases.models import EnforcementCase, PartyRole
from car_enforce.core.errors import DomainError
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import actors_of
from car_enforce.core.timeline import service as timeline
from car_enforce.stages import service as stages
from car_enforce.stages.timing import StageStatus
from car_enforce.vehicles import service as vehicles
from car_enforce.vehicles.known import ConfirmKnownVehicle
from car_enforce.vehicles.schemas import KnownVehicleOut, VehicleCreate

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# The registration form's fields; on the case page they carry a "v_" prefix so that the watch form's
# values and refusals, on the same page, stay apart from these.
VEHICLE_FIELDS = (
    "plate",
    "plate_colour",
    "plate_type",
    "vin",
    "description",
    "vehicle_type",
    "owner_party_id",
)
# Why a known plate is shown before it joins the case, beside the plate field.
KNOWN_PLATE_RULE = (
    "同一辆车（号牌及其颜色）在平台上只有一条记录，各法院对它的布控依次轮候（《查封规定》第二十六条）：已在其他案件"
    "登记的号牌，先显示已登记车辆及其案件，经确认是本案被执行人的车辆后方登记；车架号不会改变，与已登记车辆不一致的不予登记。"
)


@router.post("/cases/{case_id}/vehicles")
def register_vehicle(
    case_id: int,
    request: Request,
    session: SessionDep,
    # Defaults rather than FastAPI's own 422: the login and the CSRF token are checked first, and the
    # schema's refusal is shown beside the form's field.
    plate: Annotated[str, Form(max_length=32)] = "",
    plate_colour: Annotated[str, Form(max_length=16)] = "",
    plate_type: Annotated[str, Form(max_length=2)] = "",
    vin: Annotated[str, Form(max_length=32)] = "",
    description: Annotated[str, Form(max_length=256)] = "",
    vehicle_type: Annotated[str, Form(max_length=32)] = "",
    owner_party_id: Annotated[int, Form()] = 0,
    confirm_known_vehicle_id: Annotated[int, Form()] = 0,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Register a debtor's car from the case page. A plate other cases pursue answers with the known car to
    confirm (a page of its own); a contradicting VIN, or any other refusal, shows beside its field."""
    who = web.require(request, session, Role.OFFICER)
    web.check_csrf(request, csrf)
    case = cases.visible_case(session, who, case_id)
    form = {
        "plate": plate,
        "plate_colour": plate_colour,
        "plate_type": plate_type,
        "vin": vin,
        "description": description,
        "vehicle_type": vehicle_type,
        "owner_party_id": str(owner_party_id),
    }
    try:
        data = VehicleCreate.model_validate(
            {
                **form,
                "vin": vin.strip() or None,
                "owner_party_id": owner_party_id,
                "confirm_known_vehicle_id": confirm_known_vehicle_id or None,
            }
        )
        with session.begin_nested():  # a refusal leaves nothing half-written behind the re-shown form
            vehicles.register_vehicle(session, actor=who, case=case, data=data)
    except ConfirmKnownVehicle as exc:
        return _confirm_page(request, who, case, exc.known, form)
    except (DomainError, ValueError) as exc:
        status, problems = refusal(exc, VEHICLE_FIELDS)
        return render_case(
            request,
            session,
            who,
            case_id,
            status_code=status,
            form={f"v_{k}": v for k, v in form.items()},
            form_errors={f"v_{k}": v for k, v in problems.items()},
        )
    return RedirectResponse(f"/cases/{case_id}#vehicles", status_code=303)


def _confirm_page(
    request: Request, who: Principal, case: EnforcementCase, known: KnownVehicleOut, form: dict[str, str]
) -> HTMLResponse:
    """The known car, its other cases and what differs, with the button that attaches it after all."""
    owner = next((p for p in case.parties if str(p.id) == form["owner_party_id"]), None)
    return render(
        request,
        "vehicle_confirm.html",
        status_code=409,
        who=who,
        case=case,
        known=known,
        form=form,
        owner=owner,
        colours=PLATE_COLOUR_NAMES,
        differences=KNOWN_DIFFERENCES,
        explanation=KNOWN_PLATE_RULE,
    )


@router.get("/cases/{case_id}/timeline")
def case_timeline(case_id: int, request: Request, session: SessionDep) -> Response:
    """Every recorded step of the case, in Chinese, with when and by whom, and whether its hash chain
    verifies: no record edited, none deleted, none inserted out of turn."""
    who = web.require(request, session, Role.OFFICER)
    case = cases.visible_case(session, who, case_id)
    events = timeline.events_of_case(session, case.id)
    found = timeline.check_case(session, case.id)
    return render(
        request,
        "timeline.html",
        who=who,
        case=case,
        events=events,
        actors=actors_of(session, {e.actor for e in events}),
        found=found,
        problems=[chain_problem_words(p) for p in found.problems],
        broken={p.seq for p in found.problems},
        event_names=EVENT_NAMES,
    )


@router.get("/captures/{capture_id}/stages")
def stage_clock(capture_id: int, request: Request, session: SessionDep) -> Response:
    """A seized car's stage clock: each stage's target in working days, its due day, the working days it
    took, the deviation warnings, and the law's deadlines (参考价规定 Art. 1, 30), with a bar chart."""
    who = web.require(request, session, Role.OFFICER, Role.CENTER_STAFF)
    capture = captures.visible_capture(session, who, capture_id)
    clock = stages.capture_clock(session, capture)
    return render(
        request,
        "stages.html",
        who=who,
        capture=capture,
        c=clock,
        bars=_bars(clock),
        defaults={t.stage: t.is_default for t in clock.targets},
        case_number=cases.visible_case(session, who, capture.case_id).case_number
        if who.role == Role.OFFICER
        else "",
        stage_names=STAGE_NAMES,
        legal_names=LEGAL_DEADLINE_NAMES,
        status_names=STAGE_STATUS_NAMES,
    )


def _bars(clock: stages.CaptureClock) -> dict[str, object]:
    """Each stage's target and working days used as bars on one scale, in percent of the longest: the
    target as an outline, the days used filled over it (red once late), a faint line at each working day.
    The page draws each bar as a small SVG beside HTML text, so the text keeps its size on a phone."""
    longest = max(
        [1, *(s.target_working_days for s in clock.stages), *(s.working_days_used for s in clock.stages)]
    )
    late = (StageStatus.LATE, StageStatus.REACHED_LATE)
    return {
        "rows": [
            {
                "stage": s.stage.value,
                "target": s.target_working_days,
                "used": s.working_days_used,
                "target_pct": round(100 * s.target_working_days / longest, 2),
                "used_pct": round(100 * s.working_days_used / longest, 2),
                "late": s.status in late,
                "done": s.reached_on is not None,
            }
            for s in clock.stages
        ],
        "days": [round(100 * d / longest, 2) for d in range(1, longest)],
    }


def _applicants_page(
    request: Request,
    session: Session,
    who: Principal,
    case: EnforcementCase,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    form_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "applicants.html",
        status_code=status_code,
        who=who,
        case=case,
        applicants=[p for p in case.parties if p.role == PartyRole.APPLICANT],
        accounts=cases.linked_accounts(session, case),
        form=form or {},
        form_errors=form_errors or {},
    )


@router.get("/cases/{case_id}/applicants")
def applicant_accounts(case_id: int, request: Request, session: SessionDep) -> Response:
    """The case's applicants (申请执行人) and the account each follows the case with."""
    who = web.require(request, session, Role.OFFICER)
    return _applicants_page(request, session, who, cases.visible_case(session, who, case_id))


@router.post("/cases/{case_id}/applicants")
def link_applicant(
    case_id: int,
    request: Request,
    session: SessionDep,
    party_id: Annotated[int, Form()] = 0,
    username: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Link the account an applicant names to its party of the case: it then sees the case's steps."""
    who = web.require(request, session, Role.OFFICER)
    web.check_csrf(request, csrf)
    case = cases.visible_case(session, who, case_id)
    form = {"party_id": str(party_id), "username": username}
    try:
        with session.begin_nested():
            cases.link_applicant_by_username(
                session, actor=who, case=case, party_id=party_id, username=username
            )
    except DomainError as exc:
        status, problems = refusal(exc, ("party_id", "username"))
        return _applicants_page(
            request, session, who, case, status_code=status, form=form, form_errors=problems
        )
    return RedirectResponse(f"/cases/{case_id}/applicants", status_code=303)
