"""The simulated vehicle registry on a real server on loopback, with the platform's receiver of its callbacks
beside it (the real route, on the test's database), and a court's case with a car to seize and sell."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api import errors
from api.routers import registry as registry_router
from api.simulators import registry as registry_sim
from car_enforce.cases.schemas import CaseCreate
from car_enforce.cases.service import open_case
from car_enforce.core.db import Database
from car_enforce.core.identity.models import User
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import principal_of_user
from car_enforce.core.outbound import RetryPolicy
from car_enforce.core.settings import Settings
from car_enforce.registry import HandedOver, RegistryClient
from car_enforce.registry.service import Buyer
from car_enforce.vehicles.schemas import VehicleCreate
from car_enforce.vehicles.service import register_vehicle
from tests.api_helpers import VIN, case_body
from tests.live import serve

REGISTRY_KEY = "test-registry-key"
HOOK_PATH = "/api/registry/notifications"
FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05, jitter=0)
PLATE = "浙C12345"
OTHER_COURT = "温州市鹿城区人民法院"
BUYER = Buyer("张三丰", "330302199001011235")
ALL_HANDED = HandedOver(certificate=True, licence=True, plates=True)


def settings(base_url: str = "http://127.0.0.1:9", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "registry_url": f"{base_url}{registry_sim.PREFIX}",
        "registry_key": REGISTRY_KEY,
        "registry_notify_url": f"{base_url}{HOOK_PATH}",
        "http_connect_timeout_s": 2.0,
        "http_timeout_s": 5.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def receiver_app(sim_settings: Settings) -> FastAPI:
    """The simulated registry, and the platform's own route for its callbacks (which checks them with the
    default secret, the one the simulator signs with)."""
    app = FastAPI()
    errors.install(app)
    registry_sim.mount(app, settings=sim_settings)
    app.include_router(registry_router.router)
    return app


@dataclass
class Harness:
    base_url: str
    settings: Settings
    control: httpx.Client  # the registry's own routes, with its key

    def client(self, *, retry: RetryPolicy = FAST, **overrides: Any) -> RegistryClient:
        return RegistryClient(settings(self.base_url, **overrides), retry=retry)

    def stage(self, mode: str, count: int = 1, delay_s: float = 0.0) -> None:
        response = self.control.post("/failure-mode", json={"mode": mode, "count": count, "delay_s": delay_s})
        assert response.status_code == 200, response.text

    def file(self, *, plate: str = PLATE, vin: str = VIN, **facts: Any) -> dict[str, Any]:
        """Open a car's file: in the debtor's name, inspected until 2028, no violations, unless ``facts``."""
        body = {
            "plate": plate,
            "vin": vin,
            "owner_name": "林某某",
            "owner_id_number": "330326198808080019",
            "inspection_valid_until": "2028-06-30",
            **facts,
        }
        response = self.control.post("/control/files", json=body)
        assert response.status_code == 201, response.text
        document: dict[str, Any] = response.json()
        return document

    def change(self, vin: str = VIN, **facts: Any) -> dict[str, Any]:
        response = self.control.post(f"/control/files/{vin}", json=facts)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def post(self, path: str, body: dict[str, Any], key: str) -> httpx.Response:
        return self.control.post(path, json=body, headers={"Idempotency-Key": key})

    def vehicle(self, plate: str = PLATE) -> dict[str, Any]:
        response = self.control.get("/vehicles", params={"plate": plate})
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def messages(self) -> list[dict[str, Any]]:
        registry_sim.wait_for_deliveries()
        response = self.control.get("/messages")
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows


@contextmanager
def running() -> Iterator[Harness]:
    """The registry and the receiver on one loopback server; every send finished before it stops."""
    sim_settings = settings()
    with serve(receiver_app(sim_settings)) as base_url:
        sim_settings.registry_notify_url = f"{base_url}{HOOK_PATH}"
        harness = Harness(
            base_url,
            settings(base_url),
            httpx.Client(
                base_url=f"{base_url}{registry_sim.PREFIX}",
                headers={"Authorization": f"Bearer {REGISTRY_KEY}"},
                timeout=10,
            ),
        )
        try:
            yield harness
        finally:
            registry_sim.wait_for_deliveries()
            harness.control.close()


# --- the court's side ---------------------------------------------------------------------------------


def seizure_body(document_number: str = "(2026)浙0326执1234号之二", **changes: Any) -> dict[str, Any]:
    return {
        "court": "平阳县人民法院",
        "case_number": "(2026)浙0326执1234号",
        "document_number": document_number,
        "plate": PLATE,
        "vin": VIN,
        **changes,
    }


def transfer_body(**changes: Any) -> dict[str, Any]:
    return {
        "court": "平阳县人民法院",
        "ruling_number": "(2026)浙0326执1234号之三",
        "notice_number": "(2026)浙0326执1234号之四",
        "plate": PLATE,
        "vin": VIN,
        "buyer": {"name": "张三丰", "id_number": "330302199001011235"},
        "handed_over": {"certificate": True, "licence": True, "plates": True},
        "ends_seizures": [],
        **changes,
    }


@dataclass(frozen=True)
class CourtCase:
    case_id: int
    vehicle_id: int
    officer: Principal


def court_case(
    database: Database,
    *,
    number: str = "(2026)浙0326执1234号",
    officer: str = "py.officer",
    known_vehicle_id: int | None = None,
) -> CourtCase:
    """The 平阳 court's case (or the officer's court's), its debtor's 浙C12345 registered on it; a car the
    platform knows from another case is confirmed by its id."""
    with database.unit_of_work() as s:
        user = s.scalar(select(User).where(User.username == officer))
        assert user is not None
        officer = principal_of_user(user)
        case = open_case(s, actor=officer, data=CaseCreate(**case_body(number)))
        debtor = next(p for p in case.parties if p.role == "debtor")
        link = register_vehicle(
            s,
            actor=officer,
            case=case,
            data=VehicleCreate(
                plate=PLATE,
                plate_colour="blue",
                plate_type="02",
                vin=VIN,
                description="白色大众帕萨特轿车",
                owner_party_id=debtor.id,
                confirm_known_vehicle_id=known_vehicle_id,
            ),
        )
        return CourtCase(case.id, link.vehicle_id, officer)
