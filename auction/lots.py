"""A priced car becomes a lot; its rounds are drafted, checked against the rules and announced (网拍规定
Art. 10–17, 26; 参考价规定 Art. 27, 30). The verbs of the lot's life before and between the bidding."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from auction import rules
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
from car_enforce.cases.models import EnforcementCase, PartyRole
from car_enforce.core import clock, events, zh
from car_enforce.core.access import Condition, Scope
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from car_enforce.core.events import APPLICANTS, OFFICER, DomainEvent, Notice
from car_enforce.core.identity.models import OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.security import sha256_hex
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.custody.models import Custody, CustodyStatus
from valuation.reference_price import validity
from valuation.reference_price.models import PricingStatus, ReferencePrice

OPEN_ROUNDS = frozenset({RoundStatus.DRAFT, RoundStatus.ANNOUNCED, RoundStatus.SUSPENDED})


def _serves(column: Any) -> Condition:
    """Auction staff of a court see its lots; an auction platform's staff serve every court."""

    def sql(who: Principal) -> ColumnElement[bool]:
        if who.organisation_kind == OrgKind.AUCTION_PLATFORM:
            return true()
        return column == who.organisation_id

    def holds(session: Session | None, who: Principal, row: Any) -> bool:
        return who.organisation_kind == OrgKind.AUCTION_PLATFORM or row.court_id == who.organisation_id

    return Condition(sql=sql, holds=holds)


LOTS = Scope(
    AuctionLot,
    "lot",
    {Role.OFFICER: [_serves(AuctionLot.court_id)], Role.AUCTION_STAFF: [_serves(AuctionLot.court_id)]},
    noun_zh="标的",
)


def load_round(session: Session, who: Principal, round_id: int) -> AuctionRound:
    """A round of a lot ``who`` may manage; NotFound otherwise."""
    rnd = session.get(AuctionRound, round_id)
    if rnd is None or not LOTS.allows(who, rnd.lot, session):
        raise NotFound(f"round {round_id} does not exist", zh="没有找到此拍卖")
    return rnd


