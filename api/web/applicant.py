"""The applicant's (申请执行人) pages: where each of my cases stands, step by step in plain words, where my
money is (what arrived, what is mine, on its way, paid, held and why), and the text messages sent to me."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import SessionDep
from api.web import session as web
from api.web.pages import PageRoute, render
from api.web.words import APPLICANT_STEPS
from car_enforce.case_money import reading as money
from car_enforce.case_money.transitions import PAYOUT
from car_enforce.cases import service as cases
from car_enforce.core.identity.models import Role
from car_enforce.core.notify import service as notify
from car_enforce.core.timeline import service as timeline

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/my-cases")
def my_cases(request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.APPLICANT)
    shown = []
    for case, party in cases.cases_of_applicant(session, who):
        steps = [
            (event.at, APPLICANT_STEPS[event.kind])
            for event in timeline.events_of_case(session, case.id)
            if event.kind in APPLICANT_STEPS
        ]
        texts = notify.texts_to(session, party.phone) if party.phone else []
        # Only the payee rows of the applicant's own party: never another creditor's share.
        shown.append((case, steps, texts, money.money_of_applicant(session, case, party.id)))
    return render(request, "my_cases.html", who=who, shown=shown, status_names=PAYOUT.status_names_zh)
