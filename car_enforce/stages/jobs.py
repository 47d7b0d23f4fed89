"""The stage-clock sweep: a deviation warning (偏离预警) for each stage a capture has not reached by its
due day, and for each legal deadline it has not met by its due day, raised once per capture and stage (or
deadline) however often the sweep runs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.core import clock, events, sweeps
from car_enforce.core.calendar.service import PrcCalendar, load_calendar
from car_enforce.core.clock import SHANGHAI
from car_enforce.core.db import Database, insert_once
from car_enforce.core.events import CENTER_STAFF, OFFICER, DomainEvent, Notice
from car_enforce.core.identity.principal import Principal
from car_enforce.stages.legal import LEGAL_STARTS, LegalClock, legal_clocks, legal_warning_text
from car_enforce.stages.models import Milestone, StageReached, StageWarning, milestone
from car_enforce.stages.service import targets_by_court
from car_enforce.stages.timing import STAGE_ORDER, StageClock, is_late, local_day, stage_clock, warning_text

SWEEPER = Principal.system("stage-sweep")

# A stage past its court's target, or a legal deadline past its day.
Late = StageClock | LegalClock


def _milestone(late: Late) -> Milestone:
    return late.stage if isinstance(late, StageClock) else late.deadline


def _settled(
    session: Session, model: type[StageReached] | type[StageWarning], running: Select[int]
) -> set[tuple[int, Milestone]]:
    rows = session.execute(select(model.capture_id, model.stage).where(model.capture_id.in_(running)))
    return {(capture_id, milestone(stage)) for capture_id, stage in rows}


def _late(session: Session, calendar: PrcCalendar, today: date) -> list[tuple[int, Late]]:
    """(capture id, clock) of every stage and legal deadline past its due day, neither reached nor warned."""
    # A due day is at least the day after the capture day, and a stage is late only after its due day:
    # a capture made since the start of yesterday (local) cannot be late, so it is not even counted.
    cutoff = datetime.combine(today - timedelta(days=1), time.min, tzinfo=SHANGHAI)
    where = (Capture.status != CaptureStatus.RELEASED, Capture.captured_at < cutoff)
    running = list(
        session.execute(
            select(Capture.id, Capture.court_id, Capture.captured_at).where(*where).order_by(Capture.id)
        )
    )
    if not running:
        return []
    ids = select(Capture.id).where(*where)
    reached = _settled(session, StageReached, ids)
    warned = _settled(session, StageWarning, ids)
    targets = targets_by_court(session, (court_id for _, court_id, _ in running))
    # The legal periods run from a stage or a marker reached (the price fixed, the price paid in full, the
    # ruling served): their days, by capture.
    starts: dict[int, dict[Milestone, date]] = {}
    for capture_id, stage, at in session.execute(
        select(StageReached.capture_id, StageReached.stage, StageReached.reached_at).where(
            StageReached.capture_id.in_(ids), StageReached.stage.in_(LEGAL_STARTS)
        )
    ):
        starts.setdefault(capture_id, {})[milestone(stage)] = local_day(at)
    late: list[tuple[int, Late]] = []
    for capture_id, court_id, captured_at in running:
        captured_on = local_day(captured_at)
        for stage in STAGE_ORDER:
            if (capture_id, stage) in reached or (capture_id, stage) in warned:
                continue
            # A stage whose predecessor is not reached yet is warned too: it is late all the same.
            timer = stage_clock(
                calendar,
                stage=stage,
                captured_on=captured_on,
                working_days=targets[court_id][stage],
                reached_on=None,
                today=today,
            )
            if is_late(timer.due.on, None, today):
                late.append((capture_id, timer))
        # A met deadline is skipped below (it is in ``reached``), so only the starts are passed.
        for legal in legal_clocks(
            calendar, captured_on=captured_on, reached_on=starts.get(capture_id, {}), today=today
        ):
            settled = (capture_id, legal.deadline) in reached or (capture_id, legal.deadline) in warned
            if not settled and is_late(legal.due.on, None, today):
                late.append((capture_id, legal))
    return late


def _described(
    calendar: PrcCalendar, today: date, plate: str, captured_on: date, late: Late
) -> tuple[str, int, dict[str, Any]]:
    """The warning's text, the days it was measured against, and what its event says of the lateness."""
    if isinstance(late, StageClock):
        return (
            warning_text(plate, late.stage, late.due, late.working_days_late),
            late.target_working_days,
            {
                "target_working_days": late.target_working_days,
                "working_days_elapsed": calendar.working_days_between(captured_on, today),
                "working_days_late": late.working_days_late,
            },
        )
    return (
        legal_warning_text(plate, late),
        late.rule.days,
        {
            "article": late.rule.article,
            "starts_on": late.starts_on,
            "period_days": late.rule.days,
            "days_late": late.days_late,
        },
    )


