"""The officer's journey around the demo case in a real browser: register a plate another court's case
already has and see the known car to confirm, then read the case's verified timeline, the seized BYD's
stage clock and the applicants' accounts. Each page is photographed and checked for overflowing text."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser

from car_enforce.core.clock import MovableClock
from tests.web.browser_helpers import log_in, look

CASE = "(2026)浙0326执1234号"
LUCHENG_TRUCK = "浙C8Y9Z1"  # the Lucheng court's demo case pursues it


def test_an_officer_sees_a_known_plate_before_it_joins_the_case_then_the_timeline_and_the_stage_clock(
    browser: Browser, demo_site: str, clock: MovableClock
) -> None:
    clock.advance(timedelta(days=8))  # six working days after the seizure: price and listing overdue
    page = browser.new_page()
    page.set_default_timeout(5000)  # a page answers in milliseconds: a wait this long is a failure
    log_in(page, demo_site, "pingyang.officer")
    page.goto(f"{demo_site}/cases")
    page.click(f"text={CASE}")
    case_url = page.url

    page.click("summary:has-text('登记车辆')")
    page.fill("input[name=plate]", LUCHENG_TRUCK)
    page.select_option("select[name=plate_colour]", "yellow")
    page.select_option("select[name=plate_type]", "01")
    page.fill("input[name=description]", "黄色厢式货车")
    assert page.get_by_text("《查封规定》第二十六条").is_visible()  # the rule beside the plate
    assert look(page, "case-register-vehicle") == {}
    page.click("button:has-text('登记车辆')")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"号牌{LUCHENG_TRUCK}已在平台登记").is_visible()
    assert page.get_by_role("cell", name="(2026)浙0302执567号").is_visible()
    assert page.get_by_role("cell", name="温州市鹿城区人民法院").is_visible()
    assert page.get_by_role("button", name="确认是本案被执行人的车辆，登记到本案").is_visible()
    assert look(page, "vehicle-confirm") == {}
    page.click("text=不是同一辆车，返回案件")
    page.wait_for_url(f"{case_url}#vehicles")
    assert page.locator("table").first.get_by_text(LUCHENG_TRUCK).count() == 0  # not attached

    page.click("text=办理记录与哈希链校验")
    page.wait_for_url(f"{case_url}/timeline")
    assert page.get_by_text("哈希链校验通过").is_visible()
    assert page.get_by_role("cell", name="车辆入库").first.is_visible()
    assert look(page, "timeline") == {}

    page.goto(case_url)
    page.click("text=查看阶段时钟")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="阶段时钟 · 浙CD12345").is_visible()
    assert page.locator(".stagebars rect.used").count() == 4
    assert page.locator(".stagebars rect.used.late").count() == 2  # reference price and listing
    assert page.get_by_role("cell", name="《参考价规定》第一条").is_visible()
    assert look(page, "stages") == {}

    page.goto(f"{case_url}/applicants")
    assert page.get_by_role("cell", name="pingyang.applicant（平阳案申请执行人）").is_visible()
    assert look(page, "applicants") == {}


def test_an_officer_registers_a_car_and_puts_it_under_watch_a_term_too_long_refused_with_its_article(
    browser: Browser, demo_site: str
) -> None:
    page = browser.new_page()
    page.set_default_timeout(5000)
    log_in(page, demo_site, "pingyang.officer")
    page.goto(f"{demo_site}/cases")
    page.click(f"text={CASE}")
    case_url = page.url
    # Both demo cars are under watch or held already: the watch form offers neither.
    assert page.get_by_role("heading", name="发起布控").count() == 0

    page.click("summary:has-text('登记车辆')")
    page.fill("input[name=plate]", "浙C5N7Q2")
    page.fill("input[name=description]", "黑色丰田凯美瑞轿车")
    page.click("button:has-text('登记车辆')")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="发起布控").is_visible()

    page.select_option("select[name=vehicle_id]", label="浙C5N7Q2 黑色丰田凯美瑞轿车")
    page.fill("input[name=expires_on]", "2029-01-31")  # beyond the two years of a movable's seizure
    page.click("button:has-text('发起布控')")
    page.wait_for_load_state()
    refusal = page.locator("label:has(input[name=expires_on]) .error")
    assert "第四百八十五条" in refusal.inner_text()  # the article, beside the field it concerns
    assert look(page, "case-watch-refused") == {}

    page.fill("input[name=expires_on]", "")
    page.click("button:has-text('发起布控')")
    page.wait_for_url(f"{case_url}#watches")
    row = page.locator("table").first.locator("tr", has_text="浙C5N7Q2")
    assert "布控中" in row.inner_text()
