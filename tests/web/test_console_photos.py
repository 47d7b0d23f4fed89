"""A car's photos in the console (the capture's, the intake's, the defects'), the inspection report with
its photos, and the clerk's correction of an inspection from its page."""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import User
from car_enforce.core.identity.service import principal_of_user
from car_enforce.custody.models import Custody
from tests import factories
from tests.api_helpers import PASSWORD
from tests.capture_helpers import PNG_BASE64
from tests.custody_helpers import in_custody
from tests.pricing_helpers import FACTS
from valuation.inspection.checklist import checklist
from valuation.inspection.models import Inspection
from valuation.inspection.schemas import DefectIn, DefectPhotoIn, InspectionIn, ItemScoreIn
from valuation.inspection.service import record_inspection
from valuation.reference_price.service import CarFacts, open_pricing

SCRIPT = "<script>alert('x')</script>"


@dataclass(frozen=True)
class Car:
    case_id: int
    capture_id: int
    custody_id: int
    inspection_id: int
    defect_id: int
    door: bytes  # the defect's photo


def _form_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found is not None, html
    return found.group(1)


def _logged_in(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app)
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": _form_csrf(page.text), "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def car(db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock) -> Car:
    """The 平阳 court's car taken into the 平阳 center and inspected, a scratch on its door photographed."""
    built = in_custody(db, world.pingyang_key, centers.pingyang, tariff_from=clock.now().date(), intake={})
    clock.advance(timedelta(hours=1))
    door = base64.b64decode(PNG_BASE64) + uuid.uuid4().bytes
    with db.unit_of_work() as s:
        staff = s.scalars(select(User).where(User.username == "py.center")).one()
        custody = s.get(Custody, built.custody["id"])
        assert custody is not None
        photo = DefectPhotoIn(caption="左前门划痕", content_base64=base64.b64encode(door).decode())
        inspection, _ = record_inspection(
            s,
            actor=principal_of_user(staff),
            custody=custody,
            data=InspectionIn(
                inspector_name="王检测员",
                odometer_km=86420,
                items=[
                    ItemScoreIn(code=item.code, score=item.points - (1 if item.code == "B06" else 0))
                    for _, item in checklist().items
                ],
                defects=[
                    DefectIn(target="item", point_code="B06", defect_code="HH", notes=SCRIPT, photos=[photo])
                ],
                summary="车况良好。",
            ),
        )
        return Car(
            built.case["id"],
            built.capture["id"],
            custody.id,
            inspection.id,
            inspection.defects[0].id,
            door,
        )


def _photo_urls(car: Car) -> list[str]:
    return [
        f"/captures/{car.capture_id}/photos/0",
        *(f"/custody/{car.custody_id}/photos/{n}" for n in range(4)),
        f"/inspections/{car.inspection_id}/defects/{car.defect_id}/photos/0",
    ]


def test_the_officer_sees_the_cars_photos_on_the_case_page_and_opens_each(app: FastAPI, car: Car) -> None:
    with _logged_in(app, "py.officer") as client:
        page = client.get(f"/cases/{car.case_id}")
        assert page.status_code == 200, page.text
        assert "扣押、入库与检测照片" in page.text and "检测缺陷：B06 左前车门 · HH 划痕" in page.text
        for url in _photo_urls(car):
            assert f'<a href="{url}" target="_blank"' in page.text and f'<img src="{url}"' in page.text
            r = client.get(url)
            assert r.status_code == 200 and r.headers["content-type"] == "image/png", url
        defect = client.get(f"/inspections/{car.inspection_id}/defects/{car.defect_id}/photos/0")
        assert defect.content == car.door
        assert client.get(f"/captures/{car.capture_id}/photos/0").content == base64.b64decode(PNG_BASE64)
        assert client.get(f"/custody/{car.custody_id}/photos/4").status_code == 404


@pytest.mark.parametrize("stranger", ["lc.officer", "hz.center"])
def test_another_courts_or_centers_people_are_not_told_the_photos_exist(
    app: FastAPI, car: Car, stranger: str
) -> None:
    with _logged_in(app, stranger) as client:
        for url in [*_photo_urls(car), f"/inspections/{car.inspection_id}/report"]:
            r = client.get(url)
            assert r.status_code == 404 and "未找到" in r.text, url


