"""A priced car becomes a lot: its announcement's items filled from the records, its priority buyers, and
who may manage it; the locks and the event every verb of the sale records (网拍规定 Art. 13, 14, 16, 19;
参考价规定 Art. 30)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from auction import rules
from auction.models import (
    AuctionLot,
    AuctionRound,
    LotStatus,
    PriorityBuyer,
    RoundStatus,
)
from auction.rules import articles as a
from car_enforce.cases.models import EnforcementCase, PartyRole
from car_enforce.core import clock, events, zh
from car_enforce.core.access import Condition, Scope
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


def public_round(session: Session, round_id: int) -> AuctionRound:
    """A round anyone may see: any but a draft (what is not yet announced is not yet public)."""
    rnd = session.get(AuctionRound, round_id)
    if rnd is None or rnd.status == RoundStatus.DRAFT:
        raise NotFound(f"round {round_id} does not exist", zh="没有找到此拍卖")
    return rnd


def load_round(session: Session, who: Principal, round_id: int) -> AuctionRound:
    """A round of a lot ``who`` may manage; NotFound otherwise."""
    rnd = session.get(AuctionRound, round_id)
    if rnd is None or not LOTS.allows(who, rnd.lot, session):
        raise NotFound(f"round {round_id} does not exist", zh="没有找到此拍卖")
    return rnd


def lock_round(session: Session, round_id: int) -> AuctionRound:
    """The round's row under its lock, its lot's first: every move of a round and its room happens one at
    a time, and every verb that holds both takes them in this order (lot, then round). Locking the two in
    one joined read let PostgreSQL take them in either order, and a withdrawal (the lot, then the round)
    deadlocked with a platform's callback on the same round."""
    lot_id = session.scalar(select(AuctionRound.lot_id).where(AuctionRound.id == round_id))
    if lot_id is None:
        raise NotFound(f"round {round_id} does not exist", zh="没有找到此拍卖")
    session.execute(select(AuctionLot.id).where(AuctionLot.id == lot_id).with_for_update())
    return _locked(session, round_id)


def lock_room(session: Session, round_id: int) -> AuctionRound:
    """The round's row alone under its lock, for the room's moves (bids, maximum bids), which change nothing
    else and never take the lot: a bid batch and the close sweep (the lot, then the round) in the round's
    last second cannot wait on each other."""
    return _locked(session, round_id)


def _locked(session: Session, round_id: int) -> AuctionRound:
    query = select(AuctionRound).where(AuctionRound.id == round_id).with_for_update(of=AuctionRound)
    rnd = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if rnd is None:
        raise NotFound(f"round {round_id} does not exist", zh="没有找到此拍卖")
    return rnd


def lock_lot_and_round(session: Session, round_id: int) -> AuctionRound:
    """The round and its lot, both locked (the lot first, as ``lock_round`` takes them), the lot read
    afresh."""
    rnd = lock_round(session, round_id)
    session.refresh(rnd.lot)
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
