"""The stage clocks as pure rules: due days in working days after the capture day, and lateness.

RULES §5: internal targets are working days in the PRC calendar with make-up workdays (调休); a due day
counted over a guessed holiday year is provisional. Nothing here reads the database or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from car_enforce.core import clock
from car_enforce.core.calendar.service import Deadline, PrcCalendar
from car_enforce.core.errors import InvalidInput
from car_enforce.stages.models import Stage

# The order a car goes through the stages; a court's targets may not ask for a later stage sooner.
STAGE_ORDER: tuple[Stage, ...] = (Stage.INTAKE, Stage.INSPECTION, Stage.REFERENCE_PRICE, Stage.LISTING)
MIN_TARGET = 1
MAX_TARGET = 60

# What the stage's work is called in a text to officers and center staff ("应于…前完成检测").
STAGE_WORK: dict[Stage, str] = {
    Stage.INTAKE: "入库",
    Stage.INSPECTION: "检测",
    Stage.REFERENCE_PRICE: "参考价确定",
    Stage.LISTING: "挂拍",
}


# Said of a due day counted over a guessed holiday year (RULES §5: never silently guess).
GUESSED = "（按预估的节假日安排计算）"


class StageStatus(StrEnum):
    PENDING = "pending"  # not reached, and its due day has not passed
    ON_TIME = "on_time"  # reached on or before its due day
    LATE = "late"  # not reached, and its due day has passed (偏离)
    REACHED_LATE = "reached_late"  # reached, but after its due day


@dataclass(frozen=True, slots=True)
class StageClock:
    """One stage of one capture as of a day."""

    stage: Stage
    target_working_days: int
    due: Deadline
    reached_on: date | None
    status: StageStatus
    working_days_used: int  # after the capture day, up to the reaching day (or the day looked at)
    working_days_late: int  # after the due day, up to the reaching day (or the day looked at); 0 if not late


def local_day(instant: datetime) -> date:
    """The Asia/Shanghai date of an instant: stage clocks count from the capture's local day."""
    return clock.local(instant).date()


def due_day(calendar: PrcCalendar, captured_on: date, working_days: int) -> Deadline:
    """The last day to reach a stage: the ``working_days``-th working day after the capture day."""
    return calendar.add_working_days(captured_on, working_days)


def status_of(due_on: date, reached_on: date | None, today: date) -> StageStatus:
    """Late once the due day has passed: the whole due day still counts as in time."""
    if reached_on is not None:
        return StageStatus.ON_TIME if reached_on <= due_on else StageStatus.REACHED_LATE
    return StageStatus.LATE if today > due_on else StageStatus.PENDING


def is_late(due_on: date, reached_on: date | None, today: date) -> bool:
    """Whether the sweep warns: the stage is still not reached and its due day is over."""
    return status_of(due_on, reached_on, today) == StageStatus.LATE


def stage_clock(
    calendar: PrcCalendar,
    *,
    stage: Stage,
    captured_on: date,
    working_days: int,
    reached_on: date | None,
    today: date,
) -> StageClock:
    due = due_day(calendar, captured_on, working_days)
    end = reached_on if reached_on is not None else today
    status = status_of(due.on, reached_on, today)
    late = status in (StageStatus.LATE, StageStatus.REACHED_LATE)
    return StageClock(
        stage=stage,
        target_working_days=working_days,
        due=due,
        reached_on=reached_on,
        status=status,
        working_days_used=calendar.working_days_between(captured_on, end),
        working_days_late=calendar.working_days_between(due.on, end) if late else 0,
    )


def stage_clocks(
    calendar: PrcCalendar,
    *,
    captured_on: date,
    targets: Mapping[Stage, int],
    reached: Mapping[Stage, date],
    today: date,
) -> list[StageClock]:
    """Every stage of a capture, in stage order; ``targets`` must name every stage."""
    return [
        stage_clock(
            calendar,
            stage=stage,
            captured_on=captured_on,
            working_days=targets[stage],
            reached_on=reached.get(stage),
            today=today,
        )
        for stage in STAGE_ORDER
    ]


# The stages as a court officer names them, for refusals read at a page.
STAGE_NAMES_ZH: dict[Stage, str] = {
    Stage.INTAKE: "入库",
    Stage.INSPECTION: "检测",
    Stage.REFERENCE_PRICE: "确定参考价",
    Stage.LISTING: "挂拍",
}


def check_targets(targets: Mapping[Stage, int]) -> None:
    """A court's effective targets: each 1..60 working days, never sooner for a later stage.

    Raises ``InvalidInput`` naming the first stage that breaks the rule.
    """
    previous: Stage | None = None
    for stage in STAGE_ORDER:
        days = targets[stage]
        if isinstance(days, bool) or not MIN_TARGET <= days <= MAX_TARGET:
            raise InvalidInput(
                stage.value,
                f"must be {MIN_TARGET} to {MAX_TARGET} working days, not {days}",
                zh=f"应为 {MIN_TARGET} 至 {MAX_TARGET} 个工作日",
            )
        if previous is not None and days < targets[previous]:
            raise InvalidInput(
                stage.value,
                f"{days} working days is sooner than {previous.value} ({targets[previous]}); "
                "a later stage cannot be due before an earlier one",
                zh=f"{days} 个工作日早于前一环节“{STAGE_NAMES_ZH[previous]}”的 {targets[previous]} 个工作日；"
                "后一环节的期限不能早于前一环节",
            )
        previous = stage


def overdue_text(working_days_late: int) -> str:
    """How late, in the words of the text message; a due day followed only by rest days is late by 0."""
    if working_days_late > 0:
        return f"现已超期{working_days_late}个工作日"
    return "现已超期"


def warning_text(plate: str, stage: Stage, due: Deadline, working_days_late: int) -> str:
    """The deviation warning (偏离预警) in plain Chinese, without the sender's 【…】 signature."""
    guessed = GUESSED if due.provisional else ""
    return (
        f"偏离预警：扣押车辆{plate}应于{due.on.month}月{due.on.day}日前完成{STAGE_WORK[stage]}{guessed}，"
        f"{overdue_text(working_days_late)}。"
    )