def test_the_clerk_sees_the_photos_on_the_custody_page_and_the_report_shows_the_defects(
    app: FastAPI, car: Car
) -> None:
    with _logged_in(app, "py.center") as client:
        page = client.get(f"/center/custody/{car.custody_id}")
        assert page.status_code == 200, page.text
        for url in _photo_urls(car):
            assert f'<img src="{url}"' in page.text, url
        assert f'href="/inspections/{car.inspection_id}/report"' in page.text
        report = client.get(f"/inspections/{car.inspection_id}/report")
        assert report.status_code == 200 and "机动车技术状况鉴定报告" in report.text
        assert f'<img src="/inspections/{car.inspection_id}/defects/{car.defect_id}/photos/0"' in report.text
        assert "<script>alert" not in report.text and "&lt;script&gt;" in report.text
        pdf = client.get(f"/inspections/{car.inspection_id}/report.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def _correction_form(html: str) -> dict[str, str | list[str]]:
    """The correction form as the browser would send it: every input's value as the page filled it in."""
    form: dict[str, str | list[str]] = {"csrf": _form_csrf(html)}
    for name, value in re.findall(
        r'<input name="(item_\w+|inspector_name|odometer_km)"[^>]*value="([^"]*)"', html
    ):
        form[name] = value
    summary = re.search(r'<textarea name="summary"[^>]*>([^<]*)</textarea>', html)
    assert summary is not None
    form["summary"] = summary.group(1)
    form["keep_defect"] = re.findall(r'name="keep_defect" value="(\d+)" checked', html)
    return form


def _versions(db: Database) -> list[tuple[int, int, str]]:
    with db.unit_of_work(read_only=True) as s:
        rows = s.execute(select(Inspection.version, Inspection.score, Inspection.correction_reason)).all()
        return sorted((v, score, reason) for v, score, reason in rows)


def test_the_clerk_corrects_the_inspection_from_its_page_with_a_reason(
    app: FastAPI, db: Database, car: Car
) -> None:
    with _logged_in(app, "py.center") as client:
        page = client.get(f"/center/custody/{car.custody_id}/inspection")
        assert page.status_code == 200, page.text
        assert "更正检测" in page.text and "现行检测结果（第1版）" in page.text and "99分" in page.text
        assert 'name="inspector_name" required maxlength="64" value="王检测员"' in page.text
        assert 'name="item_B06" type="number" min="0" max="1" value="0"' in page.text  # as recorded
        form = _correction_form(page.text)
        assert form["keep_defect"] == [str(car.defect_id)] and form["odometer_km"] == "86420"
        form["item_E01"] = str(int(str(form["item_E01"])) - 2)

        refused = client.post(f"/center/inspections/{car.inspection_id}/corrections", data=form)
        assert refused.status_code == 422, refused.text
        beside = re.search(r'name="reason".*?</label>', refused.text, re.DOTALL)
        assert beside is not None and "请填写更正理由" in beside.group(0)
        assert f'value="{form["item_E01"]}"' in refused.text  # what was typed is kept
        assert _versions(db) == [(1, 99, "")]

        form["reason"] = f"E01项漏扣2分 {SCRIPT}"
        done = client.post(
            f"/center/inspections/{car.inspection_id}/corrections", data=form, follow_redirects=False
        )
        assert (done.status_code, done.headers["location"]) == (303, f"/center/custody/{car.custody_id}")
        assert _versions(db) == [(1, 99, ""), (2, 97, f"E01项漏扣2分 {SCRIPT}")]
        custody = client.get(f"/center/custody/{car.custody_id}").text
        assert "已更正（第2版）" in custody and "&lt;script&gt;" in custody and "<script>alert" not in custody
        with db.unit_of_work(read_only=True) as s:
            latest = s.scalars(select(Inspection).where(Inspection.version == 2)).one()
            [defect] = latest.defects
            assert defect.photos[0].size_bytes == len(car.door)  # kept, with its photo
            latest_id, defect_id = latest.id, defect.id
        assert client.get(f"/inspections/{latest_id}/defects/{defect_id}/photos/0").content == car.door
        report = client.get(f"/inspections/{latest_id}/report").text
        assert "本报告为更正后的第2版" in report and "E01项漏扣2分" in report

        stale = client.post(
            f"/center/inspections/{car.inspection_id}/corrections", data={**form, "summary": "另一处更正"}
        )
        assert stale.status_code == 409 and "第 1 版检测已被更正" in stale.text  # the page was out of date
        assert len(_versions(db)) == 2


def test_the_price_page_says_the_inspection_was_corrected_after_the_price_was_opened(
    app: FastAPI, db: Database, car: Car
) -> None:
    with db.unit_of_work() as s:
        officer = principal_of_user(s.scalars(select(User).where(User.username == "py.officer")).one())
        custody = s.get(Custody, car.custody_id)
        assert custody is not None
        facts = CarFacts(
            FACTS["brand_model"], date.fromisoformat(FACTS["first_registered_on"]), FACTS["fuel"]
        )
        pricing_id = open_pricing(s, actor=officer, custody=custody, facts=facts).id
    with _logged_in(app, "py.center") as clerk:
        page = clerk.get(f"/center/custody/{car.custody_id}/inspection")
        form = {**_correction_form(page.text), "reason": "里程录错"}
        form["odometer_km"] = "68420"
        done = clerk.post(
            f"/center/inspections/{car.inspection_id}/corrections", data=form, follow_redirects=False
        )
        assert done.status_code == 303, done.text
    with _logged_in(app, "py.officer") as client:
        page = client.get(f"/reference-prices/{pricing_id}")
        assert page.status_code == 200, page.text
        assert "检测结果已于" in page.text and "里程录错" in page.text
        assert "本参考价以启动时的检测结果（99分）为依据" in page.text
