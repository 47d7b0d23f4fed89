"""What follows an unsold auction: the second round (网拍规定 Art. 26), then the online sale (变卖), taking
the car in lieu of payment (以物抵债, 拍卖变卖规定 Art. 16, 24) or its release; and the days of a stop and its
resumption (网拍规定 Art. 28)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from auction.rules import articles as a
from auction.rules.common import Calendar, aware, local_day, percent_up
from car_enforce.core import zh
from car_enforce.core.calendar.service import Deadline
from car_enforce.core.errors import InvalidInput, RuleViolation


@dataclass(frozen=True, slots=True)
class RoundResult:
    """A round as it closed: what the next step is checked against."""

    round: int  # 1 or 2
    starting_price_fen: int
    ended_at: datetime  # the effective end
    platform: str = ""
    bids: int = 0  # accepted bids; 0 is 流拍 (Art. 26)


def second_round_floor(first_starting_price_fen: int) -> int:
    """The lowest lawful starting price of a second round: 80% of the first's, rounded up to the fen."""
    return percent_up(first_starting_price_fen, 100 - a.AGAIN_MAX_CUT_PERCENT)


def check_again(
    starting_price_fen: int,
    announced_at: datetime,
    starts_at: datetime,
    platform: str,
    previous: RoundResult | None,
    calendar: Calendar,
    *,
    resale: bool = False,
) -> int:
    """Refuse a second round that does not follow an unsold first one on the same platform within 30 days,
    or cuts the starting price by more than 20% (网拍规定 Art. 26). A re-auction after a default (``resale``)
    keeps the price floor but runs from the default, not from the first round's end. Returns the floor."""
    if previous is None or previous.round != 1:
        raise RuleViolation(
            "a second auction follows an unsold first one; name it",
            rule=a.RULE_UNSOLD,
            zh="第二次拍卖应以第一次拍卖流拍为前提，请指明流拍的第一次拍卖",
            field="round",
        )
    if previous.bids:
        raise RuleViolation(
            f"the first auction had {previous.bids} bids: it was not unsold",
            rule=a.RULE_UNSOLD,
            zh="第一次拍卖有人出价，并未流拍",
            field="round",
        )
    if platform != previous.platform:
        raise RuleViolation(
            f"the first auction ran on {previous.platform!r}: the second runs on the same platform",
            rule=a.RULE_AGAIN_WITHIN,
            zh="再次拍卖应在同一网络司法拍卖平台进行",
            field="platform",
        )
    floor = second_round_floor(previous.starting_price_fen)
    if starting_price_fen < floor:
        cut = 100 * (previous.starting_price_fen - starting_price_fen) / previous.starting_price_fen
        raise RuleViolation(
            f"the starting price {zh.yuan(starting_price_fen)} yuan cuts the first auction's "
            f"{zh.yuan(previous.starting_price_fen)} yuan by {cut:.2f}%: at most 20%, so at least "
            f"{zh.yuan(floor)} yuan",
            rule=a.RULE_AGAIN_CUT,
            zh=f"起拍价{zh.yuan_text(starting_price_fen)}较前次起拍价{zh.yuan_text(previous.starting_price_fen)}"
            f"降低{cut:.2f}%，降价幅度不得超过20%，即不得低于{zh.yuan_text(floor)}",
            field="starting_price_fen",
        )
    if aware(announced_at, "announced_at") < aware(previous.ended_at, "ended_at"):
        raise RuleViolation(
            "the second auction is announced after the first one ended unsold",
            rule=a.RULE_UNSOLD,
            zh="第一次拍卖流拍后方可发布再次拍卖公告",
            field="announced_at",
        )
    if not resale:
        due = calendar.court_period_end(local_day(previous.ended_at), a.AGAIN_WITHIN_DAYS)
        if local_day(starts_at) > due.on:
            raise RuleViolation(
                f"the first auction ended unsold on {local_day(previous.ended_at).isoformat()}: "
                f"the second starts by {due.on.isoformat()} (30 days)",
                rule=a.RULE_AGAIN_WITHIN,
                zh=f"第一次拍卖于{zh.day(previous.ended_at)}流拍，应在三十日内即{zh.day(due.on)}前再次拍卖",
                field="starts_at",
            )
    return floor


# --- after an unsold round ------------------------------------------------------------------------------


class Stage(StrEnum):
    FIRST = "first"  # the first auction
    SECOND = "second"  # the second auction
    SALE = "sale"  # the online sale (变卖)


class NextStep(StrEnum):
    SECOND_ROUND = "second_round"  # 网拍规定 Art. 26
    SALE = "sale"  # 网拍规定 Art. 26 ¶2
    OFFSET = "offset"  # 拍卖变卖规定 Art. 16, 24, 32: to the creditor at the unsold round's reserve
    RELEASE = "release"  # 拍卖变卖规定 Art. 24, 32: the seizure lifted, the car back to the debtor


NEXT_STEP_NAMES_ZH = {
    NextStep.SECOND_ROUND: "再次拍卖",
    NextStep.SALE: "变卖",
    NextStep.OFFSET: "以物抵债",
    NextStep.RELEASE: "解除查封并退还",
}


