"""The administrator sets where money owed to an organisation is paid (收款账户): a center's costs, an inquiry
platform's fee, a court's designated account for the winner's deposit. On the organisations page, a form on
each row; a refusal shows on that row."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from api.deps import SessionDep
from api.web import session as web
from api.web.admin import organisations_page
from api.web.pages import PageRoute, refusal
from car_enforce.core.errors import DomainError
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.schemas import BankAccountIn

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.post("/admin/organisations/{organisation_id}/bank-account")
def set_bank_account(
    organisation_id: int,
    request: Request,
    session: SessionDep,
    bank_name: Annotated[str, Form(max_length=128)] = "",
    bank_account: Annotated[str, Form(max_length=128)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    who = web.require(request, session, Role.ADMIN)
    web.check_csrf(request, csrf)
    form = {"bank_name": bank_name.strip(), "bank_account": bank_account.strip().replace(" ", "")}
    try:
        data = BankAccountIn.model_validate(form)
        with session.begin_nested():
            identity.set_bank_account(session, actor=who, organisation_id=organisation_id, data=data)
    except (DomainError, ValidationError) as exc:
        status, errors = refusal(exc, tuple(form))
        return organisations_page(
            request, session, who, status_code=status, bank=(organisation_id, form, errors)
        )
    return RedirectResponse(f"/admin/organisations#org-{organisation_id}", status_code=303)
