"""A round stopped and resumed (网拍规定 Art. 28), the lot withdrawn when the debtor pays, and the ends of a
lot that did not sell: 以物抵债 or the car returned (拍卖变卖规定 Art. 16, 24)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from auction import rules
from auction.closing import SYSTEM, deposits_of
from auction.lots import OPEN_ROUNDS, lock_lot, lock_round, may_manage, record
from auction.models import AuctionLot, AuctionRound, DepositStatus, RoundStatus
from auction.room_state import room_of, store
from auction.rules import articles as a
from auction.transitions import LOT, ROUND
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.errors import Conflict, InvalidInput, RuleViolation
from car_enforce.core.identity.principal import Principal


def suspend(session: Session, *, actor: Principal, rnd: AuctionRound, reason: str) -> AuctionRound:
    """Stop the round (暂缓 or 中止); its reason is published and bids wait (Art. 28)."""
    may_manage(actor, rnd.lot.court_id)
    rnd = lock_round(session, rnd.id)
    now = clock.now()
    room = rules.suspend(room_of(rnd), now, reason)  # refuses a blank reason or a round already over
    ROUND.move(rnd, "suspend")
    store(rnd, room)
    rnd.suspend_reason = reason.strip()
    session.flush()
    record(
        session,
        actor,
        rnd.lot,
        "auction.suspended",
        {"round_id": rnd.id, "suspended_at": now, "reason": rnd.suspend_reason},
        reason=a.RULE_SUSPEND,
        tell=f"的拍卖已暂缓，原因：{rnd.suspend_reason}",
    )
    return rnd


def resume(session: Session, *, actor: Principal, rnd: AuctionRound, cause_ended_on: date) -> AuctionRound:
    """Resume a stopped round: the time still ahead when it stopped is given back. A resumption more than 5
    days after the cause ended is recorded as late (Art. 28 names no consequence)."""
    may_manage(actor, rnd.lot.court_id)
    rnd = lock_round(session, rnd.id)
    now = clock.now()
    stopped = room_of(rnd)  # read while the round is still stopped
    ROUND.move(rnd, "resume")
    timing = rules.check_resumption(cause_ended_on, clock.local(now).date(), load_calendar(session))
    store(rnd, rules.resume(stopped, now))
    session.flush()
    record(
        session,
        actor,
        rnd.lot,
        "auction.resumed",
        {
            "round_id": rnd.id,
            "resumed_at": now,
            "cause_ended_on": cause_ended_on,
            "late": timing.late,
            "due_on": timing.due.on,
            "starts_at": rnd.starts_at,
            "effective_end_at": rnd.effective_end_at,
        },
        reason=a.RULE_SUSPEND,
        tell=f"的拍卖已恢复，竞价至{zh.minute(rnd.effective_end_at)}结束。",
    )
    return rnd


def _end_open_rounds(session: Session, lot: AuctionLot) -> list[int]:
    """Withdraw the lot's open rounds; every deposit paid goes back within 24 hours (Art. 23)."""
    ended = []
    for rnd in lot.rounds:
        if rnd.status not in OPEN_ROUNDS:
            continue
        rnd = lock_round(session, rnd.id)
        ROUND.move(rnd, "withdraw")
        rnd.closed_at = clock.now()
        for _bidder, deposit in deposits_of(session, rnd):
            if deposit.status == DepositStatus.HELD:  # a pending one paid late goes straight back
                deposit.status, deposit.due_at = DepositStatus.RELEASING, clock.now() + a.DEPOSIT_HOURS
        ended.append(rnd.id)
    return ended


def withdraw_lot(session: Session, *, actor: Principal, lot: AuctionLot, reason: str) -> AuctionLot:
    """The debtor paid in full (or the court ends the sale): the lot is withdrawn, its open rounds with it;
    the court then releases the car to its owner (a release order on the custody)."""
    may_manage(actor, lot.court_id)
    if not reason.strip():
        raise InvalidInput("reason", "say why the sale ends", zh="请说明撤回拍卖的理由")
    lock_lot(session, lot)
    LOT.move(lot, "withdraw")
    ended = _end_open_rounds(session, lot)
    lot.ended_at, lot.end_reason = clock.now(), reason.strip()
    session.flush()
    record(
        session,
        actor,
        lot,
        "auction.withdrawn",
        {"rounds_withdrawn": ended, "reason": lot.end_reason},
        reason="执行完毕或撤回拍卖",
        tell=f"的拍卖已撤回：{lot.end_reason}。法院将解除扣押并退还车辆。",
    )
    return lot