def after_unsold(stage: Stage) -> tuple[NextStep, ...]:
    """What the court may do next, in the order the rules name them. After any unsold auction a creditor
    may take the car at that auction's reserve (拍卖变卖规定 Art. 16, applied to online auctions by
    网拍规定 Art. 37 ¶3); a movable unsold twice is sold, offset or released (Art. 24), never auctioned a
    third time."""
    if stage is Stage.FIRST:
        return (NextStep.SECOND_ROUND, NextStep.OFFSET)
    if stage is Stage.SECOND:
        return (NextStep.SALE, NextStep.OFFSET, NextStep.RELEASE)
    return (NextStep.OFFSET, NextStep.RELEASE)  # 拍卖变卖规定 Art. 32 ¶3


# --- the online sale (变卖): settings UNCONFIRMED -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaleSettings:
    """The online sale's numbers. UNCONFIRMED (RULES §3: from an SPC notice of 2017 whose text was not
    retrieved, as widely reported): a platform or court may change each one."""

    period_days: int = 60  # the sale stays open this long for a first bid
    window: timedelta = timedelta(hours=24)  # the first bid opens a bidding window this long …
    extension: timedelta = a.EXTENSION  # … with the same last-minutes rule as an auction


UNCONFIRMED_SALE_DEFAULTS = SaleSettings()


@dataclass(frozen=True, slots=True)
class SaleTerms:
    price_fen: int  # the second auction's starting price
    opens_at: datetime
    closes_at: datetime  # when the sale ends if nobody bid
    window: timedelta
    extension: timedelta
    qualifying_deposit_fen: int  # a bidder qualifies by paying the full price


def sale_terms(
    second: RoundResult,
    opens_at: datetime,
    *,
    platform: str,
    settings: SaleSettings = UNCONFIRMED_SALE_DEFAULTS,
) -> SaleTerms:
    """The sale after an unsold second auction, on the same platform, at that auction's starting price."""
    if second.round != 2 or second.bids:
        raise RuleViolation(
            "an online sale follows a second auction that ended unsold",
            rule=a.RULE_SALE,
            zh="第二次拍卖流拍后方可变卖",
            field="round",
        )
    if platform != second.platform:
        raise RuleViolation(
            f"the second auction ran on {second.platform!r}: the sale runs on the same platform",
            rule=a.RULE_SALE,
            zh="变卖应在同一网络司法拍卖平台进行",
            field="platform",
        )
    if aware(opens_at, "opens_at") <= aware(second.ended_at, "ended_at"):
        raise RuleViolation(
            "the sale opens after the second auction ended",
            rule=a.RULE_SALE,
            zh="变卖应在第二次拍卖流拍后开始",
            field="opens_at",
        )
    if settings.period_days < 1 or settings.window <= timedelta(0) or settings.extension <= timedelta(0):
        raise InvalidInput(
            "settings",
            "the sale's period, window and extension are positive",
            rule=a.RULE_SALE_SETTINGS,
            zh="变卖期、竞价期和延时周期均应大于零",
        )
    return SaleTerms(
        price_fen=second.starting_price_fen,
        opens_at=aware(opens_at, "opens_at"),
        closes_at=aware(opens_at, "opens_at") + timedelta(days=settings.period_days),
        window=settings.window,
        extension=settings.extension,
        qualifying_deposit_fen=second.starting_price_fen,
    )


# --- taking the car in lieu of payment (以物抵债) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Offset:
    price_fen: int  # the unsold auction's reserve, which is its starting price (网拍规定 Art. 10)
    claim_fen: int
    difference_fen: int  # what the creditor pays in when its claim is below the price


def offset_terms(unsold: RoundResult, claim_fen: int) -> Offset:
    """The car to a creditor at the unsold auction's reserve; a smaller claim pays the difference
    (拍卖变卖规定 Art. 16)."""
    if unsold.bids:
        raise RuleViolation(
            "only an unsold auction's car is offset against the debt",
            rule=a.RULE_OFFSET,
            zh="拍卖流拍后方可以物抵债",
            field="round",
        )
    if claim_fen <= 0:
        raise InvalidInput(
            "claim_fen", "the claim is a positive amount", rule=a.RULE_OFFSET, zh="债权数额应为正数金额"
        )
    price = unsold.starting_price_fen
    return Offset(price_fen=price, claim_fen=claim_fen, difference_fen=max(0, price - claim_fen))


# --- a stop and its resumption (Art. 28) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resumption:
    due: Deadline  # the last day to resume: 5 days after the cause ended
    late: bool  # resumed after it; the law names no consequence, so the caller records it


def resumption_due(cause_ended_on: date, calendar: Calendar) -> Deadline:
    return calendar.court_period_end(cause_ended_on, a.RESUME_WITHIN_DAYS)


def check_resumption(cause_ended_on: date, resumed_on: date, calendar: Calendar) -> Resumption:
    """A resumption's day against Art. 28: never before the cause ended; late past 5 days is recorded."""
    if resumed_on < cause_ended_on:
        raise RuleViolation(
            f"the cause of the stop ends on {cause_ended_on.isoformat()}: the auction resumes after that",
            rule=a.RULE_SUSPEND,
            zh=f"暂缓或中止的事由于{zh.day(cause_ended_on)}消失，之后方可恢复拍卖",
            field="resumed_on",
        )
    due = resumption_due(cause_ended_on, calendar)
    return Resumption(due=due, late=resumed_on > due.on)
