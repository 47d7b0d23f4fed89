"""A lot's rounds: drafted and checked against the rules (the first, the second after an unsold first, a
re-auction after a default, the online sale), the parties told, and announced (网拍规定 Art. 12–17, 26;
参考价规定 Art. 27)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction import rules
from auction.lots import OPEN_ROUNDS, lock_lot, lock_round, may_manage, record
from auction.models import (
    BUILTIN_PLATFORM,
    AuctionLot,
    AuctionNotice,
    AuctionRound,
    LotStatus,
    PriorityBuyer,
    RoundKind,
    RoundStatus,
)
from auction.platforms.models import AuctionPlatform
from auction.rules import articles as a
from auction.transitions import LOT, ROUND
from car_enforce.core import clock, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.errors import Conflict, InvalidInput, RuleViolation
from car_enforce.core.identity.principal import Principal
from valuation.reference_price import validity
from valuation.reference_price.models import ReferencePrice

# --- drafting -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundPlan:
    starting_price_fen: int
    deposit_fen: int
    announced_at: datetime  # planned: the announcement goes out at ``announce``, no later than this day
    starts_at: datetime
    ends_at: datetime
    increment_fen: int | None = None
    balance_days: int = a.DEFAULT_BALANCE_DAYS
    maxima_allowed: bool = False
    platform: str = BUILTIN_PLATFORM


def _result(rnd: AuctionRound) -> rules.RoundResult:
    return rules.RoundResult(
        round=rnd.number,
        starting_price_fen=rnd.starting_price_fen,
        ended_at=rnd.effective_end_at,
        platform=rnd.platform,
        bids=rnd.bids if rnd.status != RoundStatus.UNSOLD else 0,
    )


def _next_shape(lot: AuctionLot) -> tuple[int, str, bool, AuctionRound | None, list[str]]:
    """(number, stage, resale, the unsold round it follows, identities barred) for a new auction round."""
    if any(r.status in OPEN_ROUNDS | {RoundStatus.SOLD} for r in lot.rounds):
        raise Conflict(
            "a round of this lot is open or sold: the next waits for its end",
            zh="此标的已有进行中或已成交的拍卖，不能另行安排拍卖",
        )
    closed = [r for r in lot.rounds if r.status in (RoundStatus.UNSOLD, RoundStatus.DEFAULTED)]
    barred = sorted({b for r in lot.rounds for b in r.barred})
    if not closed:
        return 1, rules.Stage.FIRST, False, None, barred
    last = closed[-1]
    if last.status == RoundStatus.DEFAULTED:
        if last.kind == RoundKind.SALE:
            raise Conflict(
                "a sale whose buyer backed out is offered again as a sale",
                zh="变卖的买受人悔拍的，应重新变卖",
            )
        # A second auction's re-auction keeps the second's price floor, counted from the unsold first.
        first = next((r for r in closed if r.status == RoundStatus.UNSOLD and r.number == 1), None)
        return last.number, last.stage, True, first if last.number == 2 else None, barred
    if last.kind == RoundKind.SALE or last.number >= 2:
        raise RuleViolation(
            "a car unsold twice is not auctioned a third time: sell it (变卖), offset it or release it",
            rule=a.RULE_NO_THIRD_ROUND,
            zh="动产经两次拍卖流拍后应变卖、以物抵债或解除查封，不能再次拍卖",
            field="round",
        )
    return 2, rules.Stage.SECOND, False, last, barred


def _check(
    session: Session,
    lot: AuctionLot,
    plan: RoundPlan,
    number: int,
    resale: bool,
    previous: AuctionRound | None,
) -> rules.LotCheck:
    pricing = session.get(ReferencePrice, lot.pricing_id)
    assert pricing is not None and pricing.valid_until is not None
    reference = rules.ReferenceFacts(
        price_fen=lot.reference_price_fen,
        valid_until=pricing.valid_until,
        first_announced_on=pricing.first_announced_on,
    )
    params = rules.LotParams(
        starting_price_fen=plan.starting_price_fen,
        deposit_fen=plan.deposit_fen,
        announced_at=plan.announced_at,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        increment_fen=plan.increment_fen,
        balance_days=plan.balance_days,
        round=number,
        resale=resale,
        platform=plan.platform,
    )
    return rules.check_lot(
        params, reference, load_calendar(session), previous=_result(previous) if previous else None
    )


def _check_platform(session: Session, code: str) -> None:
    """The built-in room, or an outside platform configured and active (网拍规定 Art. 5)."""
    if code == BUILTIN_PLATFORM:
        return
    known = session.scalar(
        select(AuctionPlatform.id).where(AuctionPlatform.code == code, AuctionPlatform.active.is_(True))
    )
    if known is None:
        raise InvalidInput(
            "platform",
            f"{code!r} is not an auction platform configured here",
            rule=a.RULE_PLATFORM_LIST,
            zh=f"{code} 不是已配置的网络司法拍卖平台",
        )


def draft_round(session: Session, *, actor: Principal, lot: AuctionLot, plan: RoundPlan) -> AuctionRound:
    """The next auction of the lot, checked against the rules: the first, the second after an unsold first
    (Art. 26), or a re-auction after a buyer backed out (Art. 24, without that buyer)."""
    may_manage(actor, lot.court_id)
    lock_lot(session, lot)
    if lot.status != LotStatus.SELLING:
        raise LOT.conflict(
            f"lot {lot.id} is {lot.status}",
            zh=f"此标的当前为“{LOT.status_names_zh[lot.status]}”，不能安排拍卖",
        )
    number, stage, resale, previous, barred = _next_shape(lot)
    _check_platform(session, plan.platform)
    if previous is not None and plan.platform != previous.platform:
        raise RuleViolation(
            f"the first auction ran on {previous.platform}: the second runs on the same platform",
            rule=a.RULE_UNSOLD,
            zh="再次拍卖应在同一网络司法拍卖平台进行",
            field="platform",
        )
    checked = _check(session, lot, plan, number, resale, previous)
    now = clock.now()
    rnd = AuctionRound(
        lot_id=lot.id,
        sequence=len(lot.rounds) + 1,
        number=number,
        stage=stage,
        kind=RoundKind.AUCTION,
        resale=resale,
        status=RoundStatus.DRAFT,
        platform=plan.platform,
        starting_price_fen=plan.starting_price_fen,
        deposit_fen=plan.deposit_fen,
        increment_fen=checked.increment_fen,
        balance_days=plan.balance_days,
        maxima_allowed=plan.maxima_allowed,
        extension_s=int(a.EXTENSION.total_seconds()),
        announced_at=clock.as_utc(plan.announced_at),
        starts_at=clock.as_utc(plan.starts_at),
        ends_at=clock.as_utc(plan.ends_at),
        effective_end_at=clock.as_utc(plan.ends_at),
        barred=barred,
        created_at=now,
        created_by=actor.label,
    )
    session.add(rnd)
    session.flush()
    session.refresh(lot)
    record(
        session,
        actor,
        lot,
        "auction.round_drafted",
        {
            "round_id": rnd.id,
            "number": number,
            "resale": resale,
            "starting_price_fen": rnd.starting_price_fen,
            "deposit_fen": rnd.deposit_fen,
            "increment_fen": rnd.increment_fen,
            "starts_at": rnd.starts_at,
            "ends_at": rnd.ends_at,
        },
        reason=a.RULE_START if number == 1 else a.RULE_AGAIN_CUT,
    )
    return rnd


def draft_sale(
    session: Session,
    *,
    actor: Principal,
    lot: AuctionLot,
    opens_at: datetime,
    settings: rules.SaleSettings = rules.UNCONFIRMED_SALE_DEFAULTS,
) -> AuctionRound:
    """The online sale (变卖) after an unsold second auction: its price, on the same platform (Art. 26)."""
    may_manage(actor, lot.court_id)
    lock_lot(session, lot)
    if lot.status != LotStatus.SELLING or any(
        r.status in OPEN_ROUNDS | {RoundStatus.SOLD} for r in lot.rounds
    ):
        raise Conflict("the lot is not waiting for its next step", zh="此标的当前不能安排变卖")
    unsold = [r for r in lot.rounds if r.status == RoundStatus.UNSOLD]
    if not unsold or rules.NextStep.SALE not in rules.after_unsold(rules.Stage(unsold[-1].stage)):
        raise RuleViolation(
            "an online sale follows a second auction that ended unsold",
            rule=a.RULE_SALE,
            zh="第二次拍卖流拍后方可变卖",
            field="round",
        )
    second = unsold[-1]
    terms = rules.sale_terms(_result(second), opens_at, platform=second.platform, settings=settings)
    now = clock.now()
    rnd = AuctionRound(
        lot_id=lot.id,
        sequence=len(lot.rounds) + 1,
        number=second.number,
        stage=rules.Stage.SALE,
        kind=RoundKind.SALE,
        status=RoundStatus.DRAFT,
        platform=second.platform,
        starting_price_fen=terms.price_fen,
        deposit_fen=terms.qualifying_deposit_fen,
        increment_fen=rules.default_increment(terms.price_fen),
        balance_days=second.balance_days,
        window_s=int(terms.window.total_seconds()),
        extension_s=int(terms.extension.total_seconds()),
        announced_at=now,
        starts_at=terms.opens_at,
        ends_at=terms.closes_at,
        effective_end_at=terms.closes_at,
        barred=sorted({b for r in lot.rounds for b in r.barred}),
        created_at=now,
        created_by=actor.label,
    )
    session.add(rnd)
    session.flush()
    session.refresh(lot)
    record(
        session,
        actor,
        lot,
        "auction.round_drafted",
        {"round_id": rnd.id, "kind": "sale", "price_fen": terms.price_fen, "closes_at": terms.closes_at},
        reason=a.RULE_SALE,
    )
    return rnd


def record_notice(
    session: Session,
    *,
    actor: Principal,
    rnd: AuctionRound,
    to: str,
    way: rules.NoticeWay,
    on: date,
    note: str = "",
) -> AuctionNotice:
    """A party or known priority buyer told of the coming announcement (Art. 16)."""
    lot = rnd.lot
    may_manage(actor, lot.court_id)
    if rnd.status != RoundStatus.DRAFT:
        raise ROUND.conflict("the round is announced", zh="拍卖已公告，通知应在公告前进行")
    to = to.strip()
    if to not in lot.to_notify:
        raise InvalidInput(
            "to",
            f"{to!r} is not a party or known priority buyer of the case",
            zh="被通知人不是本案当事人或已知优先购买权人",
        )
    if on > clock.today_local():
        raise InvalidInput("on", "a notice is recorded once made", zh="通知日期不能晚于今天")
    notice = AuctionNotice(
        round_id=rnd.id,
        to=to,
        way=way,
        on=on,
        note=note.strip(),
        recorded_at=clock.now(),
        recorded_by=actor.label,
    )
    session.add(notice)
    session.flush()
    record(
        session,
        actor,
        lot,
        "auction.notice_recorded",
        {"round_id": rnd.id, "to": zh.mask_name(to), "way": way, "on": on},
        reason=a.RULE_NOTICE,
    )
    return notice


def notices_of(session: Session, rnd: AuctionRound) -> list[AuctionNotice]:
    return list(
        session.scalars(
            select(AuctionNotice).where(AuctionNotice.round_id == rnd.id).order_by(AuctionNotice.id)
        )
    )


def _generated(session: Session, lot: AuctionLot, rnd: AuctionRound) -> dict[str, str]:
    """The items of the announcement the records say by themselves (Art. 13): the round's time, price and
    rules, the priority buyers, who was told."""
    kind = (
        "变卖"
        if rnd.kind == RoundKind.SALE
        else f"第{rnd.number}次拍卖" + ("（重新拍卖）" if rnd.resale else "")
    )
    court = lot.disclosures.get(rules.Disclosure.COURT_CONTACT, "").split("，")[0]
    buyers = session.scalars(
        select(PriorityBuyer).where(PriorityBuyer.lot_id == lot.id).order_by(PriorityBuyer.rank)
    )
    told = notices_of(session, rnd)
    ways = {"served": "已送达", "published": "无法通知，已在平台公示", "waived": "已书面放弃"}
    return {
        rules.Disclosure.ANNOUNCEMENT: f"{court}将于{zh.minute(rnd.starts_at)}至{zh.minute(rnd.ends_at)}"
        f"（延时的除外）在网络司法拍卖平台对{lot.title}进行公开{kind}，现公告如下。",
        rules.Disclosure.TIME_PRICE_RULES: (
            f"起拍价{zh.yuan_text(rnd.starting_price_fen)}，保证金{zh.yuan_text(rnd.deposit_fen)}，"
            f"增价幅度{zh.yuan_text(rnd.increment_fen)}。竞价时间不少于二十四小时；首次出价为起拍价，"
            "此后按增价幅度的整数倍加价；竞价结束前五分钟内有人出价的，竞价结束时间自该出价时点顺延五分钟，"
            "出价时间以平台系统接收时间为准。"
            f"成交后买受人应于{rnd.balance_days}日内付清余款。"
        ),
        rules.Disclosure.PRIORITY_BUYERS: "；".join(
            f"{zh.mask_name(b.name)}（{b.right}，第{b.rank}顺序）" for b in buyers
        )
        or "经查，本标的无已知优先购买权人。",
        rules.Disclosure.NOTICES: "；".join(f"{zh.mask_name(n.to)}：{ways.get(n.way, n.way)}" for n in told)
        or "无需通知。",
    }


def announce(session: Session, *, actor: Principal, rnd: AuctionRound) -> AuctionRound:
    """Publish the round now: its terms re-checked for today, the parties told 3 days before (Art. 16), every
    item of Art. 13 and 14 present; the reference price keeps its sale (参考价规定 Art. 27)."""
    lot = rnd.lot
    may_manage(actor, lot.court_id)
    rnd = lock_round(session, rnd.id)
    now = clock.now()
    today = clock.local(now).date()
    if rnd.status == RoundStatus.DRAFT and today > clock.local(rnd.announced_at).date():
        raise RuleViolation(
            f"the round was planned to be announced by {clock.local(rnd.announced_at).date()}: plan it again",
            rule=a.RULE_ANNOUNCE,
            zh="已过计划公告日期，请重新安排拍卖时间",
            field="announced_at",
        )
    ROUND.move(rnd, "announce")
    calendar = load_calendar(session)
    if rnd.kind == RoundKind.AUCTION:
        plan = RoundPlan(
            starting_price_fen=rnd.starting_price_fen,
            deposit_fen=rnd.deposit_fen,
            announced_at=now,
            starts_at=rnd.starts_at,
            ends_at=rnd.ends_at,
            increment_fen=rnd.increment_fen,
            balance_days=rnd.balance_days,
            platform=rnd.platform,
        )
        earlier = [r for r in lot.rounds if r.id != rnd.id and r.status == RoundStatus.UNSOLD]
        _check(
            session,
            lot,
            plan,
            rnd.number,
            rnd.resale,
            next((r for r in earlier if r.number == 1), None) if rnd.number == 2 else None,
        )
        notices = [rules.Notice(n.to, rules.NoticeWay(n.way), n.on) for n in notices_of(session, rnd)]
        rules.check_notices(lot.to_notify, notices, today, calendar)
    lot.disclosures = {**lot.disclosures, **_generated(session, lot, rnd)}
    rules.check_disclosures([k for k, v in lot.disclosures.items() if v.strip()])
    rnd.announced_at = now
    pricing = session.get(ReferencePrice, lot.pricing_id)
    assert pricing is not None
    if rnd.number == 1 and not rnd.resale and rnd.kind == RoundKind.AUCTION:
        validity.mark_announced(session, pricing, today)
    session.flush()
    record(
        session,
        actor,
        lot,
        "auction.announced",
        {
            "round_id": rnd.id,
            "number": rnd.number,
            "kind": rnd.kind,
            "announced_at": now,
            "starts_at": rnd.starts_at,
            "ends_at": rnd.ends_at,
            "starting_price_fen": rnd.starting_price_fen,
            "platform": rnd.platform,
        },
        reason=a.RULE_ANNOUNCE,
        tell=f"已发布{'变卖' if rnd.kind == RoundKind.SALE else '拍卖'}公告，"
        f"{zh.minute(rnd.starts_at)}开始竞价，起拍价{zh.yuan_text(rnd.starting_price_fen)}。",
    )
    return rnd
