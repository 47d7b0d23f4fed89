"""Issue 4's end-to-end run over real HTTP: an arrived capture is taken in, inspected and graded; after 31
days its statement is the tariff times the days plus the towing plus the inspection, to the fen; the PDF
report reads back with the grade and the Chinese section names; a release without an order is refused;
the stage clocks met in time raise no warning, the ones missed raise one each."""

from __future__ import annotations

import io
import math
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from pypdf import PdfReader
from sqlalchemy import select

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.stages.jobs import sweep_stage_clocks
from car_enforce.stages.models import StageWarning
from tests import factories
from tests.api_helpers import login
from tests.capture_helpers import PNG_BASE64
from tests.custody_helpers import SMALL_TARIFF, taken_in
from tests.live import serve

SECTION_NAMES = ["车身检查", "发动机舱检查", "驾驶舱检查", "起动检查", "路试检查", "底盘检查"]


def full_marks_but(checklist: dict[str, Any], lost: dict[str, int]) -> list[dict[str, Any]]:
    """Every item of the checklist at full points, but for the points ``lost`` on some items."""
    return [
        {"code": item["code"], "score": item["points"] - lost.get(item["code"], 0)}
        for section in checklist["sections"]
        for item in section["items"]
    ]


def test_a_car_from_capture_to_graded_report_and_a_31_day_statement(
    app: FastAPI, db: Database, clock: MovableClock
) -> None:
    world = factories.world(db)
    centers = factories.centers(db, world.region)
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        car = taken_in(http, world.pingyang_key, centers.pingyang, tariff_from=date(2026, 11, 23))  # type: ignore[arg-type]
        custody_id = car.custody["id"]

        # Inspected the next morning: 15 points off across the checklist, a scratch photographed.
        clock.advance(timedelta(hours=24))
        staff = login(http, "py.center")  # the first tokens have expired by now
        checklist = http.get("/api/inspection-checklist", headers=staff).json()
        assert [s["name"] for s in checklist["sections"]] == SECTION_NAMES
        first_body_item = checklist["sections"][0]["items"][0]["code"]
        lost = {first_body_item: 1}
        engine = checklist["sections"][1]["items"]
        lost |= {engine[0]["code"]: engine[0]["points"], engine[1]["code"]: engine[1]["points"]}
        inspection = http.post(
            f"/api/custody/{custody_id}/inspection",
            json={
                "inspector_name": "王检测员",
                "odometer_km": 86431,
                "items": full_marks_but(checklist, lost),
                "defects": [
                    {
                        "target": "item",
                        "point_code": first_body_item,
                        "defect_code": "HH",
                        "notes": "发动机舱盖表面划痕约10厘米",
                        "photos": [{"caption": "划痕", "content_base64": PNG_BASE64}],
                    }
                ],
                "summary": "车况一般",
            },
            headers=staff,
        )
        assert inspection.status_code == 201, inspection.text
        graded = inspection.json()
        expected_score = 100 - sum(lost.values())
        assert graded["score"] == expected_score
        assert graded["grade"] == (1 if expected_score >= 90 else 2 if expected_score >= 60 else 3)
        assert graded["accident"] is False

        # The PDF report, read back as text.
        pdf = http.get(f"/api/inspections/{graded['id']}/report.pdf", headers=staff)
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        compact = "".join(text.split())
        assert graded["grade_name"] in compact
        for name in SECTION_NAMES:
            assert name in compact, name

        # A month later: the statement to the fen.
        clock.advance(timedelta(days=30))
        officer = login(http, "py.officer")
        statement = http.get(f"/api/custody/{custody_id}/statement", headers=officer).json()
        km = math.ceil(car.capture["distance_km"])
        towing = SMALL_TARIFF["towing_base_fen"] + km * SMALL_TARIFF["towing_per_km_fen"]
        assert statement["storage_days"] == 31
        assert (
            statement["total_fen"]
            == 31 * SMALL_TARIFF["storage_daily_fen"] + towing + SMALL_TARIFF["inspection_fen"]
        )
        assert sorted(c["kind"] for c in statement["charges"]) == ["inspection", "towing"]

        # The car does not leave without the court's order.
        staff = login(http, "py.center")
        refused = http.post(
            f"/api/custody/{custody_id}/release",
            json={"order_id": 1, "recipient_id_number": "330326199001011236", "keys_handed": 2},
            headers=staff,
        )
        assert refused.status_code == 409
        assert http.get(f"/api/custody/{custody_id}", headers=staff).json()["status"] == "in_custody"

        # Intake and inspection were on time; the price and the listing are not reached, and 31 days after
        # the seizure no price inquiry has started (参考价规定 Art. 1): one warning each.
        sweep_stage_clocks(db)
        sweep_stage_clocks(db)
        with db.unit_of_work(read_only=True) as s:
            warned = sorted(s.scalars(select(StageWarning.stage)))
        assert warned == ["inquiry_started", "listing", "reference_price"]
        stages = {
            s["stage"]: s
            for s in http.get(f"/api/captures/{car.capture['id']}/stages", headers=officer).json()["stages"]
        }
        assert stages["intake"]["status"] == "on_time"
        assert stages["inspection"]["status"] == "on_time"
