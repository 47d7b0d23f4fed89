"""The status machines of custody: the car held at the center, and the court's order that lets it out."""

from __future__ import annotations

from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine
from car_enforce.custody.models import CustodyStatus, ReleaseOrderStatus

# verb -> (statuses it may start from, status it leads to)
CUSTODY_TRANSITIONS: dict[str, tuple[frozenset[CustodyStatus], CustodyStatus]] = {
    # The car leaves the gate on an issued release order (出库); nothing brings it back into this custody.
    "release": (frozenset({CustodyStatus.IN_CUSTODY}), CustodyStatus.RELEASED),
}

ORDER_TRANSITIONS: dict[str, tuple[frozenset[ReleaseOrderStatus], ReleaseOrderStatus]] = {
    "execute": (frozenset({ReleaseOrderStatus.ISSUED}), ReleaseOrderStatus.EXECUTED),
    "revoke": (frozenset({ReleaseOrderStatus.ISSUED}), ReleaseOrderStatus.REVOKED),
}


class CustodyStateConflict(Conflict):
    pass


class ReleaseOrderStateConflict(Conflict):
    pass


CUSTODY = StatusMachine("custody", CUSTODY_TRANSITIONS, CustodyStatus, CustodyStateConflict)
ORDER = StatusMachine("release order", ORDER_TRANSITIONS, ReleaseOrderStatus, ReleaseOrderStateConflict)
