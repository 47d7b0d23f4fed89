"""The law's two deadlines around the reference price, as pure rules beside the courts' targets.

参考价规定 Art. 1: the court starts the reference-price procedure within 30 days of the seizure; Art. 30: it
starts disposal (the sale) within 10 days after the reference price is fixed (RULES §1, last two rows).
Both are court periods (民诉法 Art. 85, RULES §5): calendar days, the first day not counted, a period that
ends on a rest day ends on the next working day. No court may move them, so they have no target and no
place in ``STAGE_ORDER``. The seizure is the capture (扣押): the day the car came under the court's control.
Nothing here reads the database or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from car_enforce.core import zh
from car_enforce.core.calendar.service import Deadline, PrcCalendar
from car_enforce.stages.models import LegalDeadline, Marker, Milestone, Stage
from car_enforce.stages.timing import GUESSED, StageStatus, status_of

# valuation/reference_price/rules.py holds the same numbers (START_WITHIN_DAYS, DISPOSAL_WITHIN_DAYS) for the
# reference price's own rules; stages sit below valuation and may not import it, so a test checks they agree.
INQUIRY_WITHIN_DAYS = 30  # 参考价规定 Art. 1: the procedure starts within 30 days of the seizure
DISPOSAL_WITHIN_DAYS = 10  # 参考价规定 Art. 30: disposal starts within 10 days after the price is fixed
# auction/settlement/rules.py holds these two for the sale's own rules; a test checks they agree.
RULING_WITHIN_DAYS = 10  # 拍卖变卖规定 Art. 20: the ruling served within 10 days after full payment
HANDOVER_WITHIN_DAYS = 15  # 拍卖变卖规定 Art. 27: the car handed over within 15 days after service


@dataclass(frozen=True, slots=True)
class LegalRule:
    days: int  # calendar days after the day the period runs from
    article: str  # as a text cites it
    duty: str  # what the court must start (or do), in the article's words
    verb: str = "启动"  # 启动 a procedure, 完成 an act


LEGAL_RULES: dict[LegalDeadline, LegalRule] = {
    LegalDeadline.INQUIRY_STARTED: LegalRule(
        INQUIRY_WITHIN_DAYS, "《参考价规定》第一条", "确定财产处置参考价程序"
    ),
    LegalDeadline.DISPOSAL_STARTED: LegalRule(DISPOSAL_WITHIN_DAYS, "《参考价规定》第三十条", "财产变价程序"),
    LegalDeadline.RULING_SERVED: LegalRule(
        RULING_WITHIN_DAYS, "《拍卖变卖规定》第二十条", "送达成交裁定", verb="完成"
    ),
    LegalDeadline.HANDED_OVER: LegalRule(
        HANDOVER_WITHIN_DAYS, "《拍卖变卖规定》第二十七条", "车辆移交买受人", verb="完成"
    ),
}


@dataclass(frozen=True, slots=True)
class LegalClock:
    """One legal deadline of one capture as of a day."""

    deadline: LegalDeadline
    starts_on: date  # the day the period runs from, itself not counted: the seizure's, or the price's
    due: Deadline
    met_on: date | None
    status: StageStatus
    days_late: (
        int  # calendar days after the due day up to the meeting day (or the day looked at); 0 if not late
    )

    @property
    def rule(self) -> LegalRule:
        return LEGAL_RULES[self.deadline]


def legal_clock(
    calendar: PrcCalendar, deadline: LegalDeadline, *, starts_on: date, met_on: date | None, today: date
) -> LegalClock:
    due = calendar.court_period_end(starts_on, LEGAL_RULES[deadline].days)
    status = status_of(due.on, met_on, today)
    end = met_on if met_on is not None else today
    late = status in (StageStatus.LATE, StageStatus.REACHED_LATE)
    return LegalClock(
        deadline=deadline,
        starts_on=starts_on,
        due=due,
        met_on=met_on,
        status=status,
        days_late=(end - due.on).days if late else 0,
    )


def legal_clocks(
    calendar: PrcCalendar,
    *,
    captured_on: date,
    reached_on: Mapping[Milestone, date],
    today: date,
) -> list[LegalClock]:
    """The capture's legal deadlines, each once its period has a day to run from: the inquiry's from the
    seizure, disposal's from the price fixed, the ruling's from full payment, the handover's from service."""
    starts = {
        LegalDeadline.INQUIRY_STARTED: captured_on,
        LegalDeadline.DISPOSAL_STARTED: reached_on.get(Stage.REFERENCE_PRICE),
        LegalDeadline.RULING_SERVED: reached_on.get(Marker.PAID_IN_FULL),
        LegalDeadline.HANDED_OVER: reached_on.get(LegalDeadline.RULING_SERVED),
    }
    met = {d: on for d, on in reached_on.items() if isinstance(d, LegalDeadline)}
    return [
        legal_clock(calendar, deadline, starts_on=starts_on, met_on=met.get(deadline), today=today)
        for deadline, starts_on in starts.items()
        if starts_on is not None
    ]


def legal_warning_text(plate: str, late: LegalClock) -> str:
    """The deviation warning (偏离预警) of a missed legal deadline, naming its article; late by calendar
    days, as the law counts."""
    rule = late.rule
    guessed = GUESSED if late.due.provisional else ""
    return (
        f"偏离预警：扣押车辆{plate}应于{zh.day(late.due.on)}前{rule.verb}{rule.duty}{guessed}（{rule.article}），"
        f"现已逾期{late.days_late}日。"
    )


# The stages and markers a legal period runs from (besides the capture itself).
LEGAL_STARTS: tuple[str, ...] = (Stage.REFERENCE_PRICE, Marker.PAID_IN_FULL, LegalDeadline.RULING_SERVED)
