"""A court's cars under watch and the yard export that lists them, for the inventory import's tests.

The fixture tests/fixtures/towbook_inventory.csv lists eight cars (lines 4–11). The 平阳 court watches two
of them: 浙C12345 (line 4, matched by plate) and the car with VIN LFV2A21KXG3045871 (line 5, NOPLATE,
matched by VIN); the six others need a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.api_helpers import issue_watch, login, open_case, register_vehicle

FIXTURE = Path(__file__).parent / "fixtures" / "towbook_inventory.csv"
CSV = {"Content-Type": "text/csv"}
PLATE_A, VIN_A = "浙C12345", "LSVAU218XN2183294"
PLATE_B, VIN_B = "浙C6K088", "LFV2A21KXG3045871"
TODAY = date(2026, 11, 23)  # conftest's START


@dataclass
class Court:
    officer: dict[str, str]
    case: dict[str, Any]
    vehicles: dict[str, dict[str, Any]]  # by plate
    watches: dict[str, dict[str, Any]]  # by plate


def court_with_cars(client: TestClient, *cars: tuple[str, str | None], watched: bool = True) -> Court:
    """The 平阳 court's case with these cars (plate, VIN), each under watch unless told otherwise."""
    officer = login(client, "py.officer")
    case = open_case(client, officer)
    court = Court(officer, case, {}, {})
    for plate, vin in cars:
        court.vehicles[plate] = register_vehicle(client, officer, case, plate=plate, vin=vin)["vehicle"]
        if watched:
            court.watches[plate] = issue_watch(client, officer, case, court.vehicles[plate]["id"])
    return court
