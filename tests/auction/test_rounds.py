"""A lot's rounds through the services: priority buyers at equal price, the second round's cut, the buyer who
backs out and the re-auction without him, stops, withdrawal, the sale and the ends of an unsold lot."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from auction import bidding, closing, lots, rounds, rules, stops
from auction.models import AuctionBidder, AuctionLot, AuctionRound, RoundStatus
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import DomainError
from car_enforce.core.identity.principal import Principal
from car_enforce.stages.models import StageReached
from tests import factories
from tests.auction_helpers import (
    BIDDING_ENDS,
    BIDDING_STARTS,
    INCREMENT_FEN,
    START_FEN,
    Listed,
    bidders_for,
    buyer,
    listed_lot,
    notify_all,
    plan,
    priced_car,
    registered,
    sh,
    user,
)


def bid(db: Database, who: Principal, round_id: int, amount: int) -> bidding.Placed:
    with db.unit_of_work() as s:
        return bidding.place_bid(s, who=who, round_id=round_id, amount_fen=amount)


def close_at(db: Database, clock: MovableClock, round_id: int) -> None:
    with db.unit_of_work(read_only=True) as s:
        rnd = s.get(AuctionRound, round_id)
        assert rnd is not None
        end = rnd.effective_end_at
    clock.set(end + closing.GRACE)
    assert closing.close_due(db) == [round_id]


def status(db: Database, round_id: int) -> str:
    with db.unit_of_work(read_only=True) as s:
        rnd = s.get(AuctionRound, round_id)
        assert rnd is not None
        return str(rnd.status)


def test_the_announcement_reaches_the_listing_stage_and_keeps_the_price(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    with db.unit_of_work(read_only=True) as s:
        stages = {r.stage for r in s.scalars(select(StageReached))}
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        from valuation.reference_price.models import ReferencePrice

        pricing = s.get(ReferencePrice, lot.pricing_id)
        assert pricing is not None and pricing.first_announced_on == date(2026, 11, 23)
    assert {"listing", "disposal_started"} <= stages


def test_a_priority_buyer_of_higher_rank_matching_later_wins(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    priced = priced_car(db, world, centers)
    listed = listed_lot(db, priced, announce=False)
    codes = {}
    for name, rank in (("承租人甲", 2), ("共有人乙", 1)):
        with db.unit_of_work() as s:
            officer = user(s, "py.officer")
            lot = s.get(AuctionLot, listed.lot_id)
            assert lot is not None
            pb = lots.add_priority_buyer(s, actor=officer, lot=lot, name=name, right="租赁", rank=rank)
            codes[rank] = lots.confirm_priority_buyer(s, actor=officer, buyer=pb)
    notify_all(db, listed.round_id)
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None
        rounds.announce(s, actor=user(s, "py.officer"), rnd=rnd)
    (plain,) = bidders_for(db, listed.round_id, 1)
    second, first = buyer(db, "rank2"), buyer(db, "rank1")
    registered(db, listed.round_id, second, 20, priority_code=codes[2])
    registered(db, listed.round_id, first, 21, priority_code=codes[1])
    clock.set(BIDDING_STARTS)
    bid(db, second, listed.round_id, START_FEN)
    bid(db, plain, listed.round_id, START_FEN + INCREMENT_FEN)
    bid(db, second, listed.round_id, START_FEN + INCREMENT_FEN)  # rank 2 matches the price
    clock.set(BIDDING_STARTS + timedelta(hours=1))
    bid(db, first, listed.round_id, START_FEN + INCREMENT_FEN)  # rank 1 matches later and leads
    with pytest.raises(DomainError) as caught:
        bid(db, second, listed.round_id, START_FEN + INCREMENT_FEN)
    assert "第二十一条" in str(caught.value.rule_zh)
    close_at(db, clock, listed.round_id)
    with db.unit_of_work(read_only=True) as s:
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None and rnd.buyer_id is not None
        winner = s.get(AuctionBidder, rnd.buyer_id)
        assert (
            winner is not None
            and winner.user_id == first.user_id
            and rnd.price_fen == START_FEN + INCREMENT_FEN
        )


def test_a_wrong_priority_code_is_refused(db: Database, clock: MovableClock, listed: Listed) -> None:
    with pytest.raises(DomainError) as caught:
        registered(db, listed.round_id, buyer(db, "guess"), 30, priority_code="PB0000000000")
    assert "第十九条" in str(caught.value.rule_zh)


def test_a_second_round_cut_by_25_percent_is_refused(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    close_at(db, clock, listed.round_id)
    assert status(db, listed.round_id) == RoundStatus.UNSOLD
    ended = BIDDING_ENDS + timedelta(days=1)
    again = plan(
        starting_price_fen=START_FEN * 75 // 100,
        deposit_fen=START_FEN * 75 // 1000,
        announced_at=ended,
        starts_at=ended + timedelta(days=8),
        ends_at=ended + timedelta(days=9),
    )
    clock.set(ended)
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        with pytest.raises(DomainError) as caught:
            rounds.draft_round(s, actor=user(s, "py.officer"), lot=lot, plan=again)
    assert "第二十六条" in str(caught.value.rule_zh) and caught.value.field == "starting_price_fen"
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        cut = plan(
            starting_price_fen=START_FEN * 80 // 100,
            deposit_fen=START_FEN * 8 // 100,
            announced_at=ended,
            starts_at=ended + timedelta(days=8),
            ends_at=ended + timedelta(days=9),
        )
        second = rounds.draft_round(s, actor=user(s, "py.officer"), lot=lot, plan=cut)
        assert second.number == 2 and second.stage == rules.Stage.SECOND


def test_a_buyer_who_backed_out_cannot_bid_in_the_reauction(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    bid(db, a, listed.round_id, START_FEN)
    close_at(db, clock, listed.round_id)
    with db.unit_of_work(read_only=True) as s:
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None and rnd.balance_due_on is not None
        due = rnd.balance_due_on
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None
        with pytest.raises(DomainError):  # not in default before the balance's last day has passed
            closing.record_default(s, actor=user(s, "py.officer"), rnd=rnd, reason="未付余款")
    clock.set(sh(due.year, due.month, due.day, 9) + timedelta(days=1))
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None
        closing.record_default(s, actor=user(s, "py.officer"), rnd=rnd, reason="未按期支付余款")
    now = clock.now()
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None and lot.status == "selling"
        resale = rounds.draft_round(
            s,
            actor=user(s, "py.officer"),
            lot=lot,
            plan=plan(announced_at=now, starts_at=now + timedelta(days=16), ends_at=now + timedelta(days=17)),
        )
        assert resale.resale and resale.number == 1
        resale_id = resale.id
    notify_all(db, resale_id, on=(now - timedelta(days=5)).date())
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, resale_id)
        assert rnd is not None
        rounds.announce(s, actor=user(s, "py.officer"), rnd=rnd)
    with pytest.raises(DomainError) as caught:
        registered(db, resale_id, a, 1)  # the same real identity as in the first round
    assert "第二十四条" in str(caught.value.rule_zh)
    registered(db, resale_id, b, 2)


def test_a_stopped_round_takes_no_bids_and_gives_back_its_time(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    (a,) = bidders_for(db, listed.round_id, 1)
    stop_at = BIDDING_ENDS - timedelta(hours=2)
    clock.set(stop_at)
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None
        stops.suspend(s, actor=user(s, "py.officer"), rnd=rnd, reason="案外人提出异议")
    clock.set(stop_at + timedelta(hours=1))
    with pytest.raises(DomainError) as caught:
        bid(db, a, listed.round_id, START_FEN)
    assert "第二十八条" in str(caught.value.rule_zh) or "暂缓" in str(caught.value.zh)
    assert closing.close_due(db) == []
    clock.set(stop_at + timedelta(days=2))
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, listed.round_id)
        assert rnd is not None
        stops.resume(s, actor=user(s, "py.officer"), rnd=rnd, cause_ended_on=clock.now().date())
        assert rnd.effective_end_at == BIDDING_ENDS + timedelta(days=2)
    bid(db, a, listed.round_id, START_FEN)


def test_withdrawing_the_lot_sends_the_deposits_back(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    bid(db, a, listed.round_id, START_FEN)
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        stops.withdraw_lot(s, actor=user(s, "py.officer"), lot=lot, reason="被执行人已履行全部债务")
    assert status(db, listed.round_id) == RoundStatus.WITHDRAWN
    with db.unit_of_work(read_only=True) as s:
        deposits = [b.deposit.status for b in s.scalars(select(AuctionBidder)) if b.deposit]
    assert deposits == ["releasing", "releasing"]
    with pytest.raises(DomainError):
        bid(db, b, listed.round_id, START_FEN + INCREMENT_FEN)


def test_after_an_unsold_first_round_the_car_is_not_yet_returned(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    close_at(db, clock, listed.round_id)
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        with pytest.raises(DomainError):
            stops.return_car(s, actor=user(s, "py.officer"), lot=lot)
        terms = stops.offset(s, actor=user(s, "py.officer"), lot=lot)
        assert terms.price_fen == START_FEN and lot.status == "offset"


def test_a_third_auction_is_refused(db: Database, clock: MovableClock, listed: Listed) -> None:
    close_at(db, clock, listed.round_id)
    ended = BIDDING_ENDS + timedelta(days=1)
    clock.set(ended)
    second_plan = plan(
        starting_price_fen=START_FEN * 80 // 100,
        deposit_fen=START_FEN * 8 // 100,
        announced_at=ended,
        starts_at=ended + timedelta(days=8),
        ends_at=ended + timedelta(days=9),
    )
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        second_id = rounds.draft_round(s, actor=user(s, "py.officer"), lot=lot, plan=second_plan).id
    notify_all(db, second_id, on=(ended - timedelta(days=4)).date())
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, second_id)
        assert rnd is not None
        rounds.announce(s, actor=user(s, "py.officer"), rnd=rnd)
    close_at(db, clock, second_id)
    with db.unit_of_work() as s:
        lot = s.get(AuctionLot, listed.lot_id)
        assert lot is not None
        with pytest.raises(DomainError) as caught:
            rounds.draft_round(s, actor=user(s, "py.officer"), lot=lot, plan=second_plan)
        assert caught.value.field == "round"
        sale = rounds.draft_sale(
            s, actor=user(s, "py.officer"), lot=lot, opens_at=clock.now() + timedelta(days=1)
        )
        assert sale.kind == "sale" and sale.starting_price_fen == START_FEN * 80 // 100
        assert sale.deposit_fen == sale.starting_price_fen  # a bidder qualifies by paying the full price
