"""The bidder's side: an account, registration in one's real name, the deposit, bids and maximum bids; and
the room as anyone may watch it, live (网拍规定 Art. 14–21)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from api.bid_turn import bid_in_turn, in_turn
from api.deps import Allow, AllowInOwnTransaction, AllowOutsideTransaction, Credentials, SessionDep
from api.errors import responses
from api.live_rooms import ROOMS
from auction import bidders, bidding, closing, deposits, lots
from auction.models import AuctionBidder
from auction.room_state import room_of
from auction.schemas import (
    BidderOut,
    BidIn,
    BidOut,
    MaximumIn,
    PlacedOut,
    RegistrationIn,
    RoomOut,
    SignUpIn,
)
from car_enforce.core import clock
from car_enforce.core.db import MAX_ROW_ID, RowId, get_database
from car_enforce.core.errors import NotFound
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.payments.client import PaymentGateway

router = APIRouter(tags=["auction: bidding"], responses=responses(401, 403))
Buyer = Annotated[Principal, Depends(Allow(Role.BUYER, Role.APPLICANT))]
BuyerOutsideTransaction = Annotated[Principal, Depends(AllowOutsideTransaction(Role.BUYER, Role.APPLICANT))]
BuyerInTurn = Annotated[Credentials, Depends(AllowInOwnTransaction(Role.BUYER, Role.APPLICANT))]
RoundId = Annotated[RowId, Path(description="the round")]


async def _received_at() -> datetime:
    """The server's receipt time of a bid, taken before anything else is done with the request (Art. 20)."""
    return clock.now()


ReceivedAt = Annotated[datetime, Depends(_received_at)]


@router.post("/api/buyers", status_code=201, responses=responses(400, 409, 422))
def sign_up(body: SignUpIn, session: SessionDep) -> dict[str, object]:
    """A buyer's account for a member of the public; the real identity is given when registering for a lot."""
    user = bidders.sign_up(
        session,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        phone=body.phone,
    )
    return {"id": user.id, "username": user.username}


@router.post(
    "/api/auction/rounds/{round_id}/register",
    status_code=201,
    response_model=BidderOut,
    responses=responses(400, 404, 409, 422),
)
def register(
    round_id: RoundId, body: RegistrationIn, session: SessionDep, who: Buyer, response: Response
) -> BidderOut:
    """Register for the round in one's real name (Art. 14, 34); a second call returns the registration."""
    rnd = lots.public_round(session, round_id)
    existing = session.scalar(
        select(AuctionBidder.id).where(AuctionBidder.round_id == rnd.id, AuctionBidder.user_id == who.user_id)
    )
    bidder = bidders.register(session, who=who, rnd=rnd, data=bidders.Registration(**body.model_dump()))
    if existing is not None:
        response.status_code = 200
    return BidderOut.of(bidder)


@router.get("/api/auction/me/registrations", response_model=list[BidderOut])
def my_registrations(session: SessionDep, who: Buyer) -> list[BidderOut]:
    rows = session.scalars(
        select(AuctionBidder).where(AuctionBidder.user_id == who.user_id).order_by(AuctionBidder.id.desc())
    )
    return [BidderOut.of(b) for b in rows]


@router.post(
    "/api/auction/bidders/{bidder_id}/deposit-order",
    responses=responses(403, 404, 409, 503),
)
def deposit_order(bidder_id: RowId, who: BuyerOutsideTransaction) -> dict[str, str]:
    """The order to pay the deposit at the payment gateway, in one's own name: where to pay it (Art. 17).
    No request transaction here: the service opens its own around the gateway's call."""
    with PaymentGateway() as gateway:
        pay_url = deposits.start_payment(get_database(), who=who, bidder_id=bidder_id, gateway=gateway)
    return {"pay_url": pay_url}


def _placed(placed: bidding.Placed) -> PlacedOut:
    return PlacedOut(
        bids=[BidOut.of(b, placed.numbers[b.bidder_id]) for b in placed.bids],
        price_fen=placed.round.price_fen,
        effective_end_at=placed.round.effective_end_at,
        replayed=placed.replayed,
    )


