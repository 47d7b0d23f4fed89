"""The console in a real browser: Playwright driving Debian's Chromium over real HTTP, on each database's
demo data. Every page is photographed at an office screen and at a phone's width, and checked for text
wider than its box."""

from __future__ import annotations

import base64
import time
from datetime import date
from pathlib import Path

import httpx
from playwright.sync_api import Browser
from sqlalchemy import func, select

from api.demo import seed as demo
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import User
from car_enforce.core.identity.service import principal_of_user
from car_enforce.core.settings import Settings
from car_enforce.custody.models import Custody
from car_enforce.sightings.models import AlertDispatch
from tests.capture_helpers import PNG_BASE64
from tests.web.browser_helpers import log_in, look
from valuation.reference_price import online, sending
from valuation.reference_price import service as pricing_service
from valuation.reference_price.models import ReferencePrice
from valuation.reference_price.rules import Method, SkipReason


def _price_the_demo_car(db: Database, base: str) -> int:
    """The seeded BYD's reference price from the demo's three simulated platforms (as the API would)."""
    pricing_id = _ask_the_platforms(db)
    _wait_for_the_reports(db, base, pricing_id)
    return pricing_id


def _ask_the_platforms(db: Database) -> int:
    """The seeded BYD's online inquiry started, its requests not yet sent."""
    with db.unit_of_work() as s:
        custody = s.scalars(select(Custody).order_by(Custody.id)).first()  # the BYD, seeded first
        assert custody is not None
        officer = principal_of_user(s.scalars(select(User).where(User.username == "pingyang.officer")).one())
        facts = pricing_service.CarFacts("比亚迪 汉EV", date(2022, 6, 18), "electric")
        opened = pricing_service.open_pricing(s, actor=officer, custody=custody, facts=facts)
        for method, reason in (
            (Method.AGREED, SkipReason.PARTY_REFUSED),
            (Method.DIRECTED, SkipReason.NO_OFFICIAL_PRICE),
        ):
            pricing_service.pass_method(
                s, actor=officer, pricing=opened, method=method, reason=reason, note=""
            )
        online.start_online(s, actor=officer, pricing=opened, reason="已在中心检测，无需现场勘验")
        return opened.id


def _wait_for_the_reports(db: Database, base: str, pricing_id: int) -> None:
    assert len(sending.send_due(db, Settings(database_url=db.url, public_base_url=base)).received) == 3
    deadline = time.monotonic() + 15
    while True:
        with db.unit_of_work(read_only=True) as s:
            found = s.get(ReferencePrice, pricing_id)
            assert found is not None
            if found.status == "priced":
                return
        assert time.monotonic() < deadline, "the simulated platforms did not report"
        time.sleep(0.05)


def test_an_officer_logs_in_from_the_demo_list_and_reads_the_case(browser: Browser, demo_site: str) -> None:
    page = browser.new_page()
    page.set_default_timeout(5000)  # a page answers in milliseconds: a wait this long is a failure
    page.goto(f"{demo_site}/cases")
    assert page.url.endswith("/login?next=/cases")  # the page asks for a login and comes back
    assert page.locator("table").get_by_text("pingyang.officer").is_visible()  # the demo logins are listed
    assert look(page, "login") == {}
    page.fill("input[name=username]", "pingyang.officer")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{demo_site}/cases")
    assert page.get_by_role("heading", name="我的案件").is_visible()
    assert look(page, "cases") == {}
    page.click("text=(2026)浙0326执1234号")
    assert page.get_by_text("浙C12345").first.is_visible()
    assert page.get_by_text(
        "车辆入库"
    ).first.is_visible()  # the demo car's intake, on the timeline in Chinese
    assert look(page, "case") == {}
    page.click("text=退出")
    page.wait_for_url(f"{demo_site}/login")


