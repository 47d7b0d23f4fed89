"""Inspection at the center (GB/T 30323-2013) through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import NotFound
from car_enforce.core.files import evidence
from car_enforce.core.notify import service as notify
from car_enforce.core.notify.models import Channel, Notification
from car_enforce.core.settings import get_settings
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.custody.models import ChargeKind, CustodyCharge
from car_enforce.stages.models import Stage, StageReached
from tests import factories
from tests.api_helpers import DEBTOR_ID, login
from tests.capture_helpers import OFFICER_PHONE, PNG_BASE64, police, texts_to
from tests.custody_helpers import InCustody, taken_in
from valuation import pdf_font
from valuation.inspection.checklist import checklist
from valuation.inspection.models import Inspection, InspectionDefect, InspectionItem, InspectionPhoto

# Every test here runs with the two centers of the region (the app starts after them).
pytestmark = pytest.mark.usefixtures("centers")

TODAY = date(2026, 11, 23)  # conftest's START, a Monday in Wenzhou
SECTION_NAMES = ["车身检查", "发动机舱检查", "驾驶舱检查", "起动检查", "路试检查", "底盘检查"]
# Points lost per item in the standard submission: 15 in all, so 85 points, grade 2.
LOST = {"B06": 1, "B07": 1, "E01": 3, "E07": 2, "S06": 2, "S10": 2, "R04": 2, "D06": 2}
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def car(
    client: TestClient, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> InCustody:
    """A car taken into the 平阳 center's custody at 09:00; the inspection starts two hours later."""
    taken = taken_in(client, world.pingyang_key, centers.pingyang, tariff_from=TODAY)
    clock.advance(timedelta(hours=2))
    return taken


def photo(caption: str = "缺陷照片", content: str = PNG_BASE64) -> dict[str, str]:
    return {"caption": caption, "content_base64": content}


def unique_png() -> tuple[str, str]:
    """A PNG no other test stores: (its base64, the evidence reference it would be stored under)."""
    data = base64.b64decode(PNG_BASE64) + uuid.uuid4().bytes  # bytes after IEND are ignored by readers
    return base64.b64encode(data).decode(), f"sha256:{hashlib.sha256(data).hexdigest()}.png"


def scores(lost: dict[str, int] | None = None) -> list[dict[str, Any]]:
    lost = LOST if lost is None else lost
    return [
        {"code": item.code, "score": item.points - lost.get(item.code, 0), "notes": ""}
        for _, item in checklist().items
    ]


def submission(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "inspector_name": "王检测员",
        "inspected_at": "2026-11-23T10:30:00+08:00",
        "odometer_km": 86420,
        "items": scores(),
        "defects": [
            {
                "target": "item",
                "point_code": "B06",
                "defect_code": "HH",
                "notes": "左前车门划痕约10厘米",
                "photos": [photo("左前车门")],
            },
            {"target": "item", "point_code": "E07", "defect_code": "LH", "photos": [photo("皮带")]},
        ],
        "summary": "车况一般，发动机皮带需更换。",
    }
    body.update(changes)
    return body


def url(car: InCustody) -> str:
    return f"/api/custody/{car.custody['id']}/inspection"


@dataclass(frozen=True)
class Counts:
    inspections: int
    items: int
    defects: int
    photos: int
    fees: int
    events: int
    notifications: int


def counts(db: Database) -> Counts:
    with db.unit_of_work(read_only=True) as s:

        def n(model: type, *where: Any) -> int:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

        return Counts(
            inspections=n(Inspection),
            items=n(InspectionItem),
            defects=n(InspectionDefect),
            photos=n(InspectionPhoto),
            fees=n(CustodyCharge, CustodyCharge.kind == ChargeKind.INSPECTION),
            events=n(TimelineEvent, TimelineEvent.kind == "inspection.recorded"),
            notifications=n(Notification),
        )


NOTHING = (0, 0, 0, 0, 0, 0)


