"""The public auction pages for a visitor with no login: the listing's cards and feed links, the lot page with
the announcement's items in their order, the car's photos and its inspection report; and in a browser at
the office's and a phone's widths."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from auction import rules
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests import factories
from tests.auction_helpers import Listed, listed_lot, priced_car
from tests.live import serve
from tests.pricing_helpers import inspect
from tests.web.browser_helpers import look

pytestmark = pytest.mark.usefixtures("centers")
ALL_IMAGES_SHOWN = "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"


@pytest.fixture
def listed(db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers) -> Listed:
    lot = listed_lot(db, priced_car(db, world, centers))
    inspect(db, lot.priced.custody_id, flood=True)
    return lot


def test_the_listing_shows_a_card_per_lot_and_links_its_feeds(client: TestClient, listed: Listed) -> None:
    r = client.get("/auctions")
    assert r.status_code == 200
    for media, href in (
        ("application/rss+xml", "/feeds/lots.rss"),
        ("application/atom+xml", "/feeds/lots.atom"),
        ("application/feed+json", "/feeds/lots.json"),
    ):
        assert re.search(rf'<link rel="alternate" type="{re.escape(media)}"[^>]* href="{href}">', r.text)
    assert f'href="/auctions/{listed.round_id}"' in r.text
    assert "大众 帕萨特 2.0T 浙C·***45" in r.text and "即将开始" in r.text
    assert "70,000.00元" in r.text and "距开始还有16天1小时" in r.text  # 11-23 09:00 to 12-09 10:00
    assert f'src="/auctions/{listed.round_id}/photos/0"' in r.text


def test_the_lot_page_lists_the_announcements_items_in_their_order(
    client: TestClient, listed: Listed
) -> None:
    r = client.get(f"/auctions/{listed.round_id}")
    assert r.status_code == 200
    headings = re.findall(r"<li><h3>([^<]+)</h3>", r.text)
    assert headings == [rules.DISCLOSURE_NAMES_ZH[d] for d in rules.Disclosure]
    for words in ("起拍价", "保证金", "增价幅度", "500.00元", "2026年12月9日 10:00", "2026年12月10日 10:00"):
        assert words in r.text
    assert "技术状况等级" in r.text and "二级" in r.text


def test_the_lot_pages_photos_and_report_are_served_without_a_login(
    client: TestClient, listed: Listed
) -> None:
    lot = client.get(f"/api/public/lots/{listed.round_id}").json()
    urls = [p["url"] for p in lot["photos"]] + [
        p["url"] for d in lot["inspection"]["defects"] for p in d["photos"]
    ]
    assert len(urls) == 5
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", url
        assert r.headers["cache-control"].startswith("public")
    report = client.get(lot["inspection"]["report_url"])
    assert report.status_code == 200 and "浙C·***45" in report.text and "二级" in report.text
    assert f"/auctions/{listed.round_id}/defects/" in report.text  # its photos from the public route


def test_a_visitor_finds_the_auctions_from_the_login_page(client: TestClient) -> None:
    page = client.get("/login").text
    assert 'href="/auctions"' in page
    assert client.get("/auctions").text.count("暂无公开的拍卖标的") == 1


def test_the_public_pages_in_a_browser_at_both_widths(app: FastAPI, browser: Browser, listed: Listed) -> None:
    with serve(app) as base:
        page = browser.new_page()
        page.set_default_timeout(5000)
        page.goto(f"{base}/auctions")
        page.wait_for_function(ALL_IMAGES_SHOWN)
        assert look(page, "auctions") == {}
        page.get_by_role("link", name="大众 帕萨特 2.0T 浙C·***45").click()
        page.wait_for_url(f"**/auctions/{listed.round_id}")
        page.locator("img").last.scroll_into_view_if_needed()  # the photos below the room load lazily
        page.wait_for_function(ALL_IMAGES_SHOWN)
        page.evaluate("window.scrollTo(0, 0)")
        assert page.locator("#room-price").inner_text() == "暂无出价"  # the live room, on the public page
        assert page.get_by_role("heading", name="拍卖公告及特别提示").is_visible()
        assert look(page, "auction-lot") == {}
