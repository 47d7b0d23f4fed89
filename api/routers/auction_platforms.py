"""The outside auction platforms: their signed webhooks (docs/AUCTION_PLATFORM_PROTOCOL.md §4), and where a
round's publication on its platform stands, for the court and the auction staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import select

from api.deps import Allow, RawBody, SessionDep
from api.errors import responses
from auction import lots
from auction.platforms import callbacks
from auction.platforms.models import AuctionPublication
from auction.platforms.registry import CODE
from auction.platforms.schemas import PublicationOut
from car_enforce.core.db import RowId
from car_enforce.core.errors import NotFound
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal

router = APIRouter(tags=["auction: outside platforms"])
Staff = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.AUCTION_STAFF, Role.ADMIN))]


@router.post(
    "/api/auction/platforms/{code}/events",
    responses={
        200: {"description": "Taken, or a message already taken (its first answer again, replayed: true)"},
        **responses(400, 401, 404, 409, 422),
    },
)
def platform_event(
    code: Annotated[str, Path(pattern=CODE.pattern, max_length=40)],
    raw: RawBody,
    request: Request,
    session: SessionDep,
) -> dict[str, object]:
    """A platform's ``lot.published`` or ``bidding.closed``, signed the Standard Webhooks way with the secret
    it shares with us: 401 for a bad or stale signature, 404 for a lot it does not hold from us, 409 for a
    round that cannot close (withdrawn, stopped), 400 naming the article for a result the rules refuse;
    nothing is stored then."""
    return callbacks.receive(session, code, raw, request.headers)


@router.get(
    "/api/auction/rounds/{round_id}/publication",
    response_model=PublicationOut,
    responses=responses(401, 403, 404),
)
def publication(
    round_id: Annotated[RowId, Path(description="the round")], session: SessionDep, who: Staff
) -> PublicationOut:
    """Where the round stands on its outside platform: published, updating, withdrawn, closed or failed."""
    rnd = lots.load_round(session, who, round_id)
    pub = session.scalar(select(AuctionPublication).where(AuctionPublication.round_id == rnd.id))
    if pub is None:
        raise NotFound("this round is not published on an outside platform", zh="此拍卖未在外部平台发布")
    return PublicationOut.of(pub)
