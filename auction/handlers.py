"""What the sale hears from the domains below it (registered in ``api.wiring``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.models import AuctionLot, LotStatus
from auction.stops import car_left_custody
from car_enforce.core.events import Recorded


def custody_released(session: Session, recorded: Recorded) -> None:
    """A car released from the center is no longer for sale: its lot still selling is withdrawn."""
    custody_id = recorded.event.data.get("custody_id")
    lot = session.scalar(
        select(AuctionLot).where(AuctionLot.custody_id == custody_id, AuctionLot.status == LotStatus.SELLING)
    )
    if lot is not None:
        car_left_custody(session, lot)
