"""A database lease, so that of several scheduler processes only one runs the sweeps at a time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core import clock
from car_enforce.core.db import Base, Database, UTCDateTime


class Lease(Base):
    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


def hold(database: Database, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or extend the lease; False while another holder's lease is still running."""
    now = clock.now()
    try:
        with database.unit_of_work() as session:
            lease = session.scalar(select(Lease).where(Lease.name == name).with_for_update())
            if lease is None:
                session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
                return True
            if lease.holder != holder and lease.expires_at > now:
                return False
            lease.holder, lease.expires_at = holder, now + ttl
            return True
    except IntegrityError:  # another process created the row first
        return False


def release(database: Database, name: str, holder: str) -> None:
    with database.unit_of_work() as session:
        lease = session.scalar(
            select(Lease).where(Lease.name == name, Lease.holder == holder).with_for_update()
        )
        if lease is not None:
            session.delete(lease)