def test_the_officer_reads_the_reference_price_with_its_reports_notice_and_check(
    browser: Browser, demo_site: str, db: Database
) -> None:
    pricing_id = _ask_the_platforms(db)
    page = browser.new_page()
    page.set_default_timeout(5000)  # a page answers in milliseconds: a wait this long is a failure
    log_in(page, demo_site, "pingyang.officer")
    page.goto(f"{demo_site}/cases/1")
    page.click("text=比亚迪 汉EV")
    page.wait_for_url(f"{demo_site}/reference-prices/{pricing_id}")
    assert page.get_by_text("自动更新").is_visible()  # waiting on the platforms
    assert look(page, "reference-price-waiting") == {}
    _wait_for_the_reports(db, demo_site, pricing_id)
    page.locator(".price").wait_for(timeout=10000)  # the reports arrive on the open page, without a reload
    assert page.get_by_text("自动更新").count() == 0
    with db.unit_of_work(read_only=True) as s:
        found = s.get(ReferencePrice, pricing_id)
        assert found is not None and found.price_fen is not None
        price = found.price_fen
    assert page.locator(".price").inner_text() == f"{price // 100:,}.{price % 100:02d}元"
    assert page.locator("table.list").first.locator("tbody tr").count() == 3  # the three platforms' reports
    assert page.get_by_text("中心核对估价").is_visible() and page.get_by_text("短信送达").first.is_visible()
    with page.expect_response(lambda r: r.url.endswith("/notice.pdf")) as pdf:
        page.evaluate("url => fetch(url)", f"{demo_site}/reference-prices/{pricing_id}/notice.pdf")
    assert pdf.value.headers["content-type"] == "application/pdf"
    assert look(page, "reference-price") == {}


def test_a_police_unit_sees_a_hit_arrive_without_reloading(
    browser: Browser, demo_site: str, clock: MovableClock
) -> None:
    page = browser.new_page()
    page.set_default_timeout(10000)
    log_in(page, demo_site, "pingyang.police")
    page.get_by_role("navigation").get_by_role("link", name="辖区预警").click()
    page.wait_for_url(f"{demo_site}/police/alerts")
    assert page.locator("#alerts tbody tr").count() == 0
    read = {
        "plate": "浙C12345",
        "camera_id": "K104",
        "read_at": clock.now().isoformat(),
        "lon": 120.5605,
        "lat": 27.6715,
        "datum": "WGS84",
    }
    brigade = {"X-Api-Key": demo.KEYS[0].secret}
    r = httpx.post(f"{demo_site}/api/police/reads", json={"reads": [read]}, headers=brigade, timeout=10)
    assert r.status_code == 200 and r.json()["hits"] == 1, r.text
    row = page.locator("#alerts tbody tr").first
    row.wait_for()  # live.js brings it in: the page is not reloaded
    assert "浙C12345" in row.inner_text() and "平阳县人民法院" in row.inner_text()
    assert look(page, "police-alerts") == {}


def test_an_officer_confirms_a_possible_hit_and_it_goes_to_the_police_of_the_place(
    browser: Browser, demo_site: str, clock: MovableClock, db: Database
) -> None:
    read = {
        "plate": "浙C1Z345",  # 2 read as Z: a look-alike of the watched 浙C12345
        "camera_id": "K104",
        "read_at": clock.now().isoformat(),
        "lon": 120.5605,
        "lat": 27.6715,
        "datum": "WGS84",
    }
    brigade = {"X-Api-Key": demo.KEYS[0].secret}
    r = httpx.post(f"{demo_site}/api/police/reads", json={"reads": [read]}, headers=brigade, timeout=10)
    assert r.status_code == 200, r.text
    page = browser.new_page()
    page.set_default_timeout(5000)
    log_in(page, demo_site, "pingyang.officer")
    page.goto(f"{demo_site}/alerts")
    card = page.locator("section.card").first
    assert "浙C1Z345" in card.inner_text() and "浙C12345" in card.inner_text()
    assert look(page, "alerts") == {}
    card.locator("input[name=note]").first.fill("车身颜色与型号一致")
    card.get_by_role("button", name="确认是目标车辆").click()
    page.wait_for_url(f"{demo_site}/alerts")
    assert page.get_by_text("没有待核实的疑似预警").is_visible()
    assert page.locator("table.list tbody tr").first.inner_text().count("已推送交警") == 1
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(AlertDispatch)) == 1  # routed to the brigade


