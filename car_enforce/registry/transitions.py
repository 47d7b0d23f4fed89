"""The registry request's status machine as a table: which verb moves a request from which status to which."""

from __future__ import annotations

from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine
from car_enforce.registry.models import RequestStatus as S

# verb -> (statuses it may start from, status it leads to). The registry's word settles a request even after
# the platform gave up on it: the act happened there (an answer lost to every try, then a callback).
TRANSITIONS: dict[str, tuple[frozenset[S], S]] = {
    "send": (frozenset({S.QUEUED}), S.SENT),  # a transfer taken up, to be done in its working day
    "finish": (frozenset({S.QUEUED, S.SENT, S.FAILED}), S.DONE),
    "refuse": (frozenset({S.QUEUED, S.SENT, S.FAILED}), S.REFUSED),
    "fail": (frozenset({S.QUEUED, S.SENT}), S.FAILED),
}


class RegistryRequestConflict(Conflict):
    pass


STATUS_NAMES_ZH: dict[str, str] = {
    S.QUEUED: "待发送",
    S.SENT: "车管所办理中",
    S.DONE: "已办结",
    S.REFUSED: "车管所不予办理",
    S.FAILED: "发送失败",
}

MACHINE = StatusMachine(
    "registry request",
    TRANSITIONS,
    S,
    RegistryRequestConflict,
    noun_zh="车管所协助执行事项",
    status_names_zh=STATUS_NAMES_ZH,
)
can = MACHINE.can
move = MACHINE.move
