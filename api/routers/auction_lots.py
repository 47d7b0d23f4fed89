"""Lots and rounds for the court and the auction staff: a priced car made a lot, its rounds drafted, the
parties told, announced, stopped, resumed, and the lot's end (网拍规定 Art. 10–28)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select

from api.deps import Allow, IdempotencyDep, SessionDep
from api.errors import responses
from auction import bidders, closing, lots, rounds, stops
from auction.models import AuctionBidder, AuctionLot, PriorityBuyer
from auction.schemas import (
    BidderOut,
    ConfirmationOut,
    DisclosuresIn,
    LotIn,
    LotOut,
    NoticeIn,
    PriorityBuyerIn,
    PriorityBuyerOut,
    ReasonIn,
    ResumeIn,
    RoundIn,
    RoundOut,
    SaleIn,
)
from car_enforce.core.db import RowId
from car_enforce.core.errors import NotFound
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody

router = APIRouter(tags=["auction: lots"], responses=responses(401, 403))
Staff = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.AUCTION_STAFF, Role.ADMIN))]
Court = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.ADMIN))]
LotId = Annotated[RowId, Path(description="the lot")]
RoundId = Annotated[RowId, Path(description="the round")]


def _lot(session: SessionDep, who: Principal, lot_id: int) -> AuctionLot:
    return lots.LOTS.load(session, who, lot_id)


@router.post(
    "/api/auction/lots", status_code=201, response_model=LotOut, responses=responses(400, 404, 409, 422)
)
def open_lot(body: LotIn, session: SessionDep, who: Staff, idem: IdempotencyDep) -> object:
    """Start the sale of a priced car in custody (参考价规定 Art. 30): the announcement's items are filled
    from the records; `disclosures` adds or replaces texts (网拍规定 Art. 13, 14)."""

    def produce() -> LotOut:
        custody = session.get(Custody, body.custody_id)
        if custody is None or not lots.manages(who, custody.court_id):
            raise NotFound(f"custody {body.custody_id} does not exist", zh="没有找到此扣押保管记录")
        return LotOut.of(lots.open_lot(session, actor=who, custody=custody, disclosures=body.disclosures))

    return idem.run(produce)


@router.get("/api/auction/lots", response_model=list[LotOut])
def list_lots(session: SessionDep, who: Staff) -> list[LotOut]:
    """The lots the caller manages, newest first."""
    rows = session.scalars(lots.LOTS.select(who).order_by(AuctionLot.id.desc()).limit(200))
    return [LotOut.of(lot) for lot in rows]


@router.get("/api/auction/lots/{lot_id}", response_model=LotOut, responses=responses(404))
def get_lot(lot_id: LotId, session: SessionDep, who: Staff) -> LotOut:
    return LotOut.of(_lot(session, who, lot_id))


@router.post(
    "/api/auction/lots/{lot_id}/disclosures", response_model=LotOut, responses=responses(400, 404, 409, 422)
)
def edit_disclosures(lot_id: LotId, body: DisclosuresIn, session: SessionDep, who: Staff) -> LotOut:
    """Change the announcement's texts before a round is announced."""
    lot = _lot(session, who, lot_id)
    lots.edit_disclosures(session, actor=who, lot=lot, texts=body.disclosures)
    return LotOut.of(lot)


@router.post(
    "/api/auction/lots/{lot_id}/priority-buyers",
    status_code=201,
    response_model=PriorityBuyerOut,
    responses=responses(400, 404, 409, 422),
)
def add_priority_buyer(
    lot_id: LotId, body: PriorityBuyerIn, session: SessionDep, who: Staff
) -> PriorityBuyerOut:
    """A known priority buyer (优先购买权人), told before the announcement like a party (Art. 16)."""
    lot = _lot(session, who, lot_id)
    buyer = lots.add_priority_buyer(
        session, actor=who, lot=lot, name=body.name, right=body.right, rank=body.rank
    )
    return PriorityBuyerOut.of(buyer)


