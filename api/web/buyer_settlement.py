"""The buyer's page of a won auction, usable from a phone: where the way to the new title stands, paying the
balance (the gateway's order, or a bank transfer's proof), the one window (一窗受理) where identity and papers
are handed in once, and the ruling and the registry's notice once issued (网拍规定 Art. 25; 拍卖变卖规定
Art. 20, 27; 登记规定 Art. 90)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api.deps import MAX_UPLOAD_BYTES, SessionDep
from api.web import session as web
from api.web.pages import PageRoute, form_error, refusal, render
from api.web.sale_progress import PROOF_NAMES, STATE_NAMES, PapersForm, document_pdf, progress, receipt
from auction.settlement import balance, papers, service
from auction.settlement.models import Settlement
from car_enforce.core import zh
from car_enforce.core.db import get_database
from car_enforce.core.errors import DomainError, InvalidInput
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.payments.client import PaymentGateway

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAPER_FIELDS = ("id_number", "phone", "address", "electronic_service", "transfer_area", "agent_name")
PROOF_FIELDS = ("reference", "amount", "file")


def _page(
    request: Request,
    session: Session,
    who: Principal,
    settlement_id: int,
    *,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    form_errors: dict[str, str] | None = None,
    pay_error: str = "",
) -> HTMLResponse:
    settlement = service.load(session, who, settlement_id)
    base = f"/buyer/settlements/{settlement.id}"
    return render(
        request,
        "buyer_settlement.html",
        status_code=status_code,
        who=who,
        p=progress(session, settlement, base=base, buyer=True),
        state_names=STATE_NAMES,
        proof_names=PROOF_NAMES,
        form={**_papers_form(settlement), **(form or {})},
        form_errors=form_errors or {},
        pay_error=pay_error,
    )


def _papers_form(settlement: Settlement) -> dict[str, str]:
    """The correction form starts from the papers handed in, all but the ID number (never shown back)."""
    held = settlement.papers or {}
    return {
        "papers_phone": str(held.get("phone", "")),
        "papers_address": str(held.get("address", "")),
        "papers_electronic_service": "1" if held.get("electronic_service") else "",
        "papers_transfer_area": str(held.get("transfer_area", "local")),
        "papers_agent_name": str(held.get("agent_name", "")),
    }


@router.get("/buyer/settlements/{settlement_id}")
def settlement_page(settlement_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.BUYER)
    return _page(request, session, who, settlement_id)


@router.post("/buyer/settlements/{settlement_id}/pay")
def pay_balance(
    settlement_id: int, request: Request, csrf: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    """To the payment gateway with the balance's order, in the buyer's own name. No request transaction is
    held while the gateway is asked (on one machine the built-in gateway writes to the same database)."""
    database = get_database()
    with database.unit_of_work(read_only=True) as session:
        who = web.require(request, session, Role.BUYER)
        web.check_csrf(request, csrf)
    try:
        with PaymentGateway() as gateway:
            pay_url = balance.start_payment(database, who=who, settlement_id=settlement_id, gateway=gateway)
    except DomainError as exc:
        with database.unit_of_work(read_only=True) as session:
            return _page(
                request,
                session,
                who,
                settlement_id,
                status_code=exc.status_code,
                pay_error=exc.zh or exc.detail,
            )
    return RedirectResponse(pay_url, status_code=303)


@router.post("/buyer/settlements/{settlement_id}/proof")
async def send_proof(settlement_id: int, request: Request, session: SessionDep) -> Response:
    """A bank transfer to the court's account: its reference, the amount in yuan and the bank's receipt
    (PDF, JPG or PNG), for the court to check; a wrong amount is refused beside its field."""
    who = web.require(request, session, Role.BUYER)
    try:
        form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
    except Exception:  # Starlette raises its own MultiPartException for a broken form
        raise InvalidInput("file", "not a valid multipart form", zh="表单无法读取，请重新提交") from None
    web.check_csrf(request, str(form.get("csrf", "")))
    shown = {k: str(form.get(k, "")) for k in ("reference", "amount")}
    upload = form.get("file")
    try:
        settlement = service.load(session, who, settlement_id)
        try:
            amount_fen = zh.fen_of_yuan(shown["amount"])
        except ValueError:
            raise form_error("amount", "请填写转账金额（元）") from None
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("file", "choose the bank's receipt", zh="请上传银行回单（PDF、JPG或PNG）")
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            limit = MAX_UPLOAD_BYTES // (1024 * 1024)
            raise InvalidInput("file", f"is larger than {limit} MiB", zh=f"文件超过 {limit} MB")
        with session.begin_nested():
            balance.submit_proof(
                session,
                who=who,
                settlement=settlement,
                reference=shown["reference"],
                amount_fen=amount_fen,
                file=data,
            )
    except DomainError as exc:
        status, problems = refusal(exc, (*PROOF_FIELDS, "amount_fen"))
        errors = {f"proof_{'amount' if k == 'amount_fen' else k}": v for k, v in problems.items()}
        shown_form = {f"proof_{k}": v for k, v in shown.items()}
        return _page(
            request, session, who, settlement_id, status_code=status, form=shown_form, form_errors=errors
        )
    return RedirectResponse(f"/buyer/settlements/{settlement_id}#balance", status_code=303)


@router.post("/buyer/settlements/{settlement_id}/papers")
def hand_in_papers(
    settlement_id: int,
    request: Request,
    session: SessionDep,
    form: Annotated[PapersForm, Depends()],
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The one window (一窗受理): identity and papers, once; papers for another buyer are refused beside the
    ID number with the rule. The ID number typed is never shown back."""
    who = web.require(request, session, Role.BUYER)
    web.check_csrf(request, csrf)
    shown = {f"papers_{k}": v for k, v in form.shown().items()} | {"papers_sent": "1"}
    try:
        settlement = service.load(session, who, settlement_id)
        data = form.data()
        with session.begin_nested():
            papers.submit(session, who=who, settlement=settlement, data=data)
    except (DomainError, ValidationError) as exc:
        status, problems = refusal(exc, PAPER_FIELDS)
        errors = {f"papers_{k}": v for k, v in problems.items()}
        return _page(request, session, who, settlement_id, status_code=status, form=shown, form_errors=errors)
    return RedirectResponse(f"/buyer/settlements/{settlement_id}#papers", status_code=303)


@router.get("/buyer/settlements/{settlement_id}/documents/{kind}.pdf")
def document(settlement_id: int, kind: str, request: Request, session: SessionDep) -> Response:
    """The ruling or the registry's notice, printed as issued."""
    who = web.require(request, session, Role.BUYER)
    return document_pdf(session, service.load(session, who, settlement_id), kind)


@router.get("/buyer/settlements/{settlement_id}/receipt")
def bank_receipt(settlement_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.BUYER)
    return receipt(service.load(session, who, settlement_id))
