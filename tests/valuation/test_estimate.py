"""The replacement-cost estimate (valuation/estimate.py): pure, no database."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from car_enforce.core.errors import InvalidInput
from valuation.estimate import (
    CENTER_CHECK,
    NEWNESS_CAP,
    NEWNESS_FLOOR,
    PLATFORMS,
    Car,
    PriceSource,
    combined_newness,
    estimate,
    months_used,
    purchase_tax_fen,
)

ON = date(2025, 9, 10)


def car(**changes: Any) -> Car:
    """A 150,000-yuan car registered on 15 March 2021, 100,000 km, scored 78."""
    base = Car(
        new_price_fen=15_000_000, registered_on=date(2021, 3, 15), odometer_km=100_000, inspection_score=78
    )
    return dataclasses.replace(base, **changes)


def test_the_worked_example_to_the_fen() -> None:
    """By hand, for the center's check (life 180 months, weights 0.6/0.4, 20,000 km a year, bias 1):

    purchase tax        15,000,000 ÷ 1.13 × 0.10 = 1,327,433.63 → 1,327,434 fen
    replacement cost    15,000,000 + 1,327,434 + 50,000 = 16,377,434 fen
    months used         2021-03-15 → 2025-09-10: 4 years 5 months and 26 days = 53 whole months
    age newness         1 − 53/180 = 0.705555… → 0.7056
    condition newness   78/100 = 0.78
    weighted            0.6 × 0.7056 + 0.4 × 0.78 = 0.42336 + 0.312 = 0.73536 → 0.7354
    expected km         53 × 20,000/12 = 88,333.3 km; lifetime 180 × 20,000/12 = 300,000 km
    mileage factor      1 + 0.4 × (88,333.3 − 100,000)/300,000 = 1 − 0.015556 = 0.984444 → 0.9844
    combined            0.7354 × 0.9844 = 0.72392776 → 0.7239
    value               16,377,434 × 0.7239 = 11,855,624.47 → 11,855,624 fen (118,556.24元)
    """
    result = estimate(car(), ON)
    assert result.purchase_tax_fen == 1_327_434
    assert result.replacement_cost_fen == 16_377_434
    assert result.months_used == 53
    assert result.age_newness == Decimal("0.7056")
    assert result.condition_newness == Decimal("0.78")
    assert result.technical_grade == 2
    assert result.weighted_newness == Decimal("0.7354")
    assert result.expected_km == 88_333
    assert result.mileage_factor == Decimal("0.9844")
    assert result.combined_newness == Decimal("0.7239")
    assert result.model_value_fen == result.value_fen == 11_855_624
    assert (result.method_zh, result.method_en) == ("重置成本法", "replacement cost method")
    working = result.working()
    assert working[0] == "评估方法：重置成本法（replacement cost method）"
    assert "车辆购置税13,274.34元" in working[1] and "= 163,774.34元" in working[1]
    assert working[-1] == "评估值 = 163,774.34元 × 72.39% = 118,556.24元"


@pytest.mark.parametrize(
    ("price_fen", "rate", "tax_fen"),
    [
        (11_300_000, Decimal("0.10"), 1_000_000),  # 113,000元 incl. VAT → 100,000元 taxable → 10,000元
        (15_000_000, Decimal("0.10"), 1_327_434),  # 1,327,433.63 rounded half up
        (11_300_000, Decimal("0.05"), 500_000),  # a halved rate (new-energy relief, passed by the caller)
        (11_300_000, Decimal("0"), 0),  # a waived one
        (113, Decimal("0.10"), 10),
        (5, Decimal("0.10"), 0),  # 0.44 fen rounds down
        (17, Decimal("0.10"), 2),  # 1.504 fen rounds half up to 2
    ],
)
def test_the_purchase_tax_is_10_percent_of_the_price_without_vat(
    price_fen: int, rate: Decimal, tax_fen: int
) -> None:
    assert purchase_tax_fen(price_fen, rate) == tax_fen


@pytest.mark.parametrize(
    ("registered_on", "on", "months"),
    [
        (date(2021, 3, 15), date(2021, 3, 15), 0),
        (date(2021, 3, 15), date(2021, 4, 14), 0),
        (date(2021, 3, 15), date(2021, 4, 15), 1),
        (date(2021, 1, 31), date(2021, 2, 28), 1),  # the end of a shorter month completes the month
        (date(2020, 2, 29), date(2021, 2, 28), 12),
        (date(2010, 1, 1), date(2025, 1, 1), 180),
    ],
)
def test_months_used_are_whole_months(registered_on: date, on: date, months: int) -> None:
    assert months_used(registered_on, on) == months


@pytest.mark.parametrize("source", [CENTER_CHECK, *PLATFORMS], ids=lambda s: s.name)
def test_an_older_car_is_worth_less(source: PriceSource) -> None:
    values = [
        estimate(car(registered_on=date(year, 3, 15)), ON, source).value_fen for year in range(2025, 2004, -1)
    ]
    assert values == sorted(values, reverse=True)
    assert values[0] > values[5] > values[10] > values[14]  # strictly within the prescribed life


@pytest.mark.parametrize("source", [CENTER_CHECK, *PLATFORMS], ids=lambda s: s.name)
def test_a_better_score_is_worth_more(source: PriceSource) -> None:
    values = [estimate(car(inspection_score=score), ON, source).value_fen for score in range(0, 101, 5)]
    assert values == sorted(values) and len(set(values)) == len(values)


@pytest.mark.parametrize("source", [CENTER_CHECK, *PLATFORMS], ids=lambda s: s.name)
def test_more_kilometres_are_worth_less_within_the_bound(source: PriceSource) -> None:
    results = [estimate(car(odometer_km=km), ON, source) for km in range(0, 400_001, 20_000)]
    values = [r.value_fen for r in results]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]
    assert all(Decimal("0.9") <= r.mileage_factor <= Decimal("1.1") for r in results)  # never beyond ±10%
    assert results[0].mileage_factor == Decimal("1.1") and results[-1].mileage_factor == Decimal("0.9")


def test_an_accident_car_is_grade_5_and_worth_less() -> None:
    sound, accident = estimate(car(), ON), estimate(car(accident=True), ON)
    assert accident.technical_grade == 5
    assert accident.condition_newness == Decimal("0.624")  # 0.78 × 0.80
    assert accident.value_fen < sound.value_fen
    assert "事故车" in accident.working()[3]


def test_a_car_past_its_life_keeps_the_age_floor_and_the_residual_value() -> None:
    wreck = estimate(car(registered_on=date(2001, 1, 1), inspection_score=0, odometer_km=900_000), ON)
    assert wreck.age_newness == Decimal("0.05")
    assert wreck.weighted_newness == Decimal("0.03")  # 0.6 × 0.05
    assert wreck.mileage_factor == Decimal("0.9")
    assert wreck.combined_newness == NEWNESS_FLOOR  # 0.027 raised to the 5% residual
    assert wreck.value_fen == 818_872  # 16,377,434 × 0.05 = 818,871.7
    # past its life, age no longer moves it
    older = estimate(car(registered_on=date(1995, 1, 1), inspection_score=0, odometer_km=900_000), ON)
    assert (older.months_used, older.expected_km) == (368, 300_000)
    assert older.value_fen == wreck.value_fen


@pytest.mark.parametrize(
    ("weighted", "factor", "combined"),
    [
        (Decimal("0.02"), Decimal("1.0"), NEWNESS_FLOOR),
        (Decimal("0.5"), Decimal("0.9"), Decimal("0.45")),
        (Decimal("0.99"), Decimal("1.1"), NEWNESS_CAP),
        (Decimal("1"), Decimal("1"), NEWNESS_CAP),
    ],
)
def test_the_combined_newness_is_floored_and_capped(
    weighted: Decimal, factor: Decimal, combined: Decimal
) -> None:
    assert combined_newness(weighted, factor) == combined


def test_a_new_car_is_worth_its_replacement_cost() -> None:
    new = estimate(car(registered_on=ON, odometer_km=0, inspection_score=100), ON)
    assert new.combined_newness == 1
    assert new.value_fen == new.replacement_cost_fen == 15_000_000 + 1_327_434 + 50_000


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"registered_on": date(2024, 6, 1), "odometer_km": 12_000, "inspection_score": 95},
        {"registered_on": date(2012, 1, 1), "odometer_km": 260_000, "inspection_score": 45},
        {"registered_on": date(2018, 5, 20), "odometer_km": 30_000, "inspection_score": 88, "accident": True},
        {"new_price_fen": 3_980_000, "registered_on": date(2016, 8, 8), "odometer_km": 150_000},
    ],
)
def test_the_three_platforms_differ_within_a_plausible_spread(changes: dict[str, Any]) -> None:
    values = [estimate(car(**changes), ON, platform).value_fen for platform in PLATFORMS]
    assert len(set(values)) == 3
    assert max(values) <= min(values) * Decimal("1.10")
    assert len({platform.name for platform in PLATFORMS}) == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"new_price_fen": 0}, "new_price_fen"),
        ({"new_price_fen": -1}, "new_price_fen"),
        ({"odometer_km": -1}, "odometer_km"),
        ({"inspection_score": -1}, "inspection_score"),
        ({"inspection_score": 101}, "inspection_score"),
        ({"purchase_tax_rate": Decimal("0.2")}, "purchase_tax_rate"),
    ],
)
def test_a_bad_car_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        car(**changes)
    assert refused.value.field == field
    assert refused.value.detail.startswith(f"{field}: ")


def test_a_car_registered_after_the_valuation_day_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        estimate(car(registered_on=date(2025, 9, 11)), ON)
    assert refused.value.field == "registered_on"


def test_a_class_without_a_prescribed_life_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        estimate(car(vehicle_class="重型半挂牵引车"), ON)
    assert refused.value.field == "vehicle_class"
    truck_life = PriceSource("按车型", life_months={"重型半挂牵引车": 180})
    assert estimate(car(vehicle_class="重型半挂牵引车"), ON, truck_life).value_fen == 11_855_624


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bias": Decimal("0")}, "bias"),
        ({"age_weight": Decimal("0.7")}, "condition_weight"),  # 0.7 + 0.4 ≠ 1
        ({"age_weight": Decimal("0"), "condition_weight": Decimal("1")}, "age_weight"),
        ({"age_weight": Decimal("1.1"), "condition_weight": Decimal("-0.1")}, "condition_weight"),
        ({"annual_km": 0}, "annual_km"),
        ({"life_months": {"非营运小型、微型载客汽车": 0}}, "life_months"),
        ({"mileage_elasticity": Decimal("0.6")}, "mileage_elasticity"),  # ≥ 0.6 × 0.9: older would be dearer
        ({"registration_fees_fen": -1}, "registration_fees_fen"),
    ],
)
def test_a_bad_price_source_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        PriceSource("坏的", **changes)
    assert refused.value.field == field
