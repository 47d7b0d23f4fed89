"""Tables of the built-in simulators: what they received, and the failures tests ask them to stage.

Kept in the database, not process memory, because several server processes may serve the simulator.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class SimSmsMessage(Base):
    """One text message the simulated SMS gateway accepted."""

    __tablename__ = "sim_sms_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # the id the gateway answers with
    # The sender's Idempotency-Key: a resend with the same key is answered with the first message.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimFailureMode(Base):
    """The next ``remaining`` requests to ``simulator`` fail the way ``mode`` says."""

    __tablename__ = "sim_failure_mode"

    simulator: Mapped[str] = mapped_column(String(32), primary_key=True)  # "sms", ...
    mode: Mapped[str] = mapped_column(String(16))  # "ok", "error500", "slow"
    remaining: Mapped[int]
    delay_s: Mapped[float]  # how long "slow" waits before answering
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
