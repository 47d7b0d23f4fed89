"""Rounds on an outside auction platform over real HTTP (网拍规定 Art. 2–5, 22): the platform's simulator and
our app each on a uvicorn on loopback; the sweep publishes, updates and withdraws, the simulator's signed
``bidding.closed`` closes the round; bad signatures and replays change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from api.simulators.auction_platform import SimAuctionPlatform, create_app
from api.simulators.auction_platform.app import Simulator
from auction import closing, stops
from auction.models import AuctionLot, AuctionRound, Confirmation, LotStatus, RoundStatus
from auction.platforms import sending
from auction.platforms.models import AuctionPlatformMessage, AuctionPublication
from auction.platforms.registry import add_platform
from car_enforce.core import zh
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.outbound.standard_webhooks import new_secret, sign
from car_enforce.core.settings import Settings
from car_enforce.core.timeline.models import TimelineEvent
from tests import factories
from tests.auction_helpers import (
    BIDDING_ENDS,
    DEPOSIT_FEN,
    INCREMENT_FEN,
    START_FEN,
    listed_lot,
    priced_car,
    user,
)
from tests.live import serve

pytestmark = pytest.mark.usefixtures("centers")

CODE = "sim-jd"
CONTROL = {"X-Control-Key": "test-auction-control"}
BUYER = {
    "name": "李四海",
    "id_number": "330326198805061234",
    "phone": "13911112222",
    "bidder_number": "J0042",
}


@dataclass
class Net:
    db: Database
    sim: str  # the simulator's URL
    simulator: Simulator
    settings: Settings
    clock: MovableClock
    world: factories.World
    centers: factories.Centers

    def listed(self) -> tuple[int, int]:
        listed = listed_lot(self.db, priced_car(self.db, self.world, self.centers), platform=CODE)
        return listed.lot_id, listed.round_id

    def send(self) -> sending.SendReport:
        return sending.send_due(self.db, self.settings)

    def publication(self, round_id: int) -> AuctionPublication:
        with self.db.unit_of_work(read_only=True) as s:
            pub = s.scalar(select(AuctionPublication).where(AuctionPublication.round_id == round_id))
            assert pub is not None
            s.expunge(pub)
            return pub

    def remote(self, round_id: int) -> dict[str, Any]:
        return self.simulator.lot(str(self.publication(round_id).remote_id)).view()

    def mode(self, mode: str) -> None:
        r = httpx.post(f"{self.sim}/control/mode", json={"mode": mode}, headers=CONTROL)
        assert r.status_code == 200, r.text

    def close(self, round_id: int, **order: Any) -> dict[str, Any]:
        """Past the round's end, the platform ends its bidding and sends ``bidding.closed``."""
        self.clock.set(BIDDING_ENDS + timedelta(minutes=1))
        remote_id = self.publication(round_id).remote_id
        r = httpx.post(f"{self.sim}/control/lots/{remote_id}/close", json=order, headers=CONTROL, timeout=20)
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def net(
    app: FastAPI, db: Database, world: factories.World, centers: factories.Centers, clock: MovableClock
) -> Iterator[Net]:
    platform = SimAuctionPlatform(CODE, "模拟司法拍卖平台", "test-api-key", new_secret())
    sim_app = create_app(platform, control_key=CONTROL["X-Control-Key"])
    with ExitStack() as stack:
        sim = stack.enter_context(serve(sim_app))
        base = stack.enter_context(serve(app))
        with db.unit_of_work() as s:
            add_platform(
                s,
                code=CODE,
                name=platform.name,
                base_url=sim,
                api_key=platform.api_key,
                webhook_secret=platform.webhook_secret,
            )
        settings = Settings(
            database_url=db.url,
            public_base_url=base,
            auction_platform_timeout_s=3.0,
            auction_platform_attempts=1,
        )
        yield Net(db, sim, sim_app.state.simulator, settings, clock, world, centers)


