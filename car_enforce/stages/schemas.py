"""Request and response shapes for court stage targets and a capture's stage clocks and legal deadlines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from car_enforce.stages.legal import LegalClock
from car_enforce.stages.models import LegalDeadline, Stage
from car_enforce.stages.service import DEFAULT_TARGETS, CaptureClock, Target
from car_enforce.stages.timing import MAX_TARGET, MIN_TARGET, StageStatus

# strict: "3" or 3.5 is a malformed target, not one to coerce.
WorkingDays = Annotated[int, Field(ge=MIN_TARGET, le=MAX_TARGET, strict=True)]
_TARGET_DOC = "Working days after the capture day; omit or null for the platform default"


class StageTargetsIn(BaseModel):
    """A court's targets as a whole (PUT): a later stage never fewer working days than the one before."""

    model_config = ConfigDict(extra="forbid")

    intake: WorkingDays | None = Field(default=None, description=_TARGET_DOC, examples=[1])
    inspection: WorkingDays | None = Field(default=None, description=_TARGET_DOC, examples=[3])
    reference_price: WorkingDays | None = Field(default=None, description=_TARGET_DOC, examples=[4])
    listing: WorkingDays | None = Field(default=None, description=_TARGET_DOC, examples=[5])

    def wanted(self) -> dict[Stage, int | None]:
        return {stage: getattr(self, stage.value) for stage in Stage}


class StageTargetOut(BaseModel):
    stage: Stage
    working_days: int
    is_default: bool = Field(description="The court set no target of its own: the platform default applies")
    default_working_days: int
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, t: Target) -> StageTargetOut:
        return cls(
            stage=t.stage,
            working_days=t.working_days,
            is_default=t.is_default,
            default_working_days=DEFAULT_TARGETS[t.stage],
            updated_at=t.row.updated_at if t.row is not None else None,
            updated_by=t.row.updated_by if t.row is not None else None,
        )


class StageTargetsOut(BaseModel):
    court_id: int
    stages: list[StageTargetOut]

    @classmethod
    def of(cls, court_id: int, targets: list[Target]) -> StageTargetsOut:
        return cls(court_id=court_id, stages=[StageTargetOut.of(t) for t in targets])


class StageClockOut(BaseModel):
    stage: Stage
    target_working_days: int
    target_is_default: bool
    due_on: date = Field(description="The last day to reach the stage, in Asia/Shanghai")
    due_provisional: bool = Field(description="Counted over a year whose holidays are only guessed")
    reached_at: datetime | None
    working_days_used: int = Field(
        description="Working days after the capture day up to the reaching day, or up to `as_of`"
    )
    working_days_late: int = Field(description="Working days past the due day (0 when not late)")
    status: StageStatus
    warning_raised_at: datetime | None = Field(description="When the deviation warning (偏离预警) went out")


class LegalDeadlineOut(BaseModel):
    deadline: LegalDeadline
    article: str = Field(description="The article that sets the deadline", examples=["《参考价规定》第一条"])
    period_days: int = Field(description="Calendar days, counted as a court period (民诉法 Art. 85)")
    starts_on: date = Field(
        description="The day the period runs from, itself not counted: the seizure (capture) day for "
        "inquiry_started, the day the reference price was fixed for disposal_started"
    )
    due_on: date = Field(description="The last day, moved off a rest day to the next working day")
    due_provisional: bool = Field(description="Counted over a year whose holidays are only guessed")
    met_at: datetime | None
    days_late: int = Field(description="Calendar days past the due day (0 when not late)")
    status: StageStatus
    warning_raised_at: datetime | None = Field(description="When the deviation warning (偏离预警) went out")

    @classmethod
    def of(cls, c: CaptureClock, legal: LegalClock) -> LegalDeadlineOut:
        return cls(
            deadline=legal.deadline,
            article=legal.rule.article,
            period_days=legal.rule.days,
            starts_on=legal.starts_on,
            due_on=legal.due.on,
            due_provisional=legal.due.provisional,
            met_at=c.reached_at.get(legal.deadline),
            days_late=legal.days_late,
            status=legal.status,
            warning_raised_at=c.warned_at.get(legal.deadline),
        )


class CaptureStagesOut(BaseModel):
    capture_id: int
    case_id: int
    court_id: int
    plate: str
    captured_at: datetime
    captured_on: date = Field(description="The capture's day in Asia/Shanghai: the clocks count after it")
    as_of: date = Field(description="Today, or the release day once the capture is released")
    running: bool = Field(description="False once the car is released: the clocks stopped")
    stages: list[StageClockOut]
    legal_deadlines: list[LegalDeadlineOut] = Field(
        description="The law's deadlines (参考价规定 Art. 1, 30); disposal_started once the price is fixed"
    )

    @classmethod
    def of(cls, c: CaptureClock) -> CaptureStagesOut:
        defaults = {t.stage: t.is_default for t in c.targets}
        return cls(
            capture_id=c.capture.id,
            case_id=c.capture.case_id,
            court_id=c.capture.court_id,
            plate=c.capture.vehicle.plate,
            captured_at=c.capture.captured_at,
            captured_on=c.captured_on,
            as_of=c.as_of,
            running=c.running,
            stages=[
                StageClockOut(
                    stage=s.stage,
                    target_working_days=s.target_working_days,
                    target_is_default=defaults[s.stage],
                    due_on=s.due.on,
                    due_provisional=s.due.provisional,
                    reached_at=c.reached_at.get(s.stage),
                    working_days_used=s.working_days_used,
                    working_days_late=s.working_days_late,
                    status=s.status,
                    warning_raised_at=c.warned_at.get(s.stage),
                )
                for s in c.stages
            ],
            legal_deadlines=[LegalDeadlineOut.of(c, legal) for legal in c.legal],
        )
