"""The court's side of a sale's settlement (成交过户): the list of its court's settlements with the days left
to each one's next legal deadline, the overdue first; and the settlement's forms on the lot page: the bank
transfer's proof checked (accepted, or refused with a note), the buyer's papers taken at the counter, the
ruling's service by other means recorded, the documents printed (网拍规定 Art. 24, 25; 拍卖变卖规定 Art. 20,
27)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.web import session as web
from api.web.auction_staff import STAFF, render_lot
from api.web.pages import PageRoute, form_error, refusal, render
from api.web.sale_progress import PapersForm, days_left, document_pdf, receipt
from auction.lots import may_manage
from auction.models import AuctionLot
from auction.settlement import balance, documents, papers, rules, service
from auction.settlement.models import Settlement, SettlementStatus, TransferStatus
from auction.settlement.schemas import ServiceIn
from auction.settlement.transitions import SETTLEMENT
from car_enforce.core import clock
from car_enforce.core.calendar.service import PrcCalendar, load_calendar
from car_enforce.core.errors import DomainError
from car_enforce.core.identity.models import OrgKind
from car_enforce.core.identity.principal import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FINISHED = (SettlementStatus.DONE, SettlementStatus.DEFAULTED)


@dataclass(frozen=True, slots=True)
class Row:
    """One settlement in the list: its next legal deadline and what the court may have to do."""

    settlement: Settlement
    lot_title: str
    status_name: str
    deadline: str  # 余款, 裁定送达, 交付车辆; "" when none runs
    due: date | None
    left: str
    overdue: bool
    may_default: bool  # the balance is past due: 可认定悔拍 (Art. 24)
    proof_waiting: bool
    transfer_refused: bool


def _deadline(s: Settlement, calendar: PrcCalendar) -> tuple[str, date | None]:
    if s.status == SettlementStatus.AWAITING_BALANCE:
        return "余款", s.balance_due_on
    if s.status == SettlementStatus.PAID and s.paid_at is not None:
        return "裁定送达", rules.ruling_due(calendar, clock.local(s.paid_at).date()).on
    if s.status == SettlementStatus.RULED and s.handed_over_at is None and s.served_at is not None:
        return "交付车辆", rules.handover_due(calendar, clock.local(s.served_at).date()).on
    return "", None


def _row(s: Settlement, title: str, calendar: PrcCalendar, today: date) -> Row:
    deadline, due = _deadline(s, calendar)
    overdue = due is not None and today > due
    return Row(
        settlement=s,
        lot_title=title,
        status_name=SETTLEMENT.status_names_zh[s.status],
        deadline=deadline,
        due=due,
        left=days_left(due, today) if due is not None else "",
        overdue=overdue,
        may_default=overdue and s.status == SettlementStatus.AWAITING_BALANCE,
        proof_waiting=s.status == SettlementStatus.AWAITING_BALANCE
        and (s.proof or {}).get("status") == "submitted",
        transfer_refused=s.transfer_status == TransferStatus.REFUSED,
    )


def _order(row: Row) -> tuple[int, date, int]:
    """The running deadlines first, the nearest (so the overdue) first; then the rest, the latest first."""
    if row.due is not None:
        return 0, row.due, row.settlement.id
    return (2 if row.settlement.status in FINISHED else 1), date.max, -row.settlement.id


@router.get("/auction/settlements")
def settlement_list(request: Request, session: SessionDep) -> Response:
    """成交过户: the court's settlements (an auction platform's staff: every court's)."""
    who = web.require(request, session, *STAFF)
    court_id = None if who.organisation_kind == OrgKind.AUCTION_PLATFORM else who.organisation_id
    settlements = service.of_court(session, court_id)
    titles = {
        lot_id: title
        for lot_id, title in session.execute(
            select(AuctionLot.id, AuctionLot.title).where(AuctionLot.id.in_({s.lot_id for s in settlements}))
        )
    }
    calendar, today = load_calendar(session), clock.today_local()
    rows = sorted((_row(s, titles.get(s.lot_id, ""), calendar, today) for s in settlements), key=_order)
    return render(request, "auction_settlements.html", who=who, rows=rows, today=today)


def _settlement(
    request: Request, session: Session, csrf: str, settlement_id: int
) -> tuple[Principal, Settlement]:
    who = web.require(request, session, *STAFF)
    web.check_csrf(request, csrf)
    settlement = service.load(session, who, settlement_id)
    may_manage(who, settlement.court_id)
    return who, settlement