def car_left_custody(session: Session, lot: AuctionLot) -> None:
    """The car left the center some other way (released by the court): its sale ends with it."""
    lock_lot(session, lot)
    if lot.status != "selling":
        return
    LOT.move(lot, "withdraw")
    ended = _end_open_rounds(session, lot)
    lot.ended_at, lot.end_reason = clock.now(), "车辆已出库"
    session.flush()
    record(session, SYSTEM, lot, "auction.withdrawn", {"rounds_withdrawn": ended, "reason": lot.end_reason})


def _last_unsold(lot: AuctionLot) -> AuctionRound:
    if any(r.status in OPEN_ROUNDS | {RoundStatus.SOLD} for r in lot.rounds):
        raise Conflict("a round of this lot is open or sold", zh="此标的有进行中或已成交的拍卖")
    closed = [r for r in lot.rounds if r.status in (RoundStatus.UNSOLD, RoundStatus.DEFAULTED)]
    if not closed or closed[-1].status != RoundStatus.UNSOLD:
        raise RuleViolation(
            "only after an unsold round",
            rule=a.RULE_OFFSET,
            zh="拍卖流拍后方可以物抵债或解除查封",
            field="round",
        )
    return closed[-1]


def offset(session: Session, *, actor: Principal, lot: AuctionLot) -> rules.Offset:
    """The applicant takes the car at the unsold round's reserve in lieu of payment, paying the difference
    when its claim is smaller (拍卖变卖规定 Art. 16)."""
    may_manage(actor, lot.court_id)
    lock_lot(session, lot)
    unsold = _last_unsold(lot)
    if rules.NextStep.OFFSET not in rules.after_unsold(rules.Stage(unsold.stage)):
        raise RuleViolation("not after this round", rule=a.RULE_OFFSET, zh="此轮流拍后不能以物抵债")
    case = session.get(EnforcementCase, lot.case_id)
    assert case is not None
    result = rules.RoundResult(
        unsold.number, unsold.starting_price_fen, unsold.effective_end_at, unsold.platform
    )
    terms = rules.offset_terms(result, case.amount_owed_fen)
    LOT.move(lot, "offset")
    lot.ended_at, lot.end_reason = clock.now(), "以物抵债"
    session.flush()
    record(
        session,
        actor,
        lot,
        "auction.offset",
        {"round_id": unsold.id, "price_fen": terms.price_fen, "difference_fen": terms.difference_fen},
        reason=a.RULE_OFFSET,
        tell=f"以{zh.yuan_text(terms.price_fen)}作价交申请执行人抵债"
        + (f"，申请执行人应补交差价{zh.yuan_text(terms.difference_fen)}。" if terms.difference_fen else "。"),
    )
    return terms


def return_car(session: Session, *, actor: Principal, lot: AuctionLot) -> AuctionLot:
    """Unsold and not taken in lieu: the seizure is released and the car returned (拍卖变卖规定 Art. 24)."""
    may_manage(actor, lot.court_id)
    lock_lot(session, lot)
    unsold = _last_unsold(lot)
    if rules.NextStep.RELEASE not in rules.after_unsold(rules.Stage(unsold.stage)):
        raise RuleViolation(
            "after an unsold first auction the car is auctioned again or offset, not yet returned",
            rule=a.RULE_OFFSET,
            zh="第一次拍卖流拍后应再次拍卖或以物抵债，尚不能解除查封退还",
        )
    LOT.move(lot, "return")
    lot.ended_at, lot.end_reason = clock.now(), "解除查封退还"
    session.flush()
    record(
        session,
        actor,
        lot,
        "auction.returned",
        {"round_id": unsold.id},
        reason=a.RULE_OFFSET,
        tell="经拍卖、变卖未能处置，法院将解除查封并退还车辆。",
    )
    return lot
