"""The appraisal firms' lot (参考价规定 Art. 16), redone from its seed, and the appraisal's period with its
extensions (Art. 19)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from car_enforce.core.calendar.service import PrcCalendar
from car_enforce.core.errors import InvalidInput, RuleViolation
from valuation.reference_price import lot, rules

FIRMS = list(range(101, 111))
SEED = "00112233445566778899aabbccddeeff"
CALENDAR = PrcCalendar()


def test_a_seed_is_32_fresh_hex_characters() -> None:
    seeds = {lot.new_seed() for _ in range(50)}
    assert len(seeds) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}", s) for s in seeds)


def test_the_draw_is_pinned_so_a_recorded_seed_always_gives_the_same_firms() -> None:
    # Recorded draws must stay reproducible: a change to the procedure would change these numbers.
    assert lot.draw(FIRMS, SEED) == (104, 109, 106)
    assert lot.draw(FIRMS, SEED, len(FIRMS)) == (104, 109, 106, 101, 107, 108, 110, 102, 105, 103)


def test_the_same_seed_and_set_give_the_same_draw_in_any_order() -> None:
    expected = lot.draw(FIRMS, SEED)
    assert lot.draw(list(reversed(FIRMS)), SEED) == expected
    assert lot.draw([*FIRMS[5:], *FIRMS[:5]], SEED) == expected
    assert lot.draw([*FIRMS, *FIRMS[:3]], SEED) == expected  # a repeated id gets no second chance
    assert lot.draw(tuple(FIRMS), SEED) == expected


def test_the_first_firms_are_the_head_of_the_seeds_whole_order() -> None:
    for seed in ("a", "b", "c", SEED):
        whole = lot.draw(FIRMS, seed, len(FIRMS))
        assert sorted(whole) == FIRMS
        assert lot.draw(FIRMS, seed) == whole[:3]
        assert lot.draw(FIRMS, seed, 1) == whole[:1]


def test_different_seeds_give_different_orders() -> None:
    draws = [lot.draw(FIRMS, f"seed-{i}") for i in range(20)]
    assert len(set(draws)) >= 18  # 720 ordered triples: collisions are rare, and the draw is fixed
    assert len({d[0] for d in draws}) >= 6  # every firm can come first, not always the same one
    assert all(len(set(d)) == 3 and set(d) <= set(FIRMS) for d in draws)


def test_fewer_candidates_than_firms_gives_all_of_them_in_order() -> None:
    assert sorted(lot.draw([7, 3], SEED)) == [3, 7]
    assert lot.draw([42], SEED) == (42,)
    assert len(lot.draw(FIRMS, SEED, 5)) == 5


@pytest.mark.parametrize(("candidates", "count"), [([], 3), (FIRMS, 0), (FIRMS, -1)])
def test_nothing_to_draw_is_refused_naming_article_16(candidates: list[int], count: int) -> None:
    with pytest.raises(RuleViolation) as refused:
        lot.draw(candidates, SEED, count)
    assert refused.value.rule == lot.RULE_LOT and "Art. 16" in lot.RULE_LOT


def test_a_draw_without_a_seed_is_refused() -> None:
    with pytest.raises(InvalidInput):
        lot.draw(FIRMS, "")


# --- the appraisal's period (Art. 19) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entrusted", "extensions", "due"),
    [
        (date(2026, 3, 2), [], date(2026, 4, 1)),
        (date(2026, 3, 2), [15], date(2026, 4, 16)),
        # 1 May 2026 is in the Labour Day holiday: the period ends on the next working day.
        (date(2026, 3, 2), [15, 15], date(2026, 5, 6)),
        # 1 October 2026 is National Day; each extension runs on from the day the period really ended.
        (date(2026, 9, 1), [], date(2026, 10, 8)),
        (date(2026, 9, 1), [15, 10], date(2026, 11, 2)),
    ],
)
def test_the_report_is_due_30_days_on_plus_each_extension(
    entrusted: date, extensions: list[int], due: date
) -> None:
    deadline = rules.appraisal_due(entrusted, extensions, CALENDAR)
    assert deadline.on == due and not deadline.provisional


@pytest.mark.parametrize(("already", "days"), [(0, 1), (0, 15), (1, 15)])
def test_up_to_two_extensions_of_up_to_15_days(already: int, days: int) -> None:
    rules.check_appraisal_extension(already, days)


@pytest.mark.parametrize(
    ("already", "days", "says"), [(2, 5, "2 extensions"), (0, 16, "not 16"), (1, 0, "not 0"), (3, 1, "3")]
)
def test_a_third_extension_or_a_longer_one_is_refused(already: int, days: int, says: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        rules.check_appraisal_extension(already, days)
    assert refused.value.rule == rules.RULE_APPRAISAL_PERIOD and says in refused.value.detail


def test_the_due_date_refuses_extensions_the_article_does_not_allow() -> None:
    with pytest.raises(RuleViolation):
        rules.appraisal_due(date(2026, 3, 2), [15, 15, 15], CALENDAR)
    with pytest.raises(RuleViolation):
        rules.appraisal_due(date(2026, 3, 2), [20], CALENDAR)