def stored(db: Database) -> tuple[int, ...]:
    c = counts(db)
    return (c.inspections, c.items, c.defects, c.photos, c.fees, c.events)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_a_full_inspection_is_scored_graded_and_charged(
    client: TestClient, db: Database, car: InCustody
) -> None:
    r = client.post(url(car), json=submission(), headers=car.staff)
    assert r.status_code == 201, r.text
    inspection = r.json()
    assert (inspection["score"], inspection["grade"], inspection["grade_name"]) == (85, 2, "二级")
    assert inspection["accident"] is False and inspection["flood_damage"] is False
    assert inspection["inspected_at"] == "2026-11-23T02:30:00Z"
    assert inspection["checklist_version"] == checklist().version
    assert [(s["name"], s["score"], s["points"]) for s in inspection["sections"]] == [
        ("车身检查", 18, 20),
        ("发动机舱检查", 15, 20),
        ("驾驶舱检查", 10, 10),
        ("起动检查", 16, 20),
        ("路试检查", 13, 15),
        ("底盘检查", 13, 15),
    ]
    assert len(inspection["items"]) == 66 and inspection["items"][0]["code"] == "B01"
    first, second = inspection["defects"]
    assert (first["point_name"], first["defect_code"], first["defect_name"]) == ("左前车门", "HH", "划痕")
    assert (second["point_name"], second["defect_name"]) == ("发动机皮带无老化", "老化")
    assert first["photos"][0]["evidence_ref"].endswith(".png")

    assert counts(db).fees == 1
    with db.unit_of_work(read_only=True) as s:
        fee = s.scalars(select(CustodyCharge).where(CustodyCharge.kind == ChargeKind.INSPECTION)).one()
        assert fee.amount_fen == 50000 and fee.basis["inspection_id"] == inspection["id"]
        reached = s.scalars(
            select(StageReached).where(
                StageReached.capture_id == car.capture["id"], StageReached.stage == Stage.INSPECTION
            )
        ).one()
        assert reached.reached_at.isoformat() == "2026-11-23T02:30:00+00:00"
    statement = client.get(f"/api/custody/{car.custody['id']}/statement", headers=car.officer)
    assert statement.status_code == 200, statement.text
    assert "50000" in statement.text

    timeline = client.get(f"/api/cases/{car.case['id']}/timeline", headers=car.officer).json()
    event = timeline[-1]
    assert event["kind"] == "inspection.recorded"
    assert event["subject"] == f"custody:{car.custody['id']}"
    assert {k: event["data"][k] for k in ("score", "grade", "accident", "flood_damage", "fire_damage")} == {
        "score": 85,
        "grade": 2,
        "accident": False,
        "flood_damage": False,
        "fire_damage": False,
    }
    [sms] = [t for t in texts_to(db, OFFICER_PHONE) if "完成检测" in t]
    assert sms == (
        f"【云执车】被扣押车辆浙C12345已在{factories.PINGYANG_CENTER}完成检测，技术状况等级：二级（85分）。"
    )

    for who in (car.staff, car.officer, login(client, "root.admin")):
        assert client.get(url(car), headers=who).json() == inspection
        assert client.get(f"/api/inspections/{inspection['id']}", headers=who).json() == inspection


def test_the_court_and_the_center_are_told_by_webhook(
    client: TestClient,
    db: Database,
    world: factories.World,
    centers: factories.Centers,
    car: InCustody,
) -> None:
    subscribers = {
        world.pingyang_court: "https://court.example/hooks",
        centers.pingyang: "https://py-center.example/hooks",
        centers.hangzhou: "https://hz-center.example/hooks",  # not its car: told nothing
    }
    with db.unit_of_work() as s:
        for org_id, hook in subscribers.items():
            notify.create_subscription(
                s,
                organisation_id=org_id,
                url=hook,
                event_kinds=["inspection.recorded"],
                actor=factories.SYSTEM,
            )
    inspection = client.post(url(car), json=submission(), headers=car.staff).json()
    with db.unit_of_work(read_only=True) as s:
        sent = s.execute(
            select(Notification.recipient, Notification.body).where(Notification.channel == Channel.WEBHOOK)
        ).all()
    assert sorted(hook for hook, _ in sent) == [
        "https://court.example/hooks",
        "https://py-center.example/hooks",
    ]
    assert all(f'"inspection_id":{inspection["id"]}' in body and '"grade":2' in body for _, body in sent)


