"""The status machine of a settlement: one verb per move, each with its guard."""

from __future__ import annotations

from auction.settlement.models import SettlementStatus as S
from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine

TRANSITIONS: dict[str, tuple[frozenset[S], S]] = {
    "pay": (frozenset({S.AWAITING_BALANCE}), S.PAID),  # the price is in full (网拍规定 Art. 25)
    "default": (frozenset({S.AWAITING_BALANCE}), S.DEFAULTED),  # 悔拍 (Art. 24)
    "serve": (frozenset({S.PAID}), S.RULED),  # the ruling served on the buyer (拍卖变卖规定 Art. 20)
    "finish": (frozenset({S.RULED}), S.DONE),  # registered anew and handed over
}

NAMES_ZH: dict[str, str] = {
    S.AWAITING_BALANCE: "待付余款",
    S.PAID: "价款已付清",
    S.RULED: "裁定已送达",
    S.DONE: "已过户交付",
    S.DEFAULTED: "悔拍",
}


class SettlementStateConflict(Conflict):
    pass


SETTLEMENT = StatusMachine(
    "settlement", TRANSITIONS, S, SettlementStateConflict, noun_zh="成交", status_names_zh=NAMES_ZH
)
