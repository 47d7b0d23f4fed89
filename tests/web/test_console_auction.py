"""The auction pages: the staff's lots, a new lot, a round drafted beside its lawful bounds (a refusal names
its article beside the field), notices and the announcement; the buyer's sign-up, registration with the
declarations of Art. 34, and a bid from the room's form that a double click cannot make twice; the 成交确认书.
A buyer cannot open the staff's pages, and another court's officer finds no lot."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from auction import closing
from auction.models import AuctionBid, AuctionLot, AuctionRound
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from tests import factories
from tests.auction_helpers import (
    BIDDING_ENDS,
    BIDDING_STARTS,
    ONE_MS,
    START_FEN,
    buyer,
    id_number,
    listed_lot,
    priced_car,
    registered,
)
from tests.web.console_helpers import form_csrf, log_in


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _lot_id(db: Database) -> int:
    with db.unit_of_work(read_only=True) as s:
        found = s.scalar(select(AuctionLot.id))
        assert found is not None
        return found


def test_staff_open_a_lot_from_a_priced_car_and_a_low_start_is_refused_beside_its_field_with_article_10(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    priced = priced_car(db, world, centers)
    with TestClient(app) as staff:
        csrf = log_in(staff, "py.officer", "/auction/lots")
        page = staff.get("/auction/lots").text
        assert "新建标的" in page and "100,000.00元" in page
        r = staff.post("/auction/lots", data={"csrf": csrf, "custody_id": priced.custody_id})
        assert r.status_code == 200 and r.url.path == f"/auction/lots/{_lot_id(db)}"
        text = _text(r.text)
        assert "不得低于70,000.00元" in text  # the bound beside the field, computed by the rules
        assert "最早2026年12月8日开始" in text  # 15 days after today's announcement (Art. 12)

        form = {
            "csrf": csrf,
            "starting_price": "60000",
            "deposit": "6000",
            "announced_on": "2026-11-23",
            "starts_at": "2026-12-09T10:00",
            "ends_at": "2026-12-10T10:00",
            "balance_days": "10",
        }
        refused = staff.post(f"/auction/lots/{_lot_id(db)}/rounds", data=form)
        assert refused.status_code == 400
        beside = re.search(r'name="starting_price".*?</label>', refused.text, re.DOTALL)
        assert beside is not None and "第十条" in unescape(beside.group(0))
        with db.unit_of_work(read_only=True) as s:
            assert s.scalar(select(func.count()).select_from(AuctionRound)) == 0

        drafted = staff.post(f"/auction/lots/{_lot_id(db)}/rounds", data={**form, "starting_price": "70000"})
        assert drafted.status_code == 200, _text(drafted.text)
        assert "发布拍卖公告" in drafted.text


def test_the_announcement_waits_for_the_notices_then_goes_out(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers), announce=False)
    with TestClient(app) as staff:
        csrf = log_in(staff, "py.officer", f"/auction/lots/{listed.lot_id}")
        with db.unit_of_work() as s:  # the helper told everyone: forget one to see the refusal
            rnd = s.get(AuctionRound, listed.round_id)
            assert rnd is not None
            rnd.lot.to_notify = [*rnd.lot.to_notify, "张某"]
        refused = staff.post(
            f"/auction/lots/{listed.lot_id}/rounds/{listed.round_id}/announce", data={"csrf": csrf}
        )
        assert refused.status_code == 400 and "第十六条" in _text(refused.text)
        told = staff.post(
            f"/auction/lots/{listed.lot_id}/rounds/{listed.round_id}/notices",
            data={"csrf": csrf, "to": "张某", "way": "served", "on": "2026-11-18"},
        )
        assert told.status_code == 200
        done = staff.post(
            f"/auction/lots/{listed.lot_id}/rounds/{listed.round_id}/announce", data={"csrf": csrf}
        )
        assert done.status_code == 200 and "已公告" in done.text and "中止拍卖" in done.text


def test_a_buyer_cannot_open_the_staff_pages_and_another_court_finds_no_lot(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    buyer(db, "buyer1")
    with TestClient(app) as person:
        log_in(person, "buyer1", "/buyer")
        assert person.get("/auction/lots").status_code == 403
        assert person.get(f"/auction/lots/{listed.lot_id}").status_code == 403
    with TestClient(app) as other:
        log_in(other, "lc.officer", "/auction/lots")
        assert other.get(f"/auction/lots/{listed.lot_id}").status_code == 404
        assert other.get(f"/auction/rounds/{listed.round_id}/confirmation").status_code == 404
        assert "帕萨特" not in other.get("/auction/lots").text


def test_sign_up_logs_the_buyer_in_and_a_short_password_is_refused_beside_its_field(
    app: FastAPI, db: Database, world: factories.World
) -> None:
    with TestClient(app) as person:
        csrf = form_csrf(person.get("/signup").text)
        form = {"csrf": csrf, "username": "new.buyer", "password": "short", "display_name": "新买家"}
        refused = person.post("/signup", data=form)
        assert refused.status_code == 422
        beside = re.search(r'name="password".*?</label>', refused.text, re.DOTALL)
        assert beside is not None and "填写有误" in beside.group(0)
        r = person.post("/signup", data={**form, "password": "a-long-enough-password"})
        assert r.status_code == 200 and r.url.path == "/buyer"
        assert "您还没有报名任何拍卖" in r.text


def test_registration_with_a_declaration_left_unticked_is_refused_with_article_34_then_accepted(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    buyer(db, "buyer1")
    with TestClient(app) as person:
        csrf = log_in(person, "buyer1", f"/buyer/rounds/{listed.round_id}")
        page = person.get(f"/buyer/rounds/{listed.round_id}").text
        declared = re.findall(r'name="not_barred" value="([a-z_]+)"', page)
        assert len(declared) == 6
        form = {
            "csrf": csrf,
            "real_name": "张三",
            "id_number": id_number(1),
            "phone": "13700000001",
            "full_capacity": "1",
            "not_barred": declared[:-1],  # not ticked: "本人不是上述工作人员的近亲属"
        }
        refused = person.post(f"/buyer/rounds/{listed.round_id}/register", data=form)
        assert refused.status_code == 400
        assert "第三十四条" in _text(refused.text.split('id="not_barred"', 1)[1].split("</fieldset>")[0])
        r = person.post(f"/buyer/rounds/{listed.round_id}/register", data={**form, "not_barred": declared})
        assert r.status_code == 200
        assert "待支付" in r.text and "7,000.00元" in r.text
        assert 'id="bid-form"' not in r.text  # no bid before the deposit (Art. 17)


def test_a_bid_from_the_room_form_answers_json_and_the_same_form_twice_bids_once(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    registered(db, listed.round_id, buyer(db, "buyer1"), 1)
    registered(db, listed.round_id, buyer(db, "buyer2", phone="13700000002"), 2)
    clock.set(BIDDING_STARTS + timedelta(hours=1))
    with TestClient(app) as person:
        csrf = log_in(person, "buyer1", f"/buyer/rounds/{listed.round_id}")
        page = person.get(f"/buyer/rounds/{listed.round_id}").text
        key = re.search(r'name="key" value="([^"]+)"', page)
        assert key is not None and 'value="70000.00"' in page  # prefilled with the next minimum
        form = {"csrf": csrf, "key": key.group(1), "amount": "70000"}
        json = {"Accept": "application/json"}
        first = person.post(f"/buyer/rounds/{listed.round_id}/bid", data=form, headers=json)
        again = person.post(f"/buyer/rounds/{listed.round_id}/bid", data=form, headers=json)
        assert first.status_code == 201 and first.json()["price_fen"] == START_FEN
        assert again.status_code == 200 and again.json()["replayed"] is True
    with TestClient(app) as rival:
        csrf = log_in(rival, "buyer2", f"/buyer/rounds/{listed.round_id}")
        key = re.search(r'name="key" value="([^"]+)"', rival.get(f"/buyer/rounds/{listed.round_id}").text)
        assert key is not None
        off_grid = rival.post(
            f"/buyer/rounds/{listed.round_id}/bid",
            data={"csrf": csrf, "key": key.group(1), "amount": "70100"},
            headers={"Accept": "application/json"},
        )
        assert off_grid.status_code == 400 and "第二十条" in off_grid.json()["error"]
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(AuctionBid)) == 1


def test_the_confirmation_page_shows_the_buyers_real_name_and_masked_id_number(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers))
    who = buyer(db, "buyer1")
    registered(db, listed.round_id, who, 1, real_name="李四")
    clock.set(BIDDING_STARTS + timedelta(hours=1))
    with TestClient(app) as person:
        csrf = log_in(person, "buyer1", f"/buyer/rounds/{listed.round_id}")
        key = re.search(r'name="key" value="([^"]+)"', person.get(f"/buyer/rounds/{listed.round_id}").text)
        assert key is not None
        r = person.post(
            f"/buyer/rounds/{listed.round_id}/bid",
            data={"csrf": csrf, "key": key.group(1), "amount": "70000"},
        )
        assert r.status_code == 200 and r.url.fragment == "room"
    clock.set(BIDDING_ENDS + closing.GRACE + ONE_MS)
    with db.unit_of_work() as s:
        assert closing.close_round(s, listed.round_id) is not None
    with TestClient(app) as staff:
        log_in(staff, "py.officer", f"/auction/lots/{listed.lot_id}")
        lot_page = staff.get(f"/auction/lots/{listed.lot_id}").text
        assert "成交确认书" in lot_page and "认定悔拍" in lot_page
        page = _text(staff.get(f"/auction/rounds/{listed.round_id}/confirmation").text)
        assert "李四" in page and "330326**********" not in page
        assert re.search(r"3303\*+\d{3}X", page) is not None