def _count(db: Database, model: Any, *where: Any) -> int:
    with db.unit_of_work(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_an_announced_round_is_published_by_the_sweep_with_its_public_facts_only(net: Net) -> None:
    lot_id, round_id = net.listed()
    assert net.publication(round_id).status == "pending"  # the announce made no call
    report = net.send()
    assert report.published == [round_id]
    pub = net.publication(round_id)
    assert (pub.status, pub.attempts) == ("published", 0) and pub.remote_id
    kept = net.simulator._lots[pub.remote_id].lot
    assert (kept.starting_price_fen, kept.deposit_fen, kept.increment_fen) == (
        START_FEN,
        DEPOSIT_FEN,
        INCREMENT_FEN,
    )
    assert kept.ref == pub.key and kept.state == "open"
    with net.db.unit_of_work(read_only=True) as s:
        lot = s.get(AuctionLot, lot_id)
        assert lot is not None
        people = list(lot.to_notify)  # the parties by name: the debtor among them
        plate = lot.title.split()[-1]
    sent = kept.model_dump_json()
    assert people and not [name for name in people if name in sent]
    assert (
        plate.startswith("浙C") and plate not in sent and "浙C·***" in sent
    )  # the plate masked, as on our pages


def test_suspending_the_round_sends_the_platform_an_update(net: Net) -> None:
    _, round_id = net.listed()
    net.send()
    with net.db.unit_of_work() as s:
        rnd = s.get(AuctionRound, round_id)
        assert rnd is not None
        stops.suspend(s, actor=user(s, "py.officer"), rnd=rnd, reason="案外人提出异议")
    assert net.publication(round_id).status == "updating"
    assert net.send().updated == [round_id]
    remote = net.remote(round_id)
    assert (remote["state"], remote["reason"]) == ("suspended", "案外人提出异议")
    assert net.publication(round_id).status == "published"


def test_withdrawing_the_lot_withdraws_it_from_the_platform(net: Net) -> None:
    lot_id, round_id = net.listed()
    net.send()
    with net.db.unit_of_work() as s:
        lot = s.get(AuctionLot, lot_id)
        assert lot is not None
        stops.withdraw_lot(s, actor=user(s, "py.officer"), lot=lot, reason="被执行人已全额履行")
    assert net.send().withdrawn == [round_id]
    remote = net.remote(round_id)
    assert (remote["state"], remote["withdraw_reason"]) == ("withdrawn", "被执行人已全额履行")
    assert net.publication(round_id).status == "withdrawn"


def test_a_platform_answering_500_is_tried_again_later(net: Net) -> None:
    _, round_id = net.listed()
    net.mode("fail")
    assert net.send().published == []
    pub = net.publication(round_id)
    assert (pub.status, pub.attempts, pub.remote_id) == ("pending", 1, None)
    assert "HTTP 500" in pub.last_error
    net.mode("ok")
    assert net.send().published == []  # not due yet: it waits its turn
    net.clock.advance(sending.wait_after(1))
    assert net.send().published == [round_id]
    assert net.publication(round_id).status == "published"


def test_bidding_closed_as_sold_closes_the_round_with_the_buyer_in_the_confirmation(net: Net) -> None:
    lot_id, round_id = net.listed()
    net.send()
    price = START_FEN + 3 * INCREMENT_FEN
    sent = net.close(round_id, result="sold", price_fen=price, bids=7, buyer=BUYER)
    assert sent["status"] == 200 and sent["signed_rightly"], sent
    with net.db.unit_of_work(read_only=True) as s:
        rnd = s.get(AuctionRound, round_id)
        lot = s.get(AuctionLot, lot_id)
        assert rnd is not None and lot is not None
        assert (rnd.status, lot.status, rnd.price_fen, rnd.bids) == (
            RoundStatus.SOLD,
            LotStatus.SOLD,
            price,
            7,
        )
        assert rnd.balance_fen == price - DEPOSIT_FEN and rnd.balance_due_on is not None
        confirmation = closing.confirmation_of(s, round_id)
        assert confirmation is not None
        assert (confirmation.buyer_name, confirmation.buyer_number) == ("李四海", "J0042")
        assert (
            confirmation.buyer_id_masked.startswith("3303")
            and "198805061" not in confirmation.buyer_id_masked
        )
        assert confirmation.facts["platform"] == CODE
        closed = s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "auction.closed")).one()
        assert closed.data["sold"] is True and closed.data["buyer"] == "J0042"
        # The identity is on the restricted record only: not in the event, not in the answer to the platform.
        public = json.dumps(closed.data, ensure_ascii=False) + json.dumps(sent["answer"], ensure_ascii=False)
        assert (
            BUYER["id_number"] not in public and BUYER["name"] not in public and BUYER["phone"] not in public
        )
    pub = net.publication(round_id)
    assert (pub.status, pub.buyer_id_masked, pub.buyer_phone) == (
        "closed",
        zh.mask_id_number(BUYER["id_number"]),  # kept like a built-in bidder's: masked, and its digest
        BUYER["phone"],
    )