def test_a_structural_defect_makes_an_accident_vehicle_grade_5(
    client: TestClient, db: Database, car: InCustody
) -> None:
    defects = [
        {"target": "structural", "point_code": "A_L", "defect_code": "SH", "photos": [photo("左A柱焊点")]},
        {"target": "flood", "defect_code": "SP", "photos": [photo("座椅导轨锈迹")]},
    ]
    body = submission(items=scores({}), defects=defects, flood_damage=True)
    r = client.post(url(car), json=body, headers=car.staff)
    assert r.status_code == 201, r.text
    assert (r.json()["score"], r.json()["grade"], r.json()["grade_name"]) == (100, 5, "五级")
    assert r.json()["accident"] is True and r.json()["flood_damage"] is True
    assert r.json()["defects"][0]["point_name"] == "左A柱" and r.json()["defects"][0]["defect_name"] == "烧焊"
    [sms] = [t for t in texts_to(db, OFFICER_PHONE) if "完成检测" in t]
    assert "技术状况等级：五级（100分），车体结构受损，属事故车，有水泡痕迹" in sms

    html = client.get(f"/api/inspections/{r.json()['id']}/report.html", headers=car.officer).text
    assert "技术状况等级：五级" in html
    assert "是（车体结构受损，技术状况等级为五级）" in html and "是（水泡车）" in html
    assert "A_L 左A柱" in html and "SH 烧焊" in html


def test_the_same_submission_again_returns_the_first_inspection(
    client: TestClient, db: Database, car: InCustody
) -> None:
    first = client.post(url(car), json=submission(), headers=car.staff)
    assert first.status_code == 201, first.text
    before = counts(db)
    assert (before.inspections, before.items, before.defects, before.photos, before.fees) == (1, 66, 2, 2, 1)
    again = client.post(url(car), json=submission(), headers=login(client, "py.center"))
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert counts(db) == before  # nothing duplicated: no rows, no fee, no event, no message


def test_a_different_submission_for_an_inspected_car_is_a_conflict(
    client: TestClient, db: Database, car: InCustody
) -> None:
    first = client.post(url(car), json=submission(), headers=car.staff)
    assert first.status_code == 201, first.text
    before = counts(db)
    r = client.post(url(car), json=submission(summary="重新检测"), headers=car.staff)
    assert r.status_code == 409, r.text
    assert f"inspection {first.json()['id']}" in r.json()["detail"]
    assert counts(db) == before
    assert client.get(url(car), headers=car.staff).json()["summary"] == "车况一般，发动机皮带需更换。"


@pytest.mark.parametrize("score", [2, -1])
def test_a_score_outside_the_items_points_is_refused_and_nothing_is_stored(
    client: TestClient, db: Database, car: InCustody, score: int
) -> None:
    items = scores()
    assert items[3]["code"] == "B04"  # worth 1 point
    items[3]["score"] = score
    r = client.post(url(car), json=submission(items=items), headers=car.staff)
    assert r.status_code == 422, r.text
    assert r.json()["fields"] == ["items[3].score"]
    assert "0 to 1" in r.json()["detail"]
    assert stored(db) == NOTHING


def test_every_item_must_be_scored_exactly_once(client: TestClient, db: Database, car: InCustody) -> None:
    items = scores()
    cases = [
        (items[:-1], "items", "D08"),
        ([*items, dict(items[0])], "items[66].code", "scored already at items[0]"),
        ([{"code": "X99", "score": 0}, *items[1:]], "items[0].code", "'X99' is not an item"),
    ]
    for body_items, field, words in cases:
        r = client.post(url(car), json=submission(items=body_items), headers=car.staff)
        assert r.status_code == 422, r.text
        assert r.json()["fields"] == [field] and words in r.json()["detail"]
    assert stored(db) == NOTHING


