"""The buyer's pages: signing up, 我的竞买 (registrations and their deposits), one round as the bidder sees it
(registration in one's real name with the declarations of 网拍规定 Art. 34, the deposit, the live room) and
the bid itself, answered as JSON for the room's script and as a page without it."""

from __future__ import annotations

import secrets
from typing import Annotated

import anyio
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.bid_turn import bid_in_turn
from api.deps import SessionDep
from api.web import session as web
from api.web.auction_room import DEPOSIT_STATUS_NAMES, ROUND_STATUS_NAMES, registration_of, room_context
from api.web.pages import PageRoute, explained, form_error, refusal, render
from auction import bidders, bidding, deposits, lots, rules
from auction.models import AuctionBidder, AuctionRound, RoundStatus
from auction.rules import articles as a
from auction.schemas import SignUpIn
from auction.settlement import service as settlement_service
from auction.settlement.transitions import SETTLEMENT
from car_enforce.core import clock, zh
from car_enforce.core.db import get_database
from car_enforce.core.errors import DomainError, InvalidInput, NotFound
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.payments.client import PaymentGateway
from car_enforce.core.settings import get_settings

router = APIRouter(route_class=PageRoute, include_in_schema=False)

DECLARATIONS = [(a_, f"本人不是{name}") for a_, name in rules.AFFILIATION_NAMES_ZH.items()]


# --- signing up -----------------------------------------------------------------------------------------


def _signup_page(
    request: Request, csrf: str, *, status_code: int = 200, form: dict[str, str], errors: dict[str, str]
) -> HTMLResponse:
    return render(
        request, "signup.html", status_code=status_code, csrf=csrf, form=form, form_errors=errors, who=None
    )


@router.get("/signup")
def signup_page(request: Request) -> Response:
    value = request.cookies.get(web.LOGIN_COOKIE) or web.new_login_value()
    response = _signup_page(request, value, form={}, errors={})
    web.set_login_cookie(request, response, value, path="/signup")
    return response


