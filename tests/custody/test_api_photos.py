"""Every photo of a car served by the API: the capture's, the intake's and an inspection defect's, each to
whoever may read its record and to nobody else; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from car_enforce.core.clock import MovableClock
from tests import factories
from tests.api_helpers import login
from tests.capture_helpers import PNG_BASE64, police
from tests.custody_helpers import InCustody, taken_in
from valuation.inspection.checklist import checklist

pytestmark = pytest.mark.usefixtures("centers")

TODAY = date(2026, 11, 23)
# A JPEG as far as the platform checks one (its magic bytes); the bytes after them are this test's own.
JPEG = b"\xff\xd8\xff\xe0" + b"photo-test-jpeg" * 4


def unique_png() -> bytes:
    """A PNG no other photo of the test has: readers ignore bytes after the IEND chunk."""
    return base64.b64decode(PNG_BASE64) + uuid.uuid4().bytes


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def intake_photos() -> list[bytes]:
    return [unique_png(), unique_png(), JPEG, unique_png()]


@pytest.fixture
def car(
    client: TestClient,
    world: factories.World,
    centers: factories.Centers,
    clock: MovableClock,
    intake_photos: list[bytes],
) -> InCustody:
    photos = [
        {"caption": side, "content_base64": b64(d)} for side, d in zip("前后左右", intake_photos, strict=True)
    ]
    taken = taken_in(client, world.pingyang_key, centers.pingyang, tariff_from=TODAY, photos=photos)
    clock.advance(timedelta(hours=2))
    return taken


def strangers(client: TestClient) -> list[dict[str, str]]:
    """Another court's officer and another center's staff: neither sees the 平阳 car."""
    return [login(client, "lc.officer"), login(client, "hz.center")]


def test_a_captures_photo_is_served_to_its_court_center_and_unit(
    client: TestClient, world: factories.World, car: InCustody
) -> None:
    [photo] = car.capture["photos"]
    path = f"/api/captures/{car.capture['id']}/photos/0"
    assert (photo["position"], photo["url"]) == (0, path)
    for who in (car.officer, car.staff, police(world.pingyang_key), login(client, "root.admin")):
        r = client.get(path, headers=who)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/png"
        assert r.content == base64.b64decode(PNG_BASE64)
        assert client.get(f"/api/captures/{car.capture['id']}", headers=who).json()["photos"] == [photo]
    for who in (*strangers(client), police(world.yueqing_key)):
        r = client.get(path, headers=who)
        assert r.status_code == 404 and r.json()["error"] == "NotFound", r.text
    r = client.get(f"/api/captures/{car.capture['id']}/photos/1", headers=car.officer)
    assert r.status_code == 404 and "has no photo 1" in r.json()["detail"]
    assert client.get(f"/api/captures/{car.capture['id']}/photos/-1", headers=car.officer).status_code == 422


def test_each_intake_photo_is_served_with_its_own_bytes_and_media_type(
    client: TestClient, car: InCustody, intake_photos: list[bytes]
) -> None:
    custody = client.get(f"/api/custody/{car.custody['id']}", headers=car.officer).json()
    assert [p["url"] for p in custody["photos"]] == [
        f"/api/custody/{car.custody['id']}/photos/{n}" for n in range(4)
    ]
    for who in (car.officer, car.staff):
        for n, data in enumerate(intake_photos):
            r = client.get(custody["photos"][n]["url"], headers=who)
            assert r.status_code == 200, r.text
            assert r.content == data
            assert r.headers["content-type"] == ("image/jpeg" if data == JPEG else "image/png")
    for who in strangers(client):
        assert client.get(custody["photos"][0]["url"], headers=who).status_code == 404
    r = client.get(f"/api/custody/{car.custody['id']}/photos/4", headers=car.staff)
    assert r.status_code == 404 and "has no photo 4" in r.json()["detail"]


def inspection_body(defects: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "inspector_name": "王检测员",
        "items": [
            {"code": item.code, "score": item.points - (1 if item.code == "B06" else 0)}
            for _, item in checklist().items
        ],
        "defects": defects,
    }


def test_a_defects_photos_are_served_to_whoever_sees_the_inspection(
    client: TestClient, car: InCustody
) -> None:
    door, belt = unique_png(), JPEG
    defects = [
        {
            "target": "item",
            "point_code": "B06",
            "defect_code": "HH",
            "photos": [
                {"caption": "划痕", "content_base64": b64(door)},
                {"caption": "近景", "content_base64": b64(belt)},
            ],
        }
    ]
    r = client.post(
        f"/api/custody/{car.custody['id']}/inspection", json=inspection_body(defects), headers=car.staff
    )
    assert r.status_code == 201, r.text
    inspection = r.json()
    [defect] = inspection["defects"]
    base = f"/api/inspections/{inspection['id']}/defects/{defect['id']}/photos"
    assert [p["url"] for p in defect["photos"]] == [f"{base}/0", f"{base}/1"]
    for who in (car.officer, car.staff, login(client, "root.admin")):
        first, second = (client.get(p["url"], headers=who) for p in defect["photos"])
        assert (first.status_code, second.status_code) == (200, 200)
        assert (first.content, first.headers["content-type"]) == (door, "image/png")
        assert (second.content, second.headers["content-type"]) == (belt, "image/jpeg")
    for who in strangers(client):
        assert client.get(f"{base}/0", headers=who).status_code == 404
    for missing in (f"{base}/2", f"/api/inspections/{inspection['id']}/defects/{defect['id'] + 1}/photos/0"):
        r = client.get(missing, headers=car.officer)
        assert r.status_code == 404 and r.json()["error"] == "NotFound", missing
    assert (
        client.get(
            f"/api/inspections/{inspection['id'] + 1}/defects/{defect['id']}/photos/0", headers=car.officer
        ).status_code
        == 404
    )


def test_the_image_routes_are_documented_with_their_media_types_and_roles(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, roles in (
        ("/api/captures/{capture_id}/photos/{position}", "admin, center_staff, officer, police_adapter"),
        ("/api/custody/{custody_id}/photos/{position}", "admin, center_staff, officer"),
        (
            "/api/inspections/{inspection_id}/defects/{defect_id}/photos/{position}",
            "admin, center_staff, officer",
        ),
    ):
        operation = paths[path]["get"]
        assert set(operation["responses"]["200"]["content"]) == {"image/jpeg", "image/png"}, path
        assert "404" in operation["responses"], path
        assert roles in operation["description"], (path, operation["description"])
