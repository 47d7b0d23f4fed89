"""Bringing a watched car into a center's custody over the HTTP API, for the tests of later stages.

Uses the fixtures of tests/conftest.py (``world``, ``centers``, ``client``): the car is watched
by the 平阳 court, captured in 平阳, and taken in at the 平阳 center (staff login ``py.center``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.demo import region as demo_region
from car_enforce.captures.schemas import ArrivalIn, CaptureOut, CaptureReport
from car_enforce.captures.service import record_arrival, report_capture
from car_enforce.cases.schemas import CaseCreate, CaseOut
from car_enforce.cases.service import open_case
from car_enforce.core.db import Database, get_database
from car_enforce.core.identity.models import Organisation, User
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import authenticate_api_key, principal_of_user
from car_enforce.custody import tariffs
from car_enforce.custody.models import VehicleClass
from car_enforce.custody.schemas import CustodyOut, IntakeIn, TariffIn
from car_enforce.custody.service import take_in
from car_enforce.vehicles.schemas import CaseVehicleOut, VehicleCreate
from car_enforce.vehicles.service import register_vehicle
from car_enforce.watches.schemas import WatchCreate, WatchOut
from car_enforce.watches.service import issue_watch, scope_of
from tests.api_helpers import VIN, case_body, login
from tests.capture_helpers import PNG_BASE64, police, report, watched_car

# The demo region's prices for small cars (api/demo/region.py): 30 yuan a day, 300 yuan a tow plus 8 a
# km, 500 yuan an inspection.
SMALL_TARIFF = {"vehicle_class": "small", **demo_region.TARIFF[VehicleClass.SMALL]}


def set_tariff(
    client: TestClient, staff: dict[str, str], center_id: int, effective_from: date, **changes: Any
) -> dict[str, Any]:
    body = {**SMALL_TARIFF, "effective_from": effective_from.isoformat(), **changes}
    response = client.put(f"/api/centers/{center_id}/tariffs", json=body, headers=staff)
    assert response.status_code == 200, response.text
    return response.json()


def intake_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bay": "A-07",
        "odometer_km": 86420,
        "fuel_percent": 35,
        "keys_received": 2,
        "papers": ["registration_certificate"],
        "belongings": [{"item": "雨伞", "quantity": 1}, {"item": "儿童安全座椅", "quantity": 1}],
        "condition_notes": "右后门有划痕；左前轮胎气压低",
        "custodian_name": "李保管",
        "photos": [{"caption": side, "content_base64": PNG_BASE64} for side in ("前", "后", "左", "右")],
    }
    body.update(changes)
    return body


@dataclass
class InCustody:
    officer: dict[str, str]  # the 平阳 court's officer
    staff: dict[str, str]  # the 平阳 center's staff
    case: dict[str, Any]
    vehicle: dict[str, Any]
    watch: dict[str, Any]
    capture: dict[str, Any]
    custody: dict[str, Any]


def arrived_capture(client: TestClient, pingyang_key: str, **vehicle: Any) -> tuple[Any, dict[str, Any]]:
    """A watched car captured in 平阳 that has reached the 平阳 center."""
    watched = watched_car(client, **vehicle)
    response = client.post("/api/police/captures", json=report(), headers=police(pingyang_key))
    assert response.status_code == 201, response.text
    capture = response.json()
    staff = login(client, "py.center")
    arrived = client.post(f"/api/captures/{capture['id']}/arrive", headers=staff)
    assert arrived.status_code == 200, arrived.text
    return watched, arrived.json()


def taken_in(
    client: TestClient, pingyang_key: str, center_id: int, *, tariff_from: date, **intake: Any
) -> InCustody:
    """A car captured, arrived and taken into the 平阳 center's custody, with a small-car tariff set.

    Built through the services (``in_custody``): the steps are tested over HTTP by their own tests; a
    test of what follows needs the state, not ten requests.
    """
    database = get_database()
    officer, staff = login(client, "py.officer"), login(client, "py.center")
    return in_custody(database, pingyang_key, center_id, tariff_from=tariff_from, intake=intake) | (
        officer,
        staff,
    )


@dataclass
class _Built:
    case: dict[str, Any]
    vehicle: dict[str, Any]
    watch: dict[str, Any]
    capture: dict[str, Any]
    custody: dict[str, Any]

    def __or__(self, logins: tuple[dict[str, str], dict[str, str]]) -> InCustody:
        officer, staff = logins
        return InCustody(officer, staff, self.case, self.vehicle, self.watch, self.capture, self.custody)


def _user(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return principal_of_user(user)


def in_custody(
    database: Database, pingyang_key: str, center_id: int, *, tariff_from: date, intake: dict[str, Any]
) -> _Built:
    """The 平阳 court's case, its watched car captured in 平阳, arrived and taken in at the 平阳 center,
    with the small-car tariff from ``tariff_from``: the same state as the HTTP steps, as the API shows it."""
    with database.unit_of_work() as s:
        officer, staff = _user(s, "py.officer"), _user(s, "py.center")
        center = s.get(Organisation, center_id)
        assert center is not None
        tariffs.set_tariff(
            s, actor=staff, center=center, data=TariffIn(**{**SMALL_TARIFF, "effective_from": tariff_from})
        )
        case = open_case(s, actor=officer, data=CaseCreate(**case_body()))
        debtor = next(p for p in case.parties if p.role == "debtor")
        link = register_vehicle(
            s,
            actor=officer,
            case=case,
            data=VehicleCreate(
                plate="浙C12345",
                plate_colour="blue",
                plate_type="02",
                vin=VIN,
                description="白色大众帕萨特轿车",
                owner_party_id=debtor.id,
                vehicle_type="小型轿车",
            ),
        )
        watch = issue_watch(
            s,
            actor=officer,
            case=case,
            data=WatchCreate(
                vehicle_id=link.vehicle_id, ruling_number=f"{case.case_number}之一", scope_code="330326"
            ),
        )
        unit = authenticate_api_key(s, pingyang_key)
        capture, _ = report_capture(s, actor=unit, data=CaptureReport(**report()))
        record_arrival(s, actor=staff, capture=capture, data=ArrivalIn())
        custody = take_in(s, actor=staff, capture=capture, data=IntakeIn(**intake_body(**intake)))
        s.flush()
        return _Built(
            case=CaseOut.of(case).model_dump(mode="json"),
            vehicle=CaseVehicleOut.model_validate(link).model_dump(mode="json")["vehicle"],
            watch=WatchOut.of(watch, scope_of(s, watch)).model_dump(mode="json"),
            capture=CaptureOut.of(capture).model_dump(mode="json"),
            custody=CustodyOut.of(custody).model_dump(mode="json"),
        )
