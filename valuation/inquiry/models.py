"""The inquiry platforms (司法网络询价平台) and the courts that use each: configuration, not code.

The SPC keeps the list of platforms (参考价规定 Art. 8–9) and it changes; a court asks every active
platform configured for it, at once (Art. 10). A platform is an organisation; this row adds how to reach it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class InquiryPlatform(Base):
    __tablename__ = "inquiry_platform"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # in request ids and callback paths
    base_url: Mapped[str] = mapped_column(String(300))
    # Shared with the platform: our requests are signed with it and its reports are verified with it.
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The fee its service agreement sets for an inquiry whose result proves closest to the sale price: paid
    # once, after the sale, as a cost of the case (参考价规定 Art. 31). No national figure; 0 when none.
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class CourtInquiryPlatform(Base):
    """A court asks this platform (every active one it has, at once)."""

    __tablename__ = "court_inquiry_platform"

    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("inquiry_platform.organisation_id"), primary_key=True)
