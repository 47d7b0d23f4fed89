"""Reading and locking settlements, who may see one, and the one event each step records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.lots import manages, record
from auction.models import AuctionLot
from auction.settlement.models import Settlement
from car_enforce.core.errors import NotFound
from car_enforce.core.identity.principal import Principal
from car_enforce.core.timeline.models import TimelineEvent


def sees(who: Principal, settlement: Settlement) -> bool:
    """The court's people and the buyer; nobody else sees a buyer's papers and payments."""
    return manages(who, settlement.court_id) or (
        who.user_id is not None and who.user_id == settlement.buyer_user_id
    )


def _gone(settlement_id: int) -> NotFound:
    return NotFound(f"settlement {settlement_id} does not exist", zh="没有找到此成交记录")


def load(session: Session, who: Principal, settlement_id: int) -> Settlement:
    settlement = session.get(Settlement, settlement_id)
    if settlement is None or not sees(who, settlement):
        raise _gone(settlement_id)
    return settlement


def lock(session: Session, settlement_id: int) -> Settlement:
    settlement = session.scalar(
        select(Settlement)
        .where(Settlement.id == settlement_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if settlement is None:
        raise _gone(settlement_id)
    return settlement


def of_round(session: Session, round_id: int) -> Settlement | None:
    return session.scalar(select(Settlement).where(Settlement.round_id == round_id))


def of_buyer(session: Session, user_id: int) -> list[Settlement]:
    return list(
        session.scalars(
            select(Settlement).where(Settlement.buyer_user_id == user_id).order_by(Settlement.id.desc())
        )
    )


def of_court(session: Session, court_id: int | None) -> list[Settlement]:
    query = select(Settlement).order_by(Settlement.id.desc())
    if court_id is not None:
        query = query.where(Settlement.court_id == court_id)
    return list(session.scalars(query))


def tell(
    session: Session,
    actor: Principal,
    settlement: Settlement,
    kind: str,
    data: Mapping[str, Any],
    *,
    reason: str = "",
    text: str = "",
) -> TimelineEvent:
    """One step of the settlement on its case's timeline; ``text`` goes to the officer and the creditors."""
    lot = session.get(AuctionLot, settlement.lot_id)
    assert lot is not None
    return record(
        session,
        actor,
        lot,
        kind,
        {"settlement_id": settlement.id, "round_id": settlement.round_id, **data},
        reason=reason,
        tell=text,
    )
