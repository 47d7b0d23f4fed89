"""Ingest: a police unit's reads, matched against the watch list, stored only where they matched.

One message (a vendor webhook, a camera push, a batch of up to 5,000 reads) is one call, in the
request's transaction:

1. a message whose body was received before from the same unit is answered with the first result;
2. the process's watch index catches up with the change feed;
3. each read's time is judged against the receipt time (``reads.judged``): a camera clock far off is
   recorded, not refused, and a read older than the live window is late;
4. every reading of every read is matched; reads that match nothing are only counted per camera and hour;
5. cameras are known (or created), their last-seen time moves forward, a skewed clock is flagged;
6. a read that matched is kept as a sighting (its images as evidence files) and joins the alert of its
   pass, which is raised and routed when new (``alerts.attach``).

Records the adapter could not read (``Parsed.rejected``) are listed in the answer; the others are taken.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from car_enforce.core import clock
from car_enforce.core.db import on_commit
from car_enforce.core.errors import Forbidden, InvalidInput
from car_enforce.core.files import evidence
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.security import redact_keys
from car_enforce.sightings import alerts
from car_enforce.sightings.cameras import camera_ids, count_reads, flag_skewed_clocks
from car_enforce.sightings.index import Match, WatchIndex
from car_enforce.sightings.metrics import MessageTally
from car_enforce.sightings.models import AlertKind, Camera, ReadBatch, Sighting
from car_enforce.sightings.reads import Parsed, PlateRead, judged
from car_enforce.watches.models import WatchStatus

MAX_BATCH = 5000


@dataclass
class IngestResult:
    reads: int = 0
    matched: int = 0  # reads that matched at least one watch
    hits: int = 0  # sightings stored as exact hits
    possible_hits: int = 0  # sightings stored as look-alike matches
    duplicates: int = 0  # reads already stored from an earlier message
    heartbeats: int = 0
    late: int = 0  # matched reads received after the live window: on record, not dispatched
    clock_skewed: int = 0  # reads whose camera stamp was not believed (the receipt time was used)
    alerts: list[int] = field(default_factory=list)  # alerts raised or joined by this message
    # Records of the message that could not be read, each with its position, field and reason.
    rejected: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False  # the same body was received before: this is its first answer

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def read_key_of(read: PlateRead) -> str:
    """The read's identity: the vendor's id, or a digest of what it says (camera, time, plate)."""
    if read.read_key:
        key = f"{read.vendor}:{read.read_key}"
        if len(key) <= 160:
            return key
    said = f"{read.vendor}|{read.camera_id or ''}|{read.read_at.isoformat()}|{read.plate}"
    return f"{read.vendor}:sha256:{hashlib.sha256(said.encode()).hexdigest()}"


def _claim(session: Session, organisation_id: int, digest: str) -> int | None:
    """The new batch row's id, or None when the same body was received from this unit before."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(ReadBatch)
        .values(organisation_id=organisation_id, digest=digest, received_at=clock.now(), result={})
        .on_conflict_do_nothing(index_elements=[ReadBatch.organisation_id, ReadBatch.digest])
        .returning(ReadBatch.id)
    )
    return session.execute(statement).scalar_one_or_none()