@router.post("/signup")
def sign_up(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    display_name: Annotated[str, Form(max_length=64)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """A buyer's account for a member of the public, logged in at once; the real identity comes later."""
    web.check_login_csrf(request, csrf)
    form = {"username": username.strip(), "display_name": display_name.strip(), "phone": phone.strip()}
    try:
        data = SignUpIn(password=password, **form)
        with session.begin_nested():
            bidders.sign_up(session, **data.model_dump())
    except (DomainError, ValidationError) as exc:
        status, problems = refusal(exc, form)
        return _signup_page(request, csrf, status_code=status, form=form, errors=problems)
    token, _ = identity.login(
        session, username=data.username, password=password, ttl_hours=get_settings().token_ttl_hours
    )
    response = RedirectResponse("/buyer", status_code=303)
    web.start(request, response, token)
    return response


# --- 我的竞买 --------------------------------------------------------------------------------------------


@router.get("/buyer")
def my_bidding(request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.BUYER)
    rows = session.execute(
        select(AuctionBidder, AuctionRound)
        .join(AuctionRound, AuctionRound.id == AuctionBidder.round_id)
        .where(AuctionBidder.user_id == who.user_id)
        .order_by(AuctionBidder.id.desc())
    ).all()
    return render(
        request,
        "buyer.html",
        who=who,
        rows=[(b, r) for b, r in rows],
        # The rounds the buyer won, each with its way to the new title (the balance, the papers, the ruling).
        settlements={s.round_id: s for s in settlement_service.of_buyer(session, who.user_id or 0)},
        settlement_names=SETTLEMENT.status_names_zh,
        round_names=ROUND_STATUS_NAMES,
        deposit_names=DEPOSIT_STATUS_NAMES,
        now=clock.now(),
    )


def render_round(
    request: Request,
    session: Session,
    who: Principal,
    rnd: AuctionRound,
    *,
    status_code: int = 200,
    form: dict[str, object] | None = None,
    form_errors: dict[str, str] | None = None,
    bid_error: str = "",
    pay_error: str | None = "",
) -> HTMLResponse:
    bidder = registration_of(session, rnd, who)
    won = bidder is not None and rnd.buyer_id == bidder.id
    return render(
        request,
        "buyer_round.html",
        status_code=status_code,
        who=who,
        rnd=rnd,
        lot=rnd.lot,
        bidder=bidder,
        settlement=settlement_service.of_round(session, rnd.id) if won else None,
        open_for_registration=rnd.status in (RoundStatus.ANNOUNCED, RoundStatus.SUSPENDED)
        and clock.now() < rnd.effective_end_at,
        declarations=DECLARATIONS,
        form=form or {},
        form_errors=form_errors or {},
        round_names=ROUND_STATUS_NAMES,
        deposit_names=DEPOSIT_STATUS_NAMES,
        bid_error=bid_error,
        pay_error=pay_error,
        **room_context(session, rnd, who),
    )


@router.get("/buyer/rounds/{round_id}")
def round_page(round_id: int, request: Request, session: SessionDep) -> Response:
    who = web.require(request, session, Role.BUYER)
    return render_round(request, session, who, lots.public_round(session, round_id))


@router.post("/buyer/rounds/{round_id}/register")
def register(
    round_id: int,
    request: Request,
    session: SessionDep,
    real_name: Annotated[str, Form(max_length=64)] = "",
    id_number: Annotated[str, Form(max_length=32)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    not_barred: Annotated[list[str] | None, Form()] = None,
    full_capacity: Annotated[str, Form(max_length=8)] = "",
    agent_name: Annotated[str, Form(max_length=64)] = "",
    priority_code: Annotated[str, Form(max_length=32)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Registration in one's real name: a declaration left unticked is the affiliation that bars the bidder
    (网拍规定 Art. 34), refused with its article."""
    who = web.require(request, session, Role.BUYER)
    web.check_csrf(request, csrf)
    rnd = lots.public_round(session, round_id)
    declared = set(not_barred or ())
    form: dict[str, object] = {
        "real_name": real_name,
        "id_number": id_number,
        "phone": phone,
        "agent_name": agent_name,
        "priority_code": priority_code,
        "not_barred": declared,
        "full_capacity": bool(full_capacity),
    }
    barred = next((aff for aff, _ in DECLARATIONS if aff.value not in declared), None)
    try:
        if not full_capacity:
            raise InvalidInput(
                "full_capacity",
                "a bidder has full civil capacity",
                rule=a.RULE_CAPACITY,
                zh="竞买人应当具备完全民事行为能力",
            )
        with session.begin_nested():
            bidders.register(
                session,
                who=who,
                rnd=rnd,
                data=bidders.Registration(
                    real_name=real_name,
                    id_number=id_number,
                    phone=phone,
                    affiliation=barred,
                    agent_name=agent_name,
                    priority_code=priority_code,
                ),
            )
    except DomainError as exc:
        status, problems = refusal(exc, ("real_name", "id_number", "phone", "agent_name", "priority_code"))
        if "form" in problems and barred is not None:
            problems["not_barred"] = problems.pop("form")
        return render_round(request, session, who, rnd, status_code=status, form=form, form_errors=problems)
    return RedirectResponse(f"/buyer/rounds/{round_id}#deposit", status_code=303)


@router.post("/buyer/rounds/{round_id}/pay")
def pay_deposit(round_id: int, request: Request, csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    """To the payment gateway with the deposit's order. No request transaction is held while the gateway is
    asked (on one machine the built-in gateway writes to the same database)."""
    database = get_database()
    with database.unit_of_work(read_only=True) as session:
        who = web.require(request, session, Role.BUYER)
        web.check_csrf(request, csrf)
        bidder = registration_of(session, lots.public_round(session, round_id), who)
        if bidder is None:
            raise NotFound("register for this round first", zh="请先报名")
        bidder_id = bidder.id
    try:
        with PaymentGateway() as gateway:
            pay_url = deposits.start_payment(database, who=who, bidder_id=bidder_id, gateway=gateway)
    except DomainError as exc:
        with database.unit_of_work(read_only=True) as session:
            return render_round(
                request,
                session,
                who,
                lots.public_round(session, round_id),
                status_code=exc.status_code,
                pay_error=exc.zh,
            )
    return RedirectResponse(pay_url, status_code=303)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/buyer/rounds/{round_id}/bid")
async def bid(
    round_id: int,
    request: Request,
    amount: Annotated[str, Form(max_length=32)] = "",
    key: Annotated[str, Form(max_length=80)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """A bid from the room's form, judged at the server's receipt time (taken first), in the process's bid
    turn like the API's (api.bid_turn); the form's key makes a second click of the same form return the
    first bid instead of bidding twice."""
    received_at = clock.now()
    database = get_database()

    def bidder() -> Principal:
        with database.unit_of_work(read_only=True) as session:
            who = web.require(request, session, Role.BUYER)
            web.check_csrf(request, csrf)
            lots.public_round(session, round_id)
            return who

    who = await anyio.to_thread.run_sync(bidder)

    def reply_of(placed: bidding.Placed) -> dict[str, object]:
        now_round = placed.round
        return {
            "replayed": placed.replayed,
            "price_fen": now_round.price_fen,
            "bids": now_round.bids,
            "effective_end_at": clock.local(now_round.effective_end_at).isoformat(),
        }

    try:
        try:
            amount_fen = zh.fen_of_yuan(amount)
        except ValueError:
            raise form_error("amount", "请填写出价金额（元）") from None
        answer = await bid_in_turn(
            round_id=round_id,
            caller=who,
            amount_fen=amount_fen,
            key=key or None,
            received_at=received_at,
            answer=reply_of,
        )
    except DomainError as exc:
        status, message = exc.status_code, explained(exc)
        if _wants_json(request):
            return JSONResponse({"error": message}, status_code=status)

        def refused() -> Response:
            with database.unit_of_work(read_only=True) as session:
                rnd = lots.public_round(session, round_id)
                return render_round(request, session, who, rnd, status_code=status, bid_error=message)

        return await anyio.to_thread.run_sync(refused)
    if not _wants_json(request):
        return RedirectResponse(f"/buyer/rounds/{round_id}#room", status_code=303)
    return JSONResponse(
        {
            **answer,
            "next_key": secrets.token_urlsafe(18),
            "server_time": clock.now().isoformat(),  # the room's countdown keeps to the server's clock
        },
        status_code=200 if answer["replayed"] else 201,
    )
