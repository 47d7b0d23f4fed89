"""The status machine of a reference-price procedure: one verb per move, each with its guard."""

from __future__ import annotations

from car_enforce.core.errors import Conflict
from car_enforce.core.status_machine import StatusMachine
from valuation.reference_price.models import PricingStatus as S

_WORKING = frozenset({S.OPEN, S.DIRECTING, S.INQUIRING, S.APPRAISING})

# verb -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[S], S]] = {
    "ask_directed": (frozenset({S.OPEN}), S.DIRECTING),  # a directed inquiry goes out (Art. 5)
    "pass_directed": (frozenset({S.DIRECTING}), S.OPEN),  # it gave no price in its period (Art. 6)
    "start_online": (frozenset({S.OPEN}), S.INQUIRING),  # every platform is asked at once (Art. 10)
    # Nobody delivered and nobody asked, or the corrections failed: the court entrusts an appraisal next.
    "inquiry_failed": (frozenset({S.INQUIRING}), S.OPEN),
    "appraise": (frozenset({S.OPEN, S.INQUIRING}), S.APPRAISING),  # Art. 11 ¶3, 14
    "appraisal_failed": (frozenset({S.APPRAISING}), S.OPEN),  # every firm of the order declined
    "fix": (frozenset({S.OPEN, S.DIRECTING, S.INQUIRING, S.APPRAISING}), S.PRICED),
    "reprice": (frozenset({S.PRICED}), S.PRICED),  # an objection upheld against some results (Art. 13)
    "set_aside": (frozenset({S.PRICED}), S.SET_ASIDE),  # upheld against every result
    "expire": (frozenset({S.PRICED}), S.EXPIRED),  # the validity ran out unused (Art. 27)
    "withdraw": (_WORKING | {S.PRICED}, S.WITHDRAWN),  # the car left custody
}


class PricingStateConflict(Conflict):
    pass


# As the officer's pages name them (api/web/words.py takes this table).
STATUS_NAMES_ZH: dict[str, str] = {
    S.OPEN: "确定中",
    S.DIRECTING: "定向询价中",
    S.INQUIRING: "网络询价中",
    S.APPRAISING: "委托评估中",
    S.PRICED: "已确定",
    S.SET_ASIDE: "已撤销",
    S.EXPIRED: "有效期届满",
    S.WITHDRAWN: "已终结",
}

MACHINE = StatusMachine(
    "reference price",
    TRANSITIONS,
    S,
    PricingStateConflict,
    noun_zh="参考价程序",
    status_names_zh=STATUS_NAMES_ZH,
)


def status_zh(status: str) -> str:
    """A procedure's status by its Chinese name, for refusals read at a page."""
    return STATUS_NAMES_ZH.get(status, status)