def ingest(
    session: Session, *, unit: Principal, parsed: Parsed, digest: str, index: WatchIndex
) -> IngestResult:
    """Match and store one message of a police unit; a re-post of the same body changes nothing.

    What it took is counted on ``/metrics`` once the caller's transaction commits.
    """
    if unit.organisation_id is None:
        raise Forbidden("reads come from a police unit's key", zh="过车数据只能用公安单位的接口密钥报送")
    org_id = unit.organisation_id
    if len(parsed.reads) > MAX_BATCH:
        raise InvalidInput(
            "reads",
            f"{len(parsed.reads)} reads in one message; send at most {MAX_BATCH}",
            zh=f"一次报送了 {len(parsed.reads)} 条过车记录，每次最多 {MAX_BATCH} 条，请分批报送",
        )
    rejected = [asdict(r) for r in parsed.rejected]
    if not parsed.reads:  # a heartbeat, or a pass without a plate: nothing to remember it by
        camera_ids(session, org_id, {beat.camera_id: (beat.vendor, beat.at) for beat in parsed.heartbeats})
        return IngestResult(heartbeats=len(parsed.heartbeats), rejected=rejected)
    tally = MessageTally(adapter=parsed.reads[0].vendor)  # one message, one adapter
    batch_id = _claim(session, org_id, digest)
    if batch_id is None:  # a concurrent twin waited on the unique index and now sees the first answer
        earlier = session.scalar(
            select(ReadBatch.result).where(ReadBatch.organisation_id == org_id, ReadBatch.digest == digest)
        )
        return IngestResult(**{**(earlier or {}), "replayed": True})
    # The generator is only walked while the index is not loaded yet (see WatchIndex.for_batch).
    index = index.for_batch(session, (reading for read in parsed.reads for reading in read.readings()))

    # One pass over the reads: the newest time per camera, counts per (camera, hour), and the matches.
    newest: dict[str, datetime] = {}
    vendors: dict[str, str] = {}
    slots: Counter[tuple[str, int]] = Counter()
    matched_slots: Counter[tuple[str, int]] = Counter()
    found: list[tuple[PlateRead, list[Match]]] = []
    skewed: dict[str, PlateRead] = {}  # the last skewed read of each camera
    n_skewed = 0
    match = index.match
    now = clock.now()
    for read in parsed.reads:
        judged(read, now)
        camera, at = read.camera_id or "", read.read_at
        if read.camera_read_at is not None:
            skewed[camera] = read
            n_skewed += 1
        held = newest.get(camera)
        if held is None or held < at:
            newest[camera] = at
        slot = (camera, int(at.timestamp()) // 3600)
        slots[slot] += 1
        matches = match(read.readings(), read.colour)
        if matches:
            matched_slots[slot] += 1
            found.append((read, matches))
    if parsed.reads:  # one message, one vendor
        vendors = dict.fromkeys(newest, parsed.reads[0].vendor)
    for beat in parsed.heartbeats:
        if beat.camera_id not in newest or newest[beat.camera_id] < beat.at:
            newest[beat.camera_id] = beat.at
        vendors.setdefault(beat.camera_id, beat.vendor)
    ids = camera_ids(session, org_id, {camera: (vendors[camera], at) for camera, at in newest.items()})
    count_reads(
        session,
        {(ids[camera], hour): (n, matched_slots[(camera, hour)]) for (camera, hour), n in slots.items()},
    )
    if skewed:
        flag_skewed_clocks(session, {ids[camera]: read for camera, read in skewed.items()}, now)

    result = IngestResult(
        reads=len(parsed.reads),
        heartbeats=len(parsed.heartbeats),
        matched=len(found),
        clock_skewed=n_skewed,
        rejected=rejected,
    )
    for read, matches in found:
        camera_row = session.get(Camera, ids[read.camera_id or ""])
        assert camera_row is not None
        for m in matches:
            _keep(session, unit, camera_row, read, m, result, tally)
    session.execute(update(ReadBatch).where(ReadBatch.id == batch_id).values(result=result.as_dict()))
    tally.reads = result.reads
    on_commit(session, tally.publish)
    return result


def _keep(
    session: Session,
    unit: Principal,
    camera: Camera,
    read: PlateRead,
    match: Match,
    result: IngestResult,
    tally: MessageTally,
) -> None:
    """Store one matched read as a sighting and attach it to its alert."""
    # The watch row is locked: two batches carrying reads of one pass must not raise two alerts.
    watch = alerts.locked_watch(session, match.watch_id)
    if watch is None or watch.status != WatchStatus.ACTIVE:
        return  # ended since the index last caught up: nothing to stop any more
    key = read_key_of(read)
    exists = session.scalar(
        select(Sighting.id).where(
            Sighting.reporter_id == camera.organisation_id,
            Sighting.read_key == key,
            Sighting.watch_id == watch.id,
        )
    )
    if exists is not None:
        result.duplicates += 1
        return
    attached = alerts.attach(session, actor=unit, watch=watch, camera=camera, read=read, match=match)
    alert = attached.alert
    images = [evidence.store(image, field="image") for image in read.images]
    session.add(
        Sighting(
            alert_id=alert.id,
            watch_id=watch.id,
            reporter_id=camera.organisation_id,
            camera_id=camera.id,
            read_key=key,
            vendor=read.vendor,
            kind=AlertKind(match.kind.value),
            reading=match.reading[:64],
            plate_read=(read.plate_as_read or read.plate)[:64],
            equivalent_chars=match.equivalent_chars,
            confidence=read.confidence,
            colour_read=read.colour,
            read_at=read.read_at,
            lon=read.place.lon if read.place else None,
            lat=read.place.lat if read.place else None,
            datum_in=read.place.datum_in if read.place else None,
            raw=redact_keys(msgspec.to_builtins(read.raw)),
            images=images,
            received_at=clock.now(),
            camera_read_at=read.camera_read_at,
            clock_skewed=read.camera_read_at is not None,
            late=read.late,
            retransmitted=read.retransmitted,
            colour_in_text=read.colour_in_text,
        )
    )
    if read.late:
        result.late += 1
    if match.kind.value == AlertKind.HIT:
        result.hits += 1
    else:
        result.possible_hits += 1
    tally.hits[str(match.kind.value)] += 1
    if attached.raised:
        tally.alerts[str(alert.status)] += 1
    tally.dispatched += attached.dispatched
    if alert.id not in result.alerts:
        result.alerts.append(alert.id)
