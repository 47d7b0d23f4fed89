"""A used car's estimate by the replacement-cost method (重置成本法), pure: no database, no clock, no HTTP.

The simulated price-inquiry platforms (司法网络询价) and the center's own check estimate both use this one
model; what sets a platform apart is its ``PriceSource`` (its bias and, optionally, its own life, weights and
yearly mileage).

    replacement cost  = new-car price (VAT included) + purchase tax + registration fees
    purchase tax      = price ÷ (1 + 13%) × 10%                      (车辆购置税法 Art. 4, Art. 6(1))
    age newness       = max(5%, 1 − months used ÷ prescribed life in months)
    condition newness = inspection score ÷ 100 (× 80% for an accident car)           (GB/T 30323-2013)
    weighted newness  = 0.6 × age newness + 0.4 × condition newness
    mileage factor    = 1 + clamp(0.4 × (expected km − odometer km) ÷ lifetime km, −10%, +10%)
    combined newness  = clamp(weighted newness × mileage factor, 5%, 100%)
    value             = replacement cost × combined newness × the source's bias

Rounding: each rate is rounded half up to four decimals (0.01%, as appraisal reports print them) before it is
used; each amount of money is rounded half up to the fen, once, where it is computed (``Decimal``, never a
float). An estimate carries its working, so a report or a notice can show how the figure was reached.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from car_enforce.core import zh
from car_enforce.core.errors import InvalidInput, Rule
from valuation.inspection.grading import ACCIDENT_GRADE, grade_name, technical_grade

METHOD_ZH: Final = "重置成本法"
METHOD_EN: Final = "replacement cost method"

# --- the numbers -----------------------------------------------------------------------------------------

# 车辆购置税法 Art. 4: the rate is 10%. Art. 9 para. 2 lets the State Council reduce or waive it; the relief
# for new-energy cars (waived 2024–2025, halved 2026–2027, each up to a cap) is in announcements of the
# Ministry of Finance that are not in the law, so a car carries its own ``purchase_tax_rate`` (0 or 5% for
# such a car) and the cap is not modelled.
PURCHASE_TAX_RATE: Final = Decimal("0.10")
RULE_PURCHASE_TAX: Final = Rule(
    "车辆购置税法 Art. 4", "《中华人民共和国车辆购置税法》第四条：车辆购置税的税率为百分之十"
)
# 车辆购置税法 Art. 6(1): the taxable price excludes VAT; a list price includes it at the general rate on
# goods, 13%.
VAT_RATE: Final = Decimal("0.13")
# Plate, driving licence and registration certificate, with the dealer's usual plate service: the platform's
# assumption, not a figure from a law.
REGISTRATION_FEES_FEN: Final = 50_000

# The prescribed life by vehicle class, in months. 15 years for a non-commercial small or mini passenger car
# is appraisal practice: the scrapping rules (机动车强制报废标准规定) set no age limit for such a car, only a
# guide mileage of 600,000 km. Another class needs its life from the price source.
PRIVATE_CAR: Final = "非营运小型、微型载客汽车"
PRESCRIBED_LIFE_MONTHS: Final[Mapping[str, int]] = {PRIVATE_CAR: 180}

AGE_NEWNESS_FLOOR: Final = Decimal("0.05")  # a car past its life still has some years in it
ACCIDENT_FACTOR: Final = Decimal("0.80")  # condition newness of an accident car (grade 5 whatever its score)
AGE_WEIGHT: Final = Decimal("0.6")
CONDITION_WEIGHT: Final = Decimal("0.4")
ANNUAL_KM: Final = 20_000  # expected kilometres a year
# A deviation from the expected mileage of one whole lifetime mileage moves the newness by 40%, within ±10%.
# It must stay below the age weight × 90%, or an older car with the same odometer would come out dearer.
MILEAGE_ELASTICITY: Final = Decimal("0.4")
MILEAGE_BOUND: Final = Decimal("0.10")
NEWNESS_FLOOR: Final = Decimal("0.05")  # residual value: a car that runs is worth at least its scrap
NEWNESS_CAP: Final = Decimal("1")

RATE: Final = Decimal("0.0001")  # rates are rounded half up to four decimals
_ONE: Final = Decimal("1")


def _rate(value: Decimal) -> Decimal:
    return value.quantize(RATE, rounding=ROUND_HALF_UP)


def _whole(value: Decimal) -> int:
    """Half up to a whole fen (or kilometre)."""
    return int(value.quantize(_ONE, rounding=ROUND_HALF_UP))


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def _percent(rate: Decimal) -> str:
    return f"{rate * 100:.2f}%"


# --- inputs ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Car:
    """What the estimate needs to know about the car.

    ``new_price_fen`` is today's list price (含税指导价) of the same model, or of its nearest successor.
    """

    new_price_fen: int
    registered_on: date
    odometer_km: int
    inspection_score: int  # GB/T 30323-2013, 0–100
    accident: bool = False
    vehicle_class: str = PRIVATE_CAR
    purchase_tax_rate: Decimal = PURCHASE_TAX_RATE

    def __post_init__(self) -> None:
        if self.new_price_fen <= 0:
            raise InvalidInput(
                "new_price_fen",
                f"a new-car price is more than 0 fen, not {self.new_price_fen}",
                zh="新车价格应大于 0",
            )
        if self.odometer_km < 0:
            raise InvalidInput(
                "odometer_km",
                f"an odometer reading is 0 km or more, not {self.odometer_km}",
                zh="里程表读数不能为负数",
            )
        if not 0 <= self.inspection_score <= 100:
            raise InvalidInput(
                "inspection_score",
                f"a score is 0–100, not {self.inspection_score}",
                zh="检测分数应在 0 至 100 之间",
            )
        if not 0 <= self.purchase_tax_rate <= PURCHASE_TAX_RATE:
            raise InvalidInput(
                "purchase_tax_rate",
                f"the rate is 0 to {PURCHASE_TAX_RATE} (车辆购置税法 Art. 4), not {self.purchase_tax_rate}",
                rule=RULE_PURCHASE_TAX,
                zh=f"车辆购置税税率应在 0 至 {PURCHASE_TAX_RATE:.0%} 之间",
            )


@dataclass(frozen=True, slots=True)
class PriceSource:
    """A source of estimates: a simulated inquiry platform with its price data's bias, or the center's check.

    ``bias`` multiplies the model's value (0.97: the platform's data sit 3% below the market's middle).
    """

    name: str
    bias: Decimal = Decimal("1")
    life_months: Mapping[str, int] = field(default_factory=lambda: dict(PRESCRIBED_LIFE_MONTHS))
    age_weight: Decimal = AGE_WEIGHT
    condition_weight: Decimal = CONDITION_WEIGHT
    annual_km: int = ANNUAL_KM
    mileage_elasticity: Decimal = MILEAGE_ELASTICITY
    registration_fees_fen: int = REGISTRATION_FEES_FEN

    def __post_init__(self) -> None:
        if self.bias <= 0:
            raise InvalidInput(
                "bias", f"a bias is more than 0, not {self.bias}", zh="价格数据修正系数应大于 0"
            )
        if any(months <= 0 for months in self.life_months.values()):
            raise InvalidInput(
                "life_months",
                f"a prescribed life is more than 0 months: {self.life_months}",
                zh="规定使用年限应大于 0 个月",
            )
        if self.age_weight <= 0:
            raise InvalidInput(
                "age_weight",
                f"the age weight is more than 0, not {self.age_weight}",
                zh="年限成新率权重应大于 0",
            )
        if self.condition_weight < 0:
            raise InvalidInput(
                "condition_weight",
                f"the condition weight is 0 or more, not {self.condition_weight}",
                zh="技术状况成新率权重不能为负数",
            )
        if self.age_weight + self.condition_weight != 1:
            raise InvalidInput(
                "condition_weight",
                f"the weights add up to 1, not {self.age_weight} + {self.condition_weight}",
                zh=f"两项权重之和应为 1，现为 {self.age_weight} + {self.condition_weight}",
            )
        if self.annual_km <= 0:
            raise InvalidInput(
                "annual_km",
                f"the expected yearly mileage is more than 0, not {self.annual_km}",
                zh="预计年行驶里程应大于 0",
            )
        if not 0 <= self.mileage_elasticity < self.age_weight * (1 - MILEAGE_BOUND):
            raise InvalidInput(
                "mileage_elasticity",
                f"0 or more and below the age weight × {1 - MILEAGE_BOUND} (else an older car would be "
                f"worth more), not {self.mileage_elasticity}",
                zh=f"里程弹性应不小于 0 且小于年限权重 × {1 - MILEAGE_BOUND}（否则车龄越长估值反而越高）",
            )
        if self.registration_fees_fen < 0:
            raise InvalidInput(
                "registration_fees_fen",
                f"0 fen or more, not {self.registration_fees_fen}",
                zh="上牌费用不能为负数",
            )


# The center's built-in check, and three simulated inquiry platforms whose price data differ a little.
CENTER_CHECK: Final = PriceSource("中心核对估价")
PLATFORMS: Final = (
    PriceSource("模拟询价平台甲", bias=Decimal("0.97")),
    PriceSource(
        "模拟询价平台乙",
        bias=Decimal("1.00"),
        age_weight=Decimal("0.55"),
        condition_weight=Decimal("0.45"),
        annual_km=18_000,
    ),
    PriceSource(
        "模拟询价平台丙",
        bias=Decimal("1.04"),
        age_weight=Decimal("0.65"),
        condition_weight=Decimal("0.35"),
        annual_km=22_000,
    ),
)


# --- the parts -------------------------------------------------------------------------------------------


def purchase_tax_fen(price_fen: int, rate: Decimal = PURCHASE_TAX_RATE) -> int:
    """The purchase tax on a list price that includes VAT: price ÷ 1.13 × rate (车辆购置税法 Art. 4–6)."""
    return _whole(Decimal(price_fen) / (1 + VAT_RATE) * rate)


def months_used(registered_on: date, on: date) -> int:
    """Whole months from registration to the valuation day; a month is complete on the same day of the month
    (or on the last day of a shorter month)."""
    if registered_on > on:
        raise InvalidInput(
            "registered_on",
            f"the registration day {registered_on} is after the valuation day {on}",
            zh=f"注册登记日期（{zh.day(registered_on)}）晚于估价日（{zh.day(on)}）",
        )
    months = (on.year - registered_on.year) * 12 + on.month - registered_on.month
    month_end = on.day == calendar.monthrange(on.year, on.month)[1]
    if on.day < registered_on.day and not month_end:
        months -= 1
    return months


def age_newness(months: int, life_months: int) -> Decimal:
    """年限成新率: 1 − months used ÷ life, not below the floor."""
    return max(AGE_NEWNESS_FLOOR, _rate(1 - Decimal(months) / life_months))


def condition_newness(score: int, *, accident: bool = False) -> Decimal:
    """技术状况成新率: the inspection score as a share of 100, cut by the accident factor for an accident car.

    Monotone in the score; an accident car is grade 5 whatever its score (GB/T 30323-2013), hence the cut.
    """
    share = Decimal(score) / 100
    return _rate(share * ACCIDENT_FACTOR if accident else share)


def expected_km(months: int, life_months: int, annual_km: int) -> int:
    """The kilometres a car of this age would have done; past its life it is not expected to do more."""
    return _whole(Decimal(min(months, life_months)) * annual_km / 12)


def mileage_factor(odometer_km: int, months: int, life_months: int, source: PriceSource) -> Decimal:
    """1 + elasticity × (expected − actual) ÷ lifetime km, within ±``MILEAGE_BOUND``."""
    lifetime_km = Decimal(life_months) * source.annual_km / 12
    expected = Decimal(min(months, life_months)) * source.annual_km / 12
    shift = source.mileage_elasticity * (expected - odometer_km) / lifetime_km
    return _rate(1 + _clamp(shift, -MILEAGE_BOUND, MILEAGE_BOUND))


def combined_newness(weighted: Decimal, factor: Decimal) -> Decimal:
    """综合成新率: the weighted newness adjusted for mileage, between the residual floor and the cap."""
    return _clamp(_rate(weighted * factor), NEWNESS_FLOOR, NEWNESS_CAP)


# --- the estimate ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    """The value and how it was reached."""

    source: str
    valued_on: date
    # replacement cost
    new_price_fen: int
    purchase_tax_rate: Decimal
    purchase_tax_fen: int
    registration_fees_fen: int
    replacement_cost_fen: int
    # newness
    months_used: int
    life_months: int
    age_newness: Decimal
    inspection_score: int
    technical_grade: int
    condition_newness: Decimal
    age_weight: Decimal
    condition_weight: Decimal
    weighted_newness: Decimal
    odometer_km: int
    expected_km: int
    mileage_factor: Decimal
    combined_newness: Decimal
    # value
    model_value_fen: int  # replacement cost × combined newness
    bias: Decimal
    value_fen: int  # the model's value × the source's bias
    method_zh: str = METHOD_ZH
    method_en: str = METHOD_EN

    def working(self) -> tuple[str, ...]:
        """The working in Chinese, one line a step, for a report or a notice."""
        price, tax = zh.yuan_text(self.new_price_fen), zh.yuan_text(self.purchase_tax_fen)
        fees, replacement = zh.yuan_text(self.registration_fees_fen), zh.yuan_text(self.replacement_cost_fen)
        by_age, by_condition = _percent(self.age_newness), _percent(self.condition_newness)
        accident = (
            f"（事故车 × {_percent(ACCIDENT_FACTOR)}）" if self.technical_grade == ACCIDENT_GRADE else ""
        )
        lines = [
            f"评估方法：{self.method_zh}（{self.method_en}）",
            f"重置成本 = 新车含税价{price} + 车辆购置税{tax}"
            f"（{price} ÷ {1 + VAT_RATE} × {_percent(self.purchase_tax_rate)}，车辆购置税法第四条、第六条）"
            f" + 上牌费用{fees} = {replacement}",
            f"年限成新率 = 1 − 已使用{self.months_used}个月 ÷ 规定使用{self.life_months}个月 = {by_age}",
            f"技术状况成新率 = 鉴定评分{self.inspection_score}分（{grade_name(self.technical_grade)}）÷ 100"
            f"{accident} = {by_condition}",
            f"加权成新率 = {by_age} × {self.age_weight} + {by_condition} × {self.condition_weight}"
            f" = {_percent(self.weighted_newness)}",
            f"里程调整系数 = {self.mileage_factor}（表显里程{self.odometer_km:,}公里，"
            f"按此车龄应为{self.expected_km:,}公里）",
            f"综合成新率 = {_percent(self.weighted_newness)} × {self.mileage_factor}"
            f" = {_percent(self.combined_newness)}",
            f"评估值 = {replacement} × {_percent(self.combined_newness)}"
            f" = {zh.yuan_text(self.model_value_fen)}",
        ]
        if self.bias != 1:
            lines.append(
                f"{self.source}价格数据修正 = {zh.yuan_text(self.model_value_fen)} × {self.bias}"
                f" = {zh.yuan_text(self.value_fen)}"
            )
        return tuple(lines)


def estimate(car: Car, on: date, source: PriceSource = CENTER_CHECK) -> Estimate:
    """The car's value on day ``on`` by the replacement-cost method, as ``source`` sees it."""
    life = source.life_months.get(car.vehicle_class)
    if life is None:
        raise InvalidInput(
            "vehicle_class",
            f"{source.name} has no prescribed life for {car.vehicle_class!r}",
            zh=f"{source.name}没有“{car.vehicle_class}”的规定使用年限",
        )
    months = months_used(car.registered_on, on)
    tax = purchase_tax_fen(car.new_price_fen, car.purchase_tax_rate)
    replacement = car.new_price_fen + tax + source.registration_fees_fen
    by_age = age_newness(months, life)
    by_condition = condition_newness(car.inspection_score, accident=car.accident)
    weighted = _rate(source.age_weight * by_age + source.condition_weight * by_condition)
    factor = mileage_factor(car.odometer_km, months, life, source)
    combined = combined_newness(weighted, factor)
    model_value = _whole(replacement * combined)
    return Estimate(
        source=source.name,
        valued_on=on,
        new_price_fen=car.new_price_fen,
        purchase_tax_rate=car.purchase_tax_rate,
        purchase_tax_fen=tax,
        registration_fees_fen=source.registration_fees_fen,
        replacement_cost_fen=replacement,
        months_used=months,
        life_months=life,
        age_newness=by_age,
        inspection_score=car.inspection_score,
        technical_grade=technical_grade(car.inspection_score, accident=car.accident),
        condition_newness=by_condition,
        age_weight=source.age_weight,
        condition_weight=source.condition_weight,
        weighted_newness=weighted,
        odometer_km=car.odometer_km,
        expected_km=expected_km(months, life, source.annual_km),
        mileage_factor=factor,
        combined_newness=combined,
        model_value_fen=model_value,
        bias=source.bias,
        value_fen=_whole(model_value * source.bias),
    )
