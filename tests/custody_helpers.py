"""Bringing a watched car into a center's custody over the HTTP API, for the tests of later stages.

Uses the fixtures of tests/conftest.py (``world``, ``centers``, ``client``): the car is watched
by the 平阳 court, captured in 平阳, and taken in at the 平阳 center (staff login ``py.center``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from api.demo import region as demo_region
from car_enforce.custody.models import VehicleClass
from tests.api_helpers import login
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
    """A car captured, arrived and taken into the 平阳 center's custody, with a small-car tariff set."""
    staff = login(client, "py.center")
    set_tariff(client, staff, center_id, tariff_from)
    watched, capture = arrived_capture(client, pingyang_key)
    response = client.post(f"/api/captures/{capture['id']}/intake", json=intake_body(**intake), headers=staff)
    assert response.status_code == 201, response.text
    return InCustody(
        officer=watched.officer,
        staff=staff,
        case=watched.case,
        vehicle=watched.vehicle,
        watch=watched.watch,
        capture=capture,
        custody=response.json(),
    )