@router.post(
    "/api/auction/priority-buyers/{buyer_id}/confirm",
    response_model=PriorityBuyerOut,
    responses=responses(404, 409),
)
def confirm_priority_buyer(buyer_id: RowId, session: SessionDep, who: Court) -> PriorityBuyerOut:
    """The court confirms a priority buyer: the answer carries its priority-bid code, shown once (Art. 19)."""
    buyer = session.get(PriorityBuyer, buyer_id)
    if buyer is None:
        raise NotFound(f"priority buyer {buyer_id} does not exist", zh="没有找到此优先购买权人")
    _lot(session, who, buyer.lot_id)
    code = lots.confirm_priority_buyer(session, actor=who, buyer=buyer)
    return PriorityBuyerOut.of(buyer, code)


@router.post(
    "/api/auction/lots/{lot_id}/rounds",
    status_code=201,
    response_model=RoundOut,
    responses=responses(400, 404, 409, 422),
)
def draft_round(
    lot_id: LotId, body: RoundIn, session: SessionDep, who: Staff, idem: IdempotencyDep
) -> object:
    """The lot's next auction, checked against the rules (starting price, deposit, increment, announcement,
    duration, a second round's cut, the price's validity); refused naming the article."""

    def produce() -> RoundOut:
        lot = _lot(session, who, lot_id)
        plan = rounds.RoundPlan(**body.model_dump())
        return RoundOut.of(rounds.draft_round(session, actor=who, lot=lot, plan=plan))

    return idem.run(produce)


@router.post(
    "/api/auction/lots/{lot_id}/sale",
    status_code=201,
    response_model=RoundOut,
    responses=responses(400, 404, 409),
)
def draft_sale(lot_id: LotId, body: SaleIn, session: SessionDep, who: Staff, idem: IdempotencyDep) -> object:
    """The online sale (变卖) after an unsold second auction, at its starting price, on its platform."""

    def produce() -> RoundOut:
        lot = _lot(session, who, lot_id)
        return RoundOut.of(rounds.draft_sale(session, actor=who, lot=lot, opens_at=body.opens_at))

    return idem.run(produce)


@router.post(
    "/api/auction/rounds/{round_id}/notices",
    status_code=201,
    response_model=RoundOut,
    responses=responses(400, 404, 409, 422),
)
def record_notice(round_id: RoundId, body: NoticeIn, session: SessionDep, who: Staff) -> RoundOut:
    """A party or known priority buyer told of the coming announcement (Art. 16)."""
    rnd = lots.load_round(session, who, round_id)
    rounds.record_notice(session, actor=who, rnd=rnd, to=body.to, way=body.way, on=body.on, note=body.note)
    return RoundOut.of(rnd)


@router.post(
    "/api/auction/rounds/{round_id}/announce", response_model=RoundOut, responses=responses(400, 404, 409)
)
def announce(round_id: RoundId, session: SessionDep, who: Staff) -> RoundOut:
    """Publish the round now (Art. 12, 13, 14, 16)."""
    rnd = lots.load_round(session, who, round_id)
    return RoundOut.of(rounds.announce(session, actor=who, rnd=rnd))


@router.post(
    "/api/auction/rounds/{round_id}/suspend", response_model=RoundOut, responses=responses(400, 404, 409)
)
def suspend(round_id: RoundId, body: ReasonIn, session: SessionDep, who: Staff) -> RoundOut:
    """Stop the round (暂缓 or 中止) with its published reason (Art. 28)."""
    rnd = lots.load_round(session, who, round_id)
    return RoundOut.of(stops.suspend(session, actor=who, rnd=rnd, reason=body.reason))


