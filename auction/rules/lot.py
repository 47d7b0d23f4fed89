"""A lot's parameters before its announcement: starting price, deposit, increment, the announcement and
bidding periods, the balance period and the reference price's validity (网拍规定 Art. 10, 12, 17, 20, 25, 26;
参考价规定 Art. 27). Pure: the caller passes the facts and the calendar; nothing here reads a database
or a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from auction.rules import articles as a
from auction.rules.common import Calendar, aware, local_day, percent_down, percent_up
from auction.rules.rounds import RoundResult, check_again
from car_enforce.core import zh
from car_enforce.core.calendar.service import Deadline
from car_enforce.core.errors import InvalidInput, RuleViolation
from valuation.reference_price.rules import add_months, may_sell_on

# --- the increment table: the platform's default, not law ------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncrementBand:
    """Starting prices from ``from_fen`` (inclusive) to the next band's bid up by ``increment_fen``."""

    from_fen: int
    increment_fen: int


def _yuan(y: int) -> int:
    return y * 100


# The law leaves the increment to the court (网拍规定 Art. 20, 27) and gives no table. This one is the
# platform's default, kept within a published practice guide's ceilings (at most 2% of the starting price up
# to 100,000 yuan, 1% up to 1,000,000 yuan, 0.5% above) at each band's lower edge from 1,000 yuan up, in
# round amounts a bidder can add in his head. A court sets another amount for a lot with ``increment_fen``.
DEFAULT_INCREMENTS: tuple[IncrementBand, ...] = (
    IncrementBand(_yuan(0), _yuan(20)),
    IncrementBand(_yuan(2_500), _yuan(50)),
    IncrementBand(_yuan(5_000), _yuan(100)),
    IncrementBand(_yuan(20_000), _yuan(200)),
    IncrementBand(_yuan(50_000), _yuan(500)),
    IncrementBand(_yuan(100_000), _yuan(1_000)),
    IncrementBand(_yuan(300_000), _yuan(2_000)),
    IncrementBand(_yuan(1_000_000), _yuan(5_000)),
)


def check_increment_table(table: Sequence[IncrementBand]) -> None:
    """A table starts at 0 fen, its bands rise strictly, and every increment is positive."""
    if not table or table[0].from_fen != 0:
        raise InvalidInput(
            "increments",
            "the first band starts at 0 fen, so every starting price has an increment",
            rule=a.RULE_INCREMENT_TABLE,
            zh="加价幅度表的第一档应从 0 元起",
        )
    for i, band in enumerate(table):
        if band.increment_fen <= 0:
            raise InvalidInput(
                f"increments[{i}].increment_fen",
                "an increment is a positive amount",
                rule=a.RULE_INCREMENT_TABLE,
                zh="加价幅度应为正数金额",
            )
        if i and band.from_fen <= table[i - 1].from_fen:
            raise InvalidInput(
                f"increments[{i}].from_fen",
                "the bands rise strictly",
                rule=a.RULE_INCREMENT_TABLE,
                zh="加价幅度表各档的起点应逐档递增",
            )


def default_increment(starting_price_fen: int, table: Sequence[IncrementBand] = DEFAULT_INCREMENTS) -> int:
    """The increment of the band the starting price falls in."""
    check_increment_table(table)
    return [b.increment_fen for b in table if b.from_fen <= starting_price_fen][-1]


# --- the facts a lot is checked against -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReferenceFacts:
    """The car's reference price as fixed (valuation), and the first auction's announcement day once made."""

    price_fen: int
    valid_until: date
    first_announced_on: date | None = None


@dataclass(frozen=True, slots=True)
class LotParams:
    """One round's parameters as the court sets them (网拍规定 Art. 27: by its collegial panel)."""

    starting_price_fen: int
    deposit_fen: int
    announced_at: datetime
    starts_at: datetime
    ends_at: datetime  # the scheduled end; the effective end moves with late bids (Art. 20)
    increment_fen: int | None = None  # None: the default table's, by the starting price
    balance_days: int = a.DEFAULT_BALANCE_DAYS  # UNCONFIRMED default: the law leaves it to the announcement
    round: int = 1  # 1 or 2: a car unsold twice is not auctioned a third time (拍卖变卖规定 Art. 24)
    resale: bool = (
        False  # a re-auction after the buyer backed out (网拍规定 Art. 24), not after an unsold one
    )
    platform: str = ""  # the platform's code: a second round stays on the first's (Art. 26)


