"""The outside auction platforms (淘宝司法拍卖, 京东拍卖, 人民法院诉讼资产网 …: 网拍规定 Art. 2–5) as
records: the platforms configured, each round's publication on one of them, and the messages each platform
sent us."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class AuctionPlatform(Base):
    """A platform on the SPC's list that a court publishes on: configuration (settings and seed), not code."""

    __tablename__ = "auction_platform"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # AuctionRound.platform; in callback paths
    name: Mapped[str] = mapped_column(String(64))
    base_url: Mapped[str] = mapped_column(String(300))
    api_key: Mapped[str] = mapped_column(String(128))  # ours at the platform: sent as a bearer token
    # Shared with the platform: its webhooks to us are signed with it (Standard Webhooks).
    webhook_secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PublicationStatus(StrEnum):
    PENDING = "pending"  # to publish: the sweep sends POST /lots
    PUBLISHED = "published"  # the platform has the lot as we last told it
    UPDATING = "updating"  # a change (suspended, resumed, a new end) to send
    WITHDRAWING = "withdrawing"  # the round was withdrawn here: the platform is to be told
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # the platform reported the end of the bidding
    FAILED = "failed"  # given up after a permanent refusal or too many tries: staff look at it


class AuctionPublication(Base):
    """One round published on an outside platform. The sweep brings the platform to the round's state;
    ``version`` counts the changes asked for and ``sent_version`` the ones the platform took.

    The buyer's identity reported at the close is personal data: it is kept here, for the 成交确认书 and the
    transfer, and never goes into events, feeds or logs."""

    __tablename__ = "auction_publication"
    __table_args__ = (UniqueConstraint("platform_code", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("auction_round.id"), unique=True)
    platform_code: Mapped[str] = mapped_column(ForeignKey("auction_platform.code"), index=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # the Idempotency-Key of the publication
    remote_id: Mapped[str | None] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(String(300), default="")  # the lot's page on the platform
    status: Mapped[PublicationStatus] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(default=0)
    sent_version: Mapped[int] = mapped_column(default=0)
    withdraw_reason: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(default=0)  # failed tries since the last success
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # not tried again before this instant
    last_error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The close as the platform reported it; the buyer's identity is restricted (see the class's note).
    sold: Mapped[bool | None]
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    buyer_number: Mapped[str] = mapped_column(String(32), default="")  # the platform's 竞买号
    buyer_name: Mapped[str] = mapped_column(String(64), default="")
    buyer_id_masked: Mapped[str] = mapped_column(String(32), default="")  # as the 确认书 prints it
    buyer_id_digest: Mapped[str] = mapped_column(String(64), default="")
    buyer_phone: Mapped[str] = mapped_column(String(32), default="")


class AuctionPlatformMessage(Base):
    """A webhook a platform sent us, by its ``webhook-id``: a message is taken once (replays refused) and
    its first answer is given again to a retry."""

    __tablename__ = "auction_platform_message"
    __table_args__ = (UniqueConstraint("platform_code", "msg_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_code: Mapped[str] = mapped_column(ForeignKey("auction_platform.code"))
    msg_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("auction_round.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(String(500), default="")  # the JSON answered the first time