def lock_round(session: Session, round_id: int) -> AuctionRound:
    """The round's row under its lock: every move of a round and its room happens one at a time."""
    rnd = session.execute(
        select(AuctionRound)
        .where(AuctionRound.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if rnd is None:
        raise NotFound(f"round {round_id} does not exist", zh="没有找到此拍卖")
    return rnd


def lock_lot(session: Session, lot: AuctionLot) -> None:
    session.execute(select(AuctionLot.id).where(AuctionLot.id == lot.id).with_for_update())
    session.refresh(lot)


def record(
    session: Session,
    actor: Principal,
    lot: AuctionLot,
    kind: str,
    data: Mapping[str, Any],
    *,
    reason: str = "",
    tell: str = "",
    custody: Custody | None = None,
    heard: bool = True,
) -> TimelineEvent:
    """One event of the sale on its case's timeline, heard (webhooks) by the court and the center unless
    ``heard`` is False; ``tell``: a text to the officer and the creditors."""
    notices: tuple[Notice, ...] = ()
    if tell:
        watch_id = (custody or session.get(Custody, lot.custody_id) or _missing()).watch_id
        if watch_id is not None:
            notices = (
                Notice(
                    OFFICER, watch_id, f"{lot.title}{tell}", f"{kind}:{lot.id}:{data.get('round_id', '')}"
                ),
                Notice(APPLICANTS, watch_id, f"被执行人车辆{lot.title}{tell}"),
            )
    return events.record(
        session,
        actor,
        DomainEvent(
            kind=kind,
            subject=f"auction_lot:{lot.id}",
            case_id=lot.case_id,
            data={"lot_id": lot.id, **data},
            reason=reason,
            parties=(lot.court_id, lot.center_id) if heard else (),
            notices=notices,
            context={"capture_id": lot.capture_id},
        ),
    )


def _missing() -> Custody:
    raise NotFound("the lot's custody is gone", zh="没有找到标的的扣押保管记录")


def manages(actor: Principal, court_id: int) -> bool:
    """The court's officers and auction staff, an auction platform's staff, and the administrator."""
    return actor.role == Role.ADMIN or (
        actor.role in (Role.OFFICER, Role.AUCTION_STAFF)
        and (actor.organisation_id == court_id or actor.organisation_kind == OrgKind.AUCTION_PLATFORM)
    )


def may_manage(actor: Principal, court_id: int) -> None:
    if not manages(actor, court_id):
        raise Forbidden(
            "only the enforcing court's officers and the auction staff serving it manage its sales",
            zh="只有执行法院的干警和为其服务的拍卖工作人员才能办理此标的的拍卖",
        )


# --- the lot --------------------------------------------------------------------------------------------


WARNINGS_ZH: dict[str, str] = {
    rules.Disclosure.CAPACITY: (
        "竞买人应当具备完全民事行为能力，法律、行政法规和司法解释对买受人资格有特别规定的，"
        "竞买人应当具备规定的资格。"
    ),
    rules.Disclosure.AGENT: "委托他人代为竞买的，应当在竞价程序开始前经人民法院确认，并交纳保证金。",
    rules.Disclosure.AS_IS: (
        "本标的以实物现状为准，法院不负担瑕疵担保责任；竞买人可在公告期内预约到保管场所实地看样。"
    ),
    rules.Disclosure.ACCEPTANCE: (
        "竞买人参与竞拍，视为对拍卖财产完全了解，并接受拍卖财产一切已知和未知瑕疵。"
    ),
    rules.Disclosure.CONFIRMATION_PUBLIC: (
        "拍卖成交后，载明买受人真实身份的成交确认书将在网络司法拍卖平台上公示。"
    ),
    rules.Disclosure.DEFAULT_FORFEITS: (
        "买受人悔拍的，交纳的保证金不予退还，依次用于支付拍卖产生的费用损失、"
        "弥补重新拍卖价款低于原拍卖价款的差价、冲抵本案被执行人的债务；"
        "悔拍后重新拍卖的，原买受人不得参加竞买。"
    ),
    rules.Disclosure.PAYMENT: (
        "保证金通过平台支付通道以竞买人本人名义交纳；未成交的，竞价结束后二十四小时内退还；"
        "成交的，保证金转入法院指定账户并抵作价款，余款按公告期限支付。"
    ),
    rules.Disclosure.TAXES: "车辆过户产生的税费依照相关法律法规由买受人和被执行人各自负担。",
}


def _defaults(session: Session, custody: Custody, pricing: ReferencePrice) -> dict[str, str]:
    case = session.get(EnforcementCase, custody.case_id)
    assert case is not None
    court = case.court
    out = dict(WARNINGS_ZH)
    out[rules.Disclosure.TITLE] = f"{court.name}{case.case_number}执行案件"
    out[rules.Disclosure.PRICING_BASIS] = (
        f"参考价{zh.yuan_text(pricing.price_fen or 0)}，{pricing.price_basis}".rstrip("，")
    )
    out[rules.Disclosure.CONDITION] = (
        f"{pricing.brand_model}，{zh.day(pricing.first_registered_on)}初次登记"
        + (f"，表显里程{pricing.odometer_km}公里" if pricing.odometer_km is not None else "")
        + (f"，技术状况检测等级{pricing.inspection_grade}级" if pricing.inspection_grade is not None else "")
        + f"；现存放于{custody.center.name}。检测报告及照片见本页。"
    )
    out[rules.Disclosure.COURT_CONTACT] = f"{court.name}，联系电话{court.contact_phone or '见法院公告'}"
    out[rules.Disclosure.DEFECTS] = custody.condition_notes or "以检测报告所载为准。"
    return out


def open_lot(
    session: Session, *, actor: Principal, custody: Custody, disclosures: Mapping[str, str] | None = None
) -> AuctionLot:
    """The court starts the sale of a priced car (参考价规定 Art. 30: within 10 days of the price)."""
    may_manage(actor, custody.court_id)
    if custody.status != CustodyStatus.IN_CUSTODY:
        raise Conflict(
            f"custody {custody.id} is {custody.status}: only a car held at a center is sold",
            zh="车辆不在辅助中心保管中，不能拍卖",
        )
    pricing = session.scalar(
        select(ReferencePrice).where(
            ReferencePrice.custody_id == custody.id, ReferencePrice.status == PricingStatus.PRICED
        )
    )
    today = clock.today_local()
    if pricing is None or pricing.price_fen is None:
        raise RuleViolation(
            "the car has no fixed reference price yet",
            rule=a.RULE_START,
            zh="车辆尚未确定参考价，不能拍卖",
        )
    if not validity.may_sell(pricing, today):
        raise RuleViolation(
            f"the reference price ran out on {pricing.valid_until}",
            rule=a.RULE_VALIDITY,
            zh=f"参考价有效期已于{zh.day(pricing.valid_until or today)}届满，需重新确定参考价",
        )
    busy = session.scalar(
        select(AuctionLot.id).where(
            AuctionLot.custody_id == custody.id, AuctionLot.status.in_((LotStatus.SELLING, LotStatus.SOLD))
        )
    )
    if busy is not None:
        raise Conflict(f"lot {busy} already sells this car", zh=f"此车辆已在拍卖中（标的{busy}）")
    case = session.get(EnforcementCase, custody.case_id)
    assert case is not None
    texts = _defaults(session, custody, pricing)
    for name, text in (disclosures or {}).items():
        if name not in set(rules.Disclosure):
            raise InvalidInput(name, "is not an item of the announcement", zh="不是拍卖公告的内容项")
        texts[name] = text.strip()
    now = clock.now()
    lot = AuctionLot(
        case_id=custody.case_id,
        custody_id=custody.id,
        vehicle_id=custody.vehicle_id,
        court_id=custody.court_id,
        center_id=custody.center_id,
        capture_id=custody.capture_id,
        pricing_id=pricing.id,
        reference_price_fen=pricing.price_fen,
        status=LotStatus.SELLING,
        title=f"{pricing.brand_model} {custody.vehicle.plate}",
        disclosures=texts,
        to_notify=sorted({p.name for p in case.parties if p.role in set(PartyRole)}),
        opened_at=now,
        opened_by=actor.label,
    )
    session.add(lot)
    session.flush()
    record(
        session,
        actor,
        lot,
        "disposal.started",
        {"started_at": now, "custody_id": custody.id, "reference_price_fen": pricing.price_fen},
        reason="参考价规定 Art. 30",
        custody=custody,
    )
    return lot


def edit_disclosures(
    session: Session, *, actor: Principal, lot: AuctionLot, texts: Mapping[str, str]
) -> None:
    """The announcement's texts, changed before a round is announced."""
    may_manage(actor, lot.court_id)
    lock_lot(session, lot)
    if any(r.status != RoundStatus.DRAFT for r in lot.rounds if r.status in OPEN_ROUNDS):
        raise Conflict("a round is announced: its announcement stands", zh="拍卖已公告，公告内容不能再修改")
    merged = dict(lot.disclosures)
    for name, text in texts.items():
        if name not in set(rules.Disclosure):
            raise InvalidInput(name, "is not an item of the announcement", zh="不是拍卖公告的内容项")
        merged[name] = text.strip()
    lot.disclosures = merged
    session.flush()
    record(session, actor, lot, "auction.disclosures_edited", {"items": sorted(texts)})


# --- priority buyers (Art. 16, 19) -----------------------------------------------------------------------


def add_priority_buyer(
    session: Session, *, actor: Principal, lot: AuctionLot, name: str, right: str, rank: int
) -> PriorityBuyer:
    """A known priority buyer: told before the announcement like a party (Art. 16)."""
    may_manage(actor, lot.court_id)
    lock_lot(session, lot)
    name, right = name.strip(), right.strip()
    if not name or not right:
        raise InvalidInput("name" if not name else "right", "is empty", zh="不能为空")
    if rank < 1:
        raise InvalidInput("rank", "ranks start at 1", rule=a.RULE_PRIORITY_TIE, zh="优先顺序从1开始")
    if session.scalar(
        select(PriorityBuyer.id).where(PriorityBuyer.lot_id == lot.id, PriorityBuyer.name == name)
    ):
        raise Conflict(f"{name} is already a priority buyer of this lot", zh=f"{name}已登记为优先购买权人")
    buyer = PriorityBuyer(lot_id=lot.id, name=name, right=right, rank=rank, recorded_at=clock.now())
    session.add(buyer)
    lot.to_notify = sorted({*lot.to_notify, name})
    session.flush()
    record(session, actor, lot, "auction.priority_buyer_added", {"priority_buyer_id": buyer.id, "rank": rank})
    return buyer


def confirm_priority_buyer(session: Session, *, actor: Principal, buyer: PriorityBuyer) -> str:
    """The court confirms a priority buyer: its priority-bid code, shown once (Art. 19)."""
    lot = session.get(AuctionLot, buyer.lot_id)
    assert lot is not None
    may_manage(actor, lot.court_id)
    if buyer.confirmed_at is not None:
        raise Conflict(
            "this priority buyer is confirmed; its code was shown once",
            zh="该优先购买权人已确认，优先竞买代码仅显示一次",
        )
    code = f"PB{secrets.token_hex(5).upper()}"
    buyer.code_digest = sha256_hex(code)
    buyer.confirmed_at = clock.now()
    session.flush()
    record(
        session,
        actor,
        lot,
        "auction.priority_buyer_confirmed",
        {"priority_buyer_id": buyer.id, "rank": buyer.rank},
        reason=a.RULE_PRIORITY_CODE,
    )
    return code


# --- rounds -------------------------------------------------------------------------------------------------


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
        return last.number, last.stage, True, None, barred
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
            earlier[-1] if rnd.number == 2 and not rnd.resale else None,
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


__all__ = [
    "LOTS",
    "OPEN_ROUNDS",
    "RoundPlan",
    "add_priority_buyer",
    "announce",
    "confirm_priority_buyer",
    "draft_round",
    "draft_sale",
    "edit_disclosures",
    "load_round",
    "lock_lot",
    "lock_round",
    "notices_of",
    "open_lot",
    "record",
    "record_notice",
]
