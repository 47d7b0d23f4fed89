"""What the sale hears from the domains below it (registered in ``api.wiring``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.models import AuctionLot, LotStatus
from auction.stops import car_left_custody, withdraw_lot
from car_enforce.core.errors import Conflict
from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal


def custody_released(session: Session, recorded: Recorded) -> None:
    """A car released from the center is no longer for sale: its lot still selling is withdrawn."""
    custody_id = recorded.event.data.get("custody_id")
    lot = session.scalar(
        select(AuctionLot).where(AuctionLot.custody_id == custody_id, AuctionLot.status == LotStatus.SELLING)
    )
    if lot is not None:
        car_left_custody(session, lot)


def debtor_paid(session: Session, recorded: Recorded) -> None:
    """``case.debtor_paid``: the case's lots still selling are withdrawn; a car already sold stays sold (the
    buyer's right came with the hammer), so the debtor's payment is refused while one is."""
    case_id = recorded.event.data.get("case_id")
    actor = recorded.actor
    assert isinstance(actor, Principal)
    lots = list(session.scalars(select(AuctionLot).where(AuctionLot.case_id == case_id)))
    for lot in lots:
        if lot.status == LotStatus.SOLD:
            raise Conflict(
                f"lot {lot.id} ({lot.title}) is sold: the sale stands and its money pays the debt",
                zh=f"标的{lot.title}已拍卖成交，成交不因被执行人履行而撤销，请以成交价款清偿",
            )
        if lot.status == LotStatus.SELLING:
            withdraw_lot(session, actor=actor, lot=lot, reason="被执行人已履行完毕")
