"""What the auction's API takes and gives. Money in integer fen; instants with their offset. Public shapes
carry no personal data: bidders appear by their number only (DESIGN §7)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from auction import rules
from auction.models import (
    BUILTIN_PLATFORM,
    AuctionBid,
    AuctionBidder,
    AuctionLot,
    AuctionRound,
    Confirmation,
    PriorityBuyer,
)
from car_enforce.core import clock
from car_enforce.core.db import RowId

Fen = Annotated[int, Field(ge=0, le=10**12, description="an amount in fen (分)")]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give the instant with its UTC offset, e.g. 2026-12-09T10:00:00+08:00")
    return value


Instant = Annotated[datetime, AfterValidator(_aware)]


class LotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    custody_id: RowId
    disclosures: dict[str, str] = Field(
        default_factory=dict,
        description="the announcement's texts by item (网拍规定 Art. 13, 14); the rest come from the records",
    )


class DisclosuresIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disclosures: dict[str, str]


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starting_price_fen: Fen
    deposit_fen: Fen
    announced_at: Instant = Field(description="the planned announcement: announce no later than this day")
    starts_at: Instant
    ends_at: Instant
    increment_fen: Fen | None = Field(default=None, description="default: the platform's table by price band")
    balance_days: int = Field(default=rules.articles.DEFAULT_BALANCE_DAYS, ge=1, le=90)
    maxima_allowed: bool = False
    platform: str = Field(default=BUILTIN_PLATFORM, max_length=40)


class SaleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opens_at: Instant


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=128)
    way: rules.NoticeWay
    on: date
    note: str = Field(default="", max_length=500)


class PriorityBuyerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    right: str = Field(min_length=1, max_length=128)
    rank: int = Field(ge=1, le=20)


class PriorityBuyerOut(BaseModel):
    id: int
    name: str
    right: str
    rank: int
    confirmed: bool
    code: str | None = Field(default=None, description="the priority-bid code, shown once at confirmation")

    @classmethod
    def of(cls, buyer: PriorityBuyer, code: str | None = None) -> PriorityBuyerOut:
        return cls(
            id=buyer.id,
            name=buyer.name,
            right=buyer.right,
            rank=buyer.rank,
            confirmed=buyer.confirmed_at is not None,
            code=code,
        )


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class ResumeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cause_ended_on: date


class RoundOut(BaseModel):
    id: int
    lot_id: int
    sequence: int
    number: int
    stage: str
    kind: str
    resale: bool
    status: str
    platform: str
    starting_price_fen: int
    deposit_fen: int
    increment_fen: int
    balance_days: int
    maxima_allowed: bool
    announced_at: datetime
    starts_at: datetime
    ends_at: datetime
    effective_end_at: datetime
    bids: int
    price_fen: int | None
    suspended_at: datetime | None
    suspend_reason: str
    closed_at: datetime | None
    balance_fen: int | None
    balance_due_on: date | None

    @classmethod
    def of(cls, rnd: AuctionRound) -> RoundOut:
        return cls(
            **{
                f: getattr(rnd, f)
                for f in cls.model_fields
                if f not in ("announced_at", "starts_at", "ends_at", "effective_end_at")
            },
            announced_at=clock.local(rnd.announced_at),
            starts_at=clock.local(rnd.starts_at),
            ends_at=clock.local(rnd.ends_at),
            effective_end_at=clock.local(rnd.effective_end_at),
        )


class LotOut(BaseModel):
    id: int
    case_id: int
    custody_id: int
    court_id: int
    status: str
    title: str
    reference_price_fen: int
    disclosures: dict[str, str]
    to_notify: list[str]
    opened_at: datetime
    ended_at: datetime | None
    end_reason: str
    rounds: list[RoundOut]

    @classmethod
    def of(cls, lot: AuctionLot) -> LotOut:
        return cls(
            id=lot.id,
            case_id=lot.case_id,
            custody_id=lot.custody_id,
            court_id=lot.court_id,
            status=lot.status,
            title=lot.title,
            reference_price_fen=lot.reference_price_fen,
            disclosures=lot.disclosures,
            to_notify=lot.to_notify,
            opened_at=lot.opened_at,
            ended_at=lot.ended_at,
            end_reason=lot.end_reason,
            rounds=[RoundOut.of(r) for r in lot.rounds],
        )


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    real_name: str = Field(min_length=2, max_length=64)
    id_number: str = Field(min_length=18, max_length=18, description="居民身份证号码; only a digest is kept")
    phone: str = Field(default="", max_length=32)
    affiliation: rules.Affiliation | None = Field(
        default=None,
        description="declare it if you are barred (网拍规定 Art. 34): the registration is refused",
    )
    full_capacity: bool = True
    agent_name: str = Field(default="", max_length=64)
    priority_code: str = Field(default="", max_length=32)


class DepositOut(BaseModel):
    amount_fen: int
    status: str
    pay_url: str
    paid_at: datetime | None
    due_at: datetime | None
    moved_at: datetime | None


class BidderOut(BaseModel):
    id: int
    round_id: int
    number: str
    applicant: bool
    priority_rank: int | None
    deposit_due_fen: int
    deposit: DepositOut | None
    registered_at: datetime

    @classmethod
    def of(cls, bidder: AuctionBidder) -> BidderOut:
        d = bidder.deposit
        return cls(
            id=bidder.id,
            round_id=bidder.round_id,
            number=bidder.number,
            applicant=bidder.applicant,
            priority_rank=bidder.priority_rank,
            deposit_due_fen=bidder.deposit_due_fen,
            deposit=DepositOut(
                amount_fen=d.amount_fen,
                status=d.status,
                pay_url=d.pay_url,
                paid_at=d.paid_at,
                due_at=d.due_at,
                moved_at=d.moved_at,
            )
            if d is not None
            else None,
            registered_at=bidder.registered_at,
        )


class BidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: Fen


class MaximumIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_fen: Fen


class BidOut(BaseModel):
    seq: int
    bidder: str = Field(description="the bidder's number (竞买号), never a name")
    amount_fen: int
    at: datetime
    ends_at: datetime
    end_moved: bool
    proxy: bool
    priority: bool

    @classmethod
    def of(cls, bid: AuctionBid, number: str) -> BidOut:
        return cls(
            seq=bid.seq,
            bidder=number,
            amount_fen=bid.amount_fen,
            at=bid.at,
            ends_at=bid.ends_at,
            end_moved=bid.end_moved,
            proxy=bid.proxy,
            priority=bid.priority_rank is not None,
        )


class PlacedOut(BaseModel):
    bids: list[BidOut]
    price_fen: int | None
    effective_end_at: datetime
    replayed: bool


class RoomOut(BaseModel):
    """A round's room as anyone may see it."""

    round_id: int
    lot_id: int
    status: str
    starting_price_fen: int
    increment_fen: int
    price_fen: int | None
    next_min_fen: int
    bids: int
    starts_at: datetime
    effective_end_at: datetime
    suspended: bool
    server_time: datetime
    recent: list[BidOut]


class ConfirmationOut(BaseModel):
    number: str
    buyer_name: str
    buyer_id_masked: str
    buyer_number: str
    price_fen: int
    balance_fen: int
    balance_due_on: date
    closed_at: datetime
    issued_at: datetime
    facts: dict[str, object]

    @classmethod
    def of(cls, c: Confirmation) -> ConfirmationOut:
        return cls(**{f: getattr(c, f) for f in cls.model_fields})


class SignUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=10, max_length=128)
    display_name: str = Field(min_length=1, max_length=64)
    phone: str = Field(default="", max_length=32)
