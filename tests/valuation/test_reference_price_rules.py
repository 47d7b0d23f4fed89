"""The reference price's rules (参考价规定), table by table: the order of the methods, the online inquiry at
its deadline (Art. 11–13), objections (Art. 22, 24), validity (Art. 27) and the fee (Art. 31)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from car_enforce.core.calendar.service import PrcCalendar
from car_enforce.core.errors import RuleViolation
from valuation.reference_price import rules
from valuation.reference_price.rules import Method, Next, Passed, PlatformState, SkipReason

CALENDAR = PrcCalendar()
A, B, C = "platform-a", "platform-b", "platform-c"


def refused(rule: str) -> pytest.RaisesExc[RuleViolation]:
    return pytest.raises(RuleViolation, check=lambda e: e.rule == rule)


# --- the order of the methods --------------------------------------------------------------------------

AGREED_REFUSED = Passed(Method.AGREED, SkipReason.PARTY_REFUSED)
NO_OFFICIAL_PRICE = Passed(Method.DIRECTED, SkipReason.NO_OFFICIAL_PRICE)
ONLINE_FAILED = Passed(Method.ONLINE, SkipReason.FAILED)


@pytest.mark.parametrize(
    ("method", "passed"),
    [
        (Method.AGREED, []),
        (Method.DIRECTED, [AGREED_REFUSED]),
        (Method.ONLINE, [AGREED_REFUSED, NO_OFFICIAL_PRICE]),
        (Method.ONLINE, [Passed(Method.AGREED, SkipReason.PARTIES_ASKED_LATER_METHOD), NO_OFFICIAL_PRICE]),
        (Method.APPRAISAL, [AGREED_REFUSED, NO_OFFICIAL_PRICE, ONLINE_FAILED]),
        (
            Method.APPRAISAL,
            [AGREED_REFUSED, NO_OFFICIAL_PRICE, Passed(Method.ONLINE, SkipReason.NEEDS_ON_SITE_INSPECTION)],
        ),
    ],
)
def test_a_method_whose_predecessors_were_passed_over_lawfully_may_start(
    method: Method, passed: list[Passed]
) -> None:
    rules.check_order(method, passed)


@pytest.mark.parametrize(
    ("method", "passed", "says"),
    [
        (Method.ONLINE, [AGREED_REFUSED], "定向询价"),
        (Method.DIRECTED, [], "当事人议价"),
        (Method.APPRAISAL, [AGREED_REFUSED, NO_OFFICIAL_PRICE], "网络询价"),
        (Method.ONLINE, [NO_OFFICIAL_PRICE, AGREED_REFUSED], "out of order"),
        (
            Method.DIRECTED,
            [Passed(Method.AGREED, SkipReason.NEEDS_ON_SITE_INSPECTION)],
            "cannot be passed over",
        ),
        (
            Method.ONLINE,
            [AGREED_REFUSED, Passed(Method.DIRECTED, SkipReason.PARTY_REFUSED)],
            "cannot be passed",
        ),
        (
            Method.APPRAISAL,
            [AGREED_REFUSED, NO_OFFICIAL_PRICE, Passed(Method.ONLINE, SkipReason.NO_AGREEMENT)],
            "'no_agreement'",
        ),
    ],
)
def test_a_method_out_of_order_or_passed_over_without_a_lawful_reason_is_refused(
    method: Method, passed: list[Passed], says: str
) -> None:
    with refused(rules.RULE_ORDER) as caught:
        rules.check_order(method, passed)
    assert says in caught.value.detail


def test_online_inquiry_only_for_a_car_that_needs_no_on_site_inspection_and_with_the_reason() -> None:
    with refused(rules.RULE_ONLINE_ALLOWED):
        rules.check_online_allowed(True, "a common saloon car")
    for reason in (None, "", "   "):
        with refused(rules.RULE_ONLINE_ALLOWED):
            rules.check_online_allowed(False, reason)
    rules.check_online_allowed(False, "常见品牌小型轿车，检测报告已载明车况，无需现场勘验")


# --- the mean -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "mean"),
    [
        ([8_000_000, 8_300_000, 8_600_000], 8_300_000),
        ([100, 101], 101),  # 100.5 fen: half a fen goes up
        ([101, 102], 102),  # 101.5 fen: up again, not to the even neighbour
        ([1, 2, 2], 2),  # 1.67
        ([3, 3, 4], 3),  # 3.33
        ([7_654_321], 7_654_321),
    ],
)
def test_the_reference_price_is_the_mean_rounded_half_up_to_the_fen(results: list[int], mean: int) -> None:
    assert rules.mean_fen(results) == mean


@pytest.mark.parametrize("results", [[], [8_000_000, 0], [-1]])
def test_no_mean_of_nothing_or_of_a_non_positive_result(results: list[int]) -> None:
    with refused(rules.RULE_MEAN):
        rules.mean_fen(results)


# --- the online inquiry at its deadline (Art. 11–13) ------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "extended", "corrected", "next_", "platforms", "price"),
    [
        pytest.param(
            [PlatformState(A, 8_000_000), PlatformState(B, 8_300_000), PlatformState(C, 8_600_000)],
            False,
            False,
            Next.PRICE,
            (A, B, C),
            8_300_000,
            id="all-on-time",
        ),
        pytest.param(
            [PlatformState(A, 8_000_000), PlatformState(B), PlatformState(C, 8_600_001)],
            False,
            False,
            Next.PRICE,
            (A, C),
            8_300_001,  # 8,300,000.5 fen, half up
            id="one-late-the-mean-of-the-others",
        ),
        pytest.param(
            [PlatformState(A, 8_000_000), PlatformState(B, asked_extension=True), PlatformState(C)],
            False,
            False,
            Next.PRICE,
            (A,),
            8_000_000,
            id="one-delivered-so-no-extension",
        ),
        pytest.param(
            [
                PlatformState(A, asked_extension=True),
                PlatformState(B),
                PlatformState(C, asked_extension=True),
            ],
            False,
            False,
            Next.EXTEND,
            (A, C),
            None,
            id="none-delivered-those-that-asked-get-three-days",
        ),
        pytest.param(
            [PlatformState(A), PlatformState(B), PlatformState(C)],
            False,
            False,
            Next.APPRAISE,
            (),
            None,
            id="none-delivered-none-asked-appraisal",
        ),
        pytest.param(
            [PlatformState(A, asked_extension=True), PlatformState(B), PlatformState(C)],
            True,
            False,
            Next.APPRAISE,
            (),
            None,
            id="nothing-after-the-extension-appraisal",
        ),
        pytest.param(
            [PlatformState(A, 7_000_000, asked_extension=True), PlatformState(B), PlatformState(C)],
            True,
            False,
            Next.PRICE,
            (A,),
            7_000_000,
            id="delivered-within-the-extension",
        ),
        pytest.param(
            [PlatformState(A, 8_000_000, basic_errors=True), PlatformState(B, 8_200_000, basic_errors=True)],
            False,
            False,
            Next.CORRECT,
            (A, B),
            None,
            id="every-report-wrong-corrections",
        ),
        pytest.param(
            [PlatformState(A, 8_000_000, basic_errors=True), PlatformState(B, 8_200_000)],
            False,
            False,
            Next.PRICE,
            (B,),
            8_200_000,
            id="some-reports-sound-no-corrections",
        ),
        pytest.param(
            [PlatformState(A, 8_100_000), PlatformState(B, 8_300_000, basic_errors=True)],
            False,
            True,
            Next.PRICE,
            (A,),
            8_100_000,
            id="corrected-in-time",
        ),
        pytest.param(
            [PlatformState(A, 8_000_000, basic_errors=True)],
            False,
            True,
            Next.APPRAISE,
            (),
            None,
            id="corrections-still-wrong-appraisal",
        ),
    ],
)
def test_what_follows_the_report_deadline(
    states: list[PlatformState],
    extended: bool,
    corrected: bool,
    next_: Next,
    platforms: tuple[str, ...],
    price: int | None,
) -> None:
    decision = rules.at_deadline(states, extended=extended, corrected=corrected)
    assert (decision.next, decision.platforms, decision.price_fen) == (next_, platforms, price)
    assert decision.rule.startswith("参考价规定 Art. 1")


def test_an_extension_is_granted_only_when_nobody_delivered_and_to_those_that_asked() -> None:
    nobody = [PlatformState(A, asked_extension=True), PlatformState(B)]
    assert rules.extension_granted(nobody, A)
    assert not rules.extension_granted(nobody, B)
    somebody = [PlatformState(A, asked_extension=True), PlatformState(B, 8_000_000)]
    assert not rules.extension_granted(somebody, A)


def test_the_report_deadline_is_a_court_period_of_three_days() -> None:
    # Received Wednesday 25 November 2026: due Saturday the 28th, which rolls to Monday the 30th.
    assert CALENDAR.court_period_end(date(2026, 11, 25), rules.ONLINE_REPORT_DAYS).on == date(2026, 11, 30)


# --- objections ---------------------------------------------------------------------------------------

RESULTS = {A: 8_000_000, B: 8_300_000, C: 9_500_000}


@pytest.mark.parametrize(
    ("objected", "upheld", "price"),
    [
        ([], [], 8_600_000),
        ([C], [C], 8_150_000),  # upheld against one: the mean of the other two
        ([C], [], 8_150_000),  # Art. 13 ¶2: the reports not objected to, whatever became of the objection
        ([A, B, C], [C], 8_150_000),  # against all: those whose objection was dismissed
        ([A, B, C], [], 8_600_000),
    ],
)
def test_the_price_after_objections(objected: list[str], upheld: list[str], price: int) -> None:
    assert rules.price_after_objections(RESULTS, objected, upheld) == price


def test_objections_upheld_against_every_report_leave_no_price() -> None:
    with refused(rules.RULE_MEAN):
        rules.price_after_objections(RESULTS, [A, B, C], [A, B, C])
    with refused(rules.RULE_MEAN):
        rules.price_after_objections(RESULTS, ["platform-x"], [])


RECEIVED = date(2026, 11, 23)  # a Monday: five days end Saturday the 28th, which rolls to Monday the 30th


@pytest.mark.parametrize("filed_on", [RECEIVED, date(2026, 11, 28), date(2026, 11, 30)])
def test_an_objection_within_five_days_on_a_ground_of_art_22_is_admitted(filed_on: date) -> None:
    grounds = rules.check_objection(Method.ONLINE, ["scope", "basic_data"], RECEIVED, filed_on, CALENDAR)
    assert grounds == (rules.Ground.BASIC_DATA, rules.Ground.SCOPE)


@pytest.mark.parametrize(
    ("method", "grounds", "filed_on", "rule", "says"),
    [
        (Method.ONLINE, ["basic_data"], date(2026, 12, 1), rules.RULE_OBJECTION, "due by 2026-11-30"),
        (Method.ONLINE, ["too_cheap"], RECEIVED, rules.RULE_OBJECTION, "too_cheap"),
        (Method.APPRAISAL, [], RECEIVED, rules.RULE_OBJECTION, "at least one"),
        (Method.ONLINE, ["basic_data"], date(2026, 11, 22), rules.RULE_OBJECTION, "before the report"),
        (Method.AGREED, ["basic_data"], RECEIVED, rules.RULE_NO_OBJECTION, "当事人议价"),
        (Method.DIRECTED, ["procedure"], RECEIVED, rules.RULE_NO_OBJECTION, "定向询价"),
    ],
)
def test_a_late_objection_one_on_no_valid_ground_or_one_against_an_agreed_or_directed_price_is_refused(
    method: Method, grounds: list[str], filed_on: date, rule: str, says: str
) -> None:
    with refused(rule) as caught:
        rules.check_objection(method, grounds, RECEIVED, filed_on, CALENDAR)
    assert says in caught.value.detail


# --- validity -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "then"),
    [
        (date(2026, 11, 23), 12, date(2027, 11, 23)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
    ],
)
def test_months_are_added_to_the_same_day_or_the_months_last(day: date, months: int, then: date) -> None:
    assert rules.add_months(day, months) == then


def test_a_result_is_valid_for_one_year_at_most() -> None:
    rules.check_validity(date(2026, 11, 23), date(2027, 11, 23))
    with refused(rules.RULE_VALIDITY):
        rules.check_validity(date(2026, 11, 23), date(2027, 11, 24))
    with refused(rules.RULE_VALIDITY):
        rules.check_validity(date(2026, 11, 23), date(2026, 11, 22))


VALID_UNTIL = date(2027, 5, 31)


@pytest.mark.parametrize(
    ("announced", "sale", "holds"),
    [
        (None, date(2027, 5, 31), True),  # within validity
        (date(2027, 5, 20), date(2027, 11, 30), True),  # announced in time, sold within six months of expiry
        (date(2027, 5, 20), date(2027, 12, 1), False),  # a day past the six months
        (date(2027, 6, 1), date(2027, 6, 10), False),  # announced after expiry: a new inquiry
        (None, date(2027, 6, 1), False),  # never announced, expired
    ],
)
def test_a_sale_after_expiry_needs_an_announcement_within_validity(
    announced: date | None, sale: date, holds: bool
) -> None:
    assert rules.may_sell_on(VALID_UNTIL, announced, sale) is holds


# --- the fee ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "final", "shares"),
    [
        ({A: 8_000_000, B: 8_300_000, C: 9_500_000}, 8_250_000, {B: Fraction(1)}),
        ({A: 8_000_000, B: 8_400_000, C: 9_500_000}, 8_200_000, {A: Fraction(1, 2), B: Fraction(1, 2)}),
        ({A: 8_300_000, B: 8_300_000, C: 9_500_000}, 9_000_000, {C: Fraction(1)}),
        (
            {A: 8_300_000, B: 8_300_000, C: 8_300_000},
            7_000_000,
            {A: Fraction(1, 3), B: Fraction(1, 3), C: Fraction(1, 3)},
        ),
    ],
)
def test_the_fee_goes_to_the_closest_platform_and_is_split_on_a_tie(
    results: dict[str, int], final: int, shares: dict[str, Fraction]
) -> None:
    assert rules.fee_shares(results, final) == shares


@pytest.mark.parametrize(
    ("agreed", "share", "amount"),
    [
        (30_000, Fraction(1), 30_000),
        (30_001, Fraction(1, 2), 15_001),
        (100, Fraction(1, 3), 33),
        (0, Fraction(1), 0),
    ],
)
def test_a_platforms_part_of_the_fee_is_its_agreed_fee_times_its_share_to_the_fen(
    agreed: int, share: Fraction, amount: int
) -> None:
    assert rules.fee_amount_fen(agreed, share) == amount


def test_no_fee_without_a_result_or_a_price() -> None:
    with refused(rules.RULE_FEE):
        rules.fee_shares({}, 8_000_000)
    with refused(rules.RULE_FEE):
        rules.fee_shares({A: 8_000_000}, 0)
