"""The police unit's pages: its own cameras on a map with their flags, and the capture report with photos."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.demo import region as demo_region
from car_enforce.captures.models import Capture
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.files import evidence
from car_enforce.core.identity.models import Organisation, Role
from car_enforce.core.identity.service import create_user
from car_enforce.sightings.models import Camera
from tests import factories
from tests.api_helpers import PASSWORD
from tests.capture_helpers import PNG_BASE64, Watched, police, watched_car

pytestmark = pytest.mark.usefixtures("centers")

PINGYANG = demo_region.COUNTY["330326"].brigade
YUEQING = demo_region.COUNTY["330382"].brigade
PNG = base64.b64decode(PNG_BASE64)
# Two distinct photos: bytes after a PNG's end are kept, so each is another evidence file.
PHOTOS = [("前方.png", PNG + b"\x01"), ("车牌.png", PNG + b"\x02")]


def _police_login(db: Database, unit: str, username: str) -> None:
    with db.unit_of_work() as s:
        org = s.scalars(select(Organisation).where(Organisation.name == unit)).one()
        create_user(
            s,
            actor=factories.SYSTEM,
            organisation_id=org.id,
            username=username,
            password=PASSWORD,
            role=Role.POLICE_ADAPTER,
            display_name=f"{unit}值班民警",
        )


def _log_in(client: TestClient, username: str) -> None:
    page = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]*)"', page)
    assert csrf is not None
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, html
    return found.group(1)


def _reads(client: TestClient, key: str, *reads: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/police/reads", json={"reads": list(reads)}, headers=police(key))
    assert r.status_code == 200, r.text
    return dict(r.json())


def _read(camera: str, at: str, plate: str = "浙CK3467", **extra: Any) -> dict[str, Any]:
    return {"plate": plate, "camera_id": camera, "read_at": at, **extra}


def _place(client: TestClient, key: str, camera: str, name: str, lon: float, lat: float) -> None:
    r = client.put(
        f"/api/police/cameras/{camera}",
        json={"name": name, "lon": lon, "lat": lat, "datum": "WGS84"},
        headers=police(key),
    )
    assert r.status_code == 200, r.text


def _camera_id(db: Database, external_id: str) -> int:
    with db.unit_of_work(read_only=True) as s:
        return int(s.scalars(select(Camera.id).where(Camera.external_id == external_id)).one())


def _row(html: str, code: str) -> str:
    found = re.search(
        rf'<tr class="camera-\w+">\s*<td><a href="/police/cameras/\d+">{code}</a>.*?</tr>', html, re.S
    )
    assert found is not None, code
    return found.group(0)


def test_a_unit_sees_its_own_cameras_on_its_map_with_their_last_seen_time_and_flags(
    client: TestClient, db: Database, world: factories.World, clock: MovableClock
) -> None:
    now = clock.now()
    for code, name, lon, lat in (
        ("K1", "昆阳镇卡口", 120.55, 27.66),
        ("K2", "萧江镇卡口", 120.45, 27.65),
        ("K3", "水头镇卡口", 120.40, 27.70),
    ):
        _place(client, world.pingyang_key, code, name, lon, lat)
    _reads(
        client,
        world.pingyang_key,
        _read("K1", now.isoformat()),
        _read("K2", (now + timedelta(hours=3)).isoformat()),  # its clock three hours fast
        _read("K3", (now - timedelta(hours=3)).isoformat()),  # from its buffer: heard of three hours ago
    )
    _place(client, world.yueqing_key, "Y1", "乐清卡口", 121.0, 28.2)
    _reads(client, world.yueqing_key, _read("Y1", now.isoformat()))
    _police_login(db, PINGYANG, "py.police")
    _log_in(client, "py.police")

    page = client.get("/police/cameras")
    assert page.status_code == 200
    assert "乐清卡口" not in page.text and ">Y1<" not in page.text  # another unit's camera is not shown
    assert page.text.count('<circle cx="') == 3  # the unit's three cameras, placed on its own area
    assert "平阳县" in page.text and "乐清市" not in page.text  # only its own area is drawn
    assert 'class="dot camera recent"' in page.text
    k1, k2, k3 = _row(page.text, "K1"), _row(page.text, "K2"), _row(page.text, "K3")
    assert "2026年11月23日 09:00" in k1 and "正常" in k1
    assert "+10,800 秒" in k2 and "时钟偏差" in k2 and 'class="camera-skewed"' in k2
    assert "2026年11月23日 06:00" in k3 and "长时间无数据" in k3

    # A read with a believable stamp, a little later, shows the clock was mended.
    clock.advance(timedelta(minutes=5))
    _reads(client, world.pingyang_key, _read("K2", clock.now().isoformat(), plate="浙CK3468"))
    assert "时钟偏差" not in _row(client.get("/police/cameras").text, "K2")

    own = client.get(f"/police/cameras/{_camera_id(db, 'K2')}")
    assert own.status_code == 200 and "已恢复正常" in own.text and own.text.count("<rect ") == 24
    theirs = client.get(f"/police/cameras/{_camera_id(db, 'Y1')}")
    assert theirs.status_code == 404 and "乐清卡口" not in theirs.text  # not even told it exists


def _watched_with_an_alert(client: TestClient, clock: MovableClock, key: str) -> Watched:
    """浙C12345 under the Pingyang court's watch, seen by a Pingyang camera: an open alert for the unit."""
    watched = watched_car(client)
    seen = _read("K1", clock.now().isoformat(), plate="浙C12345", lon=120.5605, lat=27.6715, datum="WGS84")
    assert _reads(client, key, seen)["hits"] == 1
    return watched


