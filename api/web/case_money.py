"""The officer's page of a case's money (一案一账号): its totals by plain Chinese heads, its statement, its
payees (one added by a form), the distribution with what it shared out in order of priority, and the
payouts with their due day, held for a reason of the closed list, released, or sent again after a decline.
The forms that enter money and costs by hand, and reverse an entry, post to ``case_money_entries``.

Every list is a page of its own (a mass case has a hundred thousand payees); the pages call the same
services as the JSON API, with the officer's own principal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import session as web
from api.web.pages import PageRoute, form_error, refusal, render
from car_enforce.case_money import accounts as acct
from car_enforce.case_money import distribution, entries, payees, payouts, reading
from car_enforce.case_money.accounts import COST_ZH, SOURCE_ZH
from car_enforce.case_money.models import HOLD_REASON_ZH, HoldReason, PayeeKind, PayoutStatus
from car_enforce.case_money.schemas import ENTERED_SOURCES, PayeeIn, masked_account
from car_enforce.case_money.transitions import PAYOUT
from car_enforce.cases import service as cases
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import ledger, zh
from car_enforce.core.db import MAX_ROW_ID
from car_enforce.core.errors import DomainError
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)

POSTINGS = 30  # postings on a page of the statement
LINES_EACH = 12  # lines shown of each posting; a mass distribution has one a payee
PAYEES = 50
PAYOUTS = 50
PAYEE_FIELDS = ("kind", "party_id", "name", "account_number", "bank_name", "claim", "rank", "secured")
KIND_NAMES = {PayeeKind.CREDITOR: "债权人", PayeeKind.COST: "执行费用收款方", PayeeKind.DEBTOR: "被执行人"}
POSTING_KINDS = {
    "receipt": "到账",
    "cost": "费用",
    "reversal": "冲正",
    "distribution": "分配",
    "fee": "执行费转出",
    "payout.sent": "汇出",
    "payout.paid": "发放到账",
    "payout.declined": "发放退回",
}
_DISTRIBUTE_FIELDS = {"fee_fen": "fee", "form": "distribute"}  # a refusal of the whole, beside its button
Page = Annotated[int, Query(ge=0, le=MAX_ROW_ID)]


def money_page(
    request: Request,
    session: Session,
    who: Principal,
    case: EnforcementCase,
    *,
    status_code: int = 200,
    after: int = 0,
    payees_from: int = 0,
    payouts_from: int = 0,
    status: PayoutStatus | None = None,
    distribution: int = 0,
    form: dict[str, str] | None = None,
    form_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    statement = ledger.statement(
        session, acct.book(case.id), after_id=after, limit=POSTINGS + 1, lines_each=LINES_EACH
    )
    more = len(statement) > POSTINGS
    statement = statement[:POSTINGS]
    shown_payees = payees.payees_of(session, case, limit=PAYEES, offset=payees_from)
    shown_payouts = payouts.payouts_of(session, case, status=status, limit=PAYOUTS, offset=payouts_from)
    result_id = distribution or reading.last_distribution(session, case)
    return render(
        request,
        "case_money.html",
        status_code=status_code,
        who=who,
        case=case,
        t=reading.totals(session, case),
        entries=statement,
        next_after=statement[-1].id if more else None,
        after=after,
        names=reading.account_names(session, case, (x.account for e in statement for x in e.lines)),
        posting_kinds=POSTING_KINDS,
        payees=shown_payees,
        payee_count=reading.payee_count(session, case),
        payees_from=payees_from,
        payout_list=shown_payouts,
        payout_count=reading.payout_count(session, case, status),
        payouts_from=payouts_from,
        status=status,
        page_size={"payees": PAYEES, "payouts": PAYOUTS},
        result=reading.distribution_result(session, case, result_id) if result_id else None,
        result_is_new=bool(distribution),
        kind_names=KIND_NAMES,
        cost_names=COST_ZH,
        cost_payees=reading.cost_payees(session, case),
        entered_sources={source: SOURCE_ZH[source] for source in ENTERED_SOURCES},
        reversible=entries.REVERSIBLE,
        status_names=PAYOUT.status_names_zh,
        hold_reasons=HOLD_REASON_ZH,
        masked=masked_account,
        form=form or {},
        form_errors=form_errors or {},
    )


def officer_case(request: Request, session: Session, case_id: int) -> tuple[Principal, EnforcementCase]:
    who = web.require(request, session, Role.OFFICER)
    return who, cases.visible_case(session, who, case_id)


@router.get("/cases/{case_id}/money")
def case_money(
    case_id: int,
    request: Request,
    session: SessionDep,
    after: Page = 0,
    payees: Page = 0,
    payouts_from: Annotated[int, Query(alias="payouts", ge=0, le=MAX_ROW_ID)] = 0,
    status: PayoutStatus | None = None,
    distribution: Page = 0,
) -> Response:
    """The case's account: totals, the statement from ``after``, a page of payees and of payouts."""
    who, case = officer_case(request, session, case_id)
    return money_page(
        request,
        session,
        who,
        case,
        after=after,
        payees_from=payees,
        payouts_from=payouts_from,
        status=status,
        distribution=distribution,
    )


