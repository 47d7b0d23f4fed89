"""A simulated platform's report on one request (protocol §2): the car valued by ``valuation.estimate``
with the platform's price profile, three reference samples near the value, the method and its working.

Pure: the day of issue is given, and the samples follow from a hash of the request and the platform, so
the same request gets the same report from the same platform on the same day.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Final

from api.simulators.inquiry.platforms import SimPlatform
from api.simulators.inquiry.schemas import InquiryIn, VehicleIn
from valuation.catalogue import new_price_fen
from valuation.estimate import (
    PRIVATE_CAR,
    PURCHASE_TAX_RATE,
    Car,
    Estimate,
    estimate,
    expected_km,
    months_used,
)
from valuation.inspection.grading import ACCIDENT_GRADE, grade_name
from valuation.reference_price.rules import add_months

SAMPLE_COUNT: Final = 3
SAMPLE_SPREAD_BP: Final = 800  # a sample is within ±8% of the value, in basis points
SAMPLE_DAYS: Final = 90  # and sold within the last 90 days
SAMPLE_SOURCES: Final = ("二手车交易市场成交", "二手车电商平台成交", "司法拍卖成交", "二手车经销商收购")
# The court sends the grade as a number; a person might write it out.
ACCIDENT_GRADES: Final = frozenset({str(ACCIDENT_GRADE), grade_name(ACCIDENT_GRADE), "事故车"})
# New-energy cars (财政部 税务总局 工业和信息化部公告2023年第10号): no purchase tax on one bought in
# 2024-2025, half of it in 2026-2027; earlier announcements exempted them too. The cap per car is not
# modelled (nor is it by the estimate). A plain "hybrid" is not a new-energy car.
NEV_FUELS: Final = frozenset({"electric", "phev", "plug_in_hybrid", "range_extended", "fuel_cell"})
NEV_HALF_RATE_FROM: Final = date(2026, 1, 1)
NEV_FULL_RATE_FROM: Final = date(2028, 1, 1)
_YUAN: Final = Decimal(100)


def purchase_tax_rate(fuel: str, on: date) -> Decimal:
    """The purchase tax rate on a new car of this fuel bought on ``on`` (the replacement's)."""
    if fuel.casefold() not in NEV_FUELS or on >= NEV_FULL_RATE_FROM:
        return PURCHASE_TAX_RATE
    return PURCHASE_TAX_RATE / 2 if on >= NEV_HALF_RATE_FROM else Decimal(0)


def whole_score(score: Decimal) -> int:
    return int(score.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def is_accident(request: InquiryIn) -> bool:
    grade = request.inspection.grade
    return request.inspection.accident or (grade is not None and str(grade).strip() in ACCIDENT_GRADES)


def car_of(request: InquiryIn, on: date, platform: SimPlatform) -> Car:
    """The estimate's input. Every car is valued as a private passenger car, the one class whose life the
    price profiles carry; an unknown odometer is taken to be what a car of its age has done."""
    vehicle = request.vehicle
    odometer = vehicle.odometer_km
    if odometer is None:
        life = platform.source.life_months[PRIVATE_CAR]
        months = months_used(vehicle.first_registered_on, on)
        odometer = expected_km(months, life, platform.source.annual_km)
    return Car(
        new_price_fen=new_price_fen(vehicle.brand_model, vehicle.vehicle_class),
        registered_on=vehicle.first_registered_on,
        odometer_km=odometer,
        inspection_score=whole_score(request.inspection.score),
        accident=is_accident(request),
        vehicle_class=PRIVATE_CAR,
        purchase_tax_rate=purchase_tax_rate(vehicle.fuel, on),
    )


def value(request: InquiryIn, on: date, platform: SimPlatform) -> Estimate:
    """The platform's estimate; ``InvalidInput`` for a car it cannot value (registered after ``on``)."""
    return estimate(car_of(request, on, platform), on=on, source=platform.source)


def samples(value_fen: int, seed: str, on: date, vehicle: VehicleIn) -> list[dict[str, Any]]:
    """Three reference transactions within ±8% of the value, sold in the 90 days before ``on``."""
    digest = hashlib.sha256(seed.encode()).digest()
    out = []
    for i in range(SAMPLE_COUNT):
        draw = int.from_bytes(digest[4 * i : 4 * i + 4], "big")
        spread = Decimal(draw % (2 * SAMPLE_SPREAD_BP + 1) - SAMPLE_SPREAD_BP) / 10_000
        # Whole yuan, as a sale price is written, rounded toward the value so it stays within the spread.
        towards = ROUND_FLOOR if spread >= 0 else ROUND_CEILING
        price_yuan = (value_fen * (1 + spread) / _YUAN).quantize(Decimal(1), rounding=towards)
        price_fen = max(int(price_yuan * _YUAN), 100)
        sold_on = on - timedelta(days=1 + digest[12 + i] % SAMPLE_DAYS)
        out.append(
            {
                "source": SAMPLE_SOURCES[digest[16 + i] % len(SAMPLE_SOURCES)],
                "date": sold_on.isoformat(),
                "price_fen": price_fen,
                "note": f"同型号车辆（{vehicle.brand_model}），{vehicle.first_registered_on.year}年上牌",
            }
        )
    return out


def report_number(platform: SimPlatform, year: int, seq: int) -> str:
    return f"{platform.code.upper()}-{year}-{seq:06d}"


def report(platform: SimPlatform, request: InquiryIn, *, number: str, issued_on: date) -> dict[str, Any]:
    """The report as §2 carries it: the car, the samples, the method with its working, result, validity."""
    found = value(request, issued_on, platform)
    vehicle = request.vehicle
    return {
        "number": number,
        "issued_on": issued_on.isoformat(),
        "valid_until": add_months(issued_on, platform.report_valid_months).isoformat(),
        "vehicle": {"plate": vehicle.plate, "vin": vehicle.vin, "brand_model": vehicle.brand_model},
        "samples": samples(found.value_fen, f"{request.request_id}|{platform.code}", issued_on, vehicle),
        "method": "\n".join((found.method_zh, *found.working())),
        "result_fen": found.value_fen,
    }


def _other(text: str, fallback: str) -> str:
    last = text[-1:]
    return text[:-1] + ("8" if last != "8" else "9") if text else fallback


def wrong_vehicle(vehicle: dict[str, Any]) -> dict[str, Any]:
    """The car's facts with the plate and VIN mistyped (a basic error, 参考价规定 Art. 12)."""
    return {
        **vehicle,
        "plate": _other(vehicle["plate"], "浙C00000"),
        "vin": _other(vehicle["vin"] or "", "LSVAU2180N2000000"),
    }