def _form(page: str, **fields: str) -> dict[str, str]:
    data = {
        "csrf": _hidden(page, "csrf"),
        "key": _hidden(page, "key"),
        "captured_at": "2026-11-23T08:40",
        "datum": "WGS84",
        "officer_name": "陈警官",
        "officer_badge": "033261",
        "registration_certificate": "1",
        "keys": "2",
        "belongings": "雨伞一把\n行车记录仪",
        "address": "",
    }
    data.update(fields)
    return data


def _files() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (name, content, "image/png")) for name, content in PHOTOS]


def test_a_capture_reported_from_an_alert_with_photos_is_stored_and_the_court_sees_the_photos(
    client: TestClient, db: Database, world: factories.World, clock: MovableClock
) -> None:
    watched = _watched_with_an_alert(client, clock, world.pingyang_key)
    _police_login(db, PINGYANG, "py.police")
    _log_in(client, "py.police")
    page = client.get("/police/captures/new").text
    alert_id = re.search(r'<option value="(\d+)" data-plate="浙C12345"', page)
    assert alert_id is not None  # the unit's open alert is offered: no coordinates to type in the field
    r = client.post(
        "/police/captures",
        data=_form(page, alert_id=alert_id.group(1)),
        files=_files(),
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    shown = client.get(r.headers["location"])
    assert "浙C12345" in shown.text and "送往辅助中心途中" in shown.text
    assert shown.text.count('<img src="/captures/') == 2
    photo = re.search(r'<img src="(/captures/\d+/photos/1)"', shown.text)
    assert photo is not None and client.get(photo.group(1)).content == PHOTOS[1][1]

    with db.unit_of_work(read_only=True) as s:
        capture = s.scalars(select(Capture)).one()
        assert (capture.lon, capture.lat, capture.keys) == (120.5605, 27.6715, 2)  # the alert's place
        assert capture.belongings == ["雨伞一把", "行车记录仪"]
        capture_id = capture.id
    court = client.get(f"/api/captures/{capture_id}", headers=watched.officer).json()
    assert [p["caption"] for p in court["photos"]] == ["前方.png", "车牌.png"]
    assert [evidence.read(p["evidence_ref"]) for p in court["photos"]] == [c for _, c in PHOTOS]


def test_a_capture_form_sent_twice_stores_one_capture(
    client: TestClient, db: Database, world: factories.World, clock: MovableClock
) -> None:
    _watched_with_an_alert(client, clock, world.pingyang_key)
    _police_login(db, PINGYANG, "py.police")
    _log_in(client, "py.police")
    page = client.get("/police/captures/new").text
    data = _form(page, plate="浙C12345", plate_colour="blue", lon="120.5605", lat="27.6715")
    first = client.post("/police/captures", data=data, files=_files(), follow_redirects=False)
    again = client.post("/police/captures", data=data, files=_files(), follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"] + "?again=1"
    assert "未重复登记" in client.get(again.headers["location"]).text
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Capture)) == 1
        assert s.scalars(select(Capture.report_number)).one() == f"WEB-{data['key']}"
    listed = client.get("/police/captures").text
    assert listed.count('href="/police/captures/1"') == 1


