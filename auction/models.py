"""The sale of one car, as records: the lot, its rounds (auctions, the online sale), the bidders registered
for a round with their deposits, the accepted bids, the maximum bids, the notices before the announcement,
the priority buyers the court confirmed and the 成交确认书 (网拍规定 Art. 10–28)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime

BUILTIN_PLATFORM = "builtin"  # the platform's own bidding room: one platform among the others


class LotStatus(StrEnum):
    SELLING = "selling"  # rounds run until one sells or the court ends the sale another way
    SOLD = "sold"  # a round sold (the balance, the ruling and the transfer follow)
    OFFSET = "offset"  # 以物抵债: the car goes to a creditor at an unsold round's reserve
    RETURNED = "returned"  # unsold twice and not taken: the seizure is released, the car returned
    WITHDRAWN = "withdrawn"  # the debtor paid in full: the sale ends and the release path runs


class RoundStatus(StrEnum):
    DRAFT = "draft"  # parameters and notices being prepared
    ANNOUNCED = "announced"  # published: bidding runs from starts_at to the effective end
    SUSPENDED = "suspended"  # 暂缓 or 中止 (Art. 28): no bids until it resumes
    SOLD = "sold"  # closed with a buyer
    UNSOLD = "unsold"  # closed without a bid (流拍)
    DEFAULTED = "defaulted"  # the buyer did not pay the balance (悔拍, Art. 24)
    WITHDRAWN = "withdrawn"  # ended before its close (the debtor paid, the lot withdrawn)


class RoundKind(StrEnum):
    AUCTION = "auction"
    SALE = "sale"  # 变卖


class DepositStatus(StrEnum):
    PENDING = "pending"  # the order is open at the gateway, not paid yet
    HELD = "held"  # paid in the bidder's real name: the bidder may bid
    WAIVED = "waived"  # the applicant whose claim covers the deposit (Art. 17 ¶2)
    RELEASING = "releasing"  # the round closed: back to the bidder within 24 hours (Art. 23)
    RELEASED = "released"
    TO_COURT = "to_court"  # the buyer's: to the court's account within 24 hours (Art. 25)
    PAID_TO_COURT = "paid_to_court"


class AuctionLot(Base):
    """One car offered for sale in one case: it stays the same through every round."""

    __tablename__ = "auction_lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    custody_id: Mapped[int] = mapped_column(ForeignKey("custody.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))  # the stage clocks' key
    pricing_id: Mapped[int] = mapped_column(ForeignKey("reference_price.id"))
    reference_price_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[LotStatus] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(128))  # 丰田凯美瑞 浙C·A1234 (the plate as written)
    # The announcement's texts by Disclosure value (网拍规定 Art. 13, 14): shown on the lot's page.
    disclosures: Mapped[dict[str, str]] = mapped_column(JSON)
    # The parties and known priority buyers to be told before the announcement (Art. 16), by name.
    to_notify: Mapped[list[str]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(96))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(Text, default="")

    rounds: Mapped[list[AuctionRound]] = relationship(
        back_populates="lot", order_by="AuctionRound.id", lazy="selectin"
    )


class AuctionRound(Base):
    """One auction or online sale of the lot: its terms, and the room's state kept beside them (the standing
    bid and the effective end), changed only under the round's row lock."""

    __tablename__ = "auction_round"
    __table_args__ = (
        UniqueConstraint("lot_id", "sequence"),
        Index("ix_auction_round_due", "status", "effective_end_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("auction_lot.id"))
    sequence: Mapped[int]  # 1, 2, … in the order the rounds were made
    number: Mapped[int]  # the auction it is by law: 1 or 2 (a re-auction after a default keeps its number)
    stage: Mapped[str] = mapped_column(String(16))  # rules.Stage: first, second, sale
    kind: Mapped[RoundKind] = mapped_column(String(16))
    resale: Mapped[bool] = mapped_column(default=False)  # a re-auction after the buyer backed out
    status: Mapped[RoundStatus] = mapped_column(String(16))
    platform: Mapped[str] = mapped_column(String(40), default=BUILTIN_PLATFORM)

    starting_price_fen: Mapped[int] = mapped_column(BigInteger)
    deposit_fen: Mapped[int] = mapped_column(BigInteger)
    increment_fen: Mapped[int] = mapped_column(BigInteger)
    balance_days: Mapped[int]
    maxima_allowed: Mapped[bool] = mapped_column(default=False)
    window_s: Mapped[int] = mapped_column(default=24 * 3600)  # a sale: the first bid opens this window
    extension_s: Mapped[int] = mapped_column(default=300)

    announced_at: Mapped[datetime] = mapped_column(UTCDateTime)  # planned, then actual
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the scheduled end
    effective_end_at: Mapped[datetime] = mapped_column(UTCDateTime)  # moved by late bids (Art. 20)

    # The standing bid: what the room needs to judge the next one without reading the bids.
    bids: Mapped[int] = mapped_column(default=0)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    leader_id: Mapped[
        int | None
    ]  # an auction_bidder of this round (no FK: the two tables point at each other)
    leader_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leader_rank: Mapped[int | None]

    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspend_reason: Mapped[str] = mapped_column(Text, default="")
    # Identities barred from this round: the buyers who backed out of this car (网拍规定 Art. 24).
    barred: Mapped[list[str]] = mapped_column(JSON, default=list)

    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    buyer_id: Mapped[int | None]  # the leader at the close
    balance_fen: Mapped[int | None] = mapped_column(BigInteger)
    balance_due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(96))

    lot: Mapped[AuctionLot] = relationship(back_populates="rounds", lazy="joined", innerjoin=True)


class AuctionNotice(Base):
    """A party or known priority buyer told of the coming announcement (网拍规定 Art. 16)."""

    __tablename__ = "auction_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("auction_round.id"), index=True)
    to: Mapped[str] = mapped_column(String(128))
    way: Mapped[str] = mapped_column(String(16))  # rules.NoticeWay
    on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(96))


