"""The police unit's journey in a real browser on the demo data: its cameras on the map with their flags,
and a capture reported from the phone, from an alert, with two photos."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
from playwright.sync_api import Browser
from sqlalchemy import select

from api.demo import seed as demo
from car_enforce.captures.models import Capture
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests.capture_helpers import PNG_BASE64
from tests.web.browser_helpers import log_in, look

PHONE_AT = {"longitude": 120.5612, "latitude": 27.6721}  # where the officer's phone says it is


def test_a_police_unit_sees_its_cameras_and_reports_a_capture_with_photos_from_an_alert(
    browser: Browser, demo_site: str, clock: MovableClock, db: Database, tmp_path: Path
) -> None:
    seen = {"plate": "浙C12345", "camera_id": "PYKK-01", "read_at": clock.now().isoformat()}
    brigade = {"X-Api-Key": demo.KEYS[0].secret}
    r = httpx.post(f"{demo_site}/api/police/reads", json={"reads": [seen]}, headers=brigade, timeout=10)
    assert r.status_code == 200 and r.json()["hits"] == 1, r.text  # placed by where the camera stands
    photos = []
    for name, tail in (("front", b"\x01"), ("plate", b"\x02")):
        path = tmp_path / f"{name}.png"
        path.write_bytes(base64.b64decode(PNG_BASE64) + tail)  # two distinct files
        photos.append(str(path))

    context = browser.new_context(geolocation=PHONE_AT, permissions=["geolocation"])
    page = context.new_page()
    page.set_default_timeout(5000)
    log_in(page, demo_site, "pingyang.police")
    page.get_by_role("navigation").get_by_role("link", name="我的卡口").click()
    page.wait_for_url(f"{demo_site}/police/cameras")
    rows = page.locator("#cameras tbody tr")
    assert rows.count() == 4 and "LCKK" not in page.inner_text("main")  # its own four, not Lucheng's
    assert page.locator("svg path.area").count() == 1  # its own county, from its polygon
    assert page.locator("circle.dot.camera").count() == 4
    assert page.locator("circle.dot.skewed").count() == 1 and page.locator("circle.dot.silent").count() == 1
    ahead = rows.filter(has_text="PYKK-04").inner_text()
    assert "+28,800 秒" in ahead and "时钟偏差" in ahead  # a clock eight hours ahead
    assert "长时间无数据" in rows.filter(has_text="PYKK-03").inner_text()
    assert "2026年11月20日" in rows.filter(has_text="PYKK-03").inner_text()  # last heard three days ago
    assert "时钟快约8小时" in page.inner_text("ul.todo")  # what to do, in the person's words
    assert look(page, "police-cameras") == {}
    page.locator("ul.todo").get_by_role("link", name="PYKK-04").click()
    assert "请校准设备时钟" in page.inner_text("main")
    assert look(page, "police-camera") == {}

    page.get_by_role("navigation").get_by_role("link", name="扣押报告").click()
    assert "浙CD12345" in page.inner_text("#captures")  # the demo's capture by this brigade
    assert look(page, "police-captures") == {}
    page.get_by_role("link", name="填报扣押").click()
    page.get_by_role("button", name="使用手机定位").click()
    page.wait_for_function("() => document.getElementById('lon').value !== ''")
    assert (page.input_value("#lon"), page.input_value("#lat")) == ("120.561200", "27.672100")
    page.select_option("#alert", label=page.locator("#alert option", has_text="浙C12345").inner_text())
    assert page.input_value("input[name=plate]") == "浙C12345"  # the alert fills the car and its place
    assert page.input_value("#lon") == "120.5605" and page.input_value("#address") == "昆阳镇万全大道卡口"
    page.set_input_files("input[name=photos]", photos)
    page.get_by_role("button", name="提交扣押报告").click()
    refusal = page.locator("fieldset", has_text="扣押民警").locator("span.error")
    assert refusal.inner_text() == "请填写扣押民警的姓名和警号"  # beside the officers, the form kept
    assert page.input_value("input[name=plate]") == "浙C12345"
    assert look(page, "police-capture-refused") == {}

    page.fill("input[name=officer_name]", "陈警官")
    page.fill("input[name=officer_badge]", "033261")
    page.fill("input[name=keys]", "2")
    page.check("input[name=registration_certificate]")
    page.set_input_files("input[name=photos]", photos)
    page.get_by_role("button", name="提交扣押报告").click()
    page.wait_for_url("**/police/captures/*")
    assert "送往辅助中心途中" in page.inner_text("h1")
    assert page.locator(".photos img").count() == 2
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert look(page, "police-capture") == {}
    with db.unit_of_work(read_only=True) as s:
        capture = s.scalars(select(Capture).where(Capture.plate_reported == "浙C12345")).one()
        assert (capture.lon, capture.lat, len(capture.photos)) == (120.5605, 27.6715, 2)
    # A report whose place cannot be right is held, and its page asks for the place to be confirmed.
    slip = {
        "report_number": "PY-KY-0002",
        "plate": "浙C8Y9Z1",
        "captured_at": clock.now().isoformat(),
        "place": {"lon": 120.1551, "lat": 30.2741, "datum": "WGS84", "address": "杭州"},
        "officers": [{"name": "陈警官", "badge_number": "033261"}],
        "handover": {"registration_certificate": False, "keys": 0},
    }
    r = httpx.post(f"{demo_site}/api/police/captures", json=slip, headers=brigade, timeout=10)
    assert r.status_code == 201 and r.json()["status"] == "held", r.text
    page.goto(f"{demo_site}/police/captures/{r.json()['id']}")
    assert page.locator("#held form").count() == 2
    assert look(page, "police-capture-held") == {}
    context.close()

    other = browser.new_page()
    other.set_default_timeout(5000)
    log_in(other, demo_site, "lucheng.police")
    other.goto(f"{demo_site}/police/cameras")
    text = other.inner_text("#cameras")
    assert "LCKK-02" in text and "PYKK" not in text
    assert "从未上报" in other.locator("#cameras tbody tr", has_text="LCKK-03").inner_text()
    assert "时钟偏差" in other.locator("#cameras tbody tr", has_text="LCKK-02").inner_text()  # a power cut