@dataclass(frozen=True, slots=True)
class LotCheck:
    """What the check found lawful, for the page and the record."""

    increment_fen: int
    min_starting_price_fen: int
    deposit_min_fen: int
    deposit_max_fen: int
    earliest_start: Deadline  # the first day bidding may start after the announcement
    provisional: bool  # a day consulted lies in a year whose holidays were guessed (RULES §5)


def min_starting_price(reference_price_fen: int) -> int:
    """70% of the reference price, rounded up to the fen (网拍规定 Art. 10: "not below" 70%)."""
    return percent_up(reference_price_fen, a.START_MIN_PERCENT)


def deposit_range(starting_price_fen: int) -> tuple[int, int]:
    """The lawful deposits: 5% rounded up to 20% rounded down, in fen (网拍规定 Art. 17)."""
    return (
        percent_up(starting_price_fen, a.DEPOSIT_MIN_PERCENT),
        percent_down(starting_price_fen, a.DEPOSIT_MAX_PERCENT),
    )


def balance_due(sold_at: datetime, balance_days: int, calendar: Calendar) -> Deadline:
    """The last day to pay the balance: a court period of ``balance_days`` from the sale's day (Art. 25)."""
    return calendar.court_period_end(local_day(sold_at), balance_days)


def _check_form(p: LotParams) -> None:
    for name in ("announced_at", "starts_at", "ends_at"):
        aware(getattr(p, name), name)
    for name, rule in (("starting_price_fen", a.RULE_START), ("deposit_fen", a.RULE_DEPOSIT)):
        if getattr(p, name) <= 0:
            raise InvalidInput(name, "must be a positive amount in fen", rule=rule, zh="应为正数金额")
    if p.increment_fen is not None and p.increment_fen <= 0:
        raise InvalidInput(
            "increment_fen",
            "an increment is a positive amount",
            rule=a.RULE_INCREMENT,
            zh="加价幅度应为正数金额",
        )
    if p.ends_at <= p.starts_at:
        raise InvalidInput(
            "ends_at", "bidding ends after it starts", rule=a.RULE_DURATION, zh="竞价结束时间应晚于开始时间"
        )
    if p.starts_at <= p.announced_at:
        raise InvalidInput(
            "starts_at",
            "bidding starts after the announcement",
            rule=a.RULE_ANNOUNCE,
            zh="竞价开始时间应晚于公告时间",
        )


