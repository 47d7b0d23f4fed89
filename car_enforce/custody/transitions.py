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


CUSTODY_STATUS_NAMES_ZH: dict[str, str] = {CustodyStatus.IN_CUSTODY: "在库", CustodyStatus.RELEASED: "已出库"}
# As the release page names them.
ORDER_STATUS_NAMES_ZH: dict[str, str] = {
    ReleaseOrderStatus.ISSUED: "待执行",
    ReleaseOrderStatus.EXECUTED: "已执行",
    ReleaseOrderStatus.REVOKED: "已撤销",
}

CUSTODY = StatusMachine(
    "custody",
    CUSTODY_TRANSITIONS,
    CustodyStatus,
    CustodyStateConflict,
    noun_zh="保管记录",
    status_names_zh=CUSTODY_STATUS_NAMES_ZH,
)
ORDER = StatusMachine(
    "release order",
    ORDER_TRANSITIONS,
    ReleaseOrderStatus,
    ReleaseOrderStateConflict,
    noun_zh="放行通知",
    status_names_zh=ORDER_STATUS_NAMES_ZH,
)
