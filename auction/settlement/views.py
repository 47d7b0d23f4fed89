"""A settlement as the API and the pages show it: its steps, deadlines and documents."""

from __future__ import annotations

from sqlalchemy.orm import Session

from auction.settlement import documents, rules
from auction.settlement.models import Settlement
from auction.settlement.schemas import DocumentOut, SettlementOut
from auction.settlement.transitions import SETTLEMENT
from car_enforce.core import clock
from car_enforce.core.calendar.service import load_calendar


def settlement_out(session: Session, s: Settlement) -> SettlementOut:
    calendar = load_calendar(session)
    ruling_due = rules.ruling_due(calendar, clock.local(s.paid_at).date()).on if s.paid_at else None
    handover_due = rules.handover_due(calendar, clock.local(s.served_at).date()).on if s.served_at else None
    docs = documents.documents_of(session, s)
    return SettlementOut(
        id=s.id,
        round_id=s.round_id,
        lot_id=s.lot_id,
        case_id=s.case_id,
        status=s.status,
        status_zh=SETTLEMENT.status_names_zh[s.status],
        buyer_name=s.buyer_name,
        buyer_id_masked=s.buyer_id_masked,
        buyer_number=s.buyer_number,
        price_fen=s.price_fen,
        deposit_fen=s.deposit_fen,
        balance_fen=s.balance_fen,
        balance_due_on=s.balance_due_on,
        paid_via=s.paid_via,
        paid_at=s.paid_at,
        proof_status=str(s.proof["status"]) if s.proof else None,
        papers_at=s.papers_at,
        ruling_number=s.ruling_number,
        served_at=s.served_at,
        ruling_due_on=ruling_due,
        handover_due_on=handover_due,
        transfer_status=s.transfer_status,
        transfer_refusal=s.transfer_refusal,
        registration=s.registration,
        registered_at=s.registered_at,
        handed_over_at=s.handed_over_at,
        release_order_id=s.release_order_id,
        documents=[
            DocumentOut(
                kind=d.kind,
                number=d.number,
                digest=d.digest,
                issued_at=d.issued_at,
                pdf_url=f"/api/auction/settlements/{s.id}/documents/{d.kind}.pdf",
            )
            for d in docs.values()
        ],
    )
