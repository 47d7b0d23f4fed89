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


MACHINE = StatusMachine("work item", TRANSITIONS, WorkStatus, WorkStateConflict)
can = MACHINE.can
move = MACHINE.move