def test_a_webhook_with_a_bad_signature_is_refused_and_nothing_is_stored(net: Net) -> None:
    _, round_id = net.listed()
    net.send()
    net.mode("bad_signature")
    sent = net.close(round_id, result="sold", buyer=BUYER)
    assert sent["status"] == 401 and not sent["signed_rightly"], sent
    assert _count(net.db, AuctionPlatformMessage, AuctionPlatformMessage.kind == "bidding.closed") == 0
    assert _count(net.db, Confirmation) == 0
    with net.db.unit_of_work(read_only=True) as s:
        rnd = s.get(AuctionRound, round_id)
        assert rnd is not None and rnd.status == RoundStatus.ANNOUNCED


def test_a_message_with_an_overlong_id_or_a_malformed_body_is_422_and_stores_nothing(net: Net) -> None:
    _, round_id = net.listed()
    net.send()
    pub = net.publication(round_id)
    secret = net.simulator.platform.webhook_secret

    def post(msg_id: str, body: bytes) -> dict[str, Any]:
        headers = sign(secret, msg_id, int(net.clock.now().timestamp()), body)
        r = httpx.post(
            f"{net.settings.public_base_url}/api/auction/platforms/{CODE}/events",
            content=body,
            headers=headers,
        )
        return {"status": r.status_code, **r.json()}

    published = json.dumps({"type": "lot.published", "ref": pub.key, "remote_id": pub.remote_id}).encode()
    overlong = post("m" * 101, published)
    assert overlong["status"] == 422 and overlong["detail"] == "webhook-id: at most 100 characters", overlong
    assert overlong["detail_zh"] == "webhook-id 不能超过 100 个字符"
    assert post("m" * 100, published)["status"] == 200  # at the limit: taken

    not_json = post("msg_not_json", b"{not json")
    assert not_json["status"] == 422 and not_json["detail"].startswith("body: not JSON (a result names"), (
        not_json
    )
    buyer = {**BUYER, "id_number": "33032619880506123"}  # a digit short
    closed = {
        "type": "bidding.closed",
        "ref": pub.key,
        "remote_id": pub.remote_id,
        "result": "sold",
        "closed_at": "2026-12-10T02:03:00+00:00",
        "bids": 3,
        "final_price_fen": START_FEN,
        "buyer": buyer,
    }
    refused = post("msg_bad_buyer", json.dumps(closed).encode())
    assert refused["status"] == 422, refused
    assert refused["detail"].startswith("body: bidding.closed.buyer.id_number: String should match pattern")
    assert buyer["id_number"] not in json.dumps(refused)  # where and what only: the number is not echoed
    assert refused["detail_zh"].startswith("平台消息内容不全或格式不对")
    taken = AuctionPlatformMessage.msg_id.in_(["msg_not_json", "msg_bad_buyer"])
    assert _count(net.db, AuctionPlatformMessage, taken) == 0


def test_a_replayed_message_gets_the_first_answer_and_changes_nothing(net: Net) -> None:
    _, round_id = net.listed()
    net.send()
    first = net.close(round_id, result="sold", buyer=BUYER)
    assert first["status"] == 200, first
    again = httpx.post(
        f"{net.sim}/control/messages/{first['message_id']}/resend", headers=CONTROL, timeout=20
    )
    replay = again.json()
    assert replay["status"] == 200 and replay["answer"] == {**first["answer"], "replayed": True}
    assert _count(net.db, Confirmation) == 1
    assert _count(net.db, AuctionPlatformMessage, AuctionPlatformMessage.msg_id == first["message_id"]) == 1
    assert _count(net.db, TimelineEvent, TimelineEvent.kind == "auction.closed") == 1


def test_the_built_in_close_leaves_a_round_on_an_outside_platform_to_its_platform(net: Net) -> None:
    _, round_id = net.listed()
    net.clock.set(BIDDING_ENDS + timedelta(minutes=5))
    assert round_id not in closing.close_due(net.db)
    with net.db.unit_of_work(read_only=True) as s:
        rnd = s.get(AuctionRound, round_id)
        assert rnd is not None and rnd.status == RoundStatus.ANNOUNCED