class PriorityBuyer(Base):
    """A priority buyer (优先购买权人) of the lot; once the court confirms it, a code lets it bid with its
    rank (Art. 19). Only the code's digest is kept."""

    __tablename__ = "auction_priority_buyer"
    __table_args__ = (UniqueConstraint("lot_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("auction_lot.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    right: Mapped[str] = mapped_column(String(128))  # the right's nature: 共有人, 承租人, …
    rank: Mapped[int]  # 1 first
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuctionBidder(Base):
    """A person registered to bid in one round, in their real name; shown to others only by number."""

    __tablename__ = "auction_bidder"
    __table_args__ = (UniqueConstraint("round_id", "user_id"), UniqueConstraint("round_id", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("auction_round.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))  # 竞买号: what the room and the feeds show
    real_name: Mapped[str] = mapped_column(String(64))
    id_digest: Mapped[str] = mapped_column(String(64))  # the identity a default is recorded against
    id_masked: Mapped[str] = mapped_column(String(32))  # 3303**********1234, for the 确认书
    phone: Mapped[str] = mapped_column(String(32), default="")
    affiliation: Mapped[str | None] = mapped_column(String(16))  # rules.Affiliation, declared or known
    applicant: Mapped[bool] = mapped_column(default=False)
    claim_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    agent_name: Mapped[str] = mapped_column(String(64), default="")
    agent_confirmed: Mapped[bool] = mapped_column(default=False)
    priority_buyer_id: Mapped[int | None] = mapped_column(ForeignKey("auction_priority_buyer.id"))
    priority_rank: Mapped[int | None]
    deposit_due_fen: Mapped[int] = mapped_column(BigInteger)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)

    deposit: Mapped[Deposit | None] = relationship(back_populates="bidder", lazy="joined", uselist=False)


class Deposit(Base):
    """A bidder's deposit at the payment gateway, and where it goes after the close (Art. 17, 23–25)."""

    __tablename__ = "auction_deposit"

    id: Mapped[int] = mapped_column(primary_key=True)
    bidder_id: Mapped[int] = mapped_column(ForeignKey("auction_bidder.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[DepositStatus] = mapped_column(String(16), index=True)
    order_id: Mapped[str] = mapped_column(String(64), default="")  # the gateway's
    pay_url: Mapped[str] = mapped_column(String(256), default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last instant the money moves
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(200), default="")

    bidder: Mapped[AuctionBidder] = relationship(back_populates="deposit")


class AuctionBid(Base):
    """An accepted bid; refused bids are not stored. ``seq`` orders the round's bids with no gap."""

    __tablename__ = "auction_bid"
    __table_args__ = (UniqueConstraint("round_id", "seq"), UniqueConstraint("bidder_id", "key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("auction_round.id"))
    seq: Mapped[int]
    bidder_id: Mapped[int] = mapped_column(ForeignKey("auction_bidder.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # the server's receipt time
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the effective end after it
    end_moved: Mapped[bool]
    proxy: Mapped[bool] = mapped_column(default=False)  # made by the room for a maximum bid
    priority_rank: Mapped[int | None]
    key: Mapped[str | None] = mapped_column(String(80))  # the bidder's Idempotency-Key


class MaximumBid(Base):
    """A bidder's maximum: the room bids for them by increments up to it, when the court allows it."""

    __tablename__ = "auction_max_bid"
    __table_args__ = (UniqueConstraint("round_id", "bidder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("auction_round.id"))
    bidder_id: Mapped[int] = mapped_column(ForeignKey("auction_bidder.id"))
    max_fen: Mapped[int] = mapped_column(BigInteger)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Confirmation(Base):
    """The 成交确认书 of a sold round, with the buyer's real identity; it is published (Art. 22)."""

    __tablename__ = "auction_confirmation"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("auction_round.id"), unique=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    buyer_name: Mapped[str] = mapped_column(String(64))
    buyer_id_masked: Mapped[str] = mapped_column(String(32))
    buyer_number: Mapped[str] = mapped_column(String(16))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    balance_due_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)  # the lot, the court, the case number as issued
