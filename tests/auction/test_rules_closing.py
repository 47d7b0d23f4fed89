"""The close at the effective end (网拍规定 Art. 11, 23, 25, 26; 参考价规定 Art. 31). Pure: no database."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest

from auction.rules import Bid, Room, RoomClosed, accept_bid, articles, close, suspend
from car_enforce.core.errors import InvalidInput
from tests.auction_rules_helpers import CALENDAR, END, START, YUAN, room

DEPOSITS = {"alice": 1_000 * YUAN, "bob": 1_000 * YUAN, "carol": 1_000 * YUAN}


def sold_to_bob() -> Room:
    r, _ = accept_bid(room(), Bid("alice", 10_000 * YUAN), START + timedelta(hours=1))
    r, _ = accept_bid(r, Bid("bob", 10_300 * YUAN), END - timedelta(minutes=1))
    return r


def test_a_round_is_not_closed_before_its_effective_end() -> None:
    r = sold_to_bob()
    with pytest.raises(RoomClosed) as refused:
        close(r, END + timedelta(minutes=3), DEPOSITS, CALENDAR)
    assert refused.value.rule == articles.RULE_EXTENSION


def test_a_stopped_round_is_not_closed() -> None:
    with pytest.raises(RoomClosed):
        close(suspend(room(), START, "暂缓执行"), END, DEPOSITS, CALENDAR)


def test_a_round_with_a_bid_is_sold_to_the_leader_at_its_price() -> None:
    r = sold_to_bob()
    closing = close(r, r.effective_end, DEPOSITS, CALENDAR)
    assert (closing.sold, closing.buyer, closing.price_fen, closing.bids) == (True, "bob", 10_300 * YUAN, 2)
    assert closing.closed_at == END + timedelta(minutes=4)
    assert closing.rule == articles.RULE_SOLD


def test_a_single_bid_at_the_starting_price_sells() -> None:
    r, _ = accept_bid(room(), Bid("alice", 10_000 * YUAN), START)
    assert close(r, END, DEPOSITS, CALENDAR).sold


def test_the_other_deposits_go_back_within_24_hours_of_the_end() -> None:
    r = sold_to_bob()
    closing = close(r, r.effective_end, DEPOSITS, CALENDAR)
    due = r.effective_end + timedelta(hours=24)
    assert [(m.bidder, m.amount_fen, m.due_at) for m in closing.released] == [
        ("alice", 1_000 * YUAN, due),
        ("carol", 1_000 * YUAN, due),
    ]


def test_the_buyers_deposit_goes_to_the_court_within_24_hours_and_counts_towards_the_price() -> None:
    r = sold_to_bob()
    closing = close(r, r.effective_end, DEPOSITS, CALENDAR)
    assert closing.to_court is not None
    assert (closing.to_court.bidder, closing.to_court.amount_fen) == ("bob", 1_000 * YUAN)
    assert closing.to_court.due_at == r.effective_end + timedelta(hours=24)
    assert closing.balance_fen == 9_300 * YUAN


def test_the_balance_is_due_at_the_end_of_the_lots_period() -> None:
    r = sold_to_bob()
    ten = close(r, r.effective_end, DEPOSITS, CALENDAR).balance_due
    fifteen = close(r, r.effective_end, DEPOSITS, CALENDAR, balance_days=15).balance_due
    assert ten is not None and ten.on == date(2026, 6, 29)  # 27 June is a Saturday
    assert fifteen is not None and fifteen.on == date(2026, 7, 2)


def test_an_applicant_who_paid_no_deposit_pays_the_whole_price() -> None:
    r, _ = accept_bid(room(), Bid("applicant", 10_000 * YUAN), START)
    closing = close(r, END, {"bob": 1_000 * YUAN}, CALENDAR)
    assert closing.to_court is None and closing.balance_fen == 10_000 * YUAN


def test_an_unsold_round_returns_every_deposit() -> None:
    closing = close(room(), END, DEPOSITS, CALENDAR)
    assert not closing.sold and closing.buyer is None and closing.rule == articles.RULE_UNSOLD
    assert [m.bidder for m in closing.released] == ["alice", "bob", "carol"]
    assert closing.to_court is None and closing.fee_shares is None


def test_the_inquiry_fee_goes_to_the_platform_closest_to_the_price() -> None:
    r = sold_to_bob()
    results = {"p1": 10_000 * YUAN, "p2": 10_250 * YUAN, "p3": 11_000 * YUAN}
    assert close(r, r.effective_end, DEPOSITS, CALENDAR, inquiry_results=results).fee_shares == {
        "p2": Fraction(1)
    }


def test_platforms_equally_close_share_the_fee() -> None:
    r = sold_to_bob()
    results = {"p1": 10_200 * YUAN, "p2": 10_400 * YUAN}
    shares = close(r, r.effective_end, DEPOSITS, CALENDAR, inquiry_results=results).fee_shares
    assert shares == {"p1": Fraction(1, 2), "p2": Fraction(1, 2)}


def test_a_negative_deposit_is_malformed() -> None:
    r = sold_to_bob()
    with pytest.raises(InvalidInput):
        close(r, r.effective_end, {"alice": -1}, CALENDAR)
