"""Reaching a stage, and the targets a court sets for its stages (in working days after the capture)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from car_enforce.db import insert_once
from car_enforce.stages.models import Stage, StageReached

# The seed story: inspected, priced and listed within five working days of the seizure (云执车, Pingyang).
# A court that has set no target of its own is held to these, counted after the capture day.
DEFAULT_TARGETS: dict[Stage, int] = {
    Stage.INTAKE: 1,
    Stage.INSPECTION: 3,
    Stage.REFERENCE_PRICE: 4,
    Stage.LISTING: 5,
}


def reach(session: Session, *, capture_id: int, stage: Stage, at: datetime) -> bool:
    """Record that the capture's car reached ``stage`` at ``at``; the first time counts (True), later
    calls change nothing (False)."""
    row = insert_once(
        session,
        StageReached,
        {"capture_id": capture_id, "stage": stage, "reached_at": at},
        ["capture_id", "stage"],
    )
    return row is not None