def test_a_capture_form_without_its_csrf_token_is_refused(
    client: TestClient, db: Database, world: factories.World, clock: MovableClock
) -> None:
    _watched_with_an_alert(client, clock, world.pingyang_key)
    _police_login(db, PINGYANG, "py.police")
    _log_in(client, "py.police")
    page = client.get("/police/captures/new").text
    data = _form(page, plate="浙C12345", lon="120.5605", lat="27.6715")
    del data["csrf"]
    r = client.post("/police/captures", data=data, files=_files(), follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Capture)) == 0


def test_a_refused_capture_shows_its_rule_beside_the_field_and_keeps_the_form(
    client: TestClient, db: Database, world: factories.World, clock: MovableClock
) -> None:
    _watched_with_an_alert(client, clock, world.pingyang_key)
    _police_login(db, PINGYANG, "py.police")
    _log_in(client, "py.police")
    page = client.get("/police/captures/new").text
    data = _form(page, plate="浙C1234", lon="120.5605", lat="27.6715", address="<script>x</script>")
    r = client.post("/police/captures", data=data, files=_files())
    assert r.status_code == 422
    beside = re.search(r'name="plate"[^>]*>\s*<span class="error" role="alert">([^<]*)</span>', r.text)
    assert beside is not None  # the plate rule, by the plate
    assert beside.group(1).endswith("（依据：GA 36《中华人民共和国机动车号牌》）")
    assert "已选的2张照片未保存" in r.text  # a browser does not keep chosen files across a page
    assert _hidden(r.text, "key") == data["key"]  # the form stays the same report when it is sent again
    assert "&lt;script&gt;x&lt;/script&gt;" in r.text and "<script>x" not in r.text
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(Capture)) == 0


def test_another_units_capture_and_its_photos_are_not_found(
    client: TestClient, db: Database, world: factories.World, clock: MovableClock
) -> None:
    _watched_with_an_alert(client, clock, world.pingyang_key)
    _police_login(db, PINGYANG, "py.police")
    _police_login(db, YUEQING, "yq.police")
    _log_in(client, "py.police")
    page = client.get("/police/captures/new").text
    data = _form(page, plate="浙C12345", lon="120.5605", lat="27.6715")
    location = client.post("/police/captures", data=data, files=_files(), follow_redirects=False).headers[
        "location"
    ]
    _log_in(client, "yq.police")
    assert client.get(location).status_code == 404
    photo = location.replace("/police/captures/", "/captures/") + "/photos/0"
    assert client.get(photo).status_code == 404  # nor its photos
    assert "浙C12345" not in client.get("/police/captures").text
    assert 'data-plate="浙C12345"' not in client.get("/police/captures/new").text  # not its alert


def test_a_capture_held_for_its_place_is_corrected_from_its_page(
    client: TestClient, db: Database, world: factories.World, clock: MovableClock
) -> None:
    _watched_with_an_alert(client, clock, world.pingyang_key)
    _police_login(db, PINGYANG, "py.police")
    _log_in(client, "py.police")
    page = client.get("/police/captures/new").text
    slip = _form(page, plate="浙C12345", lon="120.1551", lat="30.2741")  # Hangzhou: a slip of the fingers
    location = client.post("/police/captures", data=slip, follow_redirects=False).headers["location"]
    held = client.get(location).text
    assert "地点待核实" in held and 'id="held"' in held
    confirm = f"{location}/confirm-place"
    r = client.post(confirm, data={"csrf": _hidden(held, "csrf"), "as_reported": "1", "note": ""})
    note = r'name="note"[^>]*>[^<]*</textarea>\s*<span class="error" role="alert">([^<]*)'
    beside = re.search(note, r.text)
    assert r.status_code == 422 and beside is not None and "needs a note" in beside.group(1)
    r = client.post(
        confirm,
        data={"csrf": _hidden(held, "csrf"), "lon": "120.5605", "lat": "27.6715", "datum": "WGS84"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    moved = client.get(location).text
    assert "送往辅助中心途中" in moved and 'id="held"' not in moved
    with db.unit_of_work(read_only=True) as s:
        assert s.scalars(select(Capture.lat)).one() == 27.6715
