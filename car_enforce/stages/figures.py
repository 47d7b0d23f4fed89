"""The command center's figures: how long the journey takes against the seed's anchors (a car locked two
days after its watch; inspected, priced and listed within five working days of seizure), and the warnings.

A few aggregate queries over captures, watches and the stage instants; the statistics are plain functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.captures.models import Capture
from car_enforce.core import clock
from car_enforce.core.calendar.service import load_calendar
from car_enforce.stages.models import Stage, StageReached, StageWarning
from car_enforce.watches.models import Watch

# The seed's anchors (Zhejiang's "云执车"): the figures are shown against them.
WATCH_TO_CAPTURE_DAYS = 2
SEIZURE_TO_LISTING_WORKING_DAYS = 5


def percentile(values: Sequence[float], share: float) -> float | None:
    """The value below which ``share`` of the values lie (nearest rank); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Spread:
    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.9))


@dataclass(frozen=True, slots=True)
class Figures:
    watch_to_capture_days: Spread
    seizure_to_price_working_days: Spread
    stage_days: dict[Stage, Spread]  # days from the stage before (the capture, for intake)
    warnings: list[StageWarning]
    captures: list[Capture]  # the most recent, for the map


def _days(a: datetime, b: datetime) -> float:
    return (clock.as_utc(b) - clock.as_utc(a)).total_seconds() / 86400


def figures(session: Session, court_id: int | None, *, recent: int = 200) -> Figures:
    """The figures of one court's captures, or of every court's (``court_id`` None: the operator's view)."""
    where = [Capture.court_id == court_id] if court_id is not None else []
    pairs = session.execute(
        select(Watch.issued_at, Capture.captured_at).join(Watch, Watch.id == Capture.watch_id).where(*where)
    ).all()
    reached: dict[int, dict[Stage, datetime]] = {}
    rows = session.execute(
        select(StageReached.capture_id, StageReached.stage, StageReached.reached_at)
        .join(Capture, Capture.id == StageReached.capture_id)
        .where(*where)
    ).all()
    for capture_id, stage, at in rows:
        if stage in Stage.__members__.values():
            reached.setdefault(capture_id, {})[Stage(stage)] = at
    captured = dict(session.execute(select(Capture.id, Capture.captured_at).where(*where)).all())
    calendar = load_calendar(session)
    to_price = [
        float(
            calendar.working_days_between(
                clock.local(captured[cid]).date(), clock.local(stages[Stage.REFERENCE_PRICE]).date()
            )
        )
        for cid, stages in reached.items()
        if Stage.REFERENCE_PRICE in stages and cid in captured
    ]
    stage_days: dict[Stage, list[float]] = {
        s: [] for s in (Stage.INTAKE, Stage.INSPECTION, Stage.REFERENCE_PRICE)
    }
    for cid, stages in reached.items():
        start = captured.get(cid)
        for stage in (Stage.INTAKE, Stage.INSPECTION, Stage.REFERENCE_PRICE):
            moment = stages.get(stage)
            if moment is None or start is None:
                break
            stage_days[stage].append(_days(start, moment))
            start = moment
    warnings_query = select(StageWarning).order_by(StageWarning.id.desc()).limit(20)
    if court_id is not None:
        warnings_query = warnings_query.join(Capture, Capture.id == StageWarning.capture_id).where(*where)
    recent_query = select(Capture).where(*where).order_by(Capture.id.desc()).limit(recent)
    return Figures(
        watch_to_capture_days=Spread.of([_days(issued, taken) for issued, taken in pairs]),
        seizure_to_price_working_days=Spread.of(to_price),
        stage_days={stage: Spread.of(values) for stage, values in stage_days.items()},
        warnings=list(session.scalars(warnings_query)),
        captures=list(session.scalars(recent_query)),
    )
