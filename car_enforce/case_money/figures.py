"""The command center's figure of the case money: how many days money waits from arrival to payout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from car_enforce.case_money.models import CasePayout, PayoutStatus
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock
from car_enforce.core.sql_time import DAY_S, seconds_between

ANCHOR_DAYS = 9.74  # Dongyang's average from money received to money paid out: the anchor to beat


@dataclass(frozen=True, slots=True)
class PayoutFigures:
    payouts: int  # paid, in the period
    average_days: float | None  # from the money's arrival to the payee's bank paying it; None without any
    on_time: int  # of them, paid by their due day (30 days after arrival, as a court period)

    @property
    def on_time_share(self) -> float | None:
        """The share paid by the due day, in percent; None without any payout."""
        return round(100 * self.on_time / self.payouts, 1) if self.payouts else None


def payout_days(
    session: Session, *, court_id: int | None = None, since: datetime | None = None
) -> PayoutFigures:
    """The average days from money's arrival to its payout, for one court's cases or all courts', of the
    payouts paid since ``since`` (all when None)."""
    paid: list[ColumnElement[bool]] = [
        CasePayout.status == PayoutStatus.SUCCEEDED,
        CasePayout.paid_at.is_not(None),
    ]
    if since is not None:
        paid.append(CasePayout.paid_at >= since)

    def scoped(query: Any) -> Any:
        if court_id is None:
            return query.where(*paid)
        return query.join(EnforcementCase, EnforcementCase.id == CasePayout.case_id).where(
            *paid, EnforcementCase.court_id == court_id
        )

    # Paid on time: before the due day's end in Shanghai; the few due days there are, each its own bound.
    due_days = list(session.scalars(scoped(select(CasePayout.due_on).distinct())))
    if not due_days:
        return PayoutFigures(0, None, 0)
    ends = {day: datetime.combine(day + timedelta(days=1), time(), tzinfo=clock.SHANGHAI) for day in due_days}
    on_time = case(
        *((and_(CasePayout.due_on == day, CasePayout.paid_at < end), 1) for day, end in ends.items()),
        else_=0,
    )
    count, seconds, in_time = session.execute(
        scoped(
            select(
                func.count(CasePayout.id),
                func.sum(seconds_between(CasePayout.paid_at, CasePayout.arrived_at)),
                func.sum(on_time),
            )
        )
    ).one()
    if not count:
        return PayoutFigures(0, None, 0)
    return PayoutFigures(
        payouts=int(count), average_days=round(float(seconds) / DAY_S / count, 2), on_time=int(in_time)
    )
