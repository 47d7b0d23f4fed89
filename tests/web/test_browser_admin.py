"""The administrator's journey in a real browser on the demo data: an organisation, a user in it, a
machine key seen once, a calendar year, and the timeline verified; every page photographed and checked
for text wider than its box."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page
from sqlalchemy import text

from api.demo import region as demo_region
from api.demo import seed as demo
from car_enforce.core.db import Database
from tests.web.browser_helpers import log_in, look

ADMIN = next(login.username for login in demo_region.LOGINS if login.role == "admin")
CENTER = "法拍车辅助事务办理中心（温州乐清站）"
BRIGADE = demo_region.COUNTY["330326"].brigade


def _menu(page: Page, base: str, label: str, path: str) -> None:
    page.locator("nav.menu").get_by_role("link", name=label).click()
    page.wait_for_url(f"{base}{path}")


def test_the_administrator_sets_up_a_center_its_clerk_a_key_a_year_and_checks_the_timeline(
    browser: Browser, demo_site: str, db: Database
) -> None:
    page = browser.new_page()
    page.set_default_timeout(5000)  # a page answers in milliseconds: a wait this long is a failure
    log_in(page, demo_site, ADMIN)

    _menu(page, demo_site, "机构", "/admin/organisations")
    page.get_by_text("新增机构", exact=True).first.click()
    page.select_option("select[name=kind]", "aux_center")
    page.fill("input[name=name]", demo_region.PINGYANG_CENTER.name)  # taken: refused beside the name
    page.fill("input[name=code]", "AUX-YQ")
    page.fill("input[name=jurisdiction_code]", "330382")
    page.fill("input[name=lon]", "120.9679")
    page.fill("input[name=lat]", "28.1163")
    page.get_by_role("button", name="新增机构").click()
    assert page.locator("label:has(input[name=name]) .error").inner_text() == "已有同名机构"
    assert page.input_value("input[name=code]") == "AUX-YQ"  # the rest of the form is kept
    assert look(page, "admin-organisations-refused") == {}
    page.fill("input[name=name]", CENTER)
    page.get_by_role("button", name="新增机构").click()
    page.wait_for_url(re.compile(r".*/admin/organisations#org-\d+$"))
    row = page.locator("tr", has_text=CENTER)
    assert "辅助事务办理中心" in row.inner_text() and "120.9679, 28.1163" in row.inner_text()
    # Where its costs on a case are paid: set on its row, shown by the last four digits.
    row.locator("summary", has_text="登记").click()
    row.locator("input[name=bank_name]").fill("农业银行乐清支行")
    row.locator("input[name=bank_account]").fill("6228 4803 0000 1234")
    row.get_by_role("button", name="保存收款账户").click()
    page.wait_for_url(re.compile(r".*/admin/organisations#org-\d+$"))
    assert "农业银行乐清支行 ****1234" in page.locator("tr", has_text=CENTER).inner_text()
    assert look(page, "admin-organisations") == {}

    _menu(page, demo_site, "用户", "/admin/users")
    page.get_by_text("新增用户", exact=True).first.click()
    page.select_option("select[name=organisation_id]", label=f"{CENTER}（辅助事务办理中心）")
    page.select_option("select[name=role]", "center_staff")
    page.fill("input[name=username]", "yueqing.center")
    page.fill("input[name=display_name]", "乐清站工作人员")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.get_by_role("button", name="新增用户").click()
    page.wait_for_url(f"{demo_site}/admin/users#user-yueqing.center")
    assert "辅助中心工作人员" in page.locator("#user-yueqing\\.center").inner_text()
    assert look(page, "admin-users") == {}

    _menu(page, demo_site, "接口密钥", "/admin/api-keys")
    page.get_by_text("签发新密钥", exact=True).click()
    page.select_option("select[name=organisation_id]", label=f"{BRIGADE}（公安交警）")
    page.fill("input[name=name]", "平阳大队新卡口系统")
    page.get_by_role("button", name="签发", exact=True).click()
    secret = page.locator("#new-secret").inner_text()
    assert secret.startswith("ck_") and page.get_by_text("此密钥只显示这一次").is_visible()
    assert look(page, "admin-api-key-created") == {}
    _menu(page, demo_site, "接口密钥", "/admin/api-keys")
    assert secret not in page.content() and page.locator("#new-secret").count() == 0  # never again
    page.go_back()  # nor going back (the answer is no-store, which the page tests check)
    assert secret not in page.content()
    page.goto(f"{demo_site}/admin/api-keys")
    assert look(page, "admin-api-keys") == {}

    _menu(page, demo_site, "工作日历", "/admin/calendar")
    page.fill("input[name=year]", "2027")
    page.fill("input[name=source]", "国务院办公厅关于2027年部分节假日安排的通知")
    page.fill("textarea[name=holidays]", "元旦 2027-01-01 2027-01-03\n春节 2027-02-05 至 2027-02-11")
    page.fill("textarea[name=workdays]", "春节调休 2027-02-14")
    page.get_by_role("button", name="载入").click()
    page.wait_for_url(f"{demo_site}/admin/calendar#year-2027")
    assert "10天" in page.locator("#year-2027").inner_text()
    assert look(page, "admin-calendar") == {}

    _menu(page, demo_site, "时间线核验", "/admin/timeline")
    page.get_by_role("button", name="核验全部时间线").click()
    page.wait_for_url(f"{demo_site}/admin/timeline?run=1")
    verdict = page.locator(".verdict").inner_text()
    assert "完整无误" in verdict and re.search(r"已核验 \d+ 条链、\d+ 条事件", verdict)
    assert look(page, "admin-timeline") == {}
    with db.engine.begin() as conn:  # someone edits the demo case's intake behind the platform's back
        conn.execute(text("UPDATE timeline_event SET actor = 'user:nobody' WHERE kind = 'custody.taken_in'"))
    page.get_by_role("button", name="核验全部时间线").click()
    first = page.locator("section.problem").inner_text()
    assert "第一处断链：案件 (2026)浙0326执1234号" in first and "（车辆入库）的内容在记录后被改动" in first
    assert look(page, "admin-timeline-broken") == {}

    clerk = browser.new_page()
    clerk.set_default_timeout(5000)
    log_in(clerk, demo_site, "yueqing.center")  # the new clerk logs in with the password given
    clerk.goto(f"{demo_site}/center")
    assert clerk.url == f"{demo_site}/center" and clerk.get_by_role("heading", name="到站与在库").is_visible()
