"""A lot's parameters (网拍规定 Art. 10, 12, 17, 20, 25; 参考价规定 Art. 27), pure: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from auction.rules import (
    DEFAULT_INCREMENTS,
    IncrementBand,
    ReferenceFacts,
    articles,
    balance_due,
    check_increment_table,
    check_lot,
    default_increment,
    deposit_range,
    min_starting_price,
)
from auction.rules.lot import LotParams
from car_enforce.core.calendar.service import PrcCalendar
from car_enforce.core.errors import InvalidInput, RuleViolation
from tests.auction_rules_helpers import CALENDAR, REFERENCE, YUAN, first_round, sh


def check(params: LotParams, reference: ReferenceFacts = REFERENCE) -> None:
    check_lot(params, reference, CALENDAR)


def test_a_lawful_first_round_passes_and_says_what_it_found() -> None:
    found = check_lot(first_round(), REFERENCE, CALENDAR)
    assert found.min_starting_price_fen == 70_000 * YUAN
    assert (found.deposit_min_fen, found.deposit_max_fen) == (3_500 * YUAN, 14_000 * YUAN)
    assert found.earliest_start.on == date(2026, 6, 16)
    assert found.increment_fen == 500 * YUAN  # the default band of 50,000–100,000 yuan
    assert not found.provisional


# --- the starting price: at least 70% of the reference price, rounded up to the fen ----------------------


def test_seventy_percent_is_rounded_up_to_the_fen() -> None:
    assert min_starting_price(100_001) == 70_001  # 70,000.7 fen: 70,000 fen would be below 70%
    assert min_starting_price(100_000) == 70_000  # exact: no rounding
    assert min_starting_price(3) == 3  # 2.1 fen → 3


def test_a_starting_price_one_fen_below_seventy_percent_is_refused() -> None:
    reference = replace(REFERENCE, price_fen=100_001)
    params = first_round(starting_price_fen=70_000, deposit_fen=7_000)
    with pytest.raises(RuleViolation) as refused:
        check(params, reference)
    assert refused.value.field == "starting_price_fen"
    assert refused.value.rule == articles.RULE_START
    assert refused.value.rule_zh is not None and refused.value.rule_zh.startswith(
        "《最高人民法院关于人民法院网络司法拍卖若干问题的规定》第十条："
    )
    assert refused.value.zh == "起拍价700.00元低于参考价1,000.01元的70%，不得低于700.01元"


def test_a_starting_price_at_seventy_percent_rounded_up_passes() -> None:
    check(first_round(starting_price_fen=70_001, deposit_fen=7_000), replace(REFERENCE, price_fen=100_001))


def test_a_starting_price_above_the_reference_price_is_the_courts_choice() -> None:
    check(first_round(starting_price_fen=120_000 * YUAN, deposit_fen=12_000 * YUAN))


# --- the deposit: 5% to 20% of the starting price ---------------------------------------------------------


def test_the_deposits_bounds_round_inwards() -> None:
    assert deposit_range(70_001) == (3_501, 14_000)  # 3,500.05 up, 14,000.2 down


@pytest.mark.parametrize("deposit", [3_500, 14_001])
def test_a_deposit_outside_five_to_twenty_percent_is_refused(deposit: int) -> None:
    with pytest.raises(RuleViolation) as refused:
        check(
            first_round(starting_price_fen=70_001, deposit_fen=deposit), replace(REFERENCE, price_fen=100_001)
        )
    assert (refused.value.field, refused.value.rule) == ("deposit_fen", articles.RULE_DEPOSIT)
    assert refused.value.zh == "保证金应为起拍价的5%至20%，即35.01元至140.00元"


@pytest.mark.parametrize("deposit", [3_501, 14_000])
def test_a_deposit_on_the_rounded_bounds_passes(deposit: int) -> None:
    check(first_round(starting_price_fen=70_001, deposit_fen=deposit), replace(REFERENCE, price_fen=100_001))


# --- the increment: the platform's default table, or the court's amount --------------------------------


@pytest.mark.parametrize(
    ("start_yuan", "increment_yuan"),
    [(800, 20), (2_499, 20), (2_500, 50), (19_999, 100), (20_000, 200), (99_999, 500), (100_000, 1_000),
     (300_000, 2_000), (5_000_000, 5_000)],
)  # fmt: skip
def test_the_default_increment_is_the_band_of_the_starting_price(
    start_yuan: int, increment_yuan: int
) -> None:
    assert default_increment(start_yuan * YUAN) == increment_yuan * YUAN


def test_the_default_table_stays_within_the_practice_ceilings_from_a_thousand_yuan() -> None:
    # At most 2% of the starting price up to 100,000 yuan, 1% up to 1,000,000, 0.5% above (a practice guide).
    for band in DEFAULT_INCREMENTS:
        start = max(band.from_fen, 1_000 * YUAN)
        ceiling = 2 if start <= 100_000 * YUAN else 1 if start <= 1_000_000 * YUAN else 0.5
        assert band.increment_fen <= start * ceiling / 100, band


def test_the_courts_own_increment_overrides_the_table() -> None:
    assert check_lot(first_round(increment_fen=123 * YUAN), REFERENCE, CALENDAR).increment_fen == 123 * YUAN


def test_a_platform_table_replaces_the_default() -> None:
    table = (IncrementBand(0, 1_000), IncrementBand(50_000 * YUAN, 200_000))
    assert default_increment(70_000 * YUAN, table) == 200_000


def test_a_table_that_leaves_low_prices_without_an_increment_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_increment_table((IncrementBand(100, 1_000),))
    assert refused.value.rule == articles.RULE_INCREMENT_TABLE


def test_a_table_whose_bands_do_not_rise_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_increment_table((IncrementBand(0, 100), IncrementBand(0, 200)))
    assert refused.value.field == "increments[1].from_fen"


def test_a_zero_increment_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check(first_round(increment_fen=0))
    assert refused.value.field == "increment_fen"


# --- the announcement: at least 15 days before bidding, counted as a court period ----------------------


def test_bidding_on_the_fifteenth_day_after_the_announcement_passes() -> None:
    check(first_round(starts_at=sh(2026, 6, 16, 0), ends_at=sh(2026, 6, 17, 0)))


def test_bidding_on_the_fourteenth_day_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(first_round(starts_at=sh(2026, 6, 15, 23, 59), ends_at=sh(2026, 6, 17, 10)))
    assert (refused.value.field, refused.value.rule) == ("starts_at", articles.RULE_ANNOUNCE)
    assert refused.value.zh == "公告于2026年6月1日发布，竞价最早于2026年6月16日开始（公告期15日）"


def test_a_period_ending_in_the_national_day_holiday_ends_on_the_next_working_day() -> None:
    # Announced 16 September 2026: the 15th day is 1 October, inside the holiday that runs to 7 October.
    announced = sh(2026, 9, 16, 9)
    with pytest.raises(RuleViolation) as refused:
        check(first_round(announced_at=announced, starts_at=sh(2026, 10, 7, 10), ends_at=sh(2026, 10, 8, 10)))
    assert "2026年10月8日" in (refused.value.zh or "")
    check(first_round(announced_at=announced, starts_at=sh(2026, 10, 8, 10), ends_at=sh(2026, 10, 9, 10)))


def test_the_day_is_the_shanghai_day_not_the_utc_one() -> None:
    # 00:30 on 16 June in Shanghai is still 15 June in UTC.
    check(first_round(starts_at=sh(2026, 6, 16, 0, 30), ends_at=sh(2026, 6, 17, 0, 30)))


def test_a_deadline_in_a_guessed_year_is_provisional() -> None:
    params = first_round(
        announced_at=sh(2027, 6, 1, 9), starts_at=sh(2027, 6, 17, 10), ends_at=sh(2027, 6, 18, 10)
    )
    found = check_lot(params, replace(REFERENCE, valid_until=date(2027, 12, 31)), PrcCalendar())
    assert found.provisional


# --- bidding at least 24 hours -------------------------------------------------------------------------


def test_bidding_of_exactly_24_hours_passes() -> None:
    check(first_round(ends_at=sh(2026, 6, 17, 10)))


def test_bidding_one_millisecond_short_of_24_hours_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(first_round(ends_at=sh(2026, 6, 17, 9, 59, 59, 999)))
    assert (refused.value.field, refused.value.rule) == ("ends_at", articles.RULE_DURATION)


def test_bidding_that_ends_before_it_starts_is_malformed() -> None:
    with pytest.raises(InvalidInput):
        check(first_round(ends_at=sh(2026, 6, 16, 9)))


def test_a_naive_instant_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check(first_round(starts_at=sh(2026, 6, 16).replace(tzinfo=None)))


# --- the balance period -------------------------------------------------------------------------------


def test_the_balance_period_defaults_to_ten_days() -> None:
    assert first_round().balance_days == articles.DEFAULT_BALANCE_DAYS == 10


def test_a_balance_period_of_zero_days_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(first_round(balance_days=0))
    assert (refused.value.field, refused.value.rule) == ("balance_days", articles.RULE_BALANCE)


def test_the_balance_is_due_ten_days_after_the_sale_day() -> None:
    assert balance_due(sh(2026, 6, 17, 10, 3), 10, CALENDAR).on == date(2026, 6, 29)  # 27th is a Saturday


# --- the reference price's validity (参考价规定 Art. 27) --------------------------------------------------


def test_an_announcement_after_the_reference_price_expired_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(first_round(), replace(REFERENCE, valid_until=date(2026, 5, 31)))
    assert (refused.value.field, refused.value.rule) == ("announced_at", articles.RULE_VALIDITY)


def test_a_first_round_announced_on_the_last_valid_day_may_sell_after_it() -> None:
    check(first_round(), replace(REFERENCE, valid_until=date(2026, 6, 1)))


def test_a_round_announced_in_time_may_sell_up_to_six_months_after_expiry() -> None:
    reference = ReferenceFacts(
        100_000 * YUAN, valid_until=date(2026, 1, 10), first_announced_on=date(2026, 1, 5)
    )
    check(first_round(resale=True), reference)  # ends 17 June 2026, within 10 July 2026
    late = first_round(
        resale=True,
        announced_at=sh(2026, 6, 25, 9),
        starts_at=sh(2026, 7, 10, 10),
        ends_at=sh(2026, 7, 11, 10),
    )
    with pytest.raises(RuleViolation) as refused:
        check(late, reference)
    assert (refused.value.field, refused.value.rule) == ("ends_at", articles.RULE_VALIDITY)
    assert "2026年7月10日" in (refused.value.zh or "")


def test_a_round_whose_bidding_ends_after_validity_without_a_timely_announcement_is_refused() -> None:
    reference = ReferenceFacts(
        100_000 * YUAN, valid_until=date(2026, 6, 10), first_announced_on=date(2026, 6, 11)
    )
    with pytest.raises(RuleViolation) as refused:
        check(first_round(resale=True), reference)
    assert refused.value.field == "ends_at"


# --- no third auction of a car -----------------------------------------------------------------------


def test_a_third_round_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        check(first_round(round=3))
    assert refused.value.rule == articles.RULE_NO_THIRD_ROUND


def test_a_lot_checked_twice_gives_the_same_answer() -> None:
    params = first_round(starts_at=sh(2026, 6, 16, 10) + timedelta(days=1), ends_at=sh(2026, 6, 18, 10))
    assert check_lot(params, REFERENCE, CALENDAR) == check_lot(params, REFERENCE, CALENDAR)
