"""The close of a round at its effective end, exactly once however many schedulers or server processes run
(网拍规定 Art. 11, 22–26; 参考价规定 Art. 31), and the buyer who backs out (Art. 24)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction import rules
from auction.bidding import bids_digest
from auction.lots import lock_lot_and_round, record
from auction.models import (
    BUILTIN_PLATFORM,
    AuctionBidder,
    AuctionRound,
    Confirmation,
    Deposit,
    DepositStatus,
    RoundKind,
    RoundStatus,
)
from auction.platforms.models import AuctionPublication
from auction.room_state import room_of
from auction.rules import articles as a
from auction.transitions import LOT, ROUND
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock, sweeps, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from valuation.reference_price import validity
from valuation.reference_price.models import ReferencePrice
from valuation.reference_price.rules import Method

SYSTEM = Principal.system("auction-close")
# A bid received just before the end may still be waiting for the round's lock: the close waits this long
# past the effective end, so such a bid is judged by its receipt time and not lost to the sweep.
GRACE = timedelta(seconds=2)


def deposits_of(session: Session, rnd: AuctionRound) -> list[tuple[AuctionBidder, Deposit]]:
    rows = session.execute(
        select(AuctionBidder, Deposit)
        .join(Deposit, Deposit.bidder_id == AuctionBidder.id)
        .where(AuctionBidder.round_id == rnd.id)
        .with_for_update(of=Deposit)
    )
    return [(bidder, deposit) for bidder, deposit in rows]


@dataclass(frozen=True, slots=True)
class BuyerFacts:
    """Who bought, as the 确认书 names them (Art. 22): the real name, the masked ID, the bidder number."""

    name: str
    id_masked: str
    number: str


def _confirmation(
    session: Session, rnd: AuctionRound, buyer: BuyerFacts, closing: rules.Closing
) -> Confirmation:
    lot = rnd.lot
    case = session.get(EnforcementCase, lot.case_id)
    assert case is not None and closing.price_fen is not None and closing.balance_due is not None
    year = clock.local(closing.closed_at).year
    confirmation = Confirmation(
        round_id=rnd.id,
        number=f"（{year}）{case.court.code or case.court_id}拍确{lot.id}-{rnd.sequence}号",
        buyer_name=buyer.name,
        buyer_id_masked=buyer.id_masked,
        buyer_number=buyer.number,
        price_fen=closing.price_fen,
        balance_fen=closing.balance_fen or 0,
        balance_due_on=closing.balance_due.on,
        closed_at=closing.closed_at,
        issued_at=clock.now(),
        facts={
            "lot": lot.title,
            "court": case.court.name,
            "case_number": case.case_number,
            "kind": "变卖" if rnd.kind == RoundKind.SALE else f"第{rnd.number}次拍卖",
            "platform": rnd.platform,
            "bids": closing.bids,
            "starting_price_fen": rnd.starting_price_fen,
        },
    )
    session.add(confirmation)
    return confirmation


def _settle(
    session: Session,
    rnd: AuctionRound,
    closing: rules.Closing,
    buyer: BuyerFacts | None,
    data: dict[str, object],
) -> None:
    """The outcome on record, wherever the bidding ran: the round and the lot moved, the 确认书 issued, the
    balance due, the inquiry fee assigned (参考价规定 Art. 31), and the one event "auction.closed"."""
    lot = rnd.lot
    if closing.sold:
        assert buyer is not None and closing.price_fen is not None
        ROUND.move(rnd, "sell")
        LOT.move(lot, "sell")
        rnd.balance_fen = closing.balance_fen
        rnd.balance_due_on = closing.balance_due.on if closing.balance_due else None
        confirmation = _confirmation(session, rnd, buyer, closing)
        session.flush()
        pricing = session.get(ReferencePrice, lot.pricing_id)
        assert pricing is not None
        fee = (
            validity.award_fee(session, pricing, closing.price_fen) if pricing.method == Method.ONLINE else []
        )
        data |= {
            "sold": True,
            "buyer": buyer.number,
            "price_fen": closing.price_fen,
            "balance_fen": closing.balance_fen,
            "balance_due_on": rnd.balance_due_on,
            "confirmation": confirmation.number,
            "inquiry_fee": [{"platform_id": f.platform_id, "share": f.share} for f in fee],
        }
        text = (
            f"已于{zh.minute(closing.closed_at)}{'变卖' if rnd.kind == RoundKind.SALE else '拍卖'}成交，"
            f"成交价{zh.yuan_text(closing.price_fen)}，买受人应于{zh.day(closing.balance_due.on)}前"
            "支付余款。"
            if closing.balance_due
            else "已成交。"
        )
    else:
        ROUND.move(rnd, "close_unsold")
        steps = rules.after_unsold(rules.Stage(rnd.stage))
        data |= {"sold": False, "next_steps": [s.value for s in steps]}
        text = f"{'变卖' if rnd.kind == RoundKind.SALE else f'第{rnd.number}次拍卖'}无人出价，已流拍。"
    session.flush()
    record(session, SYSTEM, lot, "auction.closed", data, reason=closing.rule, tell=text)


def close_round(session: Session, round_id: int, now: datetime | None = None) -> rules.Closing | None:
    """Close the round if it is due: sold or unsold, the deposits on their way, the 确认书 issued, the
    inquiry fee assigned. None when it is not due (not announced, stopped, or before its end + grace)."""
    now = now or clock.now()
    rnd = lock_lot_and_round(session, round_id)
    if (
        rnd.status != RoundStatus.ANNOUNCED
        or rnd.platform != BUILTIN_PLATFORM  # an outside platform reports its own close
        or now < rnd.effective_end_at + GRACE
    ):
        return None
    held = deposits_of(session, rnd)
    amounts = {
        str(b.id): d.amount_fen for b, d in held if d.status == DepositStatus.HELD and d.amount_fen > 0
    }
    closing = rules.close(room_of(rnd), now, amounts, load_calendar(session), balance_days=rnd.balance_days)
    rnd.closed_at = now
    moves = {m.bidder: m for m in closing.released}
    for bidder, deposit in held:
        key = str(bidder.id)
        if key in moves:
            deposit.status, deposit.due_at = DepositStatus.RELEASING, moves[key].due_at
        elif closing.to_court is not None and closing.to_court.bidder == key:
            deposit.status, deposit.due_at = DepositStatus.TO_COURT, closing.to_court.due_at
        # A deposit still pending stays so: paid late, it goes straight back (bidders.deposit_paid).
    data: dict[str, object] = {
        "round_id": rnd.id,
        "number": rnd.number,
        "kind": rnd.kind,
        "closed_at": closing.closed_at,
        "bids": closing.bids,
        "bids_digest": bids_digest(session, rnd.id),  # the bids sealed into the case's hash chain
        "deposits_released": len(closing.released),
    }
    facts = None
    if closing.sold:
        assert closing.buyer is not None
        buyer = session.get(AuctionBidder, int(closing.buyer))
        assert buyer is not None
        rnd.buyer_id = buyer.id
        facts = BuyerFacts(buyer.real_name, buyer.id_masked, buyer.number)
    _settle(session, rnd, closing, facts, data)
    return closing


def close_due(database: Database, *, now: datetime | None = None) -> list[int]:
    """The sweep: every round past its effective end closes, one per transaction; the ids closed."""
    at = now or clock.now()
    with database.unit_of_work(read_only=True) as session:
        ids = list(
            session.scalars(
                select(AuctionRound.id)
                .where(
                    AuctionRound.status == RoundStatus.ANNOUNCED,
                    AuctionRound.platform == BUILTIN_PLATFORM,
                    AuctionRound.effective_end_at <= at - GRACE,
                )
                .order_by(AuctionRound.effective_end_at)
            )
        )

    def close_one(session: Session, round_id: int) -> int | None:
        # Each round closes at its own moment (a long sweep must not date later rounds back).
        return round_id if close_round(session, round_id) is not None else None

    return sweeps.each(database, "auction-close", ids, close_one)


@dataclass(frozen=True, slots=True)
class OutsideResult:
    """The end of the bidding as an outside platform reported it (its room, its deposits)."""

    sold: bool
    closed_at: datetime  # the effective end on the platform, its extensions included
    bids: int
    price_fen: int | None = None
    buyer: BuyerFacts | None = None
    buyer_id_digest: str = ""  # the identity a later default is recorded against (Art. 24)


def close_elsewhere(session: Session, round_id: int, result: OutsideResult) -> rules.Closing:
    """Record the close of a round that ran on an outside platform, as ``close_round`` does for the built-in
    room: sold or unsold, the 确认书, the balance due (Art. 25), the inquiry fee (参考价规定 Art. 31). The
    deposits were paid to that platform, which returns or transfers them: no deposit of ours moves."""
    rnd = lock_lot_and_round(session, round_id)
    if rnd.platform == BUILTIN_PLATFORM:
        raise Conflict(
            "the built-in room closes its own rounds", zh="本平台竞价室的拍卖由本平台结束，不接受外部结果"
        )
    closed_at = clock.as_utc(result.closed_at)
    if rnd.status != RoundStatus.ANNOUNCED:
        raise ROUND.conflict(
            f"round {rnd.id} is {rnd.status}: only an announced round closes",
            zh=f"此拍卖当前为“{ROUND.status_names_zh[rnd.status]}”，不能记录竞价结果",
        )
    if closed_at < rnd.effective_end_at:
        raise RuleViolation(
            f"bidding was to run until {rnd.effective_end_at.isoformat()}: a close before it is refused",
            rule=a.RULE_DURATION,
            zh=f"竞价应至{zh.minute(rnd.effective_end_at)}结束，不能提前结束",
            field="closed_at",
        )
    if closed_at > clock.now() + GRACE:
        raise InvalidInput("closed_at", "is in the future", zh="竞价结束时间不能晚于当前时间")
    rnd.closed_at = closed_at
    rnd.effective_end_at = max(rnd.effective_end_at, closed_at)
    rnd.bids = result.bids
    if result.sold:
        price, buyer = result.price_fen, result.buyer
        if buyer is None or price is None or result.bids < 1:
            raise InvalidInput(
                "buyer",
                "a sale names its price, its buyer and at least one bid",
                zh="成交结果应载明成交价、买受人和出价次数",
            )
        if price < rnd.starting_price_fen:
            raise RuleViolation(
                f"sold at {price} fen, under the starting price of {rnd.starting_price_fen}",
                rule=a.RULE_START,
                zh=f"成交价低于起拍价{zh.yuan_text(rnd.starting_price_fen)}",
                field="price_fen",
            )
        if (price - rnd.starting_price_fen) % rnd.increment_fen:
            raise RuleViolation(
                f"{price} fen is not the starting price plus whole increments of {rnd.increment_fen}",
                rule=a.RULE_INCREMENT,
                zh=f"成交价应为起拍价加增价幅度{zh.yuan_text(rnd.increment_fen)}的整数倍",
                field="price_fen",
            )
        if result.buyer_id_digest and result.buyer_id_digest in rnd.barred:
            raise RuleViolation(
                "the buyer backed out of this car before and may not buy it in its re-auction",
                rule=a.RULE_DEFAULTER,
                zh="该买受人曾对本标的悔拍，不得参加重新拍卖的竞买",
                field="buyer",
            )
        rnd.price_fen = price
        # The deposit paid at the platform counts towards the price (Art. 23); the platform sends it to the
        # court's account, so the balance is what is left.
        closing = rules.Closing(
            sold=True,
            closed_at=closed_at,
            bids=result.bids,
            rule=a.RULE_SOLD,
            buyer=buyer.number,
            price_fen=price,
            balance_fen=max(0, price - rnd.deposit_fen),
            balance_due=rules.balance_due(closed_at, rnd.balance_days, load_calendar(session)),
        )
    else:
        buyer = None
        closing = rules.Closing(sold=False, closed_at=closed_at, bids=result.bids, rule=a.RULE_UNSOLD)
    data: dict[str, object] = {
        "round_id": rnd.id,
        "number": rnd.number,
        "kind": rnd.kind,
        "closed_at": closing.closed_at,
        "bids": closing.bids,
        "platform": rnd.platform,
    }
    _settle(session, rnd, closing, buyer, data)
    return closing


def record_default(session: Session, *, actor: Principal, rnd: AuctionRound, reason: str) -> AuctionRound:
    """The buyer did not pay the balance in time (悔拍): the round defaults, the deposit is forfeited and the
    buyer may not bid when the car is auctioned again (网拍规定 Art. 24; 拍卖变卖规定 Art. 22)."""
    lot = rnd.lot
    if actor.role not in (Role.OFFICER, Role.ADMIN) or (
        actor.role == Role.OFFICER and actor.organisation_id != lot.court_id
    ):
        raise Forbidden("only the enforcing court rules on a default", zh="只有执行法院才能认定悔拍")
    rnd = lock_lot_and_round(session, rnd.id)
    due = rnd.balance_due_on
    if rnd.status == RoundStatus.SOLD and due is not None and clock.today_local() <= due:
        raise Conflict(
            f"the balance is due by {due}: the buyer is not in default yet",
            zh=f"余款支付期限至{zh.day(due)}届满，买受人尚未悔拍",
        )
    ROUND.move(rnd, "default")
    LOT.move(lot, "resell")
    bidder = session.get(AuctionBidder, rnd.buyer_id) if rnd.buyer_id is not None else None
    if bidder is not None:
        digest, number = bidder.id_digest, bidder.number
        # The deposit is already on its way to the court's account (Art. 25) and stays there: it pays the
        # auction's costs, then any shortfall of the re-auction, then the debt (Art. 24).
        deposit = bidder.deposit
        forfeited = (
            deposit.amount_fen if deposit is not None and deposit.status != DepositStatus.WAIVED else 0
        )
    else:
        # Sold on an outside platform: the buyer is on the publication's restricted record, and the deposit
        # paid at that platform is forfeited the same way.
        publication = session.scalar(select(AuctionPublication).where(AuctionPublication.round_id == rnd.id))
        assert publication is not None
        digest, number, forfeited = publication.buyer_id_digest, publication.buyer_number, rnd.deposit_fen
    rnd.barred = sorted({*rnd.barred, digest})
    session.flush()
    record(
        session,
        actor,
        lot,
        "auction.defaulted",
        {"round_id": rnd.id, "buyer": number, "reason": reason.strip(), "forfeited_fen": forfeited},
        reason=a.RULE_DEFAULTER,
        tell="的买受人未按期支付余款（悔拍），保证金不予退还，法院将重新拍卖。",
    )
    return rnd


def confirmation_of(session: Session, round_id: int) -> Confirmation | None:
    return session.scalar(select(Confirmation).where(Confirmation.round_id == round_id))