@router.post(
    "/api/auction/rounds/{round_id}/resume", response_model=RoundOut, responses=responses(400, 404, 409)
)
def resume(round_id: RoundId, body: ResumeIn, session: SessionDep, who: Staff) -> RoundOut:
    """Resume a stopped round, the time ahead given back; late past 5 days is recorded (Art. 28)."""
    rnd = lots.load_round(session, who, round_id)
    return RoundOut.of(stops.resume(session, actor=who, rnd=rnd, cause_ended_on=body.cause_ended_on))


@router.post("/api/auction/rounds/{round_id}/default", response_model=RoundOut, responses=responses(404, 409))
def record_default(round_id: RoundId, body: ReasonIn, session: SessionDep, who: Court) -> RoundOut:
    """The buyer did not pay the balance (悔拍): the deposit is forfeited, the buyer barred (Art. 24)."""
    rnd = lots.load_round(session, who, round_id)
    return RoundOut.of(closing.record_default(session, actor=who, rnd=rnd, reason=body.reason))


@router.get(
    "/api/auction/rounds/{round_id}/bidders", response_model=list[BidderOut], responses=responses(404)
)
def round_bidders(round_id: RoundId, session: SessionDep, who: Staff) -> list[BidderOut]:
    rnd = lots.load_round(session, who, round_id)
    rows = session.scalars(
        select(AuctionBidder).where(AuctionBidder.round_id == rnd.id).order_by(AuctionBidder.id)
    )
    return [BidderOut.of(b) for b in rows]


@router.post(
    "/api/auction/bidders/{bidder_id}/confirm-agent", response_model=BidderOut, responses=responses(404, 400)
)
def confirm_agent(bidder_id: RowId, session: SessionDep, who: Court) -> BidderOut:
    """The court confirms a bidder's agent before bidding starts (Art. 14)."""
    bidder = session.get(AuctionBidder, bidder_id)
    if bidder is None:
        raise NotFound(f"bidder {bidder_id} does not exist", zh="没有找到此竞买人")
    lots.load_round(session, who, bidder.round_id)
    bidders.confirm_agent(session, actor=who, bidder=bidder)
    return BidderOut.of(bidder)


@router.get(
    "/api/auction/rounds/{round_id}/confirmation", response_model=ConfirmationOut, responses=responses(404)
)
def confirmation(round_id: RoundId, session: SessionDep, who: Staff) -> ConfirmationOut:
    """The 成交确认书 of a sold round, with the buyer's real identity (Art. 22)."""
    lots.load_round(session, who, round_id)
    found = closing.confirmation_of(session, round_id)
    if found is None:
        raise NotFound("this round has no 成交确认书", zh="此拍卖尚无成交确认书")
    return ConfirmationOut.of(found)


@router.post("/api/auction/lots/{lot_id}/withdraw", response_model=LotOut, responses=responses(400, 404, 409))
def withdraw(lot_id: LotId, body: ReasonIn, session: SessionDep, who: Staff) -> LotOut:
    """The debtor paid in full: the lot and its open rounds are withdrawn, the deposits go back (Art. 23)."""
    lot = _lot(session, who, lot_id)
    return LotOut.of(stops.withdraw_lot(session, actor=who, lot=lot, reason=body.reason))


@router.post("/api/auction/lots/{lot_id}/offset", response_model=LotOut, responses=responses(400, 404, 409))
def offset(lot_id: LotId, session: SessionDep, who: Court) -> LotOut:
    """以物抵债: the applicant takes the car at the unsold round's reserve (拍卖变卖规定 Art. 16)."""
    lot = _lot(session, who, lot_id)
    stops.offset(session, actor=who, lot=lot)
    return LotOut.of(lot)


@router.post("/api/auction/lots/{lot_id}/return", response_model=LotOut, responses=responses(400, 404, 409))
def return_car(lot_id: LotId, session: SessionDep, who: Court) -> LotOut:
    """Unsold and not taken: the seizure is released and the car returned (拍卖变卖规定 Art. 24)."""
    lot = _lot(session, who, lot_id)
    return LotOut.of(stops.return_car(session, actor=who, lot=lot))
