"""The command center's figures: how long the journey takes against the seed's anchors (a car locked two
days after its watch; inspected, priced and listed within five working days of seizure), and the warnings.

A few aggregate queries over captures, watches and the stage instants; the statistics are plain functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from car_enforce.captures.models import Capture
from car_enforce.core import clock
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.sql_time import days_between
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


def _reached(stage: Stage) -> ColumnElement[datetime]:
    return func.max(case((StageReached.stage == stage, StageReached.reached_at))).label(stage.value)


def figures(session: Session, court_id: int | None, *, recent: int = 200) -> Figures:
    """The figures of one court's captures, or of every court's (``court_id`` None: the operator's view)."""
    where = [Capture.court_id == court_id] if court_id is not None else []
    # The database works out the durations: ten thousand captures are one row each, with floats in it,
    # and only a priced car's two instants come back as instants (its working days need the calendar).
    watch_days = session.scalars(
        select(days_between(Capture.captured_at, Watch.issued_at))
        .join(Watch, Watch.id == Capture.watch_id)
        .where(*where)
    ).all()
    stages = (INTAKE, INSPECTION, PRICED) = (Stage.INTAKE, Stage.INSPECTION, Stage.REFERENCE_PRICE)
    reached = (
        select(StageReached.capture_id, *(_reached(stage) for stage in stages))
        .where(StageReached.stage.in_(stages))
        .group_by(StageReached.capture_id)
        .subquery()
    )
    at = {stage: reached.c[stage.value] for stage in stages}
    rows = session.execute(
        select(
            days_between(at[INTAKE], Capture.captured_at),
            days_between(at[INSPECTION], at[INTAKE]),
            days_between(at[PRICED], at[INSPECTION]),
            case((at[PRICED].is_not(None), Capture.captured_at)),
            at[PRICED],
        )
        .join(reached, reached.c.capture_id == Capture.id)
        .where(*where)
    ).all()
    calendar = load_calendar(session)
    stage_days: dict[Stage, list[float]] = {stage: [] for stage in stages}
    to_price: list[float] = []
    for *durations, captured, priced in rows:
        # A stage counts from the one before it, so the chain stops at the first stage not reached.
        for stage, days in zip(stages, durations, strict=True):
            if days is None:
                break
            stage_days[stage].append(float(days))
        if priced is not None:
            span = calendar.working_days_between(clock.local(captured).date(), clock.local(priced).date())
            to_price.append(float(span))
    warnings_query = select(StageWarning).order_by(StageWarning.id.desc()).limit(20)
    if court_id is not None:
        warnings_query = warnings_query.join(Capture, Capture.id == StageWarning.capture_id).where(*where)
    recent_query = select(Capture).where(*where).order_by(Capture.id.desc()).limit(recent)
    return Figures(
        watch_to_capture_days=Spread.of([float(d) for d in watch_days]),
        seizure_to_price_working_days=Spread.of(to_price),
        stage_days={stage: Spread.of(values) for stage, values in stage_days.items()},
        warnings=list(session.scalars(warnings_query)),
        captures=list(session.scalars(recent_query)),
    )
