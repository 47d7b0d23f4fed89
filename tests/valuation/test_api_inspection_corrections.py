"""Correcting an inspection through the HTTP API: a new version with its reason, the earlier one kept, the
latest one counting; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.custody.models import ChargeKind, CustodyCharge
from tests import factories
from tests.api_helpers import login
from tests.capture_helpers import OFFICER_PHONE, PNG_BASE64, texts_to
from tests.custody_helpers import InCustody, taken_in
from tests.pricing_helpers import FACTS
from valuation.inspection.checklist import checklist
from valuation.inspection.models import Inspection, InspectionPhoto

pytestmark = pytest.mark.usefixtures("centers")

TODAY = date(2026, 11, 23)
CORRECTED = {"B06": 1, "E01": 2}
REASON = "E01项漏扣2分，复核更正"


@pytest.fixture
def car(
    client: TestClient, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> InCustody:
    taken = taken_in(client, world.pingyang_key, centers.pingyang, tariff_from=TODAY)
    clock.advance(timedelta(hours=2))
    return taken


def body(lost: dict[str, int] | None = None, **changes: Any) -> dict[str, Any]:
    """An inspection finding a scratch on the left front door: 99 points; 97 as corrected (``CORRECTED``)."""
    lost = lost or {"B06": 1}
    document: dict[str, Any] = {
        "inspector_name": "王检测员",
        "inspected_at": "2026-11-23T10:30:00+08:00",
        "odometer_km": 86420,
        "items": [
            {"code": item.code, "score": item.points - lost.get(item.code, 0)}
            for _, item in checklist().items
        ],
        "defects": [
            {
                "target": "item",
                "point_code": "B06",
                "defect_code": "HH",
                "notes": "左前车门划痕",
                "photos": [{"caption": "左前车门", "content_base64": PNG_BASE64}],
            }
        ],
        "summary": "车况良好。",
    }
    document.update(changes)
    return document


def inspected(client: TestClient, car: InCustody) -> dict[str, Any]:
    r = client.post(f"/api/custody/{car.custody['id']}/inspection", json=body(), headers=car.staff)
    assert r.status_code == 201, r.text
    return dict(r.json())


def correct(client: TestClient, car: InCustody, inspection_id: int, **changes: Any) -> Any:
    document = body(CORRECTED, reason=REASON, **changes)
    return client.post(f"/api/inspections/{inspection_id}/corrections", json=document, headers=car.staff)


def versions(db: Database) -> list[tuple[int, int, int | None, str]]:
    with db.unit_of_work(read_only=True) as s:
        rows = s.execute(
            select(
                Inspection.version, Inspection.score, Inspection.replaces_id, Inspection.correction_reason
            ).order_by(Inspection.id)
        ).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_a_correction_is_a_new_version_and_the_earlier_one_stays_as_it_was(
    client: TestClient, db: Database, car: InCustody
) -> None:
    first = inspected(client, car)
    assert (first["version"], first["latest"], first["corrects"], first["corrected_by_id"]) == (
        1,
        True,
        None,
        None,
    )
    r = correct(client, car, first["id"])
    assert r.status_code == 201, r.text
    second = r.json()
    assert (second["version"], second["latest"], second["score"]) == (2, True, 97)
    assert second["corrects"]["replaces_id"] == first["id"] and second["corrects"]["replaces_version"] == 1
    assert second["corrects"]["reason"] == REASON and second["corrects"]["corrected_by"] == "user:py.center"
    assert second["inspected_at"] == first["inspected_at"]

    earlier = client.get(f"/api/inspections/{first['id']}", headers=car.officer).json()
    assert earlier == {**first, "latest": False, "corrected_by_id": second["id"]}  # never changed in place
    assert versions(db) == [(1, 99, None, ""), (2, 97, first["id"], REASON)]
    for who in (car.officer, car.staff):
        assert client.get(f"/api/custody/{car.custody['id']}/inspection", headers=who).json() == second

    with db.unit_of_work(read_only=True) as s:
        fees = s.scalar(
            select(func.count()).select_from(CustodyCharge).where(CustodyCharge.kind == ChargeKind.INSPECTION)
        )
        assert fees == 1  # the car was inspected once; only the record was wrong
    event = client.get(f"/api/cases/{car.case['id']}/timeline", headers=car.officer).json()[-1]
    assert event["kind"] == "inspection.corrected"
    assert {k: event["data"][k] for k in ("inspection_id", "replaces_id", "version", "reason", "score")} == {
        "inspection_id": second["id"],
        "replaces_id": first["id"],
        "version": 2,
        "reason": REASON,
        "score": 97,
    }
    [sms] = [t for t in texts_to(db, OFFICER_PHONE) if "更正" in t]
    assert "技术状况等级：一级（97分）（原为一级，99分）" in sms and REASON in sms


def test_only_the_latest_version_is_corrected_and_the_same_correction_again_is_a_replay(
    client: TestClient, db: Database, car: InCustody
) -> None:
    first = inspected(client, car)
    second = correct(client, car, first["id"])
    assert second.status_code == 201, second.text
    again = correct(client, car, first["id"])
    assert again.status_code == 200 and again.json() == second.json()
    other = correct(client, car, first["id"], summary="另一次更正")
    assert other.status_code == 409, other.text
    assert f"inspection {second.json()['id']}, version 2" in other.json()["detail"]
    assert len(versions(db)) == 2
    third = correct(client, car, second.json()["id"], summary="再次更正")
    assert third.status_code == 201 and third.json()["version"] == 3
    # The first submission again still answers with the inspection as first recorded.
    replay = client.post(f"/api/custody/{car.custody['id']}/inspection", json=body(), headers=car.staff)
    assert replay.status_code == 200 and replay.json()["id"] == first["id"]
    assert replay.json()["latest"] is False
    with db.unit_of_work(read_only=True) as s:
        kinds = s.scalars(select(TimelineEvent.kind).where(TimelineEvent.kind.like("inspection.%"))).all()
        assert sorted(kinds) == ["inspection.corrected", "inspection.corrected", "inspection.recorded"]


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_correction_needs_its_reason(
    client: TestClient, db: Database, car: InCustody, reason: str | None
) -> None:
    first = inspected(client, car)
    document = body(CORRECTED) | ({} if reason is None else {"reason": reason})
    r = client.post(f"/api/inspections/{first['id']}/corrections", json=document, headers=car.staff)
    assert r.status_code == 422, r.text
    assert r.json()["fields"] == ["reason"]
    assert len(versions(db)) == 1


def test_a_correction_keeps_a_photo_by_its_reference_and_only_one_of_the_corrected_version(
    client: TestClient, db: Database, car: InCustody
) -> None:
    first = inspected(client, car)
    [photo] = first["defects"][0]["photos"]
    kept = [
        {**body()["defects"][0], "photos": [{"caption": "左前车门", "evidence_ref": photo["evidence_ref"]}]}
    ]
    r = correct(client, car, first["id"], defects=kept)
    assert r.status_code == 201, r.text
    [shown] = r.json()["defects"][0]["photos"]
    assert shown["evidence_ref"] == photo["evidence_ref"] and shown["size_bytes"] == photo["size_bytes"]
    assert (
        client.get(shown["url"], headers=car.officer).content
        == client.get(photo["url"], headers=car.officer).content
    )
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(InspectionPhoto)) == 2  # a row each, one file

    unknown = "sha256:" + "0" * 64 + ".png"
    stranger = [{**kept[0], "photos": [{"evidence_ref": unknown}]}]
    r = correct(client, car, r.json()["id"], defects=stranger, summary="再改")
    assert r.status_code == 422 and r.json()["fields"] == ["defects[0].photos[0].evidence_ref"], r.text
    both = [{**kept[0], "photos": [{"evidence_ref": photo["evidence_ref"], "content_base64": PNG_BASE64}]}]
    assert correct(client, car, first["id"], defects=both).status_code == 422


def test_a_first_inspection_cannot_borrow_a_stored_photo(
    client: TestClient, db: Database, car: InCustody
) -> None:
    defects = [{**body()["defects"][0], "photos": [{"evidence_ref": "sha256:" + "a" * 64 + ".png"}]}]
    r = client.post(
        f"/api/custody/{car.custody['id']}/inspection", json=body(defects=defects), headers=car.staff
    )
    assert r.status_code == 422 and r.json()["fields"] == ["defects[0].photos[0].evidence_ref"], r.text
    assert versions(db) == []


def test_only_the_holding_centers_staff_correct_and_only_while_the_car_is_there(
    client: TestClient, db: Database, car: InCustody
) -> None:
    first = inspected(client, car)
    path = f"/api/inspections/{first['id']}/corrections"
    document = body(CORRECTED, reason=REASON)
    assert client.post(path, json=document, headers=login(client, "hz.center")).status_code == 404
    assert client.post(path, json=document, headers=car.officer).status_code == 403
    assert client.post(path, json=document, headers=login(client, "root.admin")).status_code == 403
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
    assert released.status_code == 200, released.text
    r = client.post(path, json=document, headers=car.staff)
    assert r.status_code == 409 and "released" in r.json()["detail"]
    assert len(versions(db)) == 1


def test_the_reports_say_which_version_corrected_which_when_by_whom_and_why(
    client: TestClient, car: InCustody
) -> None:
    first = inspected(client, car)
    second = correct(client, car, first["id"]).json()
    html = client.get(f"/api/inspections/{second['id']}/report.html", headers=car.officer).text
    assert (
        "本报告为更正后的第2版" in html
        and f"替代第1版（检测报告 #{first['id']}，原结果：一级（99分））" in html
    )
    assert "2026年11月23日11:00" in html and "py.center" in html and REASON in html
    old = client.get(f"/api/inspections/{first['id']}/report.html", headers=car.officer).text
    assert "本报告（第1版）已被更正" in old and f"检测报告 #{second['id']}" in old and REASON in old
    assert "总分：99分" in old and "总分：97分" in html

    pdf = client.get(f"/api/inspections/{second['id']}/report.pdf", headers=car.officer)
    assert pdf.status_code == 200, pdf.text
    text = "".join(pdf_text(pdf.content).split())  # the box wraps its lines anywhere
    assert "本报告为更正后的第2版" in text and f"替代第1版（检测报告#{first['id']}" in text
    assert "".join(REASON.split()) in text and "py.center" in text and "总分：97分" in text
    old_text = "".join(
        pdf_text(
            client.get(f"/api/inspections/{first['id']}/report.pdf", headers=car.officer).content
        ).split()
    )
    assert "本报告（第1版）已被更正" in old_text and "总分：99分" in old_text


def open_price(client: TestClient, car: InCustody) -> dict[str, Any]:
    r = client.post(
        "/api/reference-prices", json={"custody_id": car.custody["id"], **FACTS}, headers=car.officer
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_price_opened_before_a_correction_keeps_the_score_it_was_opened_with(
    client: TestClient, car: InCustody
) -> None:
    first = inspected(client, car)
    opened = open_price(client, car)
    assert (opened["inspection_id"], opened["inspection_score"]) == (first["id"], 99)
    second = correct(client, car, first["id"])
    assert second.status_code == 201, second.text  # allowed while a price is under way (its page says so)
    pricing = client.get(f"/api/reference-prices/{opened['id']}", headers=car.officer).json()
    assert (pricing["inspection_id"], pricing["inspection_score"]) == (first["id"], 99)


def test_a_price_opened_after_a_correction_uses_the_corrected_score(
    client: TestClient, car: InCustody
) -> None:
    first = inspected(client, car)
    second = correct(client, car, first["id"]).json()
    opened = open_price(client, car)
    assert (opened["inspection_id"], opened["inspection_score"]) == (second["id"], 97)
