"""A piece of long work's status machine: confirmed from its draft, claimed by a runner, finished."""

from __future__ import annotations

from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine
from car_enforce.core.work.models import WorkStatus

# verb -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[WorkStatus], WorkStatus]] = {
    "confirm": (frozenset({WorkStatus.DRAFT}), WorkStatus.QUEUED),
    "cancel": (frozenset({WorkStatus.DRAFT}), WorkStatus.CANCELLED),
    # A runner takes it; RUNNING again when the runner before it died and its claim ran out.
    "claim": (frozenset({WorkStatus.QUEUED, WorkStatus.RUNNING}), WorkStatus.RUNNING),
    "complete": (frozenset({WorkStatus.RUNNING}), WorkStatus.DONE),
    "fail": (frozenset({WorkStatus.RUNNING}), WorkStatus.FAILED),
    # An unexpected error: tried again, up to the runner's limit.
    "requeue": (frozenset({WorkStatus.RUNNING}), WorkStatus.QUEUED),
}


class WorkStateConflict(Conflict):
    pass


# As the work pages name them.
STATUS_NAMES_ZH: dict[str, str] = {
    WorkStatus.DRAFT: "待确认",
    WorkStatus.QUEUED: "排队中",
    WorkStatus.RUNNING: "处理中",
    WorkStatus.DONE: "已完成",
    WorkStatus.FAILED: "失败",
    WorkStatus.CANCELLED: "已取消",
}

MACHINE = StatusMachine(
    "work item", TRANSITIONS, WorkStatus, WorkStateConflict, noun_zh="任务", status_names_zh=STATUS_NAMES_ZH
)
can = MACHINE.can
move = MACHINE.move
