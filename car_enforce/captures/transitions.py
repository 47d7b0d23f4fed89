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


# As the pages name them (the police unit's captures, the case page).
STATUS_NAMES_ZH: dict[str, str] = {
    CaptureStatus.HELD: "地点待核实",
    CaptureStatus.IN_TRANSIT: "送往辅助中心途中",
    CaptureStatus.ARRIVED: "已运抵辅助中心",
    CaptureStatus.IN_CUSTODY: "已入库保管",
    CaptureStatus.RELEASED: "已出库",
}

MACHINE = StatusMachine(
    "capture",
    TRANSITIONS,
    CaptureStatus,
    CaptureStateConflict,
    noun_zh="扣押",
    status_names_zh=STATUS_NAMES_ZH,
)
can = MACHINE.can
move = MACHINE.move


def status_zh(status: str) -> str:
    """A capture's status by its Chinese name, for refusals read at a page."""
    return STATUS_NAMES_ZH.get(status, status)
