"""悔拍 on the settlement's side: the court's ruling on the default (``auction.closing.record_default``)
ends the settlement; the forfeited deposit stays with the court and is applied in Art. 24's order when
the re-auction ends (``rules.apply_forfeit``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.settlement.models import Settlement, SettlementStatus
from auction.settlement.transitions import SETTLEMENT
from car_enforce.core import clock
from car_enforce.core.events import Recorded


def on_default(session: Session, recorded: Recorded) -> None:
    """``auction.defaulted``: the round's settlement ends as defaulted."""
    round_id = recorded.event.data.get("round_id")
    settlement = session.scalar(select(Settlement).where(Settlement.round_id == round_id).with_for_update())
    if settlement is None or settlement.status == SettlementStatus.DEFAULTED:
        return
    SETTLEMENT.move(settlement, "default")
    settlement.defaulted_at = clock.now()


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