def _act(
    request: Request,
    session: Session,
    who: Principal,
    settlement: Settlement,
    form: dict[str, str],
    verb: Callable[[], object],
    *,
    prefix: str = "",
    labels: dict[str, str] | None = None,
) -> Response:
    """Run one of the court's steps; a refusal shows the lot page again with it at the settlement, named by
    its field's label where the form has several."""
    prefix = f"st{settlement.id}_{prefix}"
    try:
        with session.begin_nested():
            verb()
    except (DomainError, ValidationError, ValueError) as exc:
        status, problems = refusal(exc, (*form, *(labels or {})))
        named = labels or {}
        errors = {f"{prefix}{k}": f"{named[k]}：{v}" if k in named else v for k, v in problems.items()}
        shown = {f"{prefix}{k}": v for k, v in form.items()}
        return render_lot(
            request, session, who, settlement.lot_id, status_code=status, form_errors=errors, form=shown
        )
    return RedirectResponse(f"/auction/lots/{settlement.lot_id}#settlement-{settlement.id}", status_code=303)


@router.post("/auction/settlements/{settlement_id}/proof")
def check_proof(
    settlement_id: int,
    request: Request,
    session: SessionDep,
    accepted: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The transfer checked against the court's account: accepted, the price is paid in full; refused, the
    buyer reads the note and may send another."""
    who, settlement = _settlement(request, session, csrf, settlement_id)
    return _act(
        request,
        session,
        who,
        settlement,
        {"note": note},
        lambda: balance.check_proof(
            session, actor=who, settlement=settlement, accepted=accepted == "1", note=note
        ),
    )


@router.post("/auction/settlements/{settlement_id}/service")
def record_service(
    settlement_id: int,
    request: Request,
    session: SessionDep,
    how: Annotated[str, Form(max_length=64)] = "",
    at: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The ruling served other than in the one window (in person, by post): ownership passes on service."""
    who, settlement = _settlement(request, session, csrf, settlement_id)

    def serve() -> None:
        data = ServiceIn(how=how.strip(), at=_instant(at) if at.strip() else None)
        locked = service.lock(session, settlement.id)
        served_at = clock.as_utc(data.at) if data.at is not None else clock.now()
        if served_at > clock.now():
            raise form_error("at", "送达时间不能晚于现在")
        if locked.ruled_at is not None and served_at < clock.as_utc(locked.ruled_at):
            raise form_error("at", "送达时间不能早于成交裁定作出的时间")
        documents.serve(session, locked, how=data.how, at=served_at, actor=who)

    return _act(request, session, who, settlement, {"how": how, "at": at}, serve)


PAPER_LABELS = {
    "id_number": "证件号码",
    "phone": "手机号码",
    "address": "送达地址",
    "electronic_service": "电子送达",
    "transfer_area": "过户方式",
    "agent_name": "委托代理人",
}


@router.post("/auction/settlements/{settlement_id}/papers")
def take_papers_at_counter(
    settlement_id: int,
    request: Request,
    session: SessionDep,
    form: Annotated[PapersForm, Depends()],
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """The one window at the court's counter (窗口代录), for a buyer who comes in person: the papers the
    buyer's own page takes, checked against the 确认书 the same way, kept as taken at the counter. The ID
    number typed is never shown back."""
    who, settlement = _settlement(request, session, csrf, settlement_id)

    def take() -> None:
        papers.submit(session, who=who, settlement=settlement, data=form.data())

    return _act(request, session, who, settlement, form.shown(), take, prefix="papers_", labels=PAPER_LABELS)


def _instant(text: str) -> datetime:
    """A ``datetime-local`` field, read in Asia/Shanghai."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=clock.SHANGHAI)
    except ValueError:
        raise form_error("at", "请填写日期和时间") from None


@router.get("/auction/settlements/{settlement_id}/documents/{kind}.pdf")
def document(settlement_id: int, kind: str, request: Request, session: SessionDep) -> Response:
    """The ruling or the registry's notice, printed as issued."""
    who = web.require(request, session, *STAFF)
    return document_pdf(session, service.load(session, who, settlement_id), kind)


@router.get("/auction/settlements/{settlement_id}/receipt")
def bank_receipt(settlement_id: int, request: Request, session: SessionDep) -> Response:
    """The receipt the buyer uploaded, to check against the court's account."""
    who = web.require(request, session, *STAFF)
    return receipt(service.load(session, who, settlement_id))
