"""Two bidders in two browsers bid in the last minutes: the price and the end time move on both screens
without a reload, carried by the room's live feed (网拍规定 Art. 20). The staff's lot page and the bidder's
room are photographed at both widths and checked for overflowing text."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests import factories
from tests.auction_helpers import BIDDING_ENDS, buyer, listed_lot, priced_car, registered
from tests.live import serve
from tests.web.browser_helpers import look

LAST_MINUTES = BIDDING_ENDS - timedelta(minutes=3)  # 2026-12-10 09:57 Shanghai


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_two_bidders_bid_in_the_last_minutes_and_both_screens_follow_the_price_and_the_end(
    browser: Browser,
    app: FastAPI,
    db: Database,
    world: factories.World,
    centers: factories.Centers,
    clock: MovableClock,
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    registered(db, listed.round_id, buyer(db, "buyer1"), 1)
    registered(db, listed.round_id, buyer(db, "buyer2", phone="13700000002"), 2)
    clock.set(LAST_MINUTES)
    with serve(app) as base:
        pages = []
        for username in ("buyer1", "buyer2"):
            page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            page.set_default_timeout(5000)
            _log_in(page, base, username)
            page.goto(f"{base}/buyer/rounds/{listed.round_id}")
            expect(page.locator("#room-end")).to_have_text("2026年12月10日 10:00:00")
            pages.append(page)
        first, second = pages
        expect(first.locator("#room-countdown")).to_contain_text("00:0")  # under 5 minutes, server time

        first.click("#bid-submit")  # at 09:57:00: the end moves to 10:02:00
        for page in pages:
            expect(page.locator("#room-price")).to_have_text("70,000.00元")
            expect(page.locator("#room-end")).to_have_text("2026年12月10日 10:02:00")
            expect(page.locator("#room-bids-list tr").first).to_contain_text("延时")
        # The rival's form follows the feed: prefilled with the next minimum, no reload.
        expect(second.locator("#bid-form input[name=amount]")).to_have_value("70500.00")

        clock.advance(timedelta(minutes=1, seconds=30))
        second.click("#bid-submit")  # at 09:58:30: the end moves to 10:03:30
        for page in pages:
            expect(page.locator("#room-price")).to_have_text("70,500.00元")
            expect(page.locator("#room-end")).to_have_text("2026年12月10日 10:03:30")
            expect(page.locator("#room-bids")).to_have_text("2")
        expect(first.locator("#bid-form input[name=amount]")).to_have_value("71000.00")

        second.click("#bid-submit")  # the leader bidding again: refused beside the form, nothing moves
        expect(second.locator("#bid-error")).to_contain_text("出价领先")
        expect(second.locator("#room-bids")).to_have_text("2")
        assert first.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
        assert look(second, "auction-room") == {}

        staff = browser.new_context().new_page()
        staff.set_default_timeout(5000)
        _log_in(staff, base, "py.officer")
        staff.goto(f"{base}/auction/lots/{listed.lot_id}")
        expect(staff.get_by_role("button", name="中止拍卖")).to_be_visible()
        assert look(staff, "auction-lot") == {}
        staff.goto(f"{base}/auction/lots")
        assert look(staff, "auction-lots") == {}
        for context in browser.contexts:  # the live feeds end before the server does
            context.close()
