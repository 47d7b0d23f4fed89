"""The pure rules of the case money: the enforcement fee's bands and the order of the distribution."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from car_enforce.case_money.rules import Claim, enforcement_fee_fen, fee_of_distribution, plan_distribution

YUAN = 100


@pytest.mark.parametrize(
    ("enforced_yuan", "fee_yuan"),
    [
        (0, 0),  # nothing enforced, nothing taken from the proceeds
        (1, 50),
        (10_000, 50),  # the flat band's upper edge
        (500_000, 50 + 7_350),  # 1.5% of the 490,000 above 10,000
        (5_000_000, 50 + 7_350 + 45_000),  # 1% of the 4.5 million above 500,000
        (10_000_000, 50 + 7_350 + 45_000 + 25_000),  # 0.5% of the 5 million above 5 million
        (20_000_000, 50 + 7_350 + 45_000 + 25_000 + 10_000),  # 0.1% of the 10 million above 10 million
    ],
)
def test_the_fee_at_the_band_edges(enforced_yuan: int, fee_yuan: int) -> None:
    assert enforcement_fee_fen(enforced_yuan * YUAN) == fee_yuan * YUAN


def test_the_fee_is_marginal_and_rounded_half_up() -> None:
    assert enforcement_fee_fen(10_000 * YUAN + 1) == 5_000  # 0.015 fen more rounds away
    assert enforcement_fee_fen(10_000 * YUAN + 100) == 5_002  # 1.5 fen rounds up
    assert enforcement_fee_fen(10_000 * YUAN + 99) == 5_001  # 1.485 fen rounds down
    # Just past 500,000 yuan the next yuan costs 1%, not 1.5%.
    assert enforcement_fee_fen(500_001 * YUAN) - enforcement_fee_fen(500_000 * YUAN) == 1
    with pytest.raises(ValueError):
        enforcement_fee_fen(-1)


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_the_fee_never_falls_as_the_amount_grows(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert enforcement_fee_fen(low) <= enforcement_fee_fen(high)


def test_the_fee_of_a_distribution_is_borne_beside_what_the_creditors_get() -> None:
    # 100,000 yuan for a claim of a million: the creditor gets x with x + fee(x) = 100,000 yuan.
    fee = fee_of_distribution(10_000_000, 100_000_000, 0, 0)
    assert fee == enforcement_fee_fen(10_000_000 - fee)
    # Enough for the whole claim and its fee: the fee on the claim.
    assert fee_of_distribution(10**9, 10_000_000, 0, 0) == enforcement_fee_fen(10_000_000)
    # The second part of a debt pays the fee on the whole less what the first part paid.
    assert fee_of_distribution(10**9, 40_000_000, 10_000_000, enforcement_fee_fen(10_000_000)) == (
        enforcement_fee_fen(50_000_000) - enforcement_fee_fen(10_000_000)
    )
    assert fee_of_distribution(0, 10_000_000, 0, 0) == 0


@given(st.integers(0, 10**10), st.integers(0, 10**10), st.integers(0, 10**10))
def test_the_fee_of_a_distribution_leaves_the_creditors_the_most_it_can(
    room: int, owed: int, before: int
) -> None:
    taken = enforcement_fee_fen(before)
    fee = fee_of_distribution(room, owed, before, taken)
    creditors = min(owed, room - fee)
    assert creditors >= 0
    assert fee <= enforcement_fee_fen(before + creditors) - taken  # never more than the rule's
    if creditors < owed:  # short: one fen more for the creditors would not leave room for its fee
        assert creditors + 1 + enforcement_fee_fen(before + creditors + 1) - taken > room


def test_costs_first_in_their_order_then_the_fee_then_the_creditors() -> None:
    plan = plan_distribution(
        10_000,
        [("auction", 3_000), ("towing", 2_000), ("storage", 9_000)],
        fee_fen=500,
        claims=[Claim("lender", 50_000)],
    )
    assert plan.costs == (("auction", 3_000), ("towing", 2_000), ("storage", 5_000))
    assert (plan.fee_fen, plan.claims, plan.surplus_fen) == (0, (("lender", 0),), 0)


def test_secured_creditors_first_then_by_rank_and_the_rest_to_the_debtor() -> None:
    plan = plan_distribution(
        100_000,
        [("towing", 1_000)],
        fee_fen=2_000,
        claims=[
            Claim("rank2", 10_000, rank=2),
            Claim("bank-mortgage", 40_000, secured=True),
            Claim("rank1", 30_000, rank=1),
        ],
    )
    assert dict(plan.claims) == {"rank2": 10_000, "bank-mortgage": 40_000, "rank1": 30_000}
    assert plan.surplus_fen == 100_000 - 1_000 - 2_000 - 80_000
    assert plan.total_fen == 100_000


def test_a_rank_that_cannot_be_paid_in_full_shares_pro_rata_by_largest_remainder() -> None:
    # 100 fen over claims of 1, 1, 1 (secured first) then 300, 300, 300: the 97 left share in thirds.
    plan = plan_distribution(
        100,
        [],
        fee_fen=0,
        claims=[
            Claim("a", 300, rank=1),
            Claim("b", 300, rank=1),
            Claim("c", 300, rank=1),
            Claim("s1", 1, secured=True),
            Claim("s2", 1, secured=True),
            Claim("s3", 1, secured=True),
        ],
    )
    shares = dict(plan.claims)
    assert (shares["s1"], shares["s2"], shares["s3"]) == (1, 1, 1)
    # 97 / 3 = 32 each and one fen over: equal remainders and equal claims, so the first in order.
    assert (shares["a"], shares["b"], shares["c"]) == (33, 32, 32)
    assert plan.surplus_fen == 0


def test_the_fen_left_over_go_to_the_largest_remainders() -> None:
    plan = plan_distribution(10, [], 0, [Claim("small", 1), Claim("mid", 6), Claim("big", 7)])
    # Shares of 10 over 14: 0.714, 4.285, 5 → floors 0, 4, 5 and one fen to the largest remainder.
    assert dict(plan.claims) == {"small": 1, "mid": 4, "big": 5}


def test_a_lower_rank_gets_nothing_until_a_higher_one_is_paid_in_full() -> None:
    plan = plan_distribution(500, [], 0, [Claim("first", 400, rank=1), Claim("second", 400, rank=2)])
    assert dict(plan.claims) == {"first": 400, "second": 100}


claims = st.lists(
    st.builds(
        Claim,
        key=st.uuids(),
        outstanding_fen=st.integers(0, 10**9),
        rank=st.integers(1, 3),
        secured=st.booleans(),
    ),
    max_size=12,
)


@settings(max_examples=300)
@given(
    st.integers(0, 10**10),
    st.lists(st.tuples(st.uuids(), st.integers(0, 10**8)), max_size=5),
    st.integers(0, 10**7),
    claims,
)
def test_a_plan_shares_exactly_what_is_available_and_no_more_than_is_owed(
    available: int, costs: list[tuple[object, int]], fee: int, claimed: list[Claim[object]]
) -> None:
    plan = plan_distribution(available, costs, fee, claimed)
    assert plan.total_fen == available
    assert all(0 <= share <= amount for (_, share), (_, amount) in zip(plan.costs, costs, strict=True))
    assert 0 <= plan.fee_fen <= fee
    for claim, (key, share) in zip(claimed, plan.claims, strict=True):
        assert key == claim.key and 0 <= share <= claim.outstanding_fen
    if plan.surplus_fen:  # something left over only once everyone is paid in full
        assert all(share == amount for (_, share), (_, amount) in zip(plan.costs, costs, strict=True))
        assert plan.fee_fen == fee
        assert all(share == c.outstanding_fen for c, (_, share) in zip(claimed, plan.claims, strict=True))
    # A creditor short of its claim means no creditor behind it got anything.
    order = {c.key: (not c.secured, c.rank) for c in claimed}
    short = [order[c.key] for c, (_, s) in zip(claimed, plan.claims, strict=True) if s < c.outstanding_fen]
    if short:
        first_short = min(short)
        assert all(
            s == 0 for c, (_, s) in zip(claimed, plan.claims, strict=True) if order[c.key] > first_short
        )


@given(st.integers(1, 10**6), st.lists(st.integers(1, 10**6), min_size=2, max_size=8, unique=True))
def test_the_shares_of_different_claims_do_not_depend_on_their_order(available: int, owed: list[int]) -> None:
    # Ties between remainders go to the larger claim; only equal claims fall back to their order.
    forward = plan_distribution(available, [], 0, [Claim(o, o) for o in owed])
    backward = plan_distribution(available, [], 0, [Claim(o, o) for o in reversed(owed)])
    assert dict(forward.claims) == dict(backward.claims)
