"""The alert's status machine as a table: which verb may move an alert from which status to which."""

from __future__ import annotations

from car_enforce.errors import Conflict
from car_enforce.sightings.models import Alert, AlertStatus

# verb -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[AlertStatus], AlertStatus]] = {
    "confirm": (frozenset({AlertStatus.PENDING}), AlertStatus.OPEN),
    # An exact read joining a pass that so far matched only through look-alikes settles it.
    "upgrade": (frozenset({AlertStatus.PENDING}), AlertStatus.OPEN),
    "reject": (frozenset({AlertStatus.PENDING}), AlertStatus.REJECTED),
    "close": (frozenset({AlertStatus.PENDING, AlertStatus.OPEN}), AlertStatus.CLOSED),
}


class AlertStateConflict(Conflict):
    pass


def can(verb: str, status: AlertStatus | str) -> bool:
    return status in TRANSITIONS[verb][0]


def move(alert: Alert, verb: str) -> AlertStatus:
    """Check the guard and set the new status; the previous status is returned."""
    sources, target = TRANSITIONS[verb]
    if alert.status not in sources:
        allowed = " or ".join(sorted(sources))
        raise AlertStateConflict(
            f"alert {alert.id} is {alert.status}; only an alert that is {allowed} can {verb}"
        )
    previous = AlertStatus(alert.status)
    alert.status = target
    return previous
