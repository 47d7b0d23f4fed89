"""The settlement moves itself on: after each step's event, ``advance`` takes the one next step that is now
possible, and that step's event brings it back. Payment → ruling and notice issued → the ruling served in the
one window → the registry asked → the handover ordered → done once registered and handed over. A step that
waits for a person (papers not yet in, a refusal from the registry) simply is not possible yet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.models import AuctionLot
from auction.settlement import documents, service, transfer
from auction.settlement.models import Settlement, SettlementStatus, TransferStatus
from auction.settlement.rules import RULE_HANDOVER
from auction.settlement.transitions import SETTLEMENT
from car_enforce.core import clock, zh
from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody, ReleaseKind
from car_enforce.custody.release import SaleRuling, issue_order
from car_enforce.custody.schemas import ReleaseOrderIn

SYSTEM = Principal.system("sale-settlement")
E_SERVICE = "电子送达（一窗受理）"
# The settlement's own events after which a next step may be possible.
SETTLEMENT_EVENTS = (
    "auction.balance_paid",
    "auction.handed_over",
    "auction.ruling_issued",
    "auction.ruling_served",
    "auction.papers_received",
)


def _handover(session: Session, settlement: Settlement) -> None:
    papers = settlement.papers or {}
    lot = session.get(AuctionLot, settlement.lot_id)
    assert lot is not None
    custody = session.get(Custody, lot.custody_id)
    assert custody is not None
    order = issue_order(
        session,
        actor=SYSTEM,
        custody=custody,
        data=ReleaseOrderIn(
            kind=ReleaseKind.SALE_HANDOVER,
            document_number=settlement.ruling_number,
            recipient_name=settlement.buyer_name,
            recipient_id_number=str(papers["id_number"]),
            notes=f"依{settlement.ruling_number}成交裁定交付买受人",
        ),
        ruling=SaleRuling(settlement.ruling_number, settlement.buyer_id_digest),
    )
    settlement.release_order_id = order.id


def advance(session: Session, settlement_id: int) -> None:
    """Take the next step that is possible now, if any (its event calls this again)."""
    settlement = service.lock(session, settlement_id)
    papers = settlement.papers
    if settlement.status == SettlementStatus.PAID:
        if not settlement.ruling_number:
            documents.issue(session, settlement)
        elif papers is not None and papers.get("electronic_service"):
            documents.serve(session, settlement, how=E_SERVICE, at=clock.now(), actor=SYSTEM)
        return
    if settlement.status != SettlementStatus.RULED or papers is None:
        return
    # The registry's application and the handover order run side by side (their events do not call back).
    if settlement.transfer_status == TransferStatus.NOT_STARTED:
        transfer.request_transfer(session, settlement)
    if settlement.release_order_id is None:
        _handover(session, settlement)
    if settlement.registered_at is not None and settlement.handed_over_at is not None:
        SETTLEMENT.move(settlement, "finish")
        session.flush()
        service.tell(
            session,
            SYSTEM,
            settlement,
            "auction.settlement_done",
            {"registered_at": settlement.registered_at, "handed_over_at": settlement.handed_over_at},
            text="已完成过户登记并交付买受人。",
        )


def on_settlement_event(session: Session, recorded: Recorded) -> None:
    """An event of the settlement itself (``auction.balance_paid``, ``auction.ruling_*``, papers)."""
    settlement_id = recorded.event.data.get("settlement_id")
    if settlement_id is not None:
        advance(session, int(settlement_id))


def _of_custody(session: Session, custody_id: object) -> Settlement | None:
    return session.scalar(
        select(Settlement)
        .join(AuctionLot, AuctionLot.id == Settlement.lot_id)
        .where(AuctionLot.custody_id == custody_id, Settlement.status == SettlementStatus.RULED)
    )


def on_custody_released(session: Session, recorded: Recorded) -> None:
    """``custody.released``: the car left the center to its buyer; custody closes, the settlement may end."""
    data = recorded.event.data
    settlement = _of_custody(session, data.get("custody_id"))
    if settlement is None or data.get("order_id") != settlement.release_order_id:
        return
    settlement = service.lock(session, settlement.id)
    at = data.get("released_at")
    settlement.handed_over_at = clock.as_utc(at) if isinstance(at, datetime) else clock.now()
    session.flush()
    service.tell(
        session,
        SYSTEM,
        settlement,
        "auction.handed_over",
        {"handed_over_at": settlement.handed_over_at, "order_id": settlement.release_order_id},
        reason=RULE_HANDOVER,
        text=f"已于{zh.minute(settlement.handed_over_at)}在保管场所交付买受人。",
    )


def on_registry_news(session: Session, recorded: Recorded) -> None:
    """``registry.transfer_completed``, ``_refused`` or ``request_failed``: the settlement hears it."""
    settlement = transfer.of_request(session, recorded.event.data.get("request_id"))
    if settlement is None or settlement.status != SettlementStatus.RULED:
        return
    if transfer.heard(session, settlement, recorded.event.kind, recorded.event.data):
        advance(session, settlement.id)