@router.post("/cases/{case_id}/money/payees")
def add_payee(
    case_id: int,
    request: Request,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=16)] = "creditor",
    party_id: Annotated[int, Form()] = 0,
    name: Annotated[str, Form(max_length=128)] = "",
    account_number: Annotated[str, Form(max_length=64)] = "",
    bank_name: Annotated[str, Form(max_length=64)] = "",
    claim: Annotated[str, Form(max_length=32)] = "",
    rank: Annotated[int, Form()] = 1,
    secured: Annotated[str, Form(max_length=8)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Add one payee of the case; a refusal stands beside the field it concerns."""
    who, case = officer_case(request, session, case_id)
    web.check_csrf(request, csrf)
    form = {
        "kind": kind,
        "party_id": str(party_id or ""),
        "name": name,
        "account_number": account_number,
        "bank_name": bank_name,
        "claim": claim,
        "rank": str(rank),
        "secured": secured,
    }
    try:
        try:
            claim_fen = zh.fen_of_yuan(claim) if claim.strip() else None
        except ValueError:
            raise form_error("claim", "金额应以元为单位，最多两位小数，如 80 或 80.50") from None
        data = PayeeIn.model_validate(
            {
                "kind": kind,
                "party_id": party_id or None,
                "name": name,
                "account_number": account_number.strip(),
                "bank_name": bank_name,
                "claim_fen": claim_fen,
                "rank": rank,
                "secured": bool(secured),
            }
        )
        with session.begin_nested():  # a refusal leaves nothing half-written behind the re-shown form
            if not payees.add_payees(session, case, actor=who, payees=[data]).added:
                raise form_error("account_number", "该账户已登记为本案收款人")
    except (DomainError, ValidationError) as exc:
        code, problems = refusal(exc, PAYEE_FIELDS)
        # A service names the field within the list it was given ("payees[0].party_id"); the form has one.
        named = {k.rsplit(".", 1)[-1].replace("claim_fen", "claim"): v for k, v in problems.items()}
        return money_page(request, session, who, case, status_code=code, form=form, form_errors=named)
    return RedirectResponse(f"/cases/{case_id}/money#payees", status_code=303)


@router.post("/cases/{case_id}/money/distribute")
def distribute(
    case_id: int,
    request: Request,
    session: SessionDep,
    fee: Annotated[str, Form(max_length=32)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Share out the money received: costs first, the fee, secured creditors, ranks, the rest to the
    debtor; the page then shows what this distribution gave each step."""
    who, case = officer_case(request, session, case_id)
    web.check_csrf(request, csrf)
    try:
        try:
            fee_fen = zh.fen_of_yuan(fee) if fee.strip() else None
        except ValueError:
            raise form_error("fee", "金额应以元为单位，最多两位小数，如 80 或 80.50") from None
        with session.begin_nested():
            done = distribution.distribute(session, case.id, actor=who, fee_fen=fee_fen)
    except DomainError as exc:
        code, problems = refusal(exc, ("fee",))
        return money_page(
            request,
            session,
            who,
            case,
            status_code=code,
            form={"fee": fee},
            form_errors={_DISTRIBUTE_FIELDS.get(k, k): v for k, v in problems.items()},
        )
    return RedirectResponse(
        f"/cases/{case_id}/money?distribution={done.posting_id}#distribution", status_code=303
    )


def _payout_action(
    request: Request,
    session: Session,
    case_id: int,
    payout_id: int,
    csrf: str,
    act: str,
    reason: str,
    note: str,
) -> Response:
    who, case = officer_case(request, session, case_id)
    web.check_csrf(request, csrf)
    payout = payouts.payout_of(session, case, payout_id)
    try:
        with session.begin_nested():
            if act == "hold":
                if reason not in HoldReason.__members__.values():
                    raise form_error("reason", "请从规定的暂缓原因中选择")
                payouts.hold_payout(session, payout, actor=who, reason=HoldReason(reason), note=note)
            elif act == "release":
                payouts.release_hold(session, payout, actor=who)
            else:
                payouts.retry_payout(session, payout, actor=who)
    except DomainError as exc:
        return refused_on_row(request, session, who, case, exc, f"payout_{payout_id}")
    return RedirectResponse(f"/cases/{case_id}/money#payout-{payout_id}", status_code=303)


def refused_on_row(
    request: Request, session: Session, who: Principal, case: EnforcementCase, exc: DomainError, row: str
) -> HTMLResponse:
    """The page again with a refusal of one row's action (a payout's, a posting's) shown on that row."""
    code, problems = refusal(exc)
    return money_page(
        request, session, who, case, status_code=code, form_errors={row: " ".join(problems.values())}
    )


@router.post("/cases/{case_id}/money/payouts/{payout_id}/hold")
def hold(
    case_id: int,
    payout_id: int,
    request: Request,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Delay a pending payout for a reason of the closed list (法发〔2017〕6号), recorded with it."""
    return _payout_action(request, session, case_id, payout_id, csrf, "hold", reason, note)


@router.post("/cases/{case_id}/money/payouts/{payout_id}/release")
def release(
    case_id: int,
    payout_id: int,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    return _payout_action(request, session, case_id, payout_id, csrf, "release", "", "")


@router.post("/cases/{case_id}/money/payouts/{payout_id}/retry")
def retry(
    case_id: int,
    payout_id: int,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Send a declined payout again, under a new key (the payee's account put right)."""
    return _payout_action(request, session, case_id, payout_id, csrf, "retry", "", "")
