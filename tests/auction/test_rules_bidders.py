"""Who may bid (网拍规定 Art. 14, 17, 24, 34; 拍卖变卖规定 Art. 22; 民诉法解释 Art. 488), pure."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from auction.rules import Affiliation, BidderFacts, Eligibility, articles, check_bidder, required_deposit
from car_enforce.core.errors import RuleViolation
from tests.auction_rules_helpers import YUAN

DEPOSIT = 7_000 * YUAN
LOT = Eligibility(deposit_fen=DEPOSIT)


def bidder(**changes: Any) -> BidderFacts:
    return replace(BidderFacts(identity="id:alice", deposit_paid_fen=DEPOSIT), **changes)


def test_a_registered_bidder_with_the_deposit_may_bid() -> None:
    check_bidder(bidder(), LOT)


@pytest.mark.parametrize("affiliation", list(Affiliation))
def test_the_court_the_platform_the_auxiliaries_their_staff_and_relatives_may_not_bid(
    affiliation: Affiliation,
) -> None:
    with pytest.raises(RuleViolation) as refused:
        check_bidder(bidder(affiliation=affiliation), LOT)
    assert refused.value.rule == articles.RULE_EXCLUDED
    assert refused.value.zh is not None and refused.value.zh.endswith("不得竞买本标的")


def test_court_staff_in_an_online_sale_are_refused_under_article_488() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_bidder(bidder(affiliation=Affiliation.COURT_STAFF), Eligibility(deposit_fen=DEPOSIT, sale=True))
    assert refused.value.rule == articles.RULE_SALE_COURT


def test_a_platforms_staff_in_an_online_sale_are_refused_under_article_34() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_bidder(bidder(affiliation=Affiliation.STAFF), Eligibility(deposit_fen=DEPOSIT, sale=True))
    assert refused.value.rule == articles.RULE_EXCLUDED


def test_a_defaulting_buyer_cannot_bid_in_the_re_auction() -> None:
    resale = Eligibility(deposit_fen=DEPOSIT, barred=frozenset({"id:alice"}))
    with pytest.raises(RuleViolation) as refused:
        check_bidder(bidder(), resale)
    assert refused.value.rule == articles.RULE_DEFAULTER
    assert refused.value.zh == "该竞买人曾对本标的悔拍，不得参加重新拍卖的竞买"
    check_bidder(bidder(identity="id:bob"), resale)  # the others may


def test_a_bidder_without_full_capacity_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_bidder(bidder(full_capacity=False), LOT)
    assert refused.value.rule == articles.RULE_CAPACITY


def test_an_agent_the_court_has_not_confirmed_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_bidder(bidder(agent=True), LOT)
    assert refused.value.rule == articles.RULE_AGENT
    check_bidder(bidder(agent=True, agent_confirmed=True), LOT)


def test_a_bidder_short_of_the_deposit_by_one_fen_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_bidder(bidder(deposit_paid_fen=DEPOSIT - 1), LOT)
    assert (refused.value.field, refused.value.rule) == ("deposit", articles.RULE_DEPOSIT_PAID)


def test_the_applicant_with_a_claim_above_the_deposit_pays_none() -> None:
    applicant = bidder(applicant=True, claim_fen=50_000 * YUAN, deposit_paid_fen=0)
    assert required_deposit(DEPOSIT, applicant) == 0
    check_bidder(applicant, LOT)


def test_the_applicant_with_a_smaller_claim_pays_the_difference() -> None:
    applicant = bidder(applicant=True, claim_fen=3_000 * YUAN, deposit_paid_fen=0)
    assert required_deposit(DEPOSIT, applicant) == 4_000 * YUAN
    with pytest.raises(RuleViolation):
        check_bidder(applicant, LOT)
    check_bidder(bidder(applicant=True, claim_fen=3_000 * YUAN, deposit_paid_fen=4_000 * YUAN), LOT)


def test_anyone_else_pays_the_whole_deposit_whatever_they_are_owed() -> None:
    assert required_deposit(DEPOSIT, bidder(claim_fen=50_000 * YUAN)) == DEPOSIT


def test_in_a_sale_a_bidder_qualifies_by_paying_the_full_price() -> None:
    sale = Eligibility(deposit_fen=56_000 * YUAN, sale=True)
    with pytest.raises(RuleViolation):
        check_bidder(bidder(), sale)
    check_bidder(bidder(deposit_paid_fen=56_000 * YUAN), sale)
