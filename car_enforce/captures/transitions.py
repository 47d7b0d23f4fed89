"""The capture's status machine as a table: the transport leg now, custody (入库) in the next stage."""

from __future__ import annotations

from car_enforce.captures.models import CaptureStatus
from car_enforce.errors import Conflict
from car_enforce.status_machine import StatusMachine

# verb -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[CaptureStatus], CaptureStatus]] = {
    "arrive": (frozenset({CaptureStatus.IN_TRANSIT}), CaptureStatus.ARRIVED),
}

# A car in a capture with one of these statuses is held by the platform: it cannot be captured again.
HELD: frozenset[CaptureStatus] = frozenset({CaptureStatus.IN_TRANSIT, CaptureStatus.ARRIVED})


class CaptureStateConflict(Conflict):
    pass


MACHINE = StatusMachine("capture", TRANSITIONS, CaptureStatus, CaptureStateConflict)
can = MACHINE.can
move = MACHINE.move
