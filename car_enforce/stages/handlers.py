"""The stage clocks hear the events that complete a stage or meet a legal deadline: the first one counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from car_enforce.core.events import Recorded
from car_enforce.stages.models import LegalDeadline, Marker, Milestone, Stage
from car_enforce.stages.service import reach

# The event that completes each stage or meets each legal deadline, and the field of its data that holds
# the instant it happened. The event names its capture in its context (``capture_id``).
REACHED_BY: dict[str, tuple[Milestone, str]] = {
    "custody.taken_in": (Stage.INTAKE, "taken_in_at"),
    "inspection.recorded": (Stage.INSPECTION, "inspected_at"),
    "reference_price.opened": (LegalDeadline.INQUIRY_STARTED, "opened_at"),  # 参考价规定 Art. 1
    # The price fixed also starts the 10-day disposal clock (Art. 30), counted from this instant.
    "reference_price.fixed": (Stage.REFERENCE_PRICE, "fixed_at"),
    "disposal.started": (LegalDeadline.DISPOSAL_STARTED, "started_at"),  # 参考价规定 Art. 30
    "auction.announced": (Stage.LISTING, "announced_at"),  # 挂拍: the round's announcement went out
    # After the sale: full payment starts the ruling's 10 days; service meets them and starts the
    # handover's 15.
    "auction.balance_paid": (Marker.PAID_IN_FULL, "paid_at"),
    "auction.ruling_served": (LegalDeadline.RULING_SERVED, "served_at"),  # 拍卖变卖规定 Art. 20
    "auction.handed_over": (LegalDeadline.HANDED_OVER, "handed_over_at"),  # 拍卖变卖规定 Art. 27
}


def _instant(value: Any) -> datetime:
    # An event's data is what its timeline entry stores: a verb may put the datetime or its ISO text.
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ValueError(f"{value!r} is not an instant with a UTC offset")
    return at


def reach_stage(session: Session, recorded: Recorded) -> None:
    stage, field = REACHED_BY[recorded.event.kind]
    capture_id = recorded.event.context.get("capture_id")
    if capture_id is not None:  # a car found in a yard (an imported inventory) has no capture to clock
        reach(session, capture_id=capture_id, stage=stage, at=_instant(recorded.event.data[field]))