def test_a_defect_without_a_photo_is_refused_and_no_photo_is_kept(
    client: TestClient, db: Database, car: InCustody
) -> None:
    content, ref = unique_png()
    defects = [
        {"target": "item", "point_code": "B06", "defect_code": "HH", "photos": [photo(content=content)]},
        {"target": "item", "point_code": "E07", "defect_code": "LH", "photos": []},
    ]
    r = client.post(url(car), json=submission(defects=defects), headers=car.staff)
    assert r.status_code == 422, r.text
    assert r.json()["fields"] == ["defects[1].photos"]
    assert stored(db) == NOTHING
    with pytest.raises(NotFound):
        evidence.read(ref)  # the first defect's photo was checked, never written
    # The same photo in a valid submission is written: the check above could have failed.
    defects[1]["photos"] = [photo()]
    assert client.post(url(car), json=submission(defects=defects), headers=car.staff).status_code == 201
    assert evidence.read(ref) == base64.b64decode(content)


def test_defect_codes_must_fit_their_target(client: TestClient, db: Database, car: InCustody) -> None:
    cases = [
        ({"target": "item", "point_code": "B06", "defect_code": "GH"}, "defects[0].defect_code"),
        ({"target": "structural", "point_code": "A_L", "defect_code": "HH"}, "defects[0].defect_code"),
        ({"target": "item", "point_code": "E07", "defect_code": "HH"}, "defects[0].defect_code"),
        ({"target": "structural", "point_code": "B06", "defect_code": "BX"}, "defects[0].point_code"),
        ({"target": "item", "point_code": "A_L", "defect_code": "BX"}, "defects[0].point_code"),
        ({"target": "fire", "point_code": "B06", "defect_code": "HS"}, "defects[0].point_code"),
    ]
    for defect, field in cases:
        body = submission(defects=[{**defect, "photos": [photo()]}])
        r = client.post(url(car), json=body, headers=car.staff)
        assert r.status_code == 422, (defect, r.text)
        assert r.json()["fields"] == [field], defect
    assert stored(db) == NOTHING


def test_flood_and_fire_flags_need_a_photographed_defect(
    client: TestClient, db: Database, car: InCustody
) -> None:
    r = client.post(url(car), json=submission(fire_damage=True), headers=car.staff)
    assert r.status_code == 422 and r.json()["fields"] == ["fire_damage"]
    fire = {"target": "fire", "defect_code": "HS", "photos": [photo("发动机舱熏黑")]}
    r = client.post(url(car), json=submission(defects=[fire]), headers=car.staff)
    assert r.status_code == 422 and r.json()["fields"] == ["fire_damage"]  # photographed but not flagged
    assert stored(db) == NOTHING
    r = client.post(url(car), json=submission(defects=[fire], fire_damage=True), headers=car.staff)
    assert r.status_code == 201, r.text
    assert r.json()["fire_damage"] is True and r.json()["grade"] == 2  # fire is recorded, not graded


def test_a_car_no_longer_in_custody_is_not_inspected(
    client: TestClient, db: Database, car: InCustody
) -> None:
    order = client.post(
        f"/api/custody/{car.custody['id']}/release-orders",
        json={
            "kind": "return_to_owner",
            "document_number": "（2026）浙0326执1234号之二",
            "recipient_name": "林某某",
            "recipient_id_number": "330326199001011236",
        },
        headers=car.officer,
    )
    assert order.status_code == 201, order.text
    released = client.post(
        f"/api/custody/{car.custody['id']}/release",
        json={"order_id": order.json()["id"], "recipient_id_number": "330326199001011236", "keys_handed": 2},
        headers=car.staff,
    )
    assert released.status_code == 200 and released.json()["status"] == "released", released.text
    r = client.post(url(car), json=submission(), headers=car.staff)
    assert r.status_code == 409, r.text
    assert "released" in r.json()["detail"]
    assert stored(db) == NOTHING


