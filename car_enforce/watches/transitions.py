"""The watch's status machine as a table: which verb may move a watch from which status to which."""

from __future__ import annotations

from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine
from car_enforce.watches.models import WatchStatus

# verb -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[WatchStatus], WatchStatus]] = {
    "activate": (frozenset({WatchStatus.QUEUED}), WatchStatus.ACTIVE),
    "renew": (frozenset({WatchStatus.ACTIVE}), WatchStatus.ACTIVE),
    "lift": (frozenset({WatchStatus.ACTIVE, WatchStatus.QUEUED}), WatchStatus.LIFTED),
    "lapse": (frozenset({WatchStatus.ACTIVE}), WatchStatus.LAPSED),
    # A capture fulfils the active watch, or a queued one when no watch is active.
    "fulfil": (frozenset({WatchStatus.ACTIVE, WatchStatus.QUEUED}), WatchStatus.FULFILLED),
    # The car leaves custody on the court's order: the fulfilled watch ends; a sale also ends the
    # queued watches of other courts, whose seizures lapse with it (查封规定 Art. 27).
    "release": (frozenset({WatchStatus.FULFILLED, WatchStatus.QUEUED}), WatchStatus.RELEASED),
}


class WatchStateConflict(Conflict):
    pass


STATUS_NAMES_ZH: dict[str, str] = {
    WatchStatus.QUEUED: "轮候",
    WatchStatus.ACTIVE: "布控中",
    WatchStatus.LIFTED: "已解除",
    WatchStatus.LAPSED: "已失效",
    WatchStatus.FULFILLED: "已查获",
    WatchStatus.RELEASED: "已放行",
}

MACHINE = StatusMachine(
    "watch", TRANSITIONS, WatchStatus, WatchStateConflict, noun_zh="布控", status_names_zh=STATUS_NAMES_ZH
)
can = MACHINE.can
move = MACHINE.move
