"""The center's own estimate beside the reports: the same replacement-cost model the platforms use, with
the center's neutral profile. A check for the staff and the officer, never the reference price (only the
four methods of 参考价规定 Art. 2 give that)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.errors import Conflict
from car_enforce.custody.models import Custody
from valuation.catalogue import new_price_fen
from valuation.estimate import CENTER_CHECK, Car, Estimate, estimate
from valuation.inspection.grading import ACCIDENT_GRADE
from valuation.reference_price.models import ReferencePrice

NOTE = "中心核对估价仅供参考，不作为财产处置参考价（参考价以当事人议价、定向询价、网络询价或委托评估确定）"


@dataclass(frozen=True, slots=True)
class Check:
    estimate: Estimate
    price_fen: int | None  # the reference price, when fixed
    gap_percent: float | None  # how far the price sits from the check, for an eye to catch an outlier


def center_check(session: Session, pricing: ReferencePrice) -> Check:
    if pricing.inspection_score is None:
        raise Conflict(
            "the car has not been inspected: the estimate needs the inspection's score",
            zh="车辆尚未检测，估价需要检测评分，请先完成检测",
        )
    custody = session.get(Custody, pricing.custody_id)
    assert custody is not None
    car = Car(
        new_price_fen=new_price_fen(pricing.brand_model, custody.vehicle_class),
        registered_on=pricing.first_registered_on,
        odometer_km=pricing.odometer_km or 0,
        inspection_score=pricing.inspection_score,
        accident=pricing.inspection_grade == ACCIDENT_GRADE,
    )
    valued = estimate(car, clock.today_local(), CENTER_CHECK)
    gap = None
    if pricing.price_fen is not None:
        gap = round((pricing.price_fen - valued.value_fen) * 100 / valued.value_fen, 1)
    return Check(valued, pricing.price_fen, gap)
