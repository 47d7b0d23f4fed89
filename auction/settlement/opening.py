"""A sold round opens its settlement: the buyer as the 确认书 names them, the price, what the deposit
already paid and the balance due by the lot's deadline (网拍规定 Art. 25)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.models import AuctionBidder, AuctionRound, Confirmation, DepositStatus
from auction.platforms.models import AuctionPublication
from auction.settlement.balance import mark_paid
from auction.settlement.models import PaidVia, Settlement, SettlementStatus
from car_enforce.core import clock
from car_enforce.core.events import Recorded


def open_settlement(session: Session, round_id: int) -> Settlement | None:
    """The settlement of a sold round, made once; None when the round did not sell."""
    rnd = session.get(AuctionRound, round_id)
    if rnd is None or rnd.price_fen is None or rnd.closed_at is None:
        return None
    existing = session.scalar(select(Settlement).where(Settlement.round_id == rnd.id))
    if existing is not None:
        return existing
    confirmation = session.scalar(select(Confirmation).where(Confirmation.round_id == rnd.id))
    if confirmation is None:
        return None
    user_id: int | None = None
    digest = ""
    deposit = rnd.deposit_fen
    bidder = session.get(AuctionBidder, rnd.buyer_id) if rnd.buyer_id is not None else None
    if bidder is not None:
        user_id, digest = bidder.user_id, bidder.id_digest
        paid = bidder.deposit
        deposit = paid.amount_fen if paid is not None and paid.status != DepositStatus.WAIVED else 0
    else:
        publication = session.scalar(select(AuctionPublication).where(AuctionPublication.round_id == rnd.id))
        if publication is not None:
            digest = publication.buyer_id_digest
    now = clock.now()
    balance = confirmation.balance_fen
    settlement = Settlement(
        round_id=rnd.id,
        lot_id=rnd.lot_id,
        case_id=rnd.lot.case_id,
        court_id=rnd.lot.court_id,
        status=SettlementStatus.AWAITING_BALANCE,
        buyer_user_id=user_id,
        buyer_name=confirmation.buyer_name,
        buyer_id_digest=digest,
        buyer_id_masked=confirmation.buyer_id_masked,
        buyer_number=confirmation.buyer_number,
        price_fen=confirmation.price_fen,
        deposit_fen=deposit,
        balance_fen=balance,
        balance_due_on=confirmation.balance_due_on,
        sold_at=confirmation.closed_at,
        created_at=now,
    )
    session.add(settlement)
    session.flush()
    if balance == 0:
        # The deposit covered the price: the price is paid in full at the close.
        mark_paid(session, settlement, via=PaidVia.NOTHING_DUE, at=confirmation.closed_at)
    return settlement


def round_sold(session: Session, recorded: Recorded) -> None:
    """``auction.closed``: a sold round opens its settlement."""
    if recorded.event.data.get("sold"):
        open_settlement(session, int(recorded.event.data["round_id"]))
