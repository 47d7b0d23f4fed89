"""The capture's status machine as a table: the transport leg now, custody (入库) in the next stage."""

from __future__ import annotations

from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.errors import Conflict

# verb -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[CaptureStatus], CaptureStatus]] = {
    "arrive": (frozenset({CaptureStatus.IN_TRANSIT}), CaptureStatus.ARRIVED),
}

# A car in a capture with one of these statuses is held by the platform: it cannot be captured again.
HELD: frozenset[CaptureStatus] = frozenset({CaptureStatus.IN_TRANSIT, CaptureStatus.ARRIVED})


class CaptureStateConflict(Conflict):
    pass


def can(verb: str, status: CaptureStatus | str) -> bool:
    return status in TRANSITIONS[verb][0]


def move(capture: Capture, verb: str) -> CaptureStatus:
    """Check the guard and set the new status; the previous status is returned."""
    sources, target = TRANSITIONS[verb]
    if capture.status not in sources:
        allowed = " or ".join(sorted(sources))
        raise CaptureStateConflict(
            f"capture {capture.id} is {capture.status}; only a capture that is {allowed} can {verb}"
        )
    previous = CaptureStatus(capture.status)
    capture.status = target
    return previous