def test_a_clerk_takes_a_car_in_and_inspects_it_the_grade_following_the_scores(
    browser: Browser, demo_site: str, clock: MovableClock, tmp_path: Path
) -> None:
    report = {
        "report_number": "PY-WEB-0001",
        "plate": "浙C12345",
        "captured_at": clock.now().isoformat(),
        "place": {"lon": 120.5605, "lat": 27.6715, "datum": "WGS84", "address": "平阳县昆阳镇"},
        "officers": [{"name": "陈警官", "badge_number": "033261"}],
        "handover": {"registration_certificate": True, "keys": 2, "belongings": [], "notes": ""},
    }
    brigade = {"X-Api-Key": demo.KEYS[0].secret}
    r = httpx.post(f"{demo_site}/api/police/captures", json=report, headers=brigade, timeout=10)
    assert r.status_code == 201, r.text
    photos = []
    for side, colour in (("front", b"\x01"), ("back", b"\x02"), ("left", b"\x03"), ("right", b"\x04")):
        path = tmp_path / f"{side}.png"
        path.write_bytes(base64.b64decode(PNG_BASE64) + colour)  # bytes after IEND: four distinct files
        photos.append(str(path))

    page = browser.new_page()
    page.set_default_timeout(5000)
    log_in(page, demo_site, "pingyang.center")
    page.wait_for_url(f"{demo_site}/center")
    assert look(page, "center") == {}
    page.get_by_role("button", name="登记到站").click()
    page.wait_for_url("**/intake")
    page.fill("input[name=bay]", "B-03")
    page.fill("input[name=fuel_percent]", "40")
    page.fill("input[name=keys_received]", "2")
    page.check("input[value=registration_certificate]")
    page.fill("input[name=custodian_name]", "李保管")
    page.set_input_files("input[name=photos]", photos[:3])
    page.get_by_role("button", name="确认入库").click()
    assert (
        page.locator("span.error").inner_text() == "请至少拍摄4张照片（车辆前、后、左、右）"
    )  # refused, the form kept
    assert page.input_value("input[name=bay]") == "B-03"
    page.set_input_files("input[name=photos]", photos)
    page.fill("input[name=keys_received]", "2")
    page.fill("textarea[name=key_labels]", "智能钥匙\n机械钥匙")
    page.get_by_role("button", name="确认入库").click()
    page.wait_for_url("**/center/custody/*")
    assert page.get_by_text("智能钥匙").first.is_visible()  # each key by its own name
    assert page.locator(".photos img").count() == 4
    # Every intake photo is shown to the clerk (each one served, not only listed).
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert look(page, "custody") == {}

    page.get_by_text("开始检测").click()
    assert page.inner_text("#score") == "100" and page.inner_text("#grade") == "一级"
    page.fill("input[name=inspector_name]", "王检测员")
    page.fill("input[name=item_E01]", "0")  # 3 points lost
    page.fill("input[name=item_S06]", "0")  # 2 more
    page.fill("input[name=item_B06]", "0")
    page.fill("input[name=item_R04]", "0")
    page.fill("input[name=item_D06]", "0")
    page.fill("input[name=item_E07]", "0")  # 12 lost in all: 88, 二级
    assert page.inner_text("#score") == "88" and page.inner_text("#grade") == "二级"  # without a reload
    assert look(page, "inspection") == {}
    page.get_by_role("button", name="提交检测结果").click()
    page.wait_for_url("**/center/custody/*")
    assert "88分" in page.inner_text("main") and "二级" in page.inner_text("main")


def test_the_applicant_sees_where_the_case_stands_in_plain_words_and_the_texts_sent(
    browser: Browser, demo_site: str
) -> None:
    page = browser.new_page()
    page.set_default_timeout(5000)
    log_in(page, demo_site, "pingyang.applicant")
    page.wait_for_url(f"{demo_site}/my-cases")
    steps = page.locator("ol.steps li").all_inner_texts()
    assert any("法院已立案执行" in s for s in steps)
    assert any("车辆已被公安交警查获扣押" in s for s in steps) and "车辆已完成检测" in steps[-1]
    assert not any("method_passed" in s or "." in s.split(" ")[-1] for s in steps)  # nothing internal
    assert page.locator("ul.texts li").count() >= 1  # the texts it was sent about its case
    assert look(page, "my-cases") == {}


def test_the_command_center_draws_the_region_and_shows_the_figures(browser: Browser, demo_site: str) -> None:
    page = browser.new_page()
    page.set_default_timeout(5000)
    log_in(page, demo_site, "admin")
    page.wait_for_url(f"{demo_site}/command")
    assert page.locator("svg path.area").count() >= 11  # Wenzhou's counties, from their own polygons
    assert page.locator("circle.dot.center").count() == 2
    # The BYD, the Camry on auction and the Magotan sold yesterday, in Pingyang.
    assert page.locator("circle.dot.capture").count() == 3
    figures = page.locator("table.figures tbody tr").first.inner_text()
    assert "布控→扣押" in figures and "3" in figures  # three cars seized
    assert page.locator("svg.bars rect").count() == 3
    assert look(page, "command") == {}


def test_a_wrong_password_is_said_in_chinese_and_nothing_else_happens(
    browser: Browser, demo_site: str
) -> None:
    page = browser.new_page()
    page.set_default_timeout(5000)  # a page answers in milliseconds: a wait this long is a failure
    page.goto(f"{demo_site}/login")
    page.fill("input[name=username]", "pingyang.officer")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误"
    assert look(page, "login-refused") == {}
