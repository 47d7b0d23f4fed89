"""The alert's status machine as a table: which verb may move an alert from which status to which."""

from __future__ import annotations

from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine
from car_enforce.sightings.models import AlertStatus

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


STATUS_NAMES_ZH: dict[str, str] = {
    AlertStatus.PENDING: "待核实",
    AlertStatus.OPEN: "已推送交警",
    AlertStatus.REJECTED: "已排除",
    AlertStatus.CLOSED: "已关闭",
    AlertStatus.LATE: "迟报记录",
}

MACHINE = StatusMachine(
    "alert", TRANSITIONS, AlertStatus, AlertStateConflict, noun_zh="预警", status_names_zh=STATUS_NAMES_ZH
)
can = MACHINE.can
move = MACHINE.move
