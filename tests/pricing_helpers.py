"""Builders for the reference-price tests: an inspected car in custody, the inquiry platforms of a court."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from car_enforce.core.db import Database, get_database
from car_enforce.core.identity.models import User
from car_enforce.core.identity.service import principal_of_user
from car_enforce.custody.models import Custody
from tests import factories
from tests.api_helpers import login
from tests.custody_helpers import InCustody, in_custody
from valuation.inquiry.platforms import add_platform, use_platform
from valuation.inspection.checklist import checklist
from valuation.inspection.schemas import InspectionIn
from valuation.inspection.service import record_inspection

# Points lost per item: 15 in all, so the car scores 85 (grade 2, 二级).
LOST = {"B06": 1, "B07": 1, "E01": 3, "E07": 2, "S06": 2, "S10": 2, "R04": 2, "D06": 2}
FACTS = {"brand_model": "大众 朗逸 1.5L 自动", "first_registered_on": "2021-03-15", "fuel": "petrol"}
ONLINE_REASON = "车辆已在中心按GB/T 30323完成检测，外观与技术状况可由检测报告反映，无需现场专业勘验"
# The methods before the online inquiry, passed over for reasons their articles accept.
PASSED = [
    {"method": "agreed", "reason": "party_refused", "note": "被执行人拒绝议价（电话记录）"},
    {"method": "directed", "reason": "no_official_price", "note": "该车无计税价格或政府定价"},
]


@dataclass
class Inspected:
    car: InCustody
    inspection_id: int

    @property
    def custody_id(self) -> int:
        return int(self.car.custody["id"])


def inspect(
    database: Database, custody_id: int, *, flood: bool = False, lost: dict[str, int] | None = None
) -> int:
    """The center's inspection of the car, recorded through the service (its HTTP route has its own tests)."""
    lost = LOST if lost is None else lost
    items = [
        {"code": item.code, "score": item.points - lost.get(item.code, 0), "notes": ""}
        for _, item in checklist().items
    ]
    defects: list[dict[str, Any]] = []
    if flood:
        defects.append({"target": "flood", "defect_code": "SP", "photos": [_photo()]})
    data = InspectionIn(
        inspector_name="王检测员",
        inspected_at=None,
        odometer_km=86420,
        items=items,  # type: ignore[arg-type]
        defects=defects,  # type: ignore[arg-type]
        flood_damage=flood,
        summary="车况一般。",
    )
    with database.unit_of_work() as s:
        staff = s.scalar(select(User).where(User.username == "py.center"))
        assert staff is not None
        custody = s.get(Custody, custody_id)
        assert custody is not None
        inspection, _ = record_inspection(s, actor=principal_of_user(staff), custody=custody, data=data)
        return inspection.id


def _photo() -> dict[str, str]:
    from tests.capture_helpers import PNG_BASE64

    return {"caption": "水泡痕迹", "content_base64": PNG_BASE64}


def inspected_car(
    client: TestClient, world: factories.World, centers: factories.Centers, today: date
) -> Inspected:
    """The 平阳 court's car, captured, taken into the 平阳 center and inspected (85 points, 二级)."""
    database = get_database()
    officer, staff = login(client, "py.officer"), login(client, "py.center")
    car = in_custody(database, world.pingyang_key, centers.pingyang, tariff_from=today, intake={}) | (
        officer,
        staff,
    )
    return Inspected(car, inspect(database, int(car.custody["id"])))


def configure_platforms(
    database: Database, court_id: int, platforms: dict[str, tuple[str, str]], *, fee_fen: int = 0
) -> None:
    """Add each platform (code → (base URL, secret)), with the inquiry fee its agreement sets, and let the
    court ask it."""
    with database.unit_of_work() as s:
        for code, (base_url, secret) in platforms.items():
            platform = add_platform(
                s,
                actor=factories.SYSTEM,
                name=f"询价平台{code}",
                code=code,
                base_url=base_url,
                secret=secret,
                fee_fen=fee_fen,
            )
            use_platform(s, actor=factories.SYSTEM, court_id=court_id, platform_id=platform.organisation_id)


def open_online(client: TestClient, car: Inspected, **changes: Any) -> dict[str, Any]:
    """Open the procedure, pass over 议价 and 定向询价, and ask every platform at once: one request."""
    body = {
        "custody_id": car.custody_id,
        **FACTS,
        "passed": PASSED,
        "online_reason": ONLINE_REASON,
        **changes,
    }
    response = client.post("/api/reference-prices", json=body, headers=car.car.officer)
    assert response.status_code == 201, response.text
    return dict(response.json())
