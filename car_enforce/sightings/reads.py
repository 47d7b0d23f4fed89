"""The canonical plate read: what every police adapter turns a vendor's message into.

A read is one plate-reader observation of one vehicle: the text as read, the other candidate readings,
the reader's confidence, the plate colour when the camera tells it, which camera, when, and where (with
the datum the coordinates came in). Vendor adapters (``car_enforce.sightings.vendors``) produce these;
the matcher and the ingest service consume them and never see a vendor's own shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec

from car_enforce.core import clock
from car_enforce.core.errors import InvalidInput
from car_enforce.core.geo.datum import Datum, parse_datum, to_wgs84, validate_coordinates
from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.plates import COLOUR_INITIALS, split_colour_prefix

# A camera's clock may run a little fast. A read stamped further ahead than this is not refused (the push
# is never retried, so refusing it loses the hit): its stamp is kept as evidence and the receipt time
# becomes the read time (``judged``).
MAX_CLOCK_SKEW = timedelta(minutes=5)
# Reads received longer than this after they were taken are late (a camera's buffer, a retransmission):
# kept on the watch's record and told to the officer, never dispatched to the police of the place.
LIVE_WINDOW = timedelta(minutes=30)
# A stamp older than this cannot be a buffered read (camera buffers hold days, not months): it is a clock
# reset after a power cut (2000-01-01) or a clock never set, and is judged like a stamp in the future.
MAX_BUFFER_AGE = timedelta(days=30)
# Kept for the strict check of times people report (captures, custody): not a read's limit any more.
MAX_READ_AGE = timedelta(days=7)

# Colour words cameras send (Hikvision ``plateColor``, Dahua, Chinese checkpoint systems) → our colour.
# Anything else (``unknown``, ``other``, empty) means "not told", which is not the same as a colour.
_COLOUR_WORDS: dict[str, PlateColour] = {
    "blue": PlateColour.BLUE,
    "蓝": PlateColour.BLUE,
    "蓝色": PlateColour.BLUE,
    "yellow": PlateColour.YELLOW,
    "黄": PlateColour.YELLOW,
    "黄色": PlateColour.YELLOW,
    "green": PlateColour.GREEN,
    "绿": PlateColour.GREEN,
    "绿色": PlateColour.GREEN,
    "newenergy": PlateColour.GREEN,
    "newenergygreen": PlateColour.GREEN,  # Hikvision plateColor
    "shadowgreen": PlateColour.GREEN,  # Dahua PlateColor: the gradient green of small new-energy plates
    "yellow_green": PlateColour.YELLOW_GREEN,
    "yellowgreen": PlateColour.YELLOW_GREEN,
    "newenergyyellowgreen": PlateColour.YELLOW_GREEN,  # Hikvision plateColor
    "黄绿": PlateColour.YELLOW_GREEN,
    "黄绿色": PlateColour.YELLOW_GREEN,
    "white": PlateColour.WHITE,
    "白": PlateColour.WHITE,
    "白色": PlateColour.WHITE,
    "black": PlateColour.BLACK,
    "黑": PlateColour.BLACK,
    "黑色": PlateColour.BLACK,
    # Dahua PlateColor names some plates by background and text: the ordinary yellow, blue and black plates.
    "yellowbottomblacktext": PlateColour.YELLOW,
    "bluebottomwhitetext": PlateColour.BLUE,
    "blackbottomwhitetext": PlateColour.BLACK,
}


def colour_of(value: object) -> PlateColour | None:
    """A camera's colour word as a plate colour; None when the camera did not tell (or said "unknown")."""
    if not isinstance(value, str):
        return None
    word = value.strip().lower().replace("-", "_").replace(" ", "")
    return _COLOUR_WORDS.get(word)


