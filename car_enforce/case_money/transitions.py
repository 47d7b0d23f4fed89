"""The payout's status machine: one verb per transition."""

from __future__ import annotations

from car_enforce.case_money.models import PayoutStatus as S
from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine


class PayoutStateConflict(Conflict):
    pass


PAYOUT = StatusMachine(
    "payout",
    {
        "hold": (frozenset({S.PENDING}), S.HELD),
        "release": (frozenset({S.HELD}), S.PENDING),
        "send": (frozenset({S.PENDING}), S.SENT),
        "succeed": (frozenset({S.SENT}), S.SUCCEEDED),
        "fail": (frozenset({S.SENT}), S.FAILED),
        "retry": (frozenset({S.FAILED}), S.PENDING),
    },
    S,
    PayoutStateConflict,
    noun_zh="案款发放",
    status_names_zh={
        S.PENDING: "待发放",
        S.HELD: "暂缓发放",
        S.SENT: "发放中",
        S.SUCCEEDED: "已发放",
        S.FAILED: "发放失败",
    },
)
