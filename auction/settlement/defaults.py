"""悔拍 on the settlement's side (网拍规定 Art. 24). A balance past its due day is put before the court once;
the court's ruling on the default (``auction.closing.record_default``) ends the settlement with the deposit
forfeited; when the re-auction sells, the forfeited deposit is applied in the article's order: the auction's
costs (the storage the default cost: from the defaulted close to the resale's), then the resale's shortfall
below the defaulted price, then the debtor's debts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.models import AuctionLot, AuctionRound
from auction.rules import articles as a
from auction.settlement import rules, service
from auction.settlement.models import Settlement, SettlementStatus
from auction.settlement.transitions import SETTLEMENT
from car_enforce.core import clock, sweeps, zh
from car_enforce.core.db import Database
from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.costs import statement
from car_enforce.custody.models import Custody

SYSTEM = Principal.system("sale-defaults")


def on_default(session: Session, recorded: Recorded) -> None:
    """``auction.defaulted``: the round's settlement ends as defaulted, its deposit forfeited."""
    round_id = recorded.event.data.get("round_id")
    settlement = session.scalar(select(Settlement).where(Settlement.round_id == round_id).with_for_update())
    if settlement is None or settlement.status == SettlementStatus.DEFAULTED:
        return
    if settlement.status != SettlementStatus.AWAITING_BALANCE:
        raise SETTLEMENT.conflict(
            f"settlement {settlement.id} is {settlement.status}: the price is paid, there is no default",
            zh="买受人已付清全部价款，不能认定悔拍",
        )
    SETTLEMENT.move(settlement, "default")
    settlement.defaulted_at = clock.now()
    settlement.forfeited_fen = int(recorded.event.data.get("forfeited_fen") or 0)


def overdue(session: Session, today: date | None = None) -> list[Settlement]:
    """Settlements whose balance is past due and unpaid: the court should rule on the default."""
    day = today or clock.today_local()
    return list(
        session.scalars(
            select(Settlement)
            .where(Settlement.status == SettlementStatus.AWAITING_BALANCE, Settlement.balance_due_on < day)
            .order_by(Settlement.balance_due_on)
        )
    )


def warn_overdue(database: Database) -> list[int]:
    """The sweep: each balance past due is put before the court once (the officer is told), one per
    transaction; the settlements warned."""
    with database.unit_of_work(read_only=True) as session:
        ids = [s.id for s in overdue(session) if s.overdue_warned_at is None]

    def warn(session: Session, settlement_id: int) -> int | None:
        settlement = service.lock(session, settlement_id)
        if settlement.status != SettlementStatus.AWAITING_BALANCE or settlement.overdue_warned_at is not None:
            return None
        settlement.overdue_warned_at = clock.now()
        session.flush()
        service.tell(
            session,
            SYSTEM,
            settlement,
            "auction.balance_overdue",
            {"balance_fen": settlement.balance_fen, "due_on": settlement.balance_due_on},
            reason=a.RULE_DEFAULTER,
            text=(
                f"的买受人未在{zh.day(settlement.balance_due_on)}前付清余款"
                f"{zh.yuan_text(settlement.balance_fen)}，请法院认定是否悔拍。"
            ),
        )
        return settlement_id

    return sweeps.each(database, "settlement-overdue", ids, warn)


def apply_forfeits(session: Session, recorded: Recorded) -> None:
    """``auction.closed``: a resale that sold applies each forfeited deposit of the lot's earlier buyers."""
    data = recorded.event.data
    if not data.get("sold"):
        return
    resale = session.get(AuctionRound, data.get("round_id"))
    if resale is None or resale.price_fen is None:
        return
    lot = session.get(AuctionLot, resale.lot_id)
    custody = session.get(Custody, lot.custody_id) if lot is not None else None
    defaulted = session.scalars(
        select(Settlement)
        .where(
            Settlement.lot_id == resale.lot_id,
            Settlement.status == SettlementStatus.DEFAULTED,
            Settlement.forfeit_applied_at.is_(None),
        )
        .order_by(Settlement.id)
        .with_for_update()
    )
    resold_on = clock.local(resale.closed_at or clock.now()).date()
    for settlement in defaulted:
        costs = 0
        if custody is not None:
            # What the default cost the case: the storage between the defaulted close and the resale's.
            sold_on = clock.local(settlement.sold_at).date()
            costs = max(
                0,
                statement(session, custody, resold_on).storage_fen
                - statement(session, custody, sold_on).storage_fen,
            )
        forfeit = rules.apply_forfeit(
            settlement.forfeited_fen,
            costs_fen=costs,
            defaulted_price_fen=settlement.price_fen,
            resale_price_fen=resale.price_fen,
        )
        settlement.forfeit = {
            "costs_fen": forfeit.costs_fen,
            "shortfall_fen": forfeit.shortfall_fen,
            "debts_fen": forfeit.debts_fen,
            "resale_round_id": resale.id,
            "resale_price_fen": resale.price_fen,
        }
        settlement.forfeit_applied_at = clock.now()
        session.flush()
        service.tell(
            session,
            SYSTEM,
            settlement,
            "auction.forfeit_applied",
            {"forfeited_fen": settlement.forfeited_fen, **settlement.forfeit},
            reason=rules.RULE_FORFEIT,
            text=(
                f"悔拍买受人被没收的保证金{zh.yuan_text(settlement.forfeited_fen)}已依次用于拍卖费用损失"
                f"{zh.yuan_text(forfeit.costs_fen)}、弥补重新拍卖差价{zh.yuan_text(forfeit.shortfall_fen)}、"
                f"冲抵债务{zh.yuan_text(forfeit.debts_fen)}。"
            ),
        )
