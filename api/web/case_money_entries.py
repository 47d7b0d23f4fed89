"""The officer's entries on a case's account by hand, on its page: money that came in outside the sale (by
the bank's serial number), a cost owed to a cost payee (by the bill's number), and an entry's reversal with
its reason. Each refusal stands beside its field; the same serial or bill again changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import session as web
from api.web.case_money import money_page, officer_case, refused_on_row
from api.web.pages import PageRoute, form_error, refusal
from car_enforce.case_money import entries
from car_enforce.case_money.schemas import CostIn, ReceiptIn
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import zh
from car_enforce.core.errors import DomainError
from car_enforce.core.identity.principal import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# A schema's field → the form's, for the refusal beside it.
RECEIPT_FIELDS = {
    "amount_fen": "receipt_amount",
    "source": "receipt_source",
    "reference": "receipt_reference",
}
RECEIPT_FIELDS |= {"memo": "receipt_memo"}
COST_FIELDS = {"payee_id": "cost_payee", "kind": "cost_kind", "amount_fen": "cost_amount"}
COST_FIELDS |= {"reference": "cost_reference", "memo": "cost_memo"}
Text = Annotated[str, Form(max_length=200)]


def _fen(value: str, field: str) -> int:
    try:
        return zh.fen_of_yuan(value)
    except ValueError:
        raise form_error(field, "金额应以元为单位，最多两位小数，如 80 或 80.50") from None


def _entered(
    request: Request,
    session: Session,
    case_id: int,
    csrf: str,
    form: dict[str, str],
    fields: dict[str, str],
    enter: Callable[[Session, EnforcementCase, Principal], None],
) -> Response:
    """Enter one thing on the case's account; a refusal shows the page again with it beside the form's
    field (``fields``: the schema's name of each → the form's)."""
    who, case = officer_case(request, session, case_id)
    web.check_csrf(request, csrf)
    try:
        with session.begin_nested():
            enter(session, case, who)
    except (DomainError, ValidationError) as exc:
        code, problems = refusal(exc, fields)
        named = {fields.get(k, k): v for k, v in problems.items()}
        return money_page(request, session, who, case, status_code=code, form=form, form_errors=named)
    return RedirectResponse(f"/cases/{case_id}/money#statement", status_code=303)


@router.post("/cases/{case_id}/money/receipts")
def enter_receipt(
    case_id: int,
    request: Request,
    session: SessionDep,
    receipt_amount: Text = "",
    receipt_source: Text = "",
    receipt_reference: Text = "",
    receipt_memo: Text = "",
    csrf: Text = "",
) -> Response:
    """登记到账: the debtor's transfer or money taken from an account frozen elsewhere."""
    form = {
        "receipt_amount": receipt_amount,
        "receipt_source": receipt_source,
        "receipt_reference": receipt_reference,
        "receipt_memo": receipt_memo,
    }

    def enter(session: Session, case: EnforcementCase, who: Principal) -> None:
        data = ReceiptIn.model_validate(
            {
                "amount_fen": _fen(receipt_amount, "receipt_amount"),
                "source": receipt_source,
                "reference": receipt_reference.strip(),
                "memo": receipt_memo.strip(),
            }
        )
        entries.enter_receipt(session, case.id, data, actor=who)

    return _entered(request, session, case_id, csrf, form, RECEIPT_FIELDS, enter)


@router.post("/cases/{case_id}/money/costs")
def enter_cost(
    case_id: int,
    request: Request,
    session: SessionDep,
    cost_payee: Annotated[int, Form()] = 0,
    cost_kind: Text = "",
    cost_amount: Text = "",
    cost_reference: Text = "",
    cost_memo: Text = "",
    csrf: Text = "",
) -> Response:
    """登记执行费用: a bill owed to a cost payee, covered first from the money."""
    form = {
        "cost_payee": str(cost_payee or ""),
        "cost_kind": cost_kind,
        "cost_amount": cost_amount,
        "cost_reference": cost_reference,
        "cost_memo": cost_memo,
    }

    def enter(session: Session, case: EnforcementCase, who: Principal) -> None:
        if not cost_payee:
            raise form_error("cost_payee", "请选择费用的收款方（先登记为执行费用收款方）")
        data = CostIn.model_validate(
            {
                "payee_id": cost_payee,
                "kind": cost_kind,
                "amount_fen": _fen(cost_amount, "cost_amount"),
                "reference": cost_reference.strip(),
                "memo": cost_memo.strip(),
            }
        )
        entries.enter_cost(session, case.id, data, actor=who)

    return _entered(request, session, case_id, csrf, form, COST_FIELDS, enter)


@router.post("/cases/{case_id}/money/postings/{posting_id}/reversal")
def take_back(
    case_id: int,
    posting_id: int,
    request: Request,
    session: SessionDep,
    reason: Text = "",
    csrf: Text = "",
) -> Response:
    """冲正: an entry made in error is reversed, with the reason; money shared out already cannot be."""
    who, case = officer_case(request, session, case_id)
    web.check_csrf(request, csrf)
    try:
        if not reason.strip():
            raise form_error("reason", "请写明冲正原因")
        with session.begin_nested():
            entries.take_back(session, case.id, posting_id, reason=reason.strip(), actor=who)
    except DomainError as exc:
        return refused_on_row(request, session, who, case, exc, f"posting_{posting_id}")
    return RedirectResponse(f"/cases/{case_id}/money#posting-{posting_id}", status_code=303)
