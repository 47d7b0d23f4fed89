"""The payment gateway's notifications taken so far: a message id seen once is a replay the second time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class PaymentMessage(Base):
    """One gateway notification taken (its ``webhook-id``); a second delivery of it is refused."""

    __tablename__ = "payment_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
