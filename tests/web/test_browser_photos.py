"""A car's photos and the correction of its inspection in a real browser, on each database's demo data: the
officer opens the demo car's capture, intake and defect photos; the clerk corrects its inspection."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.web.browser_helpers import log_in, look

ALL_IMAGES_SHOWN = "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"


def _page(browser: Browser) -> Page:
    page = browser.new_page()
    page.set_default_timeout(5000)  # a page answers in milliseconds: a wait this long is a failure
    return page


def test_the_officer_sees_the_cars_photos_and_the_clerk_corrects_its_inspection(
    browser: Browser, demo_site: str
) -> None:
    officer = _page(browser)
    log_in(officer, demo_site, "pingyang.officer")
    officer.goto(f"{demo_site}/cases")
    officer.click("text=(2026)浙0326执1234号")
    photos = officer.locator("#photos + section")
    assert (
        photos.get_by_text("扣押照片（公安交警）").is_visible()
        and photos.get_by_text("入库照片").is_visible()
    )
    assert photos.get_by_text("检测缺陷：B06 左前车门 · HH 划痕").is_visible()
    assert photos.locator("img").count() == 2 + 4 + 1  # the unit's two, the intake's four, the scratch
    officer.wait_for_function(ALL_IMAGES_SHOWN)  # each photo served, not only listed
    assert look(officer, "case-photos") == {}
    with officer.expect_popup() as opened:
        photos.get_by_role("img", name="左前车门划痕").click()  # a thumbnail opens the photo full size
    full = opened.value
    full.wait_for_load_state()
    assert "/defects/" in full.url and full.evaluate("document.images[0].naturalWidth") == 48
    full.close()

    clerk = _page(browser)
    log_in(clerk, demo_site, "pingyang.center")
    clerk.get_by_role("link", name="浙CD12345").click()
    clerk.wait_for_url("**/center/custody/*")
    assert clerk.locator(".photos img").count() == 7
    clerk.wait_for_function(ALL_IMAGES_SHOWN)
    assert look(clerk, "custody-photos") == {}
    clerk.get_by_role("link", name="更正检测").click()
    assert clerk.get_by_role("heading", name="更正检测（GB/T 30323-2013）").is_visible()
    # As recorded: the page's script computes the score from the pre-filled items once it has loaded.
    expect(clerk.locator("#score")).to_have_text("88")
    expect(clerk.locator("#grade")).to_have_text("二级")
    assert clerk.input_value("input[name=inspector_name]") == "王检测员"
    assert clerk.is_checked("input[name=keep_defect]")
    clerk.fill("input[name=item_B06]", "0")
    clerk.fill("input[name=item_B07]", "0")  # the right front door was scratched too: 2 points lost
    assert clerk.inner_text("#score") == "87"
    clerk.wait_for_function(ALL_IMAGES_SHOWN)
    assert look(clerk, "inspection-correction") == {}
    clerk.get_by_role("button", name="提交更正").click()
    assert clerk.url.endswith("/inspection")  # the reason is required: the browser keeps the form
    clerk.fill("textarea[name=reason]", "漏记右前车门划痕（B07）")
    clerk.get_by_role("button", name="提交更正").click()
    clerk.wait_for_url("**/center/custody/*")
    main = clerk.inner_text("main")
    assert "87分" in main and "已更正（第2版）" in main and "漏记右前车门划痕" in main

    clerk.get_by_role("link", name="检测报告").click()
    clerk.wait_for_url("**/inspections/*/report")
    assert "本报告为更正后的第2版" in clerk.inner_text("body") and "替代第1版" in clerk.inner_text("body")
    clerk.wait_for_function(ALL_IMAGES_SHOWN)
    assert look(clerk, "inspection-report") == {}

    officer.reload()  # the officer's case page follows the correction
    assert "检测87分，二级（已更正，第2版）" in officer.inner_text("#photos + section")
    assert officer.get_by_text("更正车辆检测结果").first.is_visible()  # on the timeline, in Chinese
