"""After an unsold auction: the second round (网拍规定 Art. 26), the online sale, the offset, the release;
a stop's resumption (Art. 28). Pure: no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from auction.rules import (
    NextStep,
    RoundResult,
    SaleSettings,
    Stage,
    after_unsold,
    articles,
    check_lot,
    check_resumption,
    offset_terms,
    resumption_due,
    sale_terms,
    second_round_floor,
)
from auction.rules.lot import LotParams
from car_enforce.core.errors import InvalidInput, RuleViolation
from tests.auction_rules_helpers import CALENDAR, REFERENCE, YUAN, first_round, sh

# The first round (70,000 yuan) ended unsold on Wednesday 17 June 2026.
UNSOLD_FIRST = RoundResult(
    round=1, starting_price_fen=70_000 * YUAN, ended_at=sh(2026, 6, 17, 10), platform="builtin"
)


def second_round(**changes: object) -> LotParams:
    """A lawful second round: announced the day after, 7 days' notice, cut by 20% to 56,000 yuan."""
    base: dict[str, object] = {
        "round": 2,
        "starting_price_fen": 56_000 * YUAN,
        "deposit_fen": 5_600 * YUAN,
        "announced_at": sh(2026, 6, 18, 9),
        "starts_at": sh(2026, 6, 25, 10),
        "ends_at": sh(2026, 6, 26, 10),
    }
    return first_round(**(base | changes))


def check(params: LotParams, previous: RoundResult | None = UNSOLD_FIRST) -> None:
    check_lot(params, REFERENCE, CALENDAR, previous=previous)


def test_a_lawful_second_round_passes() -> None:
    found = check_lot(second_round(), REFERENCE, CALENDAR, previous=UNSOLD_FIRST)
    assert found.min_starting_price_fen == 56_000 * YUAN
    assert found.earliest_start.on == date(2026, 6, 25)


# --- the cut: at most 20% of the previous starting price ----------------------------------------------


def test_a_second_round_at_a_25_percent_cut_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(second_round(starting_price_fen=52_500 * YUAN, deposit_fen=5_250 * YUAN))
    assert (refused.value.field, refused.value.rule) == ("starting_price_fen", articles.RULE_AGAIN_CUT)
    assert (
        refused.value.rule_zh is not None
        and "降价幅度不得超过前次起拍价的百分之二十" in refused.value.rule_zh
    )
    assert refused.value.zh == (
        "起拍价52,500.00元较前次起拍价70,000.00元降低25.00%，降价幅度不得超过20%，即不得低于56,000.00元"
    )


def test_the_eighty_percent_floor_is_rounded_up_to_the_fen() -> None:
    assert second_round_floor(100_001) == 80_001  # 80,000.8 fen


def test_a_second_round_below_seventy_percent_of_the_reference_is_lawful_after_the_cut() -> None:
    check(second_round())  # 56% of the reference price: the 70% floor is the first round's


def test_a_second_round_after_a_first_that_sold_is_refused() -> None:
    sold = RoundResult(1, 70_000 * YUAN, sh(2026, 6, 17, 10), "builtin", bids=3)
    with pytest.raises(RuleViolation) as refused:
        check(second_round(), sold)
    assert refused.value.rule == articles.RULE_UNSOLD


def test_a_second_round_without_its_first_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(second_round(), None)
    assert refused.value.field == "round"


def test_a_second_round_on_another_platform_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(second_round(platform="other"))
    assert (refused.value.field, refused.value.rule) == ("platform", articles.RULE_AGAIN_WITHIN)


# --- within 30 days, 7 days' announcement -------------------------------------------------------------


def test_a_second_round_starting_on_the_thirtieth_day_passes() -> None:
    # 17 June + 30 days = 17 July 2026, a Friday.
    check(
        second_round(announced_at=sh(2026, 7, 9, 9), starts_at=sh(2026, 7, 17, 9), ends_at=sh(2026, 7, 18, 9))
    )


def test_a_second_round_starting_on_the_thirty_first_day_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(
            second_round(
                announced_at=sh(2026, 7, 9, 9), starts_at=sh(2026, 7, 18, 9), ends_at=sh(2026, 7, 19, 9)
            )
        )
    assert (refused.value.field, refused.value.rule) == ("starts_at", articles.RULE_AGAIN_WITHIN)


def test_a_second_round_announced_six_days_before_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(second_round(starts_at=sh(2026, 6, 24, 10), ends_at=sh(2026, 6, 25, 10)))
    assert (refused.value.field, refused.value.rule) == ("starts_at", articles.RULE_AGAIN_ANNOUNCE)


