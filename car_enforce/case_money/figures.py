"""The command center's figure of the case money: how many days money waits from arrival to payout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.case_money.models import CasePayout, PayoutStatus
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock

_DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class PayoutFigures:
    payouts: int  # paid, in the period
    average_days: float | None  # from the money's arrival to the payee's bank paying it; None without any
    on_time: int  # of them, paid by their due day (30 days after arrival, as a court period)


def payout_days(
    session: Session, *, court_id: int | None = None, since: datetime | None = None
) -> PayoutFigures:
    """The average days from money's arrival to its payout, for one court's cases or all courts', of the
    payouts paid since ``since`` (all when None)."""
    query = select(CasePayout.arrived_at, CasePayout.paid_at, CasePayout.due_on).where(
        CasePayout.status == PayoutStatus.SUCCEEDED
    )
    if court_id is not None:
        query = query.join(EnforcementCase, EnforcementCase.id == CasePayout.case_id).where(
            EnforcementCase.court_id == court_id
        )
    if since is not None:
        query = query.where(CasePayout.paid_at >= since)
    waits: list[float] = []
    on_time = 0
    for arrived, paid, due_on in session.execute(query):
        if paid is not None:
            waits.append((paid - arrived).total_seconds() / _DAY_S)
            on_time += clock.local(paid).date() <= due_on
    if not waits:
        return PayoutFigures(0, None, 0)
    return PayoutFigures(payouts=len(waits), average_days=round(sum(waits) / len(waits), 2), on_time=on_time)
