"""Helpers for driving the HTTP API in tests: in-process (TestClient) or over real HTTP (httpx.Client)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import PASSWORD

PINGYANG_CASE = "(2026)浙0326执1234号"
DEBTOR_ID = "330326198808080019"
APPLICANT_CODE = "91330300MA2874XX86"
VIN = "LSVAU218XN2183294"


def login(client: httpx.Client, username: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def case_body(number: str = PINGYANG_CASE, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "case_number": number,
        "amount_owed_fen": 38_650_000,
        "applicants": [
            {
                "kind": "company",
                "name": "温州某小额贷款公司",
                "id_number": APPLICANT_CODE,
                "phone": "13900000001",
            }
        ],
        "debtors": [{"kind": "person", "name": "林某某", "id_number": DEBTOR_ID, "phone": "13900000002"}],
    }
    body.update(extra)
    return body


def open_case(client: httpx.Client, headers: dict[str, str], number: str = PINGYANG_CASE) -> dict[str, Any]:
    r = client.post("/api/cases", json=case_body(number), headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def debtor_id(case: dict[str, Any]) -> int:
    return int(next(p["id"] for p in case["parties"] if p["role"] == "debtor"))


def register_vehicle(
    client: httpx.Client,
    headers: dict[str, str],
    case: dict[str, Any],
    plate: str = "浙C12345",
    vin: str | None = VIN,
    colour: str = "blue",
    type_code: str = "02",
    vehicle_type: str | None = None,
    confirm: int | None = None,
) -> dict[str, Any]:
    """Register a car on the case; ``confirm`` is the known car's id when another case pursues it already."""
    body: dict[str, Any] = {
        "plate": plate,
        "plate_colour": colour,
        "plate_type": type_code,
        "vin": vin,
        "description": "白色大众帕萨特轿车",
        "owner_party_id": debtor_id(case),
    }
    if vehicle_type is not None:
        body["vehicle_type"] = vehicle_type
    if confirm is not None:
        body["confirm_known_vehicle_id"] = confirm
    r = client.post(f"/api/cases/{case['id']}/vehicles", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def issue_watch(
    client: httpx.Client,
    headers: dict[str, str],
    case: dict[str, Any],
    vehicle_id: int,
    scope: str = "330326",
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "vehicle_id": vehicle_id,
        "ruling_number": f"{case['case_number']}之一",
        "scope_code": scope,
        **extra,
    }
    r = client.post(f"/api/cases/{case['id']}/watches", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())
