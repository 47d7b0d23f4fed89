"""The stage-clock sweep: a deviation warning (偏离预警) for each stage a capture has not reached by its
due day, raised once per capture and stage however often the sweep runs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.core import clock, events, sweeps
from car_enforce.core.calendar.service import PrcCalendar, load_calendar
from car_enforce.core.clock import SHANGHAI
from car_enforce.core.db import Database, insert_once
from car_enforce.core.events import CENTER_STAFF, OFFICER, DomainEvent, Notice
from car_enforce.core.identity.principal import Principal
from car_enforce.stages.models import Stage, StageReached, StageWarning
from car_enforce.stages.service import targets_by_court
from car_enforce.stages.timing import STAGE_ORDER, StageClock, is_late, local_day, stage_clock, warning_text

SWEEPER = Principal.system("stage-sweep")


def _settled(
    session: Session, model: type[StageReached] | type[StageWarning], running: Select[int]
) -> set[tuple[int, Stage]]:
    rows = session.execute(select(model.capture_id, model.stage).where(model.capture_id.in_(running)))
    return {(capture_id, Stage(stage)) for capture_id, stage in rows}


def _late_stages(session: Session, calendar: PrcCalendar, today: date) -> list[tuple[int, StageClock]]:
    """(capture id, clock) of every stage past its due day, neither reached nor warned yet."""
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
    late: list[tuple[int, StageClock]] = []
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
    return late


def _warn(session: Session, calendar: PrcCalendar, today: date, capture_id: int, late: StageClock) -> bool:
    """Raise the warning of one late stage; False when it is no longer due (reached, released, warned)."""
    # The capture's row queues two sweeps (or a sweep and a release) on the same capture, so the
    # second one sees the first one's warning below and raises nothing.
    session.execute(select(Capture.id).where(Capture.id == capture_id).with_for_update())
    capture = session.get(Capture, capture_id, populate_existing=True)
    assert capture is not None
    if capture.status == CaptureStatus.RELEASED:
        return False
    stage = late.stage
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
    text = warning_text(plate, stage, late.due, late.working_days_late)
    # A capture held for a check of its place is at no center yet: the one its coordinates point to is
    # not told that the car stands in its yard.
    held = capture.status == CaptureStatus.HELD
    key = f"stage-deviation:{capture.id}:{stage.value}"
    told = [Notice(OFFICER, capture.watch_id, text, key)]
    if not held:
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
                    "target_working_days": late.target_working_days,
                    "working_days_elapsed": calendar.working_days_between(captured_on, today),
                    "working_days_late": late.working_days_late,
                },
                parties=(capture.court_id,) if held else (capture.court_id, capture.destination_center_id),
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
                "target_working_days": late.target_working_days,
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


def sweep_stage_clocks(database: Database) -> list[tuple[int, Stage]]:
    """The scheduler's stage sweep: each capture's late stages warned in a transaction of its own (the
    capture is the item: its row lock orders two sweeps), safe to rerun and to run twice at once."""
    today = clock.today_local()
    with database.unit_of_work() as session:
        late = _late_stages(session, load_calendar(session), today)
    by_capture: dict[int, list[StageClock]] = {}
    for capture_id, timer in late:
        by_capture.setdefault(capture_id, []).append(timer)

    def warn(session: Session, capture_id: int) -> list[tuple[int, Stage]]:
        calendar = load_calendar(session)
        return [
            (capture_id, timer.stage)
            for timer in by_capture[capture_id]
            if _warn(session, calendar, today, capture_id, timer)
        ]

    return [raised for batch in sweeps.each(database, "stage-clocks", by_capture, warn) for raised in batch]
