"""The public lots as JSON, RSS 2.0, Atom 1.0 and JSON Feed 1.1: each format parses as its spec says, a draft
is never public, an unchanged answer is a 304, and no debtor's, applicant's or bidder's personal data (nor
the plate whole) appears in any of them or in the public pages."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from fastapi.testclient import TestClient

from auction import bidding, closing, lots, rounds, stops
from auction.models import AuctionLot, AuctionRound
from car_enforce.core import zh
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.custody.models import Custody
from tests import factories
from tests.api_helpers import APPLICANT_CODE, DEBTOR_ID, VIN, case_body
from tests.auction_helpers import (
    BIDDING_ENDS,
    BIDDING_STARTS,
    INCREMENT_FEN,
    START_FEN,
    Listed,
    buyer,
    id_number,
    listed_lot,
    notify_all,
    plan,
    priced_car,
    registered,
    sh,
    user,
)
from tests.pricing_helpers import inspect

pytestmark = pytest.mark.usefixtures("centers")

ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = ("/feeds/lots.rss", "/feeds/lots.atom", "/feeds/lots.json")
MASKED_PLATE = "浙C·***45"
REAL_NAMES = ("张三丰", "欧阳娜娜")


def _bid(db: Database, username: str, round_id: int, amount: int) -> None:
    with db.unit_of_work() as s:
        bidding.place_bid(s, who=user(s, username), round_id=round_id, amount_fen=amount)


def _sold(db: Database, clock: MovableClock, listed: Listed) -> None:
    """Two bidders in their real names bid; the round closes sold with its 确认书 (which names the buyer)."""
    inspect(db, listed.priced.custody_id, flood=True)  # a defect with a photo, shown on the lot page
    for n, name in enumerate(REAL_NAMES, start=1):
        registered(db, listed.round_id, buyer(db, f"buyer{n}", phone=f"1370000000{n}"), n, real_name=name)
    clock.set(BIDDING_STARTS + timedelta(hours=1))
    _bid(db, "buyer1", listed.round_id, START_FEN)
    _bid(db, "buyer2", listed.round_id, START_FEN + INCREMENT_FEN)
    clock.set(BIDDING_ENDS + timedelta(seconds=3))
    with db.unit_of_work() as s:
        assert closing.close_round(s, listed.round_id) is not None


def _personal_data() -> list[str]:
    body = case_body()
    parties = body["applicants"] + body["debtors"]
    found = [p[k] for p in parties for k in ("name", "id_number", "phone")]
    found += [*REAL_NAMES, id_number(1), id_number(2), "13700000001", "13700000002"]
    return [*found, DEBTOR_ID, APPLICANT_CODE, VIN, "浙C12345", "王检测员"]


def test_rss_is_rss_2_with_one_item_per_public_round(client: TestClient, listed: Listed) -> None:
    r = client.get("/feeds/lots.rss")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/rss+xml")
    root = ET.fromstring(r.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for tag in ("title", "link", "description", "lastBuildDate"):
        assert (channel.findtext(tag) or "").strip(), tag
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("rel") == "self"
    (item,) = channel.findall("item")
    guid = item.find("guid")
    assert guid is not None and guid.get("isPermaLink") == "true"
    assert guid.text == item.findtext("link") and (guid.text or "").endswith(f"/auctions/{listed.round_id}")
    assert item.findtext("title") == f"【第一次拍卖】大众 帕萨特 2.0T {MASKED_PLATE}"
    assert parsedate_to_datetime(item.findtext("pubDate") or "").tzinfo is not None
    assert "起拍价70,000.00元" in (item.findtext("description") or "")


def test_atom_has_the_elements_rfc_4287_requires(client: TestClient, listed: Listed) -> None:
    r = client.get("/feeds/lots.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert (feed.findtext(f"{ATOM}{tag}") or "").strip(), tag
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    (entry,) = feed.findall(f"{ATOM}entry")
    for tag in ("id", "title", "updated", "published", "summary"):
        assert (entry.findtext(f"{ATOM}{tag}") or "").strip(), tag
    datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")
    link = entry.find(f"{ATOM}link")
    assert (
        link is not None
        and link.get("rel") == "alternate"
        and link.get("href") == entry.findtext(f"{ATOM}id")
    )
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "平阳县人民法院"


def test_json_feed_has_the_keys_of_version_1_1(client: TestClient, listed: Listed) -> None:
    r = client.get("/feeds/lots.json")
    assert r.headers["content-type"].startswith("application/feed+json")
    feed = r.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["feed_url"].endswith("/feeds/lots.json")
    (item,) = feed["items"]
    assert isinstance(item["id"], str) and item["url"] == item["id"]
    assert item["content_text"] and item["title"].endswith(MASKED_PLATE)
    datetime.fromisoformat(item["date_published"])
    datetime.fromisoformat(item["date_modified"])
    spec_keys = {
        "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
        "banner_image", "date_published", "date_modified", "authors", "tags", "language", "attachments",
    }  # fmt: skip
    assert all(k in spec_keys or k.startswith("_") for k in item)  # extensions start with an underscore
    assert item["_auction"]["round_id"] == listed.round_id
    assert item["_auction"]["starting_price_fen"] == START_FEN


def test_the_feeds_name_the_same_round_by_the_same_id(client: TestClient, listed: Listed) -> None:
    rss_guid = ET.fromstring(client.get("/feeds/lots.rss").content).findtext("channel/item/guid")
    atom_id = ET.fromstring(client.get("/feeds/lots.atom").content).findtext(f"{ATOM}entry/{ATOM}id")
    json_id = client.get("/feeds/lots.json").json()["items"][0]["id"]
    assert rss_guid == atom_id == json_id
    assert client.get("/feeds/lots.json").json()["items"][0]["id"] == json_id


def test_no_personal_data_in_any_feed_or_public_page(
    client: TestClient, db: Database, clock: MovableClock, listed: Listed
) -> None:
    _sold(db, clock, listed)
    rid = listed.round_id
    paths = [
        *FEEDS,
        "/api/public/lots",
        f"/api/public/lots/{rid}",
        "/auctions",
        f"/auctions/{rid}",
        f"/auctions/{rid}/inspection",
    ]
    lot = client.get(f"/api/public/lots/{rid}").json()
    assert lot["status"] == "sold" and lot["sale"]["buyer_number"]  # the buyer by number only
    assert lot["inspection"]["defects"][0]["photos"] and len(lot["photos"]) == 4  # the car's own photos
    notices = next(i["text"] for i in lot["items"] if i["key"] == "notices")
    assert "林*某" in notices and lot["sale"]["buyer_number"] in client.get(f"/auctions/{rid}").text
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, path
        text = r.text if "json" not in r.headers["content-type"] else json.dumps(r.json(), ensure_ascii=False)
        for secret in _personal_data():
            assert secret not in text, f"{secret} in {path}"
        assert not re.search(r"\d{17}[\dX]", text), path


def test_the_announcement_items_are_scrubbed_of_names_typed_into_them(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    priced = priced_car(db, world, centers)
    with db.unit_of_work() as s:
        officer = user(s, "py.officer")
        custody_lot = lots.open_lot(
            s,
            actor=officer,
            custody=s.get(Custody, priced.custody_id),  # type: ignore[arg-type]
            disclosures={"warn_defects": f"被执行人林某某（{DEBTOR_ID}，电话13900000002）称车辆无事故。"},
        )
        rnd = rounds.draft_round(s, actor=officer, lot=custody_lot, plan=plan())
        round_id = rnd.id
    notify_all(db, round_id)
    with db.unit_of_work() as s:
        rounds.announce(s, actor=user(s, "py.officer"), rnd=s.get(AuctionRound, round_id))  # type: ignore[arg-type]
    items = {i["key"]: i["text"] for i in client.get(f"/api/public/lots/{round_id}").json()["items"]}
    assert (
        items["warn_defects"]
        == f"被执行人林*某（{zh.mask_id_number(DEBTOR_ID)}，电话139****0002）称车辆无事故。"
    )


def test_a_draft_round_is_not_public(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    draft = listed_lot(db, priced_car(db, world, centers), announce=False)
    assert client.get("/api/public/lots").json()["items"] == []
    assert client.get(f"/api/public/lots/{draft.round_id}").status_code == 404
    assert client.get(f"/auctions/{draft.round_id}").status_code == 404
    assert client.get(f"/auctions/{draft.round_id}/photos/0").status_code == 404
    assert client.get("/feeds/lots.json").json()["items"] == []
    assert ET.fromstring(client.get("/feeds/lots.rss").content).findall("channel/item") == []


def test_a_draft_withdrawn_with_its_lot_stays_hidden(
    client: TestClient, db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    draft = listed_lot(db, priced_car(db, world, centers), announce=False)
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, draft.lot_id)
        assert lot is not None
        stops.withdraw_lot(s, actor=user(s, "py.officer"), lot=lot, reason="被执行人已履行完毕")
    assert client.get(f"/api/public/lots/{draft.round_id}").status_code == 404


def test_an_announced_round_withdrawn_stays_public_as_withdrawn(
    client: TestClient, db: Database, listed: Listed
) -> None:
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        stops.withdraw_lot(s, actor=user(s, "py.officer"), lot=lot, reason="被执行人已履行完毕")
    lot_json = client.get(f"/api/public/lots/{listed.round_id}").json()
    assert (lot_json["status"], lot_json["status_zh"]) == ("withdrawn", "已撤回")


def test_an_unchanged_feed_is_a_304_and_a_bid_changes_it(
    client: TestClient, db: Database, clock: MovableClock, listed: Listed
) -> None:
    first = client.get("/feeds/lots.atom")
    etag = first.headers["etag"]
    assert first.headers["last-modified"]
    again = client.get("/feeds/lots.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    registered(db, listed.round_id, buyer(db, "buyer1"), 1)
    clock.set(BIDDING_STARTS + timedelta(minutes=1))
    _bid(db, "buyer1", listed.round_id, START_FEN)
    changed = client.get("/feeds/lots.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_the_json_lot_is_a_304_when_the_client_holds_it(client: TestClient, listed: Listed) -> None:
    etag = client.get(f"/api/public/lots/{listed.round_id}").headers["etag"]
    r = client.get(f"/api/public/lots/{listed.round_id}", headers={"If-None-Match": f'W/{etag}, "other"'})
    assert r.status_code == 304


def test_the_list_pages_newest_first_with_a_before_cursor(
    client: TestClient, db: Database, clock: MovableClock, listed: Listed
) -> None:
    clock.set(BIDDING_ENDS + timedelta(seconds=3))
    with db.unit_of_work() as s:
        closing.close_round(s, listed.round_id)  # no bid: unsold
    clock.set(sh(2026, 12, 15, 9))
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        second_plan = plan(
            starting_price_fen=START_FEN * 8 // 10,
            deposit_fen=START_FEN * 8 // 100,
            announced_at=sh(2026, 12, 15, 9),
            starts_at=sh(2026, 12, 23),
            ends_at=sh(2026, 12, 24),
        )
        second = rounds.draft_round(s, actor=user(s, "py.officer"), lot=lot, plan=second_plan).id
    notify_all(db, second, on=date(2026, 12, 10))
    with db.unit_of_work() as s:
        rounds.announce(s, actor=user(s, "py.officer"), rnd=s.get(AuctionRound, second))  # type: ignore[arg-type]
    page = client.get("/api/public/lots", params={"limit": 1}).json()
    assert [i["round_id"] for i in page["items"]] == [second] and page["next_before"] == second
    rest = client.get("/api/public/lots", params={"limit": 1, "before": second}).json()
    assert [(i["round_id"], i["status_zh"]) for i in rest["items"]] == [(listed.round_id, "已流拍")]
    assert rest["next_before"] is None
    history = client.get(f"/api/public/lots/{second}").json()["history"]
    assert [h["kind_zh"] for h in history] == ["第一次拍卖"]


def test_a_cursor_that_is_not_a_public_round_is_refused(client: TestClient, listed: Listed) -> None:
    r = client.get("/api/public/lots", params={"before": listed.round_id + 1000})
    assert r.status_code == 422, r.text
    assert r.json()["detail_zh"] == "翻页位置不是公开的拍卖"
