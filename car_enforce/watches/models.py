"""Watch requests (布控) and the police watch list derived from them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from car_enforce.core.db import Base, UTCDateTime
from car_enforce.vehicles.models import Vehicle


class WatchStatus(StrEnum):
    QUEUED = "queued"  # 轮候: waits for another court's active watch on the same vehicle to end
    ACTIVE = "active"
    LIFTED = "lifted"
    LAPSED = "lapsed"
    # The car was captured (扣押) on this watch: the watch has done its job and leaves the police list,
    # while the seizure in the registry stays until the car is sold or released.
    FULFILLED = "fulfilled"
    # The court let the car go (sold and handed over, or returned to its owner): the seizure has ended
    # (查封规定 Art. 27 for a sale).
    RELEASED = "released"


class LiftReason(StrEnum):
    DEBTOR_PAID = "debtor_paid"
    SETTLEMENT = "settlement"
    COURT_DECISION = "court_decision"


class WatchChangeKind(StrEnum):
    ISSUED = "issued"  # entered the police list (issued active, or a queued watch taking effect)
    RENEWED = "renewed"
    LIFTED = "lifted"
    LAPSED = "lapsed"
    FULFILLED = "fulfilled"  # the car was captured: off the list


_ACTIVE = text("status = 'active'")
_LIVE = text("status IN ('active', 'queued')")


class Watch(Base):
    __tablename__ = "watch"
    __table_args__ = (
        # At most one active watch per vehicle: other courts queue behind it (查封规定 Art. 26).
        Index(
            "uq_watch_vehicle_active",
            "vehicle_id",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
        # A court holds at most one live (active or queued) watch per vehicle.
        Index(
            "uq_watch_vehicle_court_live",
            "vehicle_id",
            "court_id",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
        Index("ix_watch_status_expires_on", "status", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    court_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    ruling_number: Mapped[str] = mapped_column(String(64))  # the seizure ruling (查封裁定) it rests on
    scope_jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    status: Mapped[WatchStatus] = mapped_column(String(16))
    # The period asked for, in days from the day it takes effect (a queued watch starts later).
    term_days: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)  # last day in force
    # The end date was computed on a year whose official holiday schedule is not loaded.
    expires_provisional: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lift_reason: Mapped[LiftReason | None] = mapped_column(String(32))
    lift_note: Mapped[str] = mapped_column(Text, default="")

    vehicle: Mapped[Vehicle] = relationship(lazy="joined")


class WatchRenewal(Base):
    __tablename__ = "watch_renewal"

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id"), index=True)
    ruling_number: Mapped[str] = mapped_column(String(64))
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    previous_expires_on: Mapped[date] = mapped_column(Date)
    new_expires_on: Mapped[date] = mapped_column(Date)


class WatchReminder(Base):
    """A reminder sent to the officer before expiry; one per (watch, expiry date, days before)."""

    __tablename__ = "watch_reminder"
    __table_args__ = (UniqueConstraint("watch_id", "expires_on", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id"))
    expires_on: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WatchlistEntry(Base):
    """What the police see of one active watch: the car and the court's contact, never the debtor."""

    __tablename__ = "watchlist_entry"
    __table_args__ = (
        Index("ix_watchlist_entry_scope_jurisdiction_id_watch_id", "scope_jurisdiction_id", "watch_id"),
    )

    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id"), primary_key=True)
    scope_jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    plate: Mapped[str] = mapped_column(String(16))
    plate_colour: Mapped[str] = mapped_column(String(16))
    vin: Mapped[str | None] = mapped_column(String(17))
    description: Mapped[str] = mapped_column(String(256))
    court_name: Mapped[str] = mapped_column(String(128))
    court_phone: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    # The plate with look-alike characters folded (vehicles.plate_keys.folded_text): a batch that arrives
    # before its process has loaded the watch index finds the entries it could match with one indexed query.
    folded_key: Mapped[str | None] = mapped_column(String(16), index=True)


class WatchlistChange(Base):
    """The change feed: every entry added, renewed or removed, in commit order of ``seq``."""

    __tablename__ = "watchlist_change"
    __table_args__ = (Index("ix_watchlist_change_scope_jurisdiction_id_seq", "scope_jurisdiction_id", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id"))
    kind: Mapped[WatchChangeKind] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    scope_jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    plate: Mapped[str] = mapped_column(String(16))
    plate_colour: Mapped[str] = mapped_column(String(16))
    vin: Mapped[str | None] = mapped_column(String(17))
    description: Mapped[str] = mapped_column(String(256))
    court_name: Mapped[str] = mapped_column(String(128))
    court_phone: Mapped[str] = mapped_column(String(32))
    starts_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
