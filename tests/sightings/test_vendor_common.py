"""Shared vendor helpers: base64 image stripping, epoch units, JSON paths in errors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.core.errors import InvalidInput
from car_enforce.sightings.reads import Candidate
from car_enforce.sightings.vendors.common import (
    best_first,
    content_key,
    epoch_time,
    gps_place,
    iso_time,
    strip_images,
)
from tests.factories import START


def jpeg(size: int = 400, seed: int = 1) -> bytes:
    return b"\xff\xd8\xff\xe0" + bytes((seed + i) % 256 for i in range(size)) + b"\xff\xd9"


def png(size: int = 400) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(i % 256 for i in range(size))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_strip_images_replaces_jpeg_and_png_with_markers_in_order() -> None:
    one, two = jpeg(seed=1), png()
    doc = {"a": b64(one), "nested": {"list": [b64(two), "short"]}, "n": 3}
    stripped, images = strip_images(doc)
    assert images == (one, two)
    assert stripped == {"a": {"image": 0}, "nested": {"list": [{"image": 1}, "short"]}, "n": 3}
    assert doc["a"] == b64(one)  # the input is left alone
    json.dumps(stripped)


def test_strip_images_keeps_strings_that_only_look_like_images() -> None:
    not_image = b64(b"\xff\xd8\x00" + bytes(300))  # starts /9j/ but is not FF D8 FF
    broken = "/9j/" + "!" * 300
    short = b64(jpeg(size=20))
    text = "x" * 500
    doc = [not_image, broken, short, text]
    stripped, images = strip_images(doc)
    assert images == ()
    assert stripped == doc


def test_strip_images_accepts_a_data_uri() -> None:
    one = jpeg()
    stripped, images = strip_images({"img": "data:image/jpeg;base64," + b64(one)})
    assert images == (one,) and stripped == {"img": {"image": 0}}


def test_epoch_seconds_and_milliseconds_give_the_same_instant(clock: MovableClock) -> None:
    at = START - timedelta(minutes=3)
    seconds = at.timestamp()
    assert epoch_time(seconds, "t", unit="s") == at.astimezone(UTC)
    assert epoch_time(int(seconds * 1000), "t", unit="ms") == at.astimezone(UTC)


@pytest.mark.parametrize(
    ("value", "unit", "words"),
    [
        ("1795000000", "s", "number"),
        (True, "s", "number"),
        (float("nan"), "ms", "number"),
        (1_795_000_000_000, "s", "milliseconds"),
        (1_795_000_000, "ms", "seconds"),
    ],
)
def test_epoch_errors_name_the_field(clock: MovableClock, value: object, unit: str, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        epoch_time(value, "data.epoch", unit=unit)  # type: ignore[arg-type]
    assert err.value.field == "data.epoch"
    assert words in err.value.detail


def test_iso_time_offsets_and_the_shanghai_default(clock: MovableClock) -> None:
    expected = datetime(2026, 11, 23, 0, 58, tzinfo=UTC)
    assert iso_time("2026-11-23T08:58:00+08:00", "t") == expected
    assert iso_time("2026-11-23T00:58:00Z", "t") == expected
    assert iso_time("2026-11-23 08:58:00", "t", naive_zone="shanghai") == expected
    with pytest.raises(InvalidInput, match="no UTC offset"):
        iso_time("2026-11-23 08:58:00", "t")
    # A camera's stamp is converted, never judged here: ingest decides what a stamp far off means.
    assert iso_time("2031-11-23T09:30:00+08:00", "t") == datetime(2031, 11, 23, 1, 30, tzinfo=UTC)
    assert iso_time("2000-01-01T08:00:00+08:00", "t") == datetime(2000, 1, 1, tzinfo=UTC)


def test_gps_zero_zero_and_missing_mean_no_place() -> None:
    assert gps_place(None, None, "lon", "lat") is None
    assert gps_place(0, 0, "lon", "lat") is None
    place = gps_place(120.7, 28.0, "lon", "lat")
    assert place is not None and (place.lon, place.lat) == (120.7, 28.0)
    with pytest.raises(InvalidInput) as err:
        gps_place(120.7, "28.0", "g.lon", "g.lat")
    assert err.value.field == "g.lat"


def test_best_first_keeps_one_per_text_with_its_best_confidence() -> None:
    merged = best_first(
        [Candidate("A1", 0.5), Candidate("B2", 0.9), Candidate("A1", 0.7), Candidate("C3", None)]
    )
    assert merged == (Candidate("B2", 0.9), Candidate("A1", 0.7), Candidate("C3", None))


def test_content_key_is_deterministic() -> None:
    assert content_key("a", None, 1) == content_key("a", None, 1)
    assert content_key("a", None, 1) != content_key("a", None, 2)


def test_values_too_long_to_store(clock: MovableClock) -> None:
    from car_enforce.sightings.vendors import parse_openalpr

    doc: dict[str, object] = {
        "epoch_time": int(START.timestamp()) - 5,
        "uuid": "u" * 300,
        "results": [{"plate": "浙C12345", "confidence": 90}],
    }
    (read,) = parse_openalpr(doc).reads
    assert read.read_key is not None and read.read_key.startswith("sha256:") and len(read.read_key) <= 160
    (rejected,) = parse_openalpr({**doc, "results": [{"plate": "浙" * 65}]}).rejected
    assert rejected.field == "results[0].plate"
    with pytest.raises(InvalidInput) as err:
        parse_openalpr({**doc, "camera_id": "c" * 129})
    assert err.value.field == "camera_id"
