"""The room through its services, on both databases: bids judged at the server's receipt time under the
round's lock, the end moved by late bids, priority buyers, retries, and who may not bid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from auction import bidding, rules
from auction.models import AuctionBid, AuctionRound
from car_enforce.cases.models import EnforcementCase
from car_enforce.cases.service import link_applicant
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import DomainError
from car_enforce.core.identity.models import Organisation, OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import create_organisation, create_user
from tests import factories
from tests.api_helpers import APPLICANT_CODE
from tests.auction_helpers import (
    BIDDING_ENDS,
    BIDDING_STARTS,
    INCREMENT_FEN,
    ONE_MS,
    START_FEN,
    SYSTEM,
    Listed,
    bidders_for,
    buyer,
    listed_lot,
    priced_car,
    registered,
    user,
)


def bid(db: Database, who: Principal, round_id: int, amount: int, key: str | None = None) -> bidding.Placed:
    with db.unit_of_work() as s:
        return bidding.place_bid(s, who=who, round_id=round_id, amount_fen=amount, key=key)


def refused(db: Database, who: Principal, round_id: int, amount: int) -> DomainError:
    with pytest.raises(DomainError) as caught:
        bid(db, who, round_id, amount)
    return caught.value


def bid_count(db: Database, round_id: int) -> int:
    with db.unit_of_work(read_only=True) as s:
        return (
            s.scalar(select(func.count()).select_from(AuctionBid).where(AuctionBid.round_id == round_id)) or 0
        )


def round_of(db: Database, round_id: int) -> AuctionRound:
    with db.unit_of_work(read_only=True) as s:
        rnd = s.get(AuctionRound, round_id)
        assert rnd is not None
        s.expunge(rnd)  # read as it stands now; the read-only session's rollback would expire it
        return rnd


def test_a_bid_before_the_start_is_refused(db: Database, clock: MovableClock, listed: Listed) -> None:
    (a,) = bidders_for(db, listed.round_id, 1)
    clock.set(BIDDING_STARTS - ONE_MS)
    error = refused(db, a, listed.round_id, START_FEN)
    assert isinstance(error, rules.RoomClosed) and "第二十条" in str(error.rule_zh)
    assert bid_count(db, listed.round_id) == 0


def test_the_first_bid_is_the_starting_price_and_raises_are_whole_increments(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    assert refused(db, a, listed.round_id, START_FEN + INCREMENT_FEN).field == "amount"
    bid(db, a, listed.round_id, START_FEN)
    assert "priority buyer" in refused(db, b, listed.round_id, START_FEN).detail
    assert "whole increments" in refused(db, b, listed.round_id, START_FEN + INCREMENT_FEN + 1).detail
    placed = bid(db, b, listed.round_id, START_FEN + 3 * INCREMENT_FEN)
    assert [x.amount_fen for x in placed.bids] == [START_FEN + 3 * INCREMENT_FEN]
    assert round_of(db, listed.round_id).price_fen == START_FEN + 3 * INCREMENT_FEN


def test_a_bid_at_4_59_before_the_end_moves_it_to_that_bid_plus_5_minutes(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    bid(db, a, listed.round_id, START_FEN)
    at = BIDDING_ENDS - timedelta(minutes=4, seconds=59)
    clock.set(at)
    placed = bid(db, b, listed.round_id, START_FEN + INCREMENT_FEN)
    assert placed.bids[0].ends_at == at + timedelta(minutes=5)
    assert round_of(db, listed.round_id).effective_end_at == at + timedelta(minutes=5)


def test_a_bid_5_minutes_and_1_ms_before_the_end_does_not_move_it(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    bid(db, a, listed.round_id, START_FEN)
    clock.set(BIDDING_ENDS - timedelta(minutes=5) - ONE_MS)
    assert bid(db, b, listed.round_id, START_FEN + INCREMENT_FEN).bids[0].end_moved is False
    assert round_of(db, listed.round_id).effective_end_at == BIDDING_ENDS


def test_three_extensions_in_a_row_each_count_from_their_bid(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    bid(db, a, listed.round_id, START_FEN)
    end = BIDDING_ENDS
    amount = START_FEN
    for i, (who, before_end) in enumerate(((b, 60), (a, 1), (b, 299))):
        at = end - timedelta(seconds=before_end)
        clock.set(at)
        amount += INCREMENT_FEN
        placed = bid(db, who, listed.round_id, amount)
        end = at + timedelta(minutes=5)
        assert placed.bids[0].ends_at == end, i
    assert round_of(db, listed.round_id).effective_end_at == end


def test_a_bid_1_ms_after_the_effective_end_is_refused_and_stores_nothing(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    bid(db, a, listed.round_id, START_FEN)
    at = BIDDING_ENDS - timedelta(seconds=30)
    clock.set(at)
    bid(db, b, listed.round_id, START_FEN + INCREMENT_FEN)
    clock.set(at + timedelta(minutes=5) + ONE_MS)
    error = refused(db, a, listed.round_id, START_FEN + 2 * INCREMENT_FEN)
    assert isinstance(error, rules.RoomClosed) and error.status_code == 409
    assert bid_count(db, listed.round_id) == 2


def test_a_retried_bid_with_the_same_key_returns_the_first(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    first = bid(db, a, listed.round_id, START_FEN, key="k-1")
    bid(db, b, listed.round_id, START_FEN + INCREMENT_FEN)
    again = bid(db, a, listed.round_id, START_FEN, key="k-1")
    assert again.replayed and again.bids[0].id == first.bids[0].id
    assert bid_count(db, listed.round_id) == 2


def test_the_leader_does_not_outbid_himself(db: Database, clock: MovableClock, listed: Listed) -> None:
    (a,) = bidders_for(db, listed.round_id, 1)
    clock.set(BIDDING_STARTS)
    bid(db, a, listed.round_id, START_FEN)
    assert "领先" in (refused(db, a, listed.round_id, START_FEN + INCREMENT_FEN).zh or "")


def test_a_bidder_without_a_deposit_is_refused(db: Database, clock: MovableClock, listed: Listed) -> None:
    a = buyer(db, "unpaid")
    registered(db, listed.round_id, a, 1, pay=False)
    clock.set(BIDDING_STARTS)
    error = refused(db, a, listed.round_id, START_FEN)
    assert error.field == "deposit" and "第十七条" in str(error.rule_zh)


def test_an_unregistered_buyer_is_refused(db: Database, clock: MovableClock, listed: Listed) -> None:
    a = buyer(db, "stranger")
    clock.set(BIDDING_STARTS)
    assert refused(db, a, listed.round_id, START_FEN).field == "bidder"


def test_court_staff_cannot_register(db: Database, clock: MovableClock, listed: Listed) -> None:
    a = buyer(db, "clerk")
    with pytest.raises(DomainError) as caught:
        registered(db, listed.round_id, a, 1, affiliation=rules.Affiliation.COURT_STAFF)
    assert "第三十四条" in str(caught.value.rule_zh)


def test_an_unconfirmed_holder_cannot_match_the_price(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    bid(db, a, listed.round_id, START_FEN)
    bid(db, b, listed.round_id, START_FEN + INCREMENT_FEN)
    error = refused(db, a, listed.round_id, START_FEN + INCREMENT_FEN)
    assert "第十九条" in str(error.rule_zh)


def test_the_applicant_bids_without_a_deposit_its_claim_covers(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    with db.unit_of_work() as s:
        public = s.scalar(select(Organisation).where(Organisation.kind == OrgKind.PUBLIC))
        if public is None:
            public = create_organisation(s, actor=SYSTEM, kind=OrgKind.PUBLIC, name="社会公众", code="PUBLIC")
        account = create_user(
            s,
            actor=SYSTEM,
            organisation_id=public.id,
            username="creditor",
            password=factories.PASSWORD,
            role=Role.APPLICANT,
            display_name="小贷公司",
        )
        case = s.get(EnforcementCase, listed.priced.case_id)
        assert case is not None
        party = next(p for p in case.parties if p.role == "applicant")
        link_applicant(s, actor=user(s, "py.officer"), case=case, party_id=party.id, user_id=account.id)
        creditor = user(s, "creditor")
    bidder = registered(db, listed.round_id, creditor, 0, pay=False, id_number=APPLICANT_CODE)
    assert bidder.applicant and bidder.deposit_due_fen == 0
    assert bidder.deposit is not None and bidder.deposit.status == "waived"
    clock.set(BIDDING_STARTS)
    assert bid(db, creditor, listed.round_id, START_FEN).bids[0].amount_fen == START_FEN


def test_a_maximum_bid_answers_for_its_bidder_when_the_court_allows_it(
    db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers
) -> None:
    listed = listed_lot(db, priced_car(db, world, centers), maxima_allowed=True)
    a, b = bidders_for(db, listed.round_id, 2)
    clock.set(BIDDING_STARTS)
    with db.unit_of_work() as s:
        bidding.set_maximum(s, who=a, round_id=listed.round_id, max_fen=START_FEN + 4 * INCREMENT_FEN)
    placed = bid(db, b, listed.round_id, START_FEN + INCREMENT_FEN)
    assert [(x.amount_fen, x.proxy) for x in placed.bids] == [
        (START_FEN + INCREMENT_FEN, False),
        (START_FEN + 2 * INCREMENT_FEN, True),
    ]
    assert round_of(db, listed.round_id).price_fen == START_FEN + 2 * INCREMENT_FEN


def test_a_court_officer_s_phone_is_known_whatever_was_declared(
    db: Database, clock: MovableClock, listed: Listed
) -> None:
    a = buyer(db, "quiet.clerk")
    with pytest.raises(DomainError) as caught:
        registered(db, listed.round_id, a, 1, phone="13800000326")  # py.officer's phone (tests/factories.py)
    assert "第三十四条" in str(caught.value.rule_zh) and "工作人员" in str(caught.value.zh)
