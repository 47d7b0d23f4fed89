"""Long work in a real browser: the progress page follows the work without a reload, and a boundary
file is drawn on the map before it is imported."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from car_enforce.core.db import Database
from car_enforce.core.work import runner
from tests.web.browser_helpers import log_in, look

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_a_clerk_watches_an_inventory_import_finish_and_reviews_its_rows(
    browser: Browser, demo_site: str, db: Database
) -> None:
    page = browser.new_page()
    page.set_default_timeout(5000)
    log_in(page, demo_site, "pingyang.center")
    page.goto(f"{demo_site}/center/inventory")
    assert look(page, "inventory") == {}
    page.set_input_files("input[name=file]", str(FIXTURES / "towbook_inventory.csv"))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url(f"{demo_site}/work/*")
    assert page.locator("#work-status").inner_text() == "排队中"
    assert look(page, "work-queued") == {}

    assert len(runner.run_due(db)) == 1  # the background runner, while the page is open
    page.locator("#work-status", has_text="已完成").wait_for()  # updated without a reload
    assert page.locator("#work-count").inner_text() == "8 / 8"
    assert look(page, "work-done") == {}
    page.get_by_role("link", name="查看结果").click()
    page.wait_for_url(f"{demo_site}/center/inventory/*")
    assert page.get_by_text("第 4 行").is_visible()
    assert look(page, "inventory-import") == {}
    row = page.locator("section.row-review").first
    row.locator("input[name=reason]").fill("非法院查封车辆")
    row.get_by_role("button", name="排除").click()
    page.wait_for_load_state()
    assert page.get_by_text("排除理由：非法院查封车辆").is_visible()


def test_an_administrator_previews_a_boundary_file_on_the_map_and_imports_it(
    browser: Browser, demo_site: str, db: Database
) -> None:
    page = browser.new_page()
    page.set_default_timeout(5000)
    log_in(page, demo_site, "admin")
    page.goto(f"{demo_site}/admin/boundaries")
    assert page.get_by_text("平阳县").first.is_visible()  # the demo region's own units are listed
    assert look(page, "boundaries") == {}
    page.set_input_files("input[name=file]", str(FIXTURES / "geo" / "fixture_990000_cities.geojson"))
    page.select_option("select[name=level]", "city")
    page.fill("input[name=parent_code]", "330000")
    page.get_by_role("button", name="检查并预览").click()
    page.wait_for_load_state()
    # The cities name their own province, which the platform does not know: said beside the file.
    assert page.get_by_text("文件中写的上级是 990000，导入时选择的上级是 330000，两者不一致").is_visible()
    page.set_input_files("input[name=file]", str(FIXTURES / "geo" / "fixture_990000_province.geojson"))
    page.select_option("select[name=level]", "province")
    page.fill("input[name=parent_code]", "")
    page.get_by_role("button", name="检查并预览").click()
    page.wait_for_url(f"{demo_site}/admin/boundaries/*")
    assert page.locator("svg path.area").count() == 1
    assert page.locator("table").get_by_text("测试省").is_visible()
    assert look(page, "boundary-preview") == {}
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(f"{demo_site}/work/*")
    runner.run_due(db)
    page.locator("#work-status", has_text="已完成").wait_for()
    assert "1 个区域的边界已导入" in page.locator("#work-summary").inner_text()
