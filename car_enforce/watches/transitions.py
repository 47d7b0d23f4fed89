"""The watch's status machine as a table: which verb may move a watch from which status to which."""

from __future__ import annotations

from car_enforce.errors import Conflict
from car_enforce.watches.models import Watch, WatchStatus

# verb -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[WatchStatus], WatchStatus]] = {
    "activate": (frozenset({WatchStatus.QUEUED}), WatchStatus.ACTIVE),
    "renew": (frozenset({WatchStatus.ACTIVE}), WatchStatus.ACTIVE),
    "lift": (frozenset({WatchStatus.ACTIVE, WatchStatus.QUEUED}), WatchStatus.LIFTED),
    "lapse": (frozenset({WatchStatus.ACTIVE}), WatchStatus.LAPSED),
    # A capture fulfils the active watch, or a queued one when no watch is active.
    "fulfil": (frozenset({WatchStatus.ACTIVE, WatchStatus.QUEUED}), WatchStatus.FULFILLED),
}


class WatchStateConflict(Conflict):
    pass


def can(verb: str, status: WatchStatus | str) -> bool:
    return status in TRANSITIONS[verb][0]


def move(watch: Watch, verb: str, *, rule: str | None = None) -> WatchStatus:
    """Check the guard and set the new status; the previous status is returned."""
    sources, target = TRANSITIONS[verb]
    if watch.status not in sources:
        allowed = " or ".join(sorted(sources))
        raise WatchStateConflict(
            f"watch {watch.id} is {watch.status}; only a watch that is {allowed} can {verb}", rule=rule
        )
    previous = WatchStatus(watch.status)
    watch.status = target
    return previous
