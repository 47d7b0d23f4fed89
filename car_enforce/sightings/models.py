"""Cameras, read counts, stored sightings (reads that matched) and the alerts they raise.

Reads that match nothing are never stored, only counted per camera and hour (privacy: a plate reader
sees every car on the road; the platform keeps only what concerns a court's watch).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from car_enforce.core.db import Base, UTCDateTime


class AlertKind(StrEnum):
    HIT = "hit"  # an exact match: routed to the police at once
    POSSIBLE = "possible"  # a match only through look-alike characters: an officer confirms or rejects


class AlertStatus(StrEnum):
    PENDING = "pending"  # a possible hit waiting for the officer
    OPEN = "open"  # a hit (or a confirmed possible hit), routed to the police unit of the place
    REJECTED = "rejected"  # the officer saw it was another car
    CLOSED = "closed"  # the car was captured or the watch ended
    # Reported after the live window (a camera's buffer, a retransmission): on the watch's record and told
    # to the officer ("seen at … on …"), never dispatched: nobody is sent to where the car was days ago.
    LATE = "late"


class Camera(Base):
    """A plate reader of a police unit, known by the id the unit's own system gives it."""

    __tablename__ = "police_camera"
    __table_args__ = (UniqueConstraint("organisation_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    external_id: Mapped[str] = mapped_column(String(128))  # "" for reads that name no camera
    vendor: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128), default="")
    # Where it stands (WGS84), for vendors whose reads carry no coordinates; the datum it was given in.
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    datum_in: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: registered, never heard
    # How far the camera's clock was off (its stamp minus the receipt time, seconds) when a read was last
    # found skewed, and when; kept after the clock is mended (a believable stamp then moves the last-seen
    # time past it: ``cameras.clock_skewed``). Shown to the owning unit.
    clock_skew_s: Mapped[int | None] = mapped_column(BigInteger)
    clock_skew_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the camera's position is known: "given" (registered or sent with reads) or "division" (the
    # administrative division in its GA/T 1400 device code: the area's representative point, approximate).
    place_source: Mapped[str | None] = mapped_column(String(16))


class ReadCount(Base):
    """How many reads a camera sent in one hour, and how many matched: the only trace of the others."""

    __tablename__ = "read_count"

    camera_id: Mapped[int] = mapped_column(ForeignKey("police_camera.id"), primary_key=True)
    # Whole hours since 1970-01-01 00:00 UTC (hour × 3600 is the Unix time it starts): a plain integer,
    # because this table is upserted with every batch of reads.
    epoch_hour: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reads: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)


class ReadBatch(Base):
    """One message or batch as received, by the digest of its body: a re-post is answered, not redone."""

    __tablename__ = "read_batch"
    __table_args__ = (UniqueConstraint("organisation_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


class Alert(Base):
    """One alert per (watch, vehicle pass): every read of the pass is a sighting attached to it."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_watch_id_camera_id_last_read_at", "watch_id", "camera_id", "last_read_at"),
        Index("ix_alert_watch_id_pass_key", "watch_id", "pass_key"),
        Index("ix_alert_case_id_status", "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"))
    kind: Mapped[AlertKind] = mapped_column(String(16))
    status: Mapped[AlertStatus] = mapped_column(String(16))
    plate: Mapped[str] = mapped_column(String(16))  # the watched plate, normal form
    plate_colour: Mapped[str] = mapped_column(String(16))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    camera_id: Mapped[int] = mapped_column(ForeignKey("police_camera.id"))
    pass_key: Mapped[str | None] = mapped_column(String(160))
    first_read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sightings: Mapped[int] = mapped_column(Integer, default=0)
    lon: Mapped[float | None]  # WGS84: the read's place, else the camera's
    lat: Mapped[float | None]
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction.id"))
    # The police unit whose area covers the place (else the reporting unit); None until it is routed.
    routed_unit_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # Whether the place lies inside the watch's scope: outside it the police are told, not asked to stop.
    in_scope: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(96), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    # When the officer was told of this alert: at once (the first alert of a run of passes), or in the
    # digest that gathered it (``digest_id``); None while it waits for the next digest.
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("alert_digest.id"))


class AlertDigest(Base):
    """One message to an officer gathering the passes of a watched car since the last one it was told of."""

    __tablename__ = "alert_digest"

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alerts: Mapped[int] = mapped_column(Integer)
    first_read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The route, oldest first: [{"alert_id", "read_at", "lon", "lat", "camera"}] (WGS84).
    route: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Sighting(Base):
    """A read that matched a watch, kept whole as evidence (images as files, referenced by digest)."""

    __tablename__ = "sighting"
    __table_args__ = (UniqueConstraint("reporter_id", "read_key", "watch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    camera_id: Mapped[int] = mapped_column(ForeignKey("police_camera.id"))
    read_key: Mapped[str] = mapped_column(String(160))
    vendor: Mapped[str] = mapped_column(String(32))
    kind: Mapped[AlertKind] = mapped_column(String(16))
    reading: Mapped[str] = mapped_column(String(64))  # the text that matched, as read
    plate_read: Mapped[str] = mapped_column(String(64))  # the reader's best reading, as read
    equivalent_chars: Mapped[int] = mapped_column(Integer, default=0)
    confidence: Mapped[float | None]
    colour_read: Mapped[str | None] = mapped_column(String(16))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    datum_in: Mapped[str | None] = mapped_column(String(8))
    raw: Mapped[Any] = mapped_column(JSON, nullable=True)
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The camera's own stamp when it could not be believed (far ahead, or years back after a power cut):
    # kept as evidence, while ``read_at`` is the receipt time.
    camera_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_skewed: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Received after the live window (buffered, or resent): a sighting on the record, not a dispatch.
    late: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # The sender said it was sent again from its buffer (Hikvision isDataRetransmission, GA/T 1400 resends).
    retransmitted: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # The colour written into the plate text (蓝浙C12345), when there was one; it differs from
    # ``colour_read`` only when the camera's colour field said otherwise (the field decides).
    colour_in_text: Mapped[str | None] = mapped_column(String(16))


class AlertDispatch(Base):
    """The police side's alert feed: an alert routed to a unit, in commit order of ``seq``."""

    __tablename__ = "alert_dispatch"
    __table_args__ = (Index("ix_alert_dispatch_organisation_id_seq", "organisation_id", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
