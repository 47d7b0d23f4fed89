"""The capture's status machine as a table: the transport leg, then custody (入库) until release (出库)."""

from __future__ import annotations

from car_enforce.captures.models import CaptureStatus
from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine

# verb -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[CaptureStatus], CaptureStatus]] = {
    # A capture held for its place starts its transport leg only once the place is confirmed or corrected.
    "confirm_place": (frozenset({CaptureStatus.HELD}), CaptureStatus.IN_TRANSIT),
    "arrive": (frozenset({CaptureStatus.IN_TRANSIT}), CaptureStatus.ARRIVED),
    "take_in": (frozenset({CaptureStatus.ARRIVED}), CaptureStatus.IN_CUSTODY),
    "release": (frozenset({CaptureStatus.IN_CUSTODY}), CaptureStatus.RELEASED),
}

# A car in a capture with one of these statuses is held by the platform: it cannot be captured again.
# A capture held for its place counts: the car is seized, only the report's coordinates are in doubt.
HELD: frozenset[CaptureStatus] = frozenset(
    {CaptureStatus.HELD, CaptureStatus.IN_TRANSIT, CaptureStatus.ARRIVED, CaptureStatus.IN_CUSTODY}
)


class CaptureStateConflict(Conflict):
    pass


MACHINE = StatusMachine("capture", TRANSITIONS, CaptureStatus, CaptureStateConflict)
can = MACHINE.can
move = MACHINE.move
