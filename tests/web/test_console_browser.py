"""The console in a real browser: Playwright driving Debian's Chromium over real HTTP, on each database's
demo data. Every page is photographed at an office screen and at a phone's width, and checked for text
wider than its box."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from api.demo import seed as demo
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests.live import serve
from tests.web.browser_helpers import OVERFLOW_JS, SCREENSHOTS, WIDTHS, chromium_or_skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def demo_site(app: FastAPI, db: Database, clock: MovableClock) -> Iterator[str]:
    with db.unit_of_work() as s:
        demo.seed(s)
    with serve(app) as base:
        yield base


def look(page: Page, name: str) -> dict[str, list[Any]]:
    """Photograph the page at each width; what overflows its box at each."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[Any]] = {}
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width_name}.png"), full_page=True)
        found[width_name] = page.evaluate(OVERFLOW_JS)
    return {k: v for k, v in found.items() if v}


def test_an_officer_logs_in_from_the_demo_list_and_reads_the_case(browser: Browser, demo_site: str) -> None:
    page = browser.new_page()
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


def test_a_wrong_password_is_said_in_chinese_and_nothing_else_happens(
    browser: Browser, demo_site: str
) -> None:
    page = browser.new_page()
    page.goto(f"{demo_site}/login")
    page.fill("input[name=username]", "pingyang.officer")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误"
    assert look(page, "login-refused") == {}
