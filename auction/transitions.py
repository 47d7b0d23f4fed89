"""The status machines of a lot and of its rounds: one verb per move, each with its guard."""

from __future__ import annotations

from auction.models import LotStatus as L
from auction.models import RoundStatus as R
from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine

LOT_TRANSITIONS: dict[str, tuple[frozenset[L], L]] = {
    "sell": (frozenset({L.SELLING}), L.SOLD),  # a round closed with a buyer
    "resell": (frozenset({L.SOLD}), L.SELLING),  # the buyer backed out: a re-auction follows (Art. 24)
    "offset": (frozenset({L.SELLING}), L.OFFSET),  # 以物抵债 (拍卖变卖规定 Art. 16, 24)
    "return": (frozenset({L.SELLING}), L.RETURNED),  # unsold and not taken: the car goes back (Art. 24)
    "withdraw": (frozenset({L.SELLING}), L.WITHDRAWN),  # the debtor paid in full
}

ROUND_TRANSITIONS: dict[str, tuple[frozenset[R], R]] = {
    "announce": (frozenset({R.DRAFT}), R.ANNOUNCED),
    "suspend": (frozenset({R.ANNOUNCED}), R.SUSPENDED),  # 暂缓 or 中止 (Art. 28)
    "resume": (frozenset({R.SUSPENDED}), R.ANNOUNCED),
    "sell": (frozenset({R.ANNOUNCED}), R.SOLD),  # closed at its effective end with a buyer (Art. 11)
    "close_unsold": (frozenset({R.ANNOUNCED}), R.UNSOLD),  # closed without a bid (Art. 26)
    "default": (frozenset({R.SOLD}), R.DEFAULTED),  # the balance was not paid (Art. 24)
    "withdraw": (frozenset({R.DRAFT, R.ANNOUNCED, R.SUSPENDED}), R.WITHDRAWN),
}

LOT_STATUS_NAMES_ZH: dict[str, str] = {
    L.SELLING: "处置中",
    L.SOLD: "已成交",
    L.OFFSET: "以物抵债",
    L.RETURNED: "解除查封退还",
    L.WITHDRAWN: "已撤回",
}

ROUND_STATUS_NAMES_ZH: dict[str, str] = {
    R.DRAFT: "准备中",
    R.ANNOUNCED: "已公告",
    R.SUSPENDED: "暂缓或中止",
    R.SOLD: "已成交",
    R.UNSOLD: "流拍",
    R.DEFAULTED: "悔拍",
    R.WITHDRAWN: "已撤回",
}


class LotStateConflict(Conflict):
    pass


class RoundStateConflict(Conflict):
    pass


LOT = StatusMachine(
    "lot", LOT_TRANSITIONS, L, LotStateConflict, noun_zh="标的", status_names_zh=LOT_STATUS_NAMES_ZH
)
ROUND = StatusMachine(
    "round", ROUND_TRANSITIONS, R, RoundStateConflict, noun_zh="拍卖", status_names_zh=ROUND_STATUS_NAMES_ZH
)