@router.post(
    "/api/auction/rounds/{round_id}/bids",
    status_code=201,
    response_model=PlacedOut,
    responses=responses(400, 404, 409, 422),
)
async def place_bid(
    at: ReceivedAt,
    round_id: RoundId,
    body: BidIn,
    caller: BuyerInTurn,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=80)] = None,
) -> PlacedOut:
    """A bid, judged at the server's receipt time: the first at the starting price, raises in whole
    increments, a bid in the last 5 minutes moves the end to 5 minutes after it (Art. 20); a confirmed
    priority buyer may match the price (Art. 19, 21). With an `Idempotency-Key`, a retry returns the first
    answer. The answer lists the bid and any the room made for maximum bids in reply, with the room as it
    stands once the bids received with it are judged too."""
    # The receipt time was taken before the bid waits for its turn (api.bid_turn).
    answer, replayed = await bid_in_turn(
        round_id=round_id,
        caller=caller,
        amount_fen=body.amount_fen,
        key=idempotency_key,
        received_at=at,
        answer=lambda placed: (_placed(placed), placed.replayed),
    )
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replay"] = "true"
    return answer


@router.post(
    "/api/auction/rounds/{round_id}/maximum",
    response_model=PlacedOut,
    responses=responses(400, 404, 409, 422),
)
async def set_maximum(
    at: ReceivedAt, round_id: RoundId, body: MaximumIn, who: BuyerOutsideTransaction
) -> PlacedOut:
    """A maximum bid, where the court allows it: the room bids for you by increments up to it."""

    def maximum() -> PlacedOut:
        with get_database().unit_of_work() as session:
            placed = bidding.set_maximum(
                session, who=who, round_id=round_id, max_fen=body.max_fen, received_at=at
            )
            return _placed(placed)

    return await in_turn(maximum)


@router.get("/api/auction/rounds/{round_id}/room", response_model=RoomOut, responses=responses(404))
def room(round_id: RoundId, session: SessionDep) -> RoomOut:
    """The room as anyone may see it: the price, the next lowest bid, the effective end, the latest bids."""
    rnd = lots.public_round(session, round_id)
    recent = bidding.bids_of(session, rnd.id, after_seq=max(0, rnd.bids - 20))
    return RoomOut(
        round_id=rnd.id,
        lot_id=rnd.lot_id,
        status=rnd.status,
        starting_price_fen=rnd.starting_price_fen,
        increment_fen=rnd.increment_fen,
        price_fen=rnd.price_fen,
        next_min_fen=room_of(rnd).next_min_fen,
        bids=rnd.bids,
        starts_at=rnd.starts_at,
        effective_end_at=rnd.effective_end_at,
        suspended=rnd.status == "suspended",
        server_time=clock.now(),
        recent=[BidOut.of(b, n) for b, n in reversed(recent)],
    )


@router.get("/api/auction/rounds/{round_id}/bids", response_model=list[BidOut], responses=responses(404))
def list_bids(
    round_id: RoundId, session: SessionDep, after: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0
) -> list[BidOut]:
    """The round's accepted bids after `after`, in order; bidders by number only."""
    rnd = lots.public_round(session, round_id)
    return [BidOut.of(b, n) for b, n in bidding.bids_of(session, rnd.id, after_seq=after)]


@router.get(
    "/api/auction/rounds/{round_id}/confirmation.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(404, 503)},
)
def confirmation_pdf(round_id: RoundId, session: SessionDep) -> Response:
    """The 成交确认书 of a sold round, published with the buyer's name and masked ID number (Art. 22)."""
    found = closing.confirmation_of(session, round_id)
    if found is None:
        raise NotFound("this round has no 成交确认书", zh="此拍卖尚无成交确认书")
    from auction.confirmation_pdf import confirmation_pdf as printed

    return Response(printed(found), media_type="application/pdf")


@router.get(
    "/api/auction/rounds/{round_id}/live",
    responses={200: {"content": {"text/event-stream": {}}}, **responses(404)},
    response_class=StreamingResponse,
)
async def live(
    round_id: RoundId,
    request: Request,
    last_event_id: Annotated[int | None, Header(ge=0, le=MAX_ROW_ID)] = None,
) -> StreamingResponse:
    """Server-sent events: `bid` for each accepted bid (its id is the bid's sequence number) with the new
    price and end, `state` when the round's status or end changes otherwise. Reconnecting with
    `Last-Event-ID` sends the bids missed first."""
    stream = ROOMS.watch(round_id, -1 if last_event_id is None else last_event_id)
    first = await anext(stream, None)
    if first is None:
        raise NotFound(f"round {round_id} does not exist", zh="没有找到此拍卖")

    async def events() -> object:
        # A watcher who leaves ends the stream: the response notices the disconnect itself.
        yield first
        async for chunk in stream:
            yield chunk

    return StreamingResponse(
        events(),  # type: ignore[arg-type]
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
