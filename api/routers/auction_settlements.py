"""From the hammer to the new title: the balance, the one window, the ruling and its service, the
documents (网拍规定 Art. 24, 25; 拍卖变卖规定 Art. 20, 27; 登记规定 Art. 90)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from api.deps import Allow, AllowOutsideTransaction, MultipartForm, SessionDep, file_or_body
from api.errors import responses
from auction.lots import may_manage
from auction.settlement import balance, documents, papers, service
from auction.settlement.models import DocumentKind
from auction.settlement.schemas import PapersIn, ProofCheckIn, ServiceIn, SettlementOut
from auction.settlement.views import settlement_out
from car_enforce.core import clock
from car_enforce.core.db import MAX_ROW_ID, get_database
from car_enforce.core.errors import InvalidInput, NotFound
from car_enforce.core.identity.models import OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.payments.client import PaymentGateway

router = APIRouter(tags=["auction: settlement"], responses=responses(401, 403))
SettlementId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Someone = Annotated[
    Principal, Depends(Allow(Role.BUYER, Role.APPLICANT, Role.OFFICER, Role.AUCTION_STAFF, Role.ADMIN))
]
Court = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.AUCTION_STAFF, Role.ADMIN))]
Buyer = Annotated[Principal, Depends(Allow(Role.BUYER, Role.APPLICANT))]
BuyerOutsideTransaction = Annotated[Principal, Depends(AllowOutsideTransaction(Role.BUYER, Role.APPLICANT))]


@router.get("/api/auction/settlements", response_model=list[SettlementOut])
def list_settlements(session: SessionDep, who: Someone) -> list[SettlementOut]:
    """The buyer's own purchases; the court's people see their court's (the administrator every court's)."""
    if who.role in (Role.BUYER, Role.APPLICANT):
        rows = service.of_buyer(session, who.user_id or 0)
    else:
        # The administrator and an auction platform's staff serve every court (lots.manages).
        every = who.role == Role.ADMIN or who.organisation_kind == OrgKind.AUCTION_PLATFORM
        rows = service.of_court(session, None if every else who.organisation_id)
    return [settlement_out(session, s) for s in rows]


@router.get(
    "/api/auction/settlements/{settlement_id}", response_model=SettlementOut, responses=responses(404)
)
def get_settlement(settlement_id: SettlementId, session: SessionDep, who: Someone) -> SettlementOut:
    return settlement_out(session, service.load(session, who, settlement_id))


@router.post(
    "/api/auction/settlements/{settlement_id}/balance-order", responses=responses(404, 409, 422, 503)
)
def balance_order(settlement_id: SettlementId, who: BuyerOutsideTransaction) -> dict[str, str]:
    """The order to pay the balance at the payment gateway, in one's own name: where to pay it (Art. 25)."""
    with PaymentGateway() as gateway:
        pay_url = balance.start_payment(get_database(), who=who, settlement_id=settlement_id, gateway=gateway)
    return {"pay_url": pay_url}


@router.post(
    "/api/auction/settlements/{settlement_id}/balance-proof",
    response_model=SettlementOut,
    responses=responses(400, 404, 409),
)
def balance_proof(
    settlement_id: SettlementId, form: MultipartForm, session: SessionDep, who: Buyer
) -> SettlementOut:
    """A bank transfer to the court's account, for the court to check: a multipart form with `reference`,
    `amount_fen` and the receipt as `file` (PDF, JPEG or PNG)."""
    _, data = file_or_body(b"", form, "the bank's receipt")
    amount = str(form.get("amount_fen", ""))
    if not amount.isdigit():
        raise InvalidInput("amount_fen", "an amount in fen", zh="请填写转账金额（分）")
    settlement = service.load(session, who, settlement_id)
    settlement = balance.submit_proof(
        session,
        who=who,
        settlement=settlement,
        reference=str(form.get("reference", "")),
        amount_fen=int(amount),
        file=data,
    )
    return settlement_out(session, settlement)


@router.post(
    "/api/auction/settlements/{settlement_id}/balance-proof/check",
    response_model=SettlementOut,
    responses=responses(400, 404, 409),
)
def check_proof(
    settlement_id: SettlementId, body: ProofCheckIn, session: SessionDep, who: Court
) -> SettlementOut:
    """The court checked the transfer against its account: accepted, the price is paid in full."""
    settlement = service.load(session, who, settlement_id)
    settlement = balance.check_proof(
        session, actor=who, settlement=settlement, accepted=body.accepted, note=body.note
    )
    return settlement_out(session, settlement)


@router.post(
    "/api/auction/settlements/{settlement_id}/papers",
    response_model=SettlementOut,
    responses=responses(400, 403, 404, 409),
)
def hand_in_papers(
    settlement_id: SettlementId, body: PapersIn, session: SessionDep, who: Someone
) -> SettlementOut:
    """The one window (一窗受理): identity and papers, once; the ruling's service, the transfer and the
    handover take what they need from here. The ID must be the buyer's."""
    settlement = service.load(session, who, settlement_id)
    settlement = papers.submit(session, who=who, settlement=settlement, data=body)
    return settlement_out(session, service.load(session, who, settlement_id))


@router.post(
    "/api/auction/settlements/{settlement_id}/service",
    response_model=SettlementOut,
    responses=responses(400, 404, 409),
)
def record_service(
    settlement_id: SettlementId, body: ServiceIn, session: SessionDep, who: Court
) -> SettlementOut:
    """The court served the ruling other than electronically (in person, by post): ownership passes."""
    settlement = service.load(session, who, settlement_id)
    may_manage(who, settlement.court_id)
    settlement = service.lock(session, settlement.id)
    at = clock.as_utc(body.at) if body.at is not None else clock.now()
    documents.serve(session, settlement, how=body.how, at=at, actor=who)
    return settlement_out(session, settlement)


@router.get(
    "/api/auction/settlements/{settlement_id}/documents/{kind}.pdf",
    response_class=Response,
    responses={**responses(404, 503), 200: {"content": {"application/pdf": {}}}},
)
def document_pdf(
    settlement_id: SettlementId, kind: Literal["ruling", "registry_notice"], session: SessionDep, who: Someone
) -> Response:
    """The ruling or the registry's notice, printed from the content kept at issue."""
    from auction.settlement import documents_pdf

    settlement = service.load(session, who, settlement_id)
    found = documents.documents_of(session, settlement).get(DocumentKind(kind))
    if found is None:
        raise NotFound(f"no {kind} is issued for settlement {settlement_id}", zh="此文书尚未出具")
    if found.kind == DocumentKind.RULING:
        pdf = documents_pdf.ruling_pdf(documents.ruling_content(found))
    else:
        pdf = documents_pdf.notice_pdf(documents.notice_content(found))
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{kind}.pdf"'}
    )
