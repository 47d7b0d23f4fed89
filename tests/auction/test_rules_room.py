"""The bidding room (网拍规定 Art. 19–21, 28): amounts, the end and its extensions, priority buyers, maximum
bids, stops. Pure: no database; the room at 10,000 yuan, bids by 100 yuan, from START to END."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from auction.rules import (
    AcceptedBid,
    Bid,
    BidRefused,
    Room,
    RoomClosed,
    RoomKind,
    accept_bid,
    articles,
    is_over,
    refuse_outbid,
    resume,
    set_maximum,
    suspend,
)
from car_enforce.core.errors import InvalidInput
from tests.auction_rules_helpers import END, START, YUAN, before_end, room

FIVE = timedelta(minutes=5)
MS = timedelta(milliseconds=1)
OPEN = START + timedelta(hours=1)


def bid(
    r: Room, who: str, yuan: int, at: datetime, rank: int | None = None
) -> tuple[Room, tuple[AcceptedBid, ...]]:
    return accept_bid(r, Bid(who, yuan * YUAN, rank), at)


def opened(*bids: tuple[str, int]) -> Room:
    """A room with these bids accepted an hour after it opened, a minute apart."""
    r = room()
    for i, (who, yuan) in enumerate(bids):
        r, _ = bid(r, who, yuan, OPEN + timedelta(minutes=i))
    return r


# --- amounts --------------------------------------------------------------------------------------------


def test_the_first_bid_is_the_starting_price() -> None:
    r, placed = bid(room(), "alice", 10_000, OPEN)
    assert [(b.seq, b.bidder, b.amount_fen) for b in placed] == [(1, "alice", 10_000 * YUAN)]
    assert r.price_fen == 10_000 * YUAN and r.next_min_fen == 10_100 * YUAN


def test_a_first_bid_below_the_starting_price_is_void() -> None:
    with pytest.raises(BidRefused) as refused:
        bid(room(), "alice", 9_900, OPEN)
    assert refused.value.rule == articles.RULE_BID_START
    assert refused.value.zh == "出价9,900.00元低于起拍价10,000.00元，出价无效"


def test_a_first_bid_above_the_starting_price_is_refused() -> None:
    with pytest.raises(BidRefused) as refused:
        bid(room(), "alice", 10_100, OPEN)
    assert refused.value.zh == "首次出价应为起拍价10,000.00元"


def test_a_raise_of_several_whole_increments_is_accepted() -> None:
    r, _ = bid(opened(("alice", 10_000)), "bob", 10_500, OPEN + timedelta(minutes=5))
    assert r.price_fen == 10_500 * YUAN and r.leader is not None and r.leader.bidder == "bob"


def test_a_raise_of_less_than_one_increment_is_refused() -> None:
    with pytest.raises(BidRefused) as refused:
        bid(opened(("alice", 10_000)), "bob", 10_050, OPEN + timedelta(minutes=5))
    assert refused.value.rule == articles.RULE_INCREMENT
    assert refused.value.zh == "当前价为10,000.00元，出价至少为10,100.00元"


def test_a_raise_off_the_increments_is_refused() -> None:
    with pytest.raises(BidRefused) as refused:
        bid(opened(("alice", 10_000)), "bob", 10_150, OPEN + timedelta(minutes=5))
    assert refused.value.zh == "应按加价幅度100.00元的整数倍加价，例如10,100.00元或10,200.00元"


def test_the_leader_waits_for_another_bid() -> None:
    with pytest.raises(BidRefused) as refused:
        bid(opened(("alice", 10_000)), "alice", 10_100, OPEN + timedelta(minutes=5))
    assert refused.value.rule == articles.RULE_LEADING


def test_a_refused_bid_leaves_the_room_as_it_was() -> None:
    r = opened(("alice", 10_000))
    with pytest.raises(BidRefused):
        bid(r, "bob", 10_050, before_end(r, minutes=1))
    assert r.effective_end == END and r.bids == 1


# --- time: the server's receipt time, the end, the extensions --------------------------------------------


def test_a_bid_before_bidding_opens_is_refused() -> None:
    with pytest.raises(RoomClosed) as refused:
        bid(room(), "alice", 10_000, START - MS)
    assert refused.value.rule == articles.RULE_BID_TIME


def test_a_bid_at_the_opening_instant_is_accepted() -> None:
    bid(room(), "alice", 10_000, START)


def test_a_bid_at_the_effective_end_is_refused() -> None:
    with pytest.raises(RoomClosed):
        bid(opened(("alice", 10_000)), "bob", 10_100, END)


def test_a_bid_one_millisecond_after_the_effective_end_is_refused() -> None:
    r = opened(("alice", 10_000))
    with pytest.raises(RoomClosed) as refused:
        bid(r, "bob", 10_100, END + MS)
    assert refused.value.rule == articles.RULE_BID_TIME
    assert refused.value.zh is not None and refused.value.zh.startswith("竞价已于2026年6月17日 10:00结束")


def test_a_bid_one_millisecond_before_the_end_is_accepted_and_extends_from_itself() -> None:
    r, placed = bid(opened(("alice", 10_000)), "bob", 10_100, END - MS)
    assert r.effective_end == END - MS + FIVE == placed[0].ends_at


def test_a_bid_at_4_59_before_the_end_extends_to_that_bid_plus_5_00() -> None:
    at = END - timedelta(minutes=4, seconds=59)
    r, placed = bid(opened(("alice", 10_000)), "bob", 10_100, at)
    assert r.effective_end == at + FIVE == END + timedelta(seconds=1)
    assert placed[0].end_moved


def test_a_bid_more_than_five_minutes_before_the_end_leaves_it() -> None:
    r, placed = bid(opened(("alice", 10_000)), "bob", 10_100, END - timedelta(minutes=5, seconds=1))
    assert r.effective_end == END and not placed[0].end_moved


def test_a_bid_exactly_five_minutes_before_the_end_leaves_it() -> None:
    r, _ = bid(opened(("alice", 10_000)), "bob", 10_100, END - FIVE)
    assert r.effective_end == END


def test_three_extensions_in_a_row_are_each_counted_from_their_bid() -> None:
    r = opened(("alice", 10_000))
    first = END - timedelta(minutes=1)
    r, _ = bid(r, "bob", 10_100, first)
    assert r.effective_end == first + FIVE
    second = r.effective_end - timedelta(seconds=30)
    r, _ = bid(r, "alice", 10_200, second)
    assert r.effective_end == second + FIVE
    third = r.effective_end - timedelta(minutes=4, seconds=59, milliseconds=999)
    r, _ = bid(r, "bob", 10_300, third)
    assert r.effective_end == third + FIVE
    assert r.effective_end == END + timedelta(minutes=8, seconds=30, milliseconds=1)


def test_an_extension_has_no_cap() -> None:
    r = opened(("alice", 10_000))
    for i in range(200):
        at = r.effective_end - timedelta(seconds=1)
        r, _ = bid(r, "bob" if i % 2 == 0 else "alice", 10_100 + i * 100, at)
        assert r.effective_end == at + FIVE
    assert r.effective_end > END + timedelta(minutes=795)


def test_the_room_is_over_at_its_effective_end() -> None:
    r, _ = bid(opened(("alice", 10_000)), "bob", 10_100, END - timedelta(minutes=1))
    assert not is_over(r, END)
    assert is_over(r, END + timedelta(minutes=4))


def test_a_naive_receipt_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        bid(room(), "alice", 10_000, OPEN.replace(tzinfo=None))


# --- priority buyers (Art. 19, 21) -------------------------------------------------------------------------


def test_an_ordinary_bidder_cannot_match_the_price() -> None:
    with pytest.raises(BidRefused) as refused:
        bid(opened(("alice", 10_000)), "bob", 10_000, OPEN + timedelta(minutes=5))
    assert refused.value.rule == articles.RULE_PRIORITY_CODE


def test_a_confirmed_priority_buyer_matching_the_price_leads() -> None:
    r, placed = bid(opened(("alice", 10_000)), "tenant", 10_000, OPEN + timedelta(minutes=5), rank=1)
    assert r.leader is not None and (r.leader.bidder, r.leader.priority_rank) == ("tenant", 1)
    assert placed[0].amount_fen == 10_000 * YUAN


def test_after_a_priority_match_others_must_raise() -> None:
    r, _ = bid(opened(("alice", 10_000)), "tenant", 10_000, OPEN + timedelta(minutes=5), rank=1)
    with pytest.raises(BidRefused):
        bid(r, "alice", 10_000, OPEN + timedelta(minutes=6))
    r, _ = bid(r, "alice", 10_100, OPEN + timedelta(minutes=6))
    assert r.leader is not None and r.leader.bidder == "alice"


def test_a_priority_buyer_of_higher_rank_matching_later_wins() -> None:
    r = opened(("alice", 10_000))
    r, _ = bid(r, "second", 10_000, OPEN + timedelta(minutes=5), rank=2)
    r, _ = bid(r, "first", 10_000, OPEN + timedelta(minutes=6), rank=1)
    assert r.leader is not None and r.leader.bidder == "first" and r.price_fen == 10_000 * YUAN


def test_a_priority_buyer_of_lower_rank_cannot_take_a_higher_ranks_price() -> None:
    r, _ = bid(opened(("alice", 10_000)), "first", 10_000, OPEN + timedelta(minutes=5), rank=1)
    with pytest.raises(BidRefused) as refused:
        bid(r, "second", 10_000, OPEN + timedelta(minutes=6), rank=2)
    assert refused.value.rule == articles.RULE_PRIORITY_TIE
    assert refused.value.zh is not None and refused.value.zh.startswith(
        "顺序在先的优先购买权人已按10,000.00元出价"
    )


def test_between_priority_buyers_of_equal_rank_the_earlier_bid_wins() -> None:
    r, _ = bid(opened(("alice", 10_000)), "co-owner-a", 10_000, OPEN + timedelta(minutes=5), rank=1)
    with pytest.raises(BidRefused) as refused:
        bid(r, "co-owner-b", 10_000, OPEN + timedelta(minutes=6), rank=1)
    assert refused.value.zh is not None and refused.value.zh.startswith("顺序相同且出价在先")


def test_a_priority_buyer_may_also_raise() -> None:
    r, _ = bid(opened(("alice", 10_000)), "tenant", 10_200, OPEN + timedelta(minutes=5), rank=1)
    assert r.price_fen == 10_200 * YUAN


def test_a_priority_match_in_the_last_minutes_moves_the_end() -> None:
    at = END - timedelta(minutes=2)
    r, _ = bid(opened(("alice", 10_000)), "tenant", 10_000, at, rank=1)
    assert r.effective_end == at + FIVE


# --- maximum bids ---------------------------------------------------------------------------------------


def test_a_maximum_needs_the_courts_leave() -> None:
    with pytest.raises(BidRefused) as refused:
        set_maximum(room(), "alice", 12_000 * YUAN, OPEN)
    assert refused.value.rule == articles.RULE_MAXIMUM


def test_a_maximum_in_an_empty_room_bids_the_starting_price() -> None:
    _, placed = set_maximum(room(maxima_allowed=True), "alice", 12_000 * YUAN, OPEN)
    assert [(b.bidder, b.amount_fen, b.proxy) for b in placed] == [("alice", 10_000 * YUAN, True)]


def test_a_maximum_answers_each_outbidding_by_one_increment() -> None:
    r, _ = set_maximum(room(maxima_allowed=True), "alice", 12_000 * YUAN, OPEN)
    r, placed = bid(r, "bob", 10_500, OPEN + timedelta(minutes=1))
    assert [(b.bidder, b.amount_fen, b.proxy) for b in placed] == [
        ("bob", 10_500 * YUAN, False),
        ("alice", 10_600 * YUAN, True),
    ]


def test_a_bid_above_the_maximum_takes_the_lead_with_no_answer() -> None:
    r, _ = set_maximum(room(maxima_allowed=True), "alice", 12_000 * YUAN, OPEN)
    r, placed = bid(r, "bob", 12_100, OPEN + timedelta(minutes=1))
    assert len(placed) == 1 and r.leader is not None and r.leader.bidder == "bob"


def test_the_stronger_maximum_leads_one_increment_above_the_weaker_ones_reach() -> None:
    r, _ = set_maximum(room(maxima_allowed=True), "alice", 11_000 * YUAN, OPEN)
    r, placed = set_maximum(r, "bob", 12_050 * YUAN, OPEN + timedelta(minutes=1))
    assert [(b.bidder, b.amount_fen) for b in placed] == [("bob", 11_100 * YUAN)]
    r, placed = set_maximum(r, "carol", 11_500 * YUAN, OPEN + timedelta(minutes=2))
    assert [(b.bidder, b.amount_fen) for b in placed] == [("carol", 11_500 * YUAN), ("bob", 11_600 * YUAN)]
    assert r.leader is not None and r.leader.bidder == "bob"


def test_between_equal_maxima_the_earlier_one_leads() -> None:
    r, _ = set_maximum(room(maxima_allowed=True), "alice", 11_000 * YUAN, OPEN)
    r, placed = set_maximum(r, "bob", 11_000 * YUAN, OPEN + timedelta(minutes=1))
    assert [(b.bidder, b.amount_fen) for b in placed] == [("bob", 10_900 * YUAN), ("alice", 11_000 * YUAN)]
    assert r.leader is not None and r.leader.bidder == "alice"


def test_an_earlier_equal_maximum_outbid_takes_back_the_lead_at_its_maximum() -> None:
    r, _ = set_maximum(room(maxima_allowed=True), "alice", 11_000 * YUAN, OPEN)  # leads at 10,000
    r, _ = bid(r, "bob", 10_100, OPEN + timedelta(minutes=1))  # alice answers 10,200
    r, placed = set_maximum(r, "bob", 11_000 * YUAN, OPEN + timedelta(minutes=2))
    assert r.leader is not None and (r.leader.bidder, r.price_fen) == ("alice", 11_000 * YUAN)
    assert [b.bidder for b in placed] == ["bob", "alice"]


def test_bids_made_for_a_maximum_in_the_last_minutes_move_the_end() -> None:
    r, _ = set_maximum(room(maxima_allowed=True), "alice", 12_000 * YUAN, OPEN)
    at = END - timedelta(minutes=1)
    r, placed = bid(r, "bob", 10_100, at)
    assert placed[1].proxy and placed[1].at == at and placed[1].ends_at == at + FIVE
    assert r.effective_end == at + FIVE


def test_a_maximum_is_never_lowered() -> None:
    r, _ = set_maximum(room(maxima_allowed=True), "alice", 12_000 * YUAN, OPEN)
    with pytest.raises(BidRefused) as refused:
        set_maximum(r, "alice", 11_000 * YUAN, OPEN + timedelta(minutes=1))
    assert refused.value.rule == articles.RULE_MAXIMUM


def test_a_maximum_below_the_next_bid_is_refused() -> None:
    r = opened(("alice", 10_000))
    r = Room(
        **{**{f: getattr(r, f) for f in Room.__dataclass_fields__}, "terms": room(maxima_allowed=True).terms}
    )
    with pytest.raises(BidRefused) as refused:
        set_maximum(r, "bob", 10_050 * YUAN, OPEN + timedelta(minutes=5))
    assert refused.value.rule == articles.RULE_INCREMENT


def test_a_maximum_after_the_end_is_refused() -> None:
    with pytest.raises(RoomClosed):
        set_maximum(room(maxima_allowed=True), "alice", 12_000 * YUAN, END)


# --- stops (Art. 28) ---------------------------------------------------------------------------------------


def test_a_stopped_room_refuses_bids() -> None:
    r = suspend(opened(("alice", 10_000)), OPEN + timedelta(hours=1), "案外人提出异议")
    with pytest.raises(RoomClosed) as refused:
        bid(r, "bob", 10_100, OPEN + timedelta(hours=2))
    assert refused.value.rule == articles.RULE_SUSPEND


def test_a_stop_publishes_its_reason() -> None:
    with pytest.raises(InvalidInput) as refused:
        suspend(room(), OPEN, "  ")
    assert refused.value.rule == articles.RULE_SUSPEND


def test_resuming_gives_back_the_bidding_time_the_stop_took() -> None:
    stopped_at = END - timedelta(minutes=3)
    r = suspend(opened(("alice", 10_000)), stopped_at, "系统故障")
    r = resume(r, stopped_at + timedelta(days=2))
    assert r.effective_end == END + timedelta(days=2)
    assert r.suspended_at is None and r.leader is not None and r.leader.bidder == "alice"


def test_a_stop_before_bidding_opens_moves_the_opening_too() -> None:
    r = resume(suspend(room(), START - timedelta(hours=1), "暂缓执行"), START + timedelta(hours=23))
    assert (r.terms.starts_at, r.effective_end) == (START + timedelta(days=1), END + timedelta(days=1))


def test_a_finished_round_is_not_stopped() -> None:
    with pytest.raises(RoomClosed):
        suspend(room(), END, "暂缓执行")


def test_a_room_that_is_not_stopped_does_not_resume() -> None:
    with pytest.raises(RoomClosed):
        resume(room(), OPEN)


# --- the online sale (变卖) ------------------------------------------------------------------------------


def sale() -> Room:
    return room(kind=RoomKind.SALE, ends_at=START + timedelta(days=60))


def test_the_first_bid_in_a_sale_opens_a_24_hour_window() -> None:
    at = START + timedelta(days=3)
    r, placed = bid(sale(), "alice", 10_000, at)
    assert r.effective_end == at + timedelta(hours=24) == placed[0].ends_at


def test_a_sale_window_extends_by_the_five_minute_rule() -> None:
    at = START + timedelta(days=3)
    r, _ = bid(sale(), "alice", 10_000, at)
    late = r.effective_end - timedelta(minutes=2)
    r, _ = bid(r, "bob", 10_100, late)
    assert r.effective_end == late + FIVE


def test_a_first_bid_on_the_last_day_of_a_sale_still_gets_its_window() -> None:
    at = START + timedelta(days=60) - timedelta(minutes=1)
    r, _ = bid(sale(), "alice", 10_000, at)
    assert r.effective_end == at + timedelta(hours=24)


def test_a_sale_with_no_bid_ends_with_its_period() -> None:
    with pytest.raises(RoomClosed):
        bid(sale(), "alice", 10_000, START + timedelta(days=60))


def test_a_bid_already_outbid_is_refused_from_a_stale_room_and_a_valid_one_is_not() -> None:
    seen, _ = accept_bid(room(), Bid("a", 10_000 * YUAN), START)
    refuse_outbid(seen, Bid("b", 10_100 * YUAN))  # still worth the lock: judged there
    refuse_outbid(seen, Bid("b", 10_000 * YUAN, priority_rank=1))  # a priority match waits for the lock
    with pytest.raises(BidRefused) as low:
        refuse_outbid(seen, Bid("b", 10_050 * YUAN))
    assert "第二十条" in str(low.value.rule_zh)
    with pytest.raises(BidRefused) as match:
        refuse_outbid(seen, Bid("b", 10_000 * YUAN))
    assert "第十九条" in str(match.value.rule_zh)
    refuse_outbid(room(), Bid("a", 1))  # no price yet: the first bid is judged under the lock