def _warn(session: Session, calendar: PrcCalendar, today: date, capture_id: int, late: Late) -> bool:
    """Raise the warning of one late stage or missed legal deadline; False when it is no longer due
    (reached, released, warned)."""
    # The capture's row queues two sweeps (or a sweep and a release) on the same capture, so the
    # second one sees the first one's warning below and raises nothing.
    session.execute(select(Capture.id).where(Capture.id == capture_id).with_for_update())
    capture = session.get(Capture, capture_id, populate_existing=True)
    assert capture is not None
    if capture.status == CaptureStatus.RELEASED:
        return False
    stage = _milestone(late)
    settled = select(StageWarning.id).where(
        StageWarning.capture_id == capture_id, StageWarning.stage == stage
    )
    reached = select(StageReached.id).where(
        StageReached.capture_id == capture_id, StageReached.stage == stage
    )
    if session.scalar(settled) is not None or session.scalar(reached) is not None:
        return False
    captured_on = local_day(capture.captured_at)
    plate = capture.vehicle.plate
    text, target_days, measure = _described(calendar, today, plate, captured_on, late)
    # A capture held for a check of its place is at no center yet: the one its coordinates point to is
    # not told that the car stands in its yard. A legal deadline is the court's duty alone: no center
    # can start a price inquiry or a sale, so none is told.
    held = capture.status == CaptureStatus.HELD
    to_center = not held and isinstance(late, StageClock)
    key = f"stage-deviation:{capture.id}:{stage.value}"
    told = [Notice(OFFICER, capture.watch_id, text, key)]
    if to_center:
        told.append(Notice(CENTER_STAFF, capture.destination_center_id, text, f"{key}:user"))
    with session.begin_nested() as savepoint:
        event = events.record(
            session,
            SWEEPER,
            DomainEvent(
                kind="stage.deviation",
                subject=f"capture:{capture.id}",
                case_id=capture.case_id,
                reason="偏离预警",
                data={
                    "capture_id": capture.id,
                    "plate": plate,
                    "stage": stage.value,
                    "captured_on": captured_on,
                    "due_on": late.due.on,
                    "provisional": late.due.provisional,
                    **measure,
                },
                parties=(capture.court_id, capture.destination_center_id)
                if to_center
                else (capture.court_id,),
                notices=tuple(told),
            ),
        )
        warning = insert_once(
            session,
            StageWarning,
            {
                "capture_id": capture.id,
                "stage": stage,
                "due_on": late.due.on,
                "due_provisional": late.due.provisional,
                "target_working_days": target_days,
                "raised_at": clock.now(),
                "timeline_event_id": event.id,
            },
            ["capture_id", "stage"],
        )
        if warning is None:
            # Raised by someone who did not take the capture's lock: keep the timeline, the webhooks and
            # the texts free of a twin (they were queued in the savepoint).
            savepoint.rollback()
            return False
    return True


def sweep_stage_clocks(database: Database) -> list[tuple[int, Milestone]]:
    """The scheduler's stage sweep: each capture's late stages and missed legal deadlines warned in a
    transaction of its own (the capture is the item: its row lock orders two sweeps), safe to rerun and to
    run twice at once."""
    today = clock.today_local()
    with database.unit_of_work() as session:
        late = _late(session, load_calendar(session), today)
    by_capture: dict[int, list[Late]] = {}
    for capture_id, timer in late:
        by_capture.setdefault(capture_id, []).append(timer)

    def warn(session: Session, capture_id: int) -> list[tuple[int, Milestone]]:
        calendar = load_calendar(session)
        return [
            (capture_id, _milestone(timer))
            for timer in by_capture[capture_id]
            if _warn(session, calendar, today, capture_id, timer)
        ]

    return [raised for batch in sweeps.each(database, "stage-clocks", by_capture, warn) for raised in batch]
