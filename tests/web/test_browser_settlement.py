"""A buyer on a phone goes from 我的竞买 to the won car's page, hands in the papers once at the one window
(the ID of another buyer refused beside its field) and the bank transfer's receipt; the court accepts the
transfer on the lot page, and the buyer's page shows the ruling served and the handover ordered. Each new
page is photographed at both widths and checked for overflowing text."""

from __future__ import annotations

import re

from fastapi import FastAPI
from playwright.sync_api import Browser, FilePayload, Page, expect

from car_enforce.core import zh
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests import factories
from tests.auction_helpers import DEPOSIT_FEN, LOSER_ID, PAPERS, PRICE, WINNER_ID, settlement_of, sold
from tests.live import serve
from tests.web.browser_helpers import WIDTHS, look

RECEIPT = FilePayload(name="回单.pdf", mimeType="application/pdf", buffer=b"%PDF-1.4 bank receipt")


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_buyer_hands_in_the_papers_from_a_phone_and_the_court_accepts_the_transfer(
    browser: Browser,
    app: FastAPI,
    db: Database,
    world: factories.World,
    centers: factories.Centers,
    clock: MovableClock,
) -> None:
    listed = sold(db, clock, world, centers)
    sid = settlement_of(db, listed.round_id).id
    with serve(app) as base:
        width, height = WIDTHS["phone"]
        phone = browser.new_context(viewport={"width": width, "height": height}, is_mobile=True).new_page()
        phone.set_default_timeout(5000)
        _log_in(phone, base, "winner")
        phone.goto(f"{base}/buyer")
        phone.get_by_role("link", name="付款与过户").click()
        expect(phone).to_have_url(re.compile(rf"/buyer/settlements/{sid}$"))
        expect(phone.locator(".steps li").first).to_contain_text(zh.yuan_text(PRICE - DEPOSIT_FEN))
        assert look(phone, "buyer-settlement") == {}

        phone.set_viewport_size({"width": width, "height": height})
        papers = phone.locator("#papers-form")
        papers.locator("input[name=id_number]").fill(LOSER_ID)
        papers.locator("input[name=phone]").fill(str(PAPERS["phone"]))
        papers.locator("input[name=address]").fill(str(PAPERS["address"]))
        papers.locator("input[name=electronic_service]").check()
        papers.get_by_role("button", name="提交材料").click()
        beside = phone.locator("label", has=phone.locator("input[name=id_number]")).locator(".error")
        expect(beside).to_contain_text("不符")
        expect(phone.locator("input[name=address]")).to_have_value(str(PAPERS["address"]))
        expect(phone.locator("input[name=id_number]")).to_have_value("")  # never shown back

        phone.locator("input[name=id_number]").fill(WINNER_ID)
        phone.get_by_role("button", name="提交材料").click()
        expect(phone.locator("#papers + p + dl.facts")).to_contain_text(zh.mask_id_number(WINNER_ID))
        assert WINNER_ID not in phone.content()

        proof = phone.locator("#proof")
        proof.locator("input[name=reference]").fill("BOC2026120001")
        expect(proof.locator("input[name=amount]")).to_have_value(zh.yuan(PRICE - DEPOSIT_FEN))
        proof.locator("input[name=file]").set_input_files(files=[RECEIPT])
        proof.get_by_role("button", name="提交转账凭证").click()
        expect(phone.locator("#balance + .card .facts")).to_contain_text("待法院核对")
        assert look(phone, "buyer-settlement-papers") == {}

        court = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        court.set_default_timeout(5000)
        _log_in(court, base, "py.officer")
        court.get_by_role("link", name="成交过户").click()
        row = court.locator("tbody tr").first
        expect(row).to_contain_text("王二某")
        expect(row).to_contain_text("核对转账凭证")
        assert look(court, "auction-settlements") == {}
        row.get_by_role("link", name="核对转账凭证").click()
        block = court.locator(f"#settlement-{sid}")
        expect(block).to_contain_text("BOC2026120001")
        court.set_viewport_size({"width": 1366, "height": 768})
        block.get_by_role("button", name="已到账，确认收款").click()
        expect(court.locator(f"#settlement-{sid} h4").first).to_contain_text("裁定已送达")
        assert look(court, "auction-lot-settlement") == {}

        phone.reload()
        steps = phone.locator(".steps li")
        expect(steps.nth(2)).to_contain_text("电子送达（一窗受理）")
        expect(steps.nth(4)).to_contain_text("法院已签发出库通知")
        expect(phone.get_by_role("link", name=re.compile("成交裁定书"))).to_be_visible()
        assert look(phone, "buyer-settlement-ruled") == {}
        for context in browser.contexts:
            context.close()
