"""The close of a round at its effective end, exactly once however many schedulers or server processes run
(网拍规定 Art. 11, 22–26; 参考价规定 Art. 31), and the buyer who backs out (Art. 24)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction import rules
from auction.bidding import bids_digest
from auction.lots import lock_lot, lock_round, record
from auction.models import (
    AuctionBidder,
    AuctionRound,
    Confirmation,
    Deposit,
    DepositStatus,
    RoundKind,
    RoundStatus,
)
from auction.room_state import room_of
from auction.rules import articles as a
from auction.transitions import LOT, ROUND
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock, sweeps, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict, Forbidden
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


def _confirmation(
    session: Session, rnd: AuctionRound, buyer: AuctionBidder, closing: rules.Closing
) -> Confirmation:
    lot = rnd.lot
    case = session.get(EnforcementCase, lot.case_id)
    assert case is not None and closing.price_fen is not None and closing.balance_due is not None
    year = clock.local(closing.closed_at).year
    confirmation = Confirmation(
        round_id=rnd.id,
        number=f"（{year}）{case.court.code or case.court_id}拍确{lot.id}-{rnd.sequence}号",
        buyer_name=buyer.real_name,
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


def close_round(session: Session, round_id: int, now: datetime | None = None) -> rules.Closing | None:
    """Close the round if it is due: sold or unsold, the deposits on their way, the 确认书 issued, the
    inquiry fee assigned. None when it is not due (not announced, stopped, or before its end + grace)."""
    now = now or clock.now()
    rnd = lock_round(session, round_id)
    if rnd.status != RoundStatus.ANNOUNCED or now < rnd.effective_end_at + GRACE:
        return None
    held = deposits_of(session, rnd)
    amounts = {
        str(b.id): d.amount_fen for b, d in held if d.status == DepositStatus.HELD and d.amount_fen > 0
    }
    closing = rules.close(room_of(rnd), now, amounts, load_calendar(session), balance_days=rnd.balance_days)
    rnd.closed_at = now
    lot = rnd.lot
    lock_lot(session, lot)
    moves = {m.bidder: m for m in closing.released}
    for bidder, deposit in held:
        key = str(bidder.id)
        if key in moves:
            deposit.status, deposit.due_at = DepositStatus.RELEASING, moves[key].due_at
        elif closing.to_court is not None and closing.to_court.bidder == key:
            deposit.status, deposit.due_at = DepositStatus.TO_COURT, closing.to_court.due_at
        elif deposit.status == DepositStatus.PENDING:
            deposit.status = DepositStatus.RELEASED  # never paid: nothing to return; the order is void
            deposit.moved_at = now
    data: dict[str, object] = {
        "round_id": rnd.id,
        "number": rnd.number,
        "kind": rnd.kind,
        "closed_at": closing.closed_at,
        "bids": closing.bids,
        "bids_digest": bids_digest(session, rnd.id),  # the bids sealed into the case's hash chain
        "deposits_released": len(closing.released),
    }
    if closing.sold:
        assert closing.buyer is not None and closing.price_fen is not None
        ROUND.move(rnd, "sell")
        LOT.move(lot, "sell")
        buyer = session.get(AuctionBidder, int(closing.buyer))
        assert buyer is not None
        rnd.buyer_id = buyer.id
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
    return closing


def close_due(database: Database, *, now: datetime | None = None) -> list[int]:
    """The sweep: every round past its effective end closes, one per transaction; the ids closed."""
    at = now or clock.now()
    with database.unit_of_work(read_only=True) as session:
        ids = list(
            session.scalars(
                select(AuctionRound.id)
                .where(
                    AuctionRound.status == RoundStatus.ANNOUNCED, AuctionRound.effective_end_at <= at - GRACE
                )
                .order_by(AuctionRound.effective_end_at)
            )
        )

    def close_one(session: Session, round_id: int) -> int | None:
        return round_id if close_round(session, round_id, at) is not None else None

    return sweeps.each(database, "auction-close", ids, close_one)


def record_default(session: Session, *, actor: Principal, rnd: AuctionRound, reason: str) -> AuctionRound:
    """The buyer did not pay the balance in time (悔拍): the round defaults, the deposit is forfeited and the
    buyer may not bid when the car is auctioned again (网拍规定 Art. 24; 拍卖变卖规定 Art. 22)."""
    lot = rnd.lot
    if actor.role not in (Role.OFFICER, Role.ADMIN) or (
        actor.role == Role.OFFICER and actor.organisation_id != lot.court_id
    ):
        raise Forbidden("only the enforcing court rules on a default", zh="只有执行法院才能认定悔拍")
    rnd = lock_round(session, rnd.id)
    due = rnd.balance_due_on
    if rnd.status == RoundStatus.SOLD and due is not None and clock.today_local() <= due:
        raise Conflict(
            f"the balance is due by {due}: the buyer is not in default yet",
            zh=f"余款支付期限至{zh.day(due)}届满，买受人尚未悔拍",
        )
    ROUND.move(rnd, "default")
    lock_lot(session, lot)
    LOT.move(lot, "resell")
    buyer = session.get(AuctionBidder, rnd.buyer_id) if rnd.buyer_id is not None else None
    assert buyer is not None
    rnd.barred = sorted({*rnd.barred, buyer.id_digest})
    # The deposit is already on its way to the court's account (Art. 25) and stays there: it pays the
    # auction's costs, then any shortfall of the re-auction, then the debt (Art. 24).
    deposit = buyer.deposit
    forfeited = deposit.amount_fen if deposit is not None and deposit.status != DepositStatus.WAIVED else 0
    session.flush()
    record(
        session,
        actor,
        lot,
        "auction.defaulted",
        {"round_id": rnd.id, "buyer": buyer.number, "reason": reason.strip(), "forfeited_fen": forfeited},
        reason=a.RULE_DEFAULTER,
        tell="的买受人未按期支付余款（悔拍），保证金不予退还，法院将重新拍卖。",
    )
    return rnd


def confirmation_of(session: Session, round_id: int) -> Confirmation | None:
    return session.scalar(select(Confirmation).where(Confirmation.round_id == round_id))
