"""The case's money in the browser: the officer opens the case's account from the case page, distributes
the money received and holds a payout; the applicant, on a phone, sees where its money is; the command
center shows the payout figures. Each new page is photographed at both widths and checked for overflow."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from api.simulators import payments as payments_sim
from car_enforce.case_money import payouts as payout_verbs
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests import factories
from tests.case_money_helpers import applicant_user, money_case, payouts, received_with_tow
from tests.live import serve
from tests.payments_helpers import Harness, running
from tests.web.browser_helpers import WIDTHS, look


@pytest.fixture(scope="module")
def payments_server() -> Iterator[Harness]:
    with running() as harness:
        yield harness


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_the_officer_distributes_and_holds_the_applicant_sees_its_money_and_the_center_the_figures(
    browser: Browser,
    app: FastAPI,
    db: Database,
    world: factories.World,
    clock: MovableClock,
    payments_server: Harness,
) -> None:
    case = money_case(db)
    received_with_tow(db, case)
    applicant_user(db, "creditor", case)
    with serve(app) as base:
        office = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        office.set_default_timeout(5000)
        _log_in(office, base, "py.officer")
        office.goto(f"{base}/cases/{case.id}")
        office.get_by_role("link", name="案款账户（一案一账号）").click()
        expect(office).to_have_url(re.compile(rf"/cases/{case.id}/money$"))
        expect(office.locator("#totals")).to_contain_text("10,000.00元")
        assert look(office, "case-money") == {}

        office.set_viewport_size({"width": 1366, "height": 768})
        # The fee left blank: the platform reckons it (50 yuan on the first 10,000 enforced).
        office.get_by_role("button", name="分配待分配款项").click()
        expect(office.locator("#distribution")).to_contain_text("本次分配结果")
        expect(office.locator("#distribution")).to_contain_text("50.00元")
        expect(office.locator("#distribution")).to_contain_text("9,650.00元")
        [_tow, mine] = payouts(db, case.id)
        row = office.locator(f"#payout-{mine.id}")
        row.get_by_text("暂缓发放").click()
        row.locator("select[name=reason]").select_option("frozen_elsewhere")
        row.get_by_role("button", name="暂缓").click()
        expect(office.locator(f"#payout-{mine.id}")).to_contain_text("款项被他案冻结")
        assert look(office, "case-money-distributed") == {}

        with payments_server.gateway() as gateway:
            assert payout_verbs.send_due(db, gateway) == ["succeeded"]  # the tow's; the applicant's held
        payments_sim.wait_for_deliveries()

        width, height = WIDTHS["phone"]
        phone = browser.new_context(viewport={"width": width, "height": height}, is_mobile=True).new_page()
        phone.set_default_timeout(5000)
        _log_in(phone, base, "creditor")
        phone.goto(f"{base}/my-cases")
        money = phone.locator("dl.money")
        expect(money).to_contain_text("9,650.00元")
        expect(phone.locator("ul.payouts")).to_contain_text("暂缓发放：款项被他案冻结")
        assert look(phone, "my-cases-money") == {}

        office.goto(f"{base}/command")
        expect(office.locator("table.payouts")).to_contain_text("到账→发放")
        expect(office.locator("table.payouts")).to_contain_text("100.0%")
        assert look(office, "command-payouts") == {}
