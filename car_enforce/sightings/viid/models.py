"""GA/T 1400 accounts (HTTP Digest credentials mapped onto a police unit's API key) and registered devices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class ViidAccount(Base):
    """A Digest account a checkpoint device (or its platform) registers with.

    The password is the police unit's API key: only ``HA1 = MD5(username:realm:key)`` is stored, computed
    when the unit creates the account with that key. Revoking the key ends the account.
    """

    __tablename__ = "viid_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id"))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    realm: Mapped[str] = mapped_column(String(64))
    ha1: Mapped[str] = mapped_column(String(32))
    # Which PlateColor table the devices behind this account send: "gat1400" (1 black, 2 white, 5 blue,
    # 6 yellow, 9 green, 99 other) or "traffic" (0 white, 1 yellow, 2 blue, 3 black, 4 green).
    colour_table: Mapped[str] = mapped_column(String(16), default="gat1400")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(96))


class ViidDevice(Base):
    """A device registered through an account; it pushes with its id in ``User-Identify``."""

    __tablename__ = "viid_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(32), unique=True)  # 20 digits in the standard
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("viid_account.id"))
    # The address it registered from: pushes and keepalives are taken from that address only.
    peer: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    keepalive_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unregistered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: registered now
