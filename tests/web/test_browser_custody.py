"""The center clerk's custody pages in a real browser, on each database's demo data: the seeded BYD's key
passed to an inspector, its chain, its cost statement, and a release refused for the key still out."""

from __future__ import annotations

from playwright.sync_api import Browser
from sqlalchemy import select

from car_enforce.core.db import Database
from car_enforce.core.identity.models import User
from car_enforce.core.identity.service import principal_of_user
from car_enforce.custody import release
from car_enforce.custody.models import Custody, ReleaseKind
from car_enforce.custody.schemas import ReleaseOrderIn
from tests.web.browser_helpers import log_in, look

PLATE = "浙CD12345"  # the demo's BYD, in custody at the Pingyang center
OWNER_ID = "330326199001011236"


def _order_release(db: Database) -> None:
    """The Pingyang court orders the demo car back to its owner (as its officer would over the API)."""
    with db.unit_of_work() as s:
        officer = principal_of_user(s.scalars(select(User).where(User.username == "pingyang.officer")).one())
        held = s.scalars(select(Custody).order_by(Custody.id)).first()  # the BYD, seeded first
        assert held is not None
        release.issue_order(
            s,
            actor=officer,
            custody=held,
            data=ReleaseOrderIn(
                kind=ReleaseKind.RETURN_TO_OWNER,
                document_number="（2026）浙0326执1234号之二",
                recipient_name="林某某",
                recipient_id_number=OWNER_ID,
            ),
        )


def test_a_clerk_passes_one_key_to_the_inspector_reads_the_chain_and_the_costs(
    browser: Browser, demo_site: str, db: Database
) -> None:
    page = browser.new_page()
    page.set_default_timeout(5000)  # a page answers in milliseconds: a wait this long is a failure
    log_in(page, demo_site, "pingyang.center")
    page.goto(f"{demo_site}/center")
    page.get_by_role("link", name=PLATE).click()
    page.wait_for_url("**/center/custody/*")
    page.get_by_role("link", name="保管链与钥匙").click()
    page.wait_for_url("**/chain")
    assert page.locator("table.keys tbody tr").count() == 2  # the BYD's two keys, both in the safe
    assert look(page, "custody-chain") == {}

    page.check("input[name=keys] >> nth=0")
    page.fill("input[name=to]", "检测员 王某")
    page.get_by_role("button", name="登记交接").click()
    page.wait_for_url("**/chain")
    rows = page.locator("table.keys tbody tr").all_inner_texts()
    assert "检测员 王某" in rows[0] and "李保管（钥匙柜）" in rows[1]  # one key out, one in the safe
    assert page.get_by_text("钥匙1：李保管（钥匙柜） → 检测员 王某").is_visible()
    assert look(page, "custody-chain-key-passed") == {}

    page.get_by_role("link", name="费用清单").click()
    page.wait_for_url("**/costs")
    total = page.locator("#total").inner_text()
    assert total.endswith("元") and "拖车费" in page.locator("main").inner_text()
    assert look(page, "custody-costs") == {}

    _order_release(db)
    page.get_by_role("link", name="出库放行").click()
    page.wait_for_url("**/release")
    assert "（2026）浙0326执1234号之二" in page.locator("table.orders").inner_text()
    assert look(page, "custody-release") == {}
    page.fill("input[name=recipient_id_number]", OWNER_ID)
    page.uncheck("input[name=key_ids] >> nth=0")  # the inspector's key is neither back nor handed over
    page.get_by_role("button", name="核对无误，放行出库").click()
    refusal = page.locator("fieldset .error")
    assert "依据：《查封规定》第六条、第十条" in refusal.inner_text()  # the rule beside the keys
    assert look(page, "custody-release-refused") == {}
