"""The numbers after the hammer, as pure rules: the ruling's and the handover's periods, the same-day
target, and where a forfeited deposit goes (网拍规定 Art. 24). Nothing here reads the database or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from auction.rules.articles import PB, WP, _law
from car_enforce.core.calendar.service import Deadline, PrcCalendar

RULING_WITHIN_DAYS = 10  # 拍卖变卖规定 Art. 20: the ruling served within 10 days after full payment
HANDOVER_WITHIN_DAYS = 15  # 拍卖变卖规定 Art. 27: the car handed over within 15 days after service

RULE_RULING = _law(
    "拍卖变卖规定 Art. 20: the sale ruling is served on the buyer within 10 days after full payment",
    PB,
    "第二十条",
    "拍卖成交的，人民法院应当作出裁定，并于价款全额交付后十日内，送达买受人",
)
RULE_HANDOVER = _law(
    "拍卖变卖规定 Art. 27: the car is handed over to the buyer within 15 days after the ruling is served",
    PB,
    "第二十七条",
    "人民法院裁定拍卖成交后，应当于裁定送达后十五日内，将拍卖的财产移交买受人",
)
RULE_BALANCE_PAID = _law(
    "网拍规定 Art. 25: the buyer pays the rest into the court's account within the announced period",
    WP,
    "第二十五条",
    "买受人应当在拍卖公告确定的期限内将剩余价款交付人民法院指定账户",
)
RULE_FORFEIT = _law(
    "网拍规定 Art. 24: a forfeited deposit pays the auction's costs, then the shortfall of the re-auction, "
    "then the debtor's debts",
    WP,
    "第二十四条",
    "拍卖成交后买受人悔拍的，交纳的保证金不予退还，依次用于支付拍卖产生的费用损失、"
    "弥补重新拍卖价款低于原拍卖价款的差价、冲抵本案被执行人的债务",
)
RULE_OWNERSHIP = _law(
    "民诉法解释 Art. 491: ownership passes when the sale ruling is served on the buyer",
    "《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》",
    "第四百九十一条",
    "拍卖成交或者依法以物抵债的，标的物所有权自拍卖成交或者抵债裁定送达买受人或者接受抵债物的债权人时转移",
)
RULE_ONE_WINDOW = _law(
    "登记规定 Art. 90: the effective ruling and the 协助执行通知书 prove the transfer; the buyer hands in "
    "their papers once",
    "《机动车登记规定》",
    "第九十条",
    "人民法院调解、裁定、判决转移的机动车，其来历证明是人民法院出具的已经生效的调解书、裁定书或者判决书"
    "以及相应的协助执行通知书",
)


def ruling_due(calendar: PrcCalendar, paid_on: date) -> Deadline:
    """The last day to serve the ruling: a court period of 10 days from full payment (民诉法 Art. 85)."""
    return calendar.court_period_end(paid_on, RULING_WITHIN_DAYS)


def handover_due(calendar: PrcCalendar, served_on: date) -> Deadline:
    """The last day to hand the car over: a court period of 15 days from service."""
    return calendar.court_period_end(served_on, HANDOVER_WITHIN_DAYS)


@dataclass(frozen=True, slots=True)
class Forfeit:
    """A forfeited deposit split the way Art. 24 applies it; the parts add up to the deposit."""

    costs_fen: int  # the auction's costs and losses
    shortfall_fen: int  # the re-auction's price below the price the defaulter bid
    debts_fen: int  # what is left, towards the debtor's debts

    @property
    def total_fen(self) -> int:
        return self.costs_fen + self.shortfall_fen + self.debts_fen


def apply_forfeit(
    deposit_fen: int, *, costs_fen: int, defaulted_price_fen: int, resale_price_fen: int
) -> Forfeit:
    """Art. 24's order: costs first, then the shortfall of the resale, then the debts; nothing is lost."""
    if min(deposit_fen, costs_fen, defaulted_price_fen, resale_price_fen) < 0:
        raise ValueError("amounts are never negative")
    costs = min(deposit_fen, costs_fen)
    shortfall = min(deposit_fen - costs, max(0, defaulted_price_fen - resale_price_fen))
    return Forfeit(costs, shortfall, deposit_fen - costs - shortfall)
