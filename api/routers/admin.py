"""Administration: organisations, users, machine keys, the timeline check, calendars and boundaries."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel

from api.deps import Admin, IdempotencyDep, SessionDep
from api.errors import responses
from car_enforce.core import events
from car_enforce.core.calendar.schedule import YearSchedule, parse_schedule
from car_enforce.core.calendar.service import load_official_year, loaded_years
from car_enforce.core.db import RowId
from car_enforce.core.events import DomainEvent
from car_enforce.core.geo.datum import Datum
from car_enforce.core.geo.importer import import_boundaries
from car_enforce.core.geo.models import JurisdictionLevel
from car_enforce.core.geo.service import get_by_code
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    BankAccountIn,
    OrganisationCreate,
    OrganisationOut,
    UserCreate,
    UserOut,
)
from car_enforce.core.timeline import service as timeline

router = APIRouter(prefix="/api/admin", tags=["admin"], responses=responses(401, 403))


@router.post(
    "/organisations", status_code=201, response_model=OrganisationOut, responses=responses(404, 409, 422)
)
def create_organisation(
    body: OrganisationCreate, session: SessionDep, admin: Admin, idem: IdempotencyDep
) -> object:
    def run() -> OrganisationOut:
        return OrganisationOut.of(identity.add_organisation(session, actor=admin, data=body))

    return idem.run(run)


@router.post(
    "/organisations/{organisation_id}/bank-account",
    response_model=OrganisationOut,
    responses=responses(404, 409, 422),
)
def set_bank_account(
    organisation_id: RowId, body: BankAccountIn, session: SessionDep, admin: Admin
) -> OrganisationOut:
    """Where money owed to the organisation is paid: a center's costs on a case, an inquiry platform's fee,
    a court's designated account for the winner's deposit (网拍规定 Art. 25). Payees added from now on use
    it; the change is on the timeline, the account shown by its last four digits."""
    org = identity.set_bank_account(session, actor=admin, organisation_id=organisation_id, data=body)
    return OrganisationOut.of(org)


@router.get("/organisations", response_model=list[OrganisationOut])
def list_organisations(session: SessionDep, _admin: Admin) -> list[OrganisationOut]:
    return [OrganisationOut.of(o) for o in identity.list_organisations(session)]


@router.post("/users", status_code=201, response_model=UserOut, responses=responses(404, 409, 422))
def create_user(body: UserCreate, session: SessionDep, admin: Admin, idem: IdempotencyDep) -> object:
    def run() -> UserOut:
        user = identity.create_user(
            session,
            actor=admin,
            organisation_id=body.organisation_id,
            username=body.username,
            password=body.password,
            role=body.role,
            display_name=body.display_name,
            phone=body.phone,
        )
        return UserOut.model_validate(user)

    return idem.run(run)


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, _admin: Admin) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in identity.list_users(session)]


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, responses=responses(404, 422))
def create_api_key(body: ApiKeyCreate, session: SessionDep, admin: Admin) -> ApiKeyCreated:
    """Issue a machine key. The secret is in this answer only; store it now. Never replayed, never stored."""
    key, secret = identity.create_api_key(
        session, organisation_id=body.organisation_id, name=body.name, role=body.role, actor=admin
    )
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), secret=secret)


@router.get("/api-keys", response_model=list[ApiKeyOut])
def list_api_keys(
    session: SessionDep, _admin: Admin, organisation_id: RowId | None = Query(None)
) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in identity.list_api_keys(session, organisation_id)]


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyOut, responses=responses(404))
def revoke_api_key(key_id: RowId, session: SessionDep, admin: Admin) -> ApiKeyOut:
    return ApiKeyOut.model_validate(identity.revoke_api_key(session, key_id=key_id, actor=admin))


class TimelineCheckOut(BaseModel):
    intact: bool
    problems: list[str]
    chains_checked: int
    events_checked: int


@router.get("/timeline/verify", response_model=TimelineCheckOut)
def verify_timeline(session: SessionDep, _admin: Admin) -> TimelineCheckOut:
    """Recompute every hash chain; an edited or deleted event is named."""
    found = timeline.check(session)
    return TimelineCheckOut(
        intact=found.intact,
        problems=[str(p) for p in found.problems],
        chains_checked=found.chains,
        events_checked=found.events,
    )


class CalendarYearOut(BaseModel):
    year: int
    source: str
    days: int


class LoadedYearOut(BaseModel):
    year: int
    source: str
    loaded_at: datetime
    loaded_by: str
    rest_days: int
    make_up_workdays: int
    working_days: int


@router.get("/calendar-years", response_model=list[LoadedYearOut])
def list_calendar_years(session: SessionDep, _admin: Admin) -> list[LoadedYearOut]:
    """The years loaded from official schedules, newest first; other years come from built-in data."""
    return [LoadedYearOut(**dataclasses.asdict(y)) for y in loaded_years(session)]


@router.post("/calendar-years", status_code=201, response_model=CalendarYearOut, responses=responses(422))
def load_calendar_year(body: YearSchedule, session: SessionDep, admin: Admin) -> CalendarYearOut:
    """Load (or correct) a year's official holiday schedule; deadlines in that year stop being provisional."""
    schedule = parse_schedule(body.model_dump_json())
    row = load_official_year(session, schedule, admin)
    return CalendarYearOut(year=row.year, source=row.source, days=len(schedule.days()))


class ImportOut(BaseModel):
    imported: list[dict[str, Any]]


@router.post(
    "/jurisdictions/import", status_code=201, response_model=ImportOut, responses=responses(404, 422)
)
def import_jurisdictions(
    session: SessionDep,
    admin: Admin,
    geojson: dict[str, Any] = Body(...),
    datum: Datum = Query(...),
    level: JurisdictionLevel = Query(...),
    parent_code: str | None = Query(None, max_length=12),
    source: str = Query("upload", max_length=64),
) -> ImportOut:
    """Import official boundaries (a GeoJSON FeatureCollection in GCJ-02 or WGS84); stored in WGS84."""
    if parent_code is not None:
        get_by_code(session, parent_code)
    report = import_boundaries(
        session, geojson, datum=datum, level=level, parent_code=parent_code, source=source
    )
    events.record(
        session,
        admin,
        DomainEvent(
            kind="jurisdictions.imported",
            subject=f"jurisdictions:{level}",
            case_id=None,
            data={"source": source, "count": len(report.features)},
        ),
    )
    return ImportOut(imported=[f.as_dict() for f in report.features])