def test_only_the_staff_of_the_cars_center_inspect_it(
    client: TestClient, db: Database, world: factories.World, car: InCustody
) -> None:
    assert client.post(url(car), json=submission(), headers=login(client, "hz.center")).status_code == 404
    assert client.post(url(car), json=submission(), headers=car.officer).status_code == 403
    assert client.post(url(car), json=submission(), headers=login(client, "root.admin")).status_code == 403
    assert client.post(url(car), json=submission(), headers=police(world.pingyang_key)).status_code == 403
    assert stored(db) == NOTHING
    inspection = client.post(url(car), json=submission(), headers=car.staff).json()
    for stranger in (login(client, "hz.center"), login(client, "lc.officer")):
        for path in (
            url(car),
            f"/api/inspections/{inspection['id']}",
            f"/api/inspections/{inspection['id']}/report.html",
            f"/api/inspections/{inspection['id']}/report.pdf",
        ):
            r = client.get(path, headers=stranger)
            assert r.status_code == 404 and r.json()["error"] == "NotFound", path
    assert client.get("/api/inspections/999999", headers=car.officer).status_code == 404


def test_an_uninspected_custody_has_no_inspection(client: TestClient, car: InCustody) -> None:
    r = client.get(url(car), headers=car.officer)
    assert r.status_code == 404 and "no inspection yet" in r.json()["detail"]


def test_the_pdf_report_prints_the_grade_and_the_sections_in_chinese(
    client: TestClient, car: InCustody
) -> None:
    inspection = client.post(url(car), json=submission(), headers=car.staff).json()
    r = client.get(f"/api/inspections/{inspection['id']}/report.pdf", headers=car.officer)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    assert "技术状况等级：二级" in text and "总分：85分" in text
    for name in SECTION_NAMES:
        assert name in text
    assert "浙C12345" in text and "LSVAU218XN2183294" in text and "王检测员" in text
    assert "HH 划痕" in text and "2026年11月23日" in text
    assert "林某某" not in text and DEBTOR_ID not in text  # nothing about the debtor


def test_the_html_report_shows_the_same_and_escapes_what_people_typed(
    client: TestClient, car: InCustody
) -> None:
    items = scores()
    items[5]["notes"] = SCRIPT
    body = submission(items=items, summary=f"结论 {SCRIPT}")
    inspection = client.post(url(car), json=body, headers=car.staff).json()
    r = client.get(f"/api/inspections/{inspection['id']}/report.html", headers=car.officer)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "技术状况等级：二级" in html
    for name in SECTION_NAMES:
        assert name in html
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") == 2  # the notes and the summary
    assert (
        "HH 划痕" in html
        and "左前车门" in html
        and inspection["defects"][0]["photos"][0]["evidence_ref"] in html
    )
    for defect in inspection["defects"]:  # each photo shown as an image the API serves
        assert f'<img src="{defect["photos"][0]["url"]}"' in html
    assert "林某某" not in html and DEBTOR_ID not in html


def test_without_a_cjk_font_the_pdf_is_refused_naming_the_package(
    client: TestClient, car: InCustody, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspection = client.post(url(car), json=submission(), headers=car.staff).json()
    pdf_url = f"/api/inspections/{inspection['id']}/report.pdf"
    monkeypatch.setattr(pdf_font, "KNOWN_FONTS", ())
    r = client.get(pdf_url, headers=car.officer)
    assert r.status_code == 503, r.text
    assert r.json()["error"] == "ReportFontMissing" and "fonts-wqy-microhei" in r.json()["detail"]
    monkeypatch.setattr(get_settings(), "report_font_path", Path("/nonexistent/font.ttc"))
    r = client.get(pdf_url, headers=car.officer)
    assert r.status_code == 503 and "/nonexistent/font.ttc" in r.json()["detail"]
    # The HTML report needs no font.
    assert (
        client.get(f"/api/inspections/{inspection['id']}/report.html", headers=car.officer).status_code == 200
    )


def test_the_checklist_is_served_to_any_logged_in_user(
    client: TestClient, world: factories.World, car: InCustody
) -> None:
    r = client.get("/api/inspection-checklist", headers=police(world.pingyang_key))
    assert r.status_code == 200
    assert [s["name"] for s in r.json()["sections"]] == SECTION_NAMES
    assert sum(s["points"] for s in r.json()["sections"]) == 100
    assert client.get("/api/inspection-checklist").status_code == 401