def test_a_second_round_announced_before_the_first_ended_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(second_round(announced_at=sh(2026, 6, 17, 9)))
    assert refused.value.field == "announced_at"


def test_a_resale_after_a_default_is_not_held_to_the_thirty_days() -> None:
    late = second_round(
        resale=True,
        announced_at=sh(2026, 8, 3, 9),
        starts_at=sh(2026, 8, 11, 10),
        ends_at=sh(2026, 8, 12, 10),
    )
    check(late)
    with pytest.raises(RuleViolation):
        check(
            second_round(
                announced_at=sh(2026, 8, 3, 9), starts_at=sh(2026, 8, 11, 10), ends_at=sh(2026, 8, 12, 10)
            )
        )


# --- what follows an unsold round ---------------------------------------------------------------------


def test_after_the_first_round_the_court_auctions_again_or_offsets() -> None:
    assert after_unsold(Stage.FIRST) == (NextStep.SECOND_ROUND, NextStep.OFFSET)


def test_after_the_second_round_the_court_sells_offsets_or_releases() -> None:
    assert after_unsold(Stage.SECOND) == (NextStep.SALE, NextStep.OFFSET, NextStep.RELEASE)


def test_after_an_unsold_sale_the_court_offsets_or_releases() -> None:
    assert after_unsold(Stage.SALE) == (NextStep.OFFSET, NextStep.RELEASE)


UNSOLD_SECOND = RoundResult(2, 56_000 * YUAN, sh(2026, 6, 26, 10), "builtin")


def test_the_sale_is_at_the_second_rounds_starting_price_for_sixty_days() -> None:
    terms = sale_terms(UNSOLD_SECOND, sh(2026, 6, 29, 10), platform="builtin")
    assert terms.price_fen == terms.qualifying_deposit_fen == 56_000 * YUAN
    assert terms.closes_at == sh(2026, 8, 28, 10)
    assert (terms.window, terms.extension) == (timedelta(hours=24), timedelta(minutes=5))


def test_the_sales_unconfirmed_settings_can_be_changed() -> None:
    terms = sale_terms(
        UNSOLD_SECOND, sh(2026, 6, 29, 10), platform="builtin", settings=SaleSettings(period_days=30)
    )
    assert terms.closes_at == sh(2026, 7, 29, 10)


def test_a_sale_after_the_first_round_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        sale_terms(UNSOLD_FIRST, sh(2026, 6, 29, 10), platform="builtin")
    assert refused.value.rule == articles.RULE_SALE


def test_a_sale_on_another_platform_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        sale_terms(UNSOLD_SECOND, sh(2026, 6, 29, 10), platform="other")
    assert refused.value.field == "platform"


def test_a_sale_with_a_zero_window_is_malformed() -> None:
    with pytest.raises(InvalidInput):
        sale_terms(
            UNSOLD_SECOND, sh(2026, 6, 29, 10), platform="builtin", settings=SaleSettings(window=timedelta())
        )


def test_the_offset_is_at_the_unsold_rounds_reserve_and_a_smaller_claim_pays_the_difference() -> None:
    offset = offset_terms(UNSOLD_SECOND, 50_000 * YUAN)
    assert (offset.price_fen, offset.difference_fen) == (56_000 * YUAN, 6_000 * YUAN)
    assert offset_terms(UNSOLD_SECOND, 90_000 * YUAN).difference_fen == 0


def test_a_sold_round_is_not_offset() -> None:
    with pytest.raises(RuleViolation) as refused:
        offset_terms(RoundResult(2, 56_000 * YUAN, sh(2026, 6, 26, 10), "builtin", bids=1), 50_000 * YUAN)
    assert refused.value.rule == articles.RULE_OFFSET


# --- resuming within 5 days of the cause ending (Art. 28) ----------------------------------------------


def test_a_stop_resumes_within_five_days_of_its_cause_ending() -> None:
    assert resumption_due(date(2026, 6, 1), CALENDAR).on == date(2026, 6, 8)  # 6 June is a Saturday
    assert not check_resumption(date(2026, 6, 1), date(2026, 6, 8), CALENDAR).late


def test_a_resumption_after_five_days_is_late() -> None:
    assert check_resumption(date(2026, 6, 1), date(2026, 6, 9), CALENDAR).late


def test_a_resumption_before_the_cause_ended_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_resumption(date(2026, 6, 5), date(2026, 6, 4), CALENDAR)
    assert refused.value.rule == articles.RULE_SUSPEND
