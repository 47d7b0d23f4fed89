"""The stage clocks hear the events that complete a stage: the first one counts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.core.events import Recorded
from car_enforce.stages.models import Stage
from car_enforce.stages.service import reach

# The event that completes each stage, and the field of its data that holds the instant it happened.
REACHED_BY: dict[str, tuple[Stage, str]] = {
    "custody.taken_in": (Stage.INTAKE, "taken_in_at"),
    "inspection.recorded": (Stage.INSPECTION, "inspected_at"),
}


def reach_stage(session: Session, recorded: Recorded) -> None:
    stage, field = REACHED_BY[recorded.event.kind]
    capture_id = recorded.event.context.get("capture_id")
    if capture_id is not None:  # a car found in a yard (an imported inventory) has no capture to clock
        reach(session, capture_id=capture_id, stage=stage, at=recorded.event.data[field])
