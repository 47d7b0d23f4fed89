"""What the API shows of a publication: its state on the platform, never the buyer's identity."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from auction.platforms.models import AuctionPublication
from car_enforce.core import clock


class PublicationOut(BaseModel):
    round_id: int
    platform: str
    remote_id: str | None
    url: str
    status: str
    attempts: int
    last_error: str
    due_at: datetime
    published_at: datetime | None
    closed_at: datetime | None
    sold: bool | None
    price_fen: int | None

    @classmethod
    def of(cls, pub: AuctionPublication) -> PublicationOut:
        def local(at: datetime | None) -> datetime | None:
            return clock.local(at) if at is not None else None

        return cls(
            round_id=pub.round_id,
            platform=pub.platform_code,
            remote_id=pub.remote_id,
            url=pub.url,
            status=pub.status,
            attempts=pub.attempts,
            last_error=pub.last_error,
            due_at=clock.local(pub.due_at),
            published_at=local(pub.published_at),
            closed_at=local(pub.closed_at),
            sold=pub.sold,
            price_fen=pub.price_fen,
        )