class Candidate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Another reading of the same plate. A msgspec struct: the canonical batch decodes straight into it."""

    plate: Annotated[str, msgspec.Meta(max_length=32)]  # as read, not normalised
    confidence: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None  # 0–1


class Place(msgspec.Struct, frozen=True, gc=False):
    """Where a read happened, in WGS84 (converted at the edge), with the datum it arrived in."""

    lon: float
    lat: float
    datum_in: Datum


class PlateRead(msgspec.Struct, gc=False):
    """One read. A msgspec struct rather than a dataclass: built for every read, it must cost little.

    ``gc=False`` on this and the other read structs: they never form reference cycles, so the cyclic
    collector need not track the thousands a batch creates.
    """

    plate: str  # the best reading, as read
    read_at: datetime  # timezone-aware, UTC
    camera_id: str | None  # the vendor's camera id; None when the message does not name one
    vendor: str  # canonical, openalpr, rekor, platerecognizer, hikvision, csv
    candidates: tuple[Candidate, ...] = ()  # other readings, best first; may repeat ``plate``
    confidence: float | None = None  # 0–1
    colour: PlateColour | None = None
    place: Place | None = None
    # The vendor's id of this read (a uuid), when it has one: a replay of the same read is recognised by it.
    read_key: str | None = None
    # The vendor's id of the vehicle pass (a group of reads of one car), when it has one.
    pass_key: str | None = None
    # Raw evidence: the vendor's message with large base64 images cut out (anything ``msgspec.to_builtins``
    # turns into JSON), and those images as bytes. Only kept for reads that match.
    raw: Any = None
    images: tuple[bytes, ...] = ()
    # The sender said this read comes again from its buffer (isDataRetransmission, a GA/T 1400 resend).
    retransmitted: bool = False
    # The colour written into the plate text (蓝浙C12345) and the text as read with it, set by
    # ``__post_init__``, which leaves ``plate`` without it.
    colour_in_text: PlateColour | None = None
    plate_as_read: str | None = None
    # Set by ``judged``: the camera's own stamp when it was not believed (``read_at`` is then the receipt
    # time), and whether the read arrived after the live window.
    camera_read_at: datetime | None = None
    late: bool = False

    def __post_init__(self) -> None:
        # Checkpoint firmware writes the plate colour into the plate text (蓝浙C12345): the prefix is the
        # colour, the rest the plate. The colour field decides when it names a colour (a conflict stays
        # on record in ``colour_in_text``); the prefix decides when the field said nothing. Every adapter
        # builds its reads through here, so none can forget it; one character test in the common case.
        # (Candidates lose theirs in ``readings``, which walks them anyway.)
        if self.plate[:1] in COLOUR_INITIALS:
            colour, plate = split_colour_prefix(self.plate)
            if colour is not None:
                self.plate_as_read, self.plate, self.colour_in_text = self.plate, plate, colour
                if self.colour is None:
                    self.colour = colour

    @property
    def clock_skewed(self) -> bool:
        return self.camera_read_at is not None

    def readings(self) -> list[str]:
        """Every text to try against the watch list: the best reading first, then the candidates."""
        seen = [self.plate]
        for candidate in self.candidates:
            text = candidate.plate
            if text[:1] in COLOUR_INITIALS:  # 蓝浙C12345: the colour is the best reading's to tell
                text = split_colour_prefix(text)[1]
            if text not in seen:
                seen.append(text)
        return seen


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A camera saying it is alive: updates its last-seen time, stores nothing else."""

    camera_id: str
    at: datetime
    vendor: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """One record of a batch or push that could not be taken, with why; the others are taken."""

    index: int  # its position in the message (0-based)
    field: str  # the path of the bad value: ``reads[3].read_at``
    detail: str
    record_id: str | None = None  # the sender's id of the record, when it has one (GA/T 1400)
    detail_zh: str | None = None  # the same in Chinese, for the unit's staff (the error's ``zh``)


@dataclass(slots=True)
class Parsed:
    """What one vendor message (or one upload) carried: reads, heartbeats, rejected records, or nothing."""

    reads: list[PlateRead] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def checked_confidence(value: object, field: str, *, scale: float) -> float | None:
    """A confidence on the vendor's scale (100 or 1) as 0–1; InvalidInput when it is not a number in range."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(field, f"a confidence must be a number, got {value!r}", zh="置信度应为数字")
    if not 0 <= value <= scale:
        raise InvalidInput(
            field,
            f"a confidence must be between 0 and {scale:g}, got {value!r}",
            zh=f"置信度应在 0 至 {scale:g} 之间",
        )
    return float(value) / scale


def read_time(instant: datetime, field: str) -> datetime:
    """A camera's stamp in UTC; InvalidInput only when it has no offset.

    Never refused for being far ahead or far back: ``judged`` decides what such a stamp means.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        example = "2026-11-23T09:00:00+08:00"
        raise InvalidInput(
            field,
            f"{instant.isoformat()} has no UTC offset; send e.g. {example}",
            zh=f"时间缺少时区，请按 {example} 的格式报送",
        )
    return clock.as_utc(instant)


def judged(read: PlateRead, now: datetime) -> PlateRead:
    """The read with its time judged against the receipt time ``now``.

    - stamped more than MAX_CLOCK_SKEW ahead, or more than MAX_BUFFER_AGE back: the camera's clock is
      wrong; its stamp is kept in ``camera_read_at`` and the receipt time becomes the read time;
    - stamped more than LIVE_WINDOW back: late (buffered or resent), a sighting but not a dispatch;
    - otherwise live.
    """
    at = read.read_at
    if at > now + MAX_CLOCK_SKEW or at < now - MAX_BUFFER_AGE:
        read.camera_read_at, read.read_at = at, now
    elif at < now - LIVE_WINDOW:
        read.late = True
    return read


def checked_place(lon: object, lat: object, datum: object, field: str) -> Place:
    """Coordinates in a declared datum, converted to WGS84; InvalidInput for a bad pair or datum."""
    if datum is None or datum == "":
        raise InvalidInput(
            f"{field}.datum",
            "coordinates must say their datum: WGS84 (GPS) or GCJ02 (Chinese web maps)",
            zh="坐标须注明坐标系：WGS84（GPS）或 GCJ02（国内网络地图）",
        )
    declared = parse_datum(str(datum), f"{field}.datum")
    lon_f, lat_f = validate_coordinates(lon, lat, field)  # type: ignore[arg-type]
    wgs_lon, wgs_lat = (lon_f, lat_f) if declared is Datum.WGS84 else to_wgs84(lon_f, lat_f, declared, field)
    return Place(lon=wgs_lon, lat=wgs_lat, datum_in=declared)