def check_lot(
    params: LotParams,
    reference: ReferenceFacts,
    calendar: Calendar,
    *,
    previous: RoundResult | None = None,
) -> LotCheck:
    """Refuse a round whose parameters break the law, naming the article and the field; ``previous`` is the
    unsold first round a second one follows (网拍规定 Art. 26)."""
    p = params
    _check_form(p)
    if reference.price_fen <= 0:
        raise InvalidInput(
            "reference_price_fen",
            "the reference price is a positive amount",
            rule=a.RULE_START,
            zh="参考价应为正数金额",
        )
    if p.round == 1:
        floor = min_starting_price(reference.price_fen)
        if p.starting_price_fen < floor:
            raise RuleViolation(
                f"the starting price {zh.yuan(p.starting_price_fen)} yuan is below 70% of the reference "
                f"price {zh.yuan(reference.price_fen)} yuan: at least {zh.yuan(floor)} yuan",
                rule=a.RULE_START,
                zh=f"起拍价{zh.yuan_text(p.starting_price_fen)}低于参考价{zh.yuan_text(reference.price_fen)}的70%，"
                f"不得低于{zh.yuan_text(floor)}",
                field="starting_price_fen",
            )
        announce_days = a.ANNOUNCE_DAYS_FIRST
        announce_rule = a.RULE_ANNOUNCE
    elif p.round == 2:
        floor = check_again(
            p.starting_price_fen, p.announced_at, p.starts_at, p.platform, previous, calendar, resale=p.resale
        )
        announce_days = a.ANNOUNCE_DAYS_AGAIN
        announce_rule = a.RULE_AGAIN_ANNOUNCE
    else:
        raise RuleViolation(
            f"round {p.round}: a car is auctioned at most twice, then sold (变卖), offset or released",
            rule=a.RULE_NO_THIRD_ROUND,
            zh=f"动产经两次拍卖流拍后应变卖、以物抵债或解除查封，不能进行第{p.round}次拍卖",
            field="round",
        )

    low, high = deposit_range(p.starting_price_fen)
    if not low <= p.deposit_fen <= high:
        raise RuleViolation(
            f"the deposit {zh.yuan(p.deposit_fen)} yuan is outside 5%–20% of the starting price: "
            f"{zh.yuan(low)} to {zh.yuan(high)} yuan",
            rule=a.RULE_DEPOSIT,
            zh=f"保证金应为起拍价的5%至20%，即{zh.yuan_text(low)}至{zh.yuan_text(high)}",
            field="deposit_fen",
        )

    announced_on, starts_on = local_day(p.announced_at), local_day(p.starts_at)
    earliest = calendar.court_period_end(announced_on, announce_days)
    if starts_on < earliest.on:
        raise RuleViolation(
            f"announced on {announced_on.isoformat()}: bidding may start on {earliest.on.isoformat()} at the "
            f"earliest ({announce_days} days)",
            rule=announce_rule,
            zh=f"公告于{zh.day(announced_on)}发布，竞价最早于{zh.day(earliest.on)}开始（公告期{announce_days}日）",
            field="starts_at",
        )

    if p.ends_at - p.starts_at < a.MIN_BIDDING:
        raise RuleViolation(
            "bidding lasts at least 24 hours",
            rule=a.RULE_DURATION,
            zh="竞价时间不得少于二十四小时",
            field="ends_at",
        )

    if p.balance_days < 1:
        raise RuleViolation(
            "the balance period is at least one day",
            rule=a.RULE_BALANCE,
            zh="余款支付期限至少为一日",
            field="balance_days",
        )

    _check_validity(p, reference)

    return LotCheck(
        increment_fen=p.increment_fen
        if p.increment_fen is not None
        else default_increment(p.starting_price_fen),
        min_starting_price_fen=floor,
        deposit_min_fen=low,
        deposit_max_fen=high,
        earliest_start=earliest,
        provisional=earliest.provisional,
    )


def _check_validity(p: LotParams, reference: ReferenceFacts) -> None:
    """参考价规定 Art. 27: the first announcement within validity; the sale (the scheduled end's day, when
    the hammer may fall) within validity or, announced in time, within six months after it."""
    announced_on, ends_on = local_day(p.announced_at), local_day(p.ends_at)
    first = reference.first_announced_on
    if first is None and p.round == 1 and not p.resale:
        first = announced_on  # this lot is the first announcement
        if announced_on > reference.valid_until:
            raise RuleViolation(
                f"the reference price expired on {reference.valid_until.isoformat()}, "
                "before this announcement",
                rule=a.RULE_VALIDITY,
                zh=f"参考价有效期已于{zh.day(reference.valid_until)}届满，不能据以发布拍卖公告",
                field="announced_at",
            )
    if not may_sell_on(reference.valid_until, first, ends_on):
        grace = add_months(reference.valid_until, 6)
        latest = grace if first is not None and first <= reference.valid_until else reference.valid_until
        raise RuleViolation(
            f"the reference price carries a sale up to {latest.isoformat()}; this round ends on "
            f"{ends_on.isoformat()}",
            rule=a.RULE_VALIDITY,
            zh=f"参考价最迟可用于{zh.day(latest)}前的拍卖，本次竞价于{zh.day(ends_on)}结束，需重新确定参考价",
            field="ends_at",
        )
