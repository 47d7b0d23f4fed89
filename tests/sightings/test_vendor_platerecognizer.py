"""Plate Recognizer Snapshot and Stream webhooks: JSON body and multipart, Shanghai default time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.core.errors import InvalidInput
from car_enforce.sightings.reads import Candidate
from car_enforce.sightings.vendors import parse_platerecognizer, parse_platerecognizer_multipart
from tests.factories import START
from tests.platerecognizer_messages import UPLOAD, snapshot
from tests.vendor_helpers import bad_field


def stream() -> dict[str, Any]:
    return {
        "hook": {
            "target": "https://court.example/api/anpr/platerecognizer",
            "id": "gate-3-north",
            "event": "recognition",
            "filename": "gate-3-north_screenshots/26-11-23/00-58-00.250000.jpg",
        },
        "data": {
            "camera_id": "gate-3-north",
            "filename": "gate-3-north_screenshots/26-11-23/00-58-00.250000.jpg",
            "timestamp": "2026-11-23T00:58:00.250000Z",
            "timestamp_local": "2026-11-23 08:58:00.250000+08:00",
            "results": [
                {
                    "box": {"xmin": 460, "ymin": 57, "xmax": 557, "ymax": 82},
                    "plate": "浙c1234s",
                    "region": {"code": "cn", "score": 0.413},
                    "score": 0.839,
                    "candidates": [{"plate": "浙c1234s"}, {"plate": "浙c12345"}],
                    "dscore": 0.441,
                    "vehicle": {
                        "score": 0.267,
                        "type": "Sedan",
                        "box": {"xmin": 387, "ymin": 23, "xmax": 1493, "ymax": 577},
                    },
                    "direction": 182,
                    "source_url": "rtsp://10.0.0.21/stream1",
                    "position_sec": 4,
                }
            ],
        },
    }


def test_snapshot_lower_case_null_camera_and_shanghai_time(clock: MovableClock) -> None:
    (read,) = parse_platerecognizer(snapshot()).reads
    assert read.plate == "浙c12345"  # as read; the matcher normalises
    assert read.camera_id is None  # hook.id is the webhook, not a camera
    assert read.vendor == "platerecognizer"
    assert read.confidence == pytest.approx(0.898)
    assert read.candidates == (Candidate("浙c12345", 0.898), Candidate("浙c1z345", 0.71))
    assert read.read_at == datetime(2026, 11, 23, 0, 58, tzinfo=UTC)
    assert read.read_key is not None and read.read_key.startswith("sha256:")
    assert read.read_key == parse_platerecognizer(snapshot()).reads[0].read_key
    assert read.images == ()
    assert read.raw is not None and read.raw["data"]["results"][0]["dscore"] == 0.9252


def test_snapshot_with_nothing_found_is_empty(clock: MovableClock) -> None:
    doc = snapshot()
    doc["data"]["results"] = []
    parsed = parse_platerecognizer(doc)
    assert parsed.reads == [] and parsed.heartbeats == []


def test_stream_camera_offset_time_and_multipart(clock: MovableClock) -> None:
    parsed = parse_platerecognizer_multipart(json.dumps(stream()), UPLOAD)
    (read,) = parsed.reads
    assert read.plate == "浙c1234s"
    assert read.camera_id == "gate-3-north"
    assert read.read_at == datetime(2026, 11, 23, 0, 58, 0, 250000, tzinfo=UTC)
    assert read.candidates == (Candidate("浙c1234s"), Candidate("浙c12345"))
    assert read.confidence == pytest.approx(0.839)
    assert read.images == (UPLOAD,)
    assert read.raw is not None and read.raw["data"]["results"][0]["direction"] == 182
    doc = stream()
    doc["data"]["camera_id"] = None
    assert parse_platerecognizer(doc).reads[0].camera_id == "gate-3-north"  # from hook.id


def test_other_events_carry_no_read(clock: MovableClock) -> None:
    doc = {"hook": {"id": "gate-3-north", "event": "video_clip"}, "data": {"camera_id": "gate-3-north"}}
    assert parse_platerecognizer(doc).reads == []
    doc["hook"]["event"] = "heartbeat"
    (beat,) = parse_platerecognizer(doc).heartbeats
    assert (beat.camera_id, beat.at, beat.vendor) == (
        "gate-3-north",
        START.astimezone(UTC),
        "platerecognizer",
    )


def _snap(change: Any) -> dict[str, Any]:
    doc = snapshot()
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "body"),
        ({"data": {}}, "hook"),
        (_snap(lambda d: d.pop("data")), "data"),
        (_snap(lambda d: d["hook"].update(event=3)), "hook.event"),
        (_snap(lambda d: d["data"].update(results={"plate": "x"})), "data.results"),
        (_snap(lambda d: d["data"]["results"][0].update(plate=12345)), "data.results[0].plate"),
        (_snap(lambda d: d["data"]["results"][0].update(score=89.8)), "data.results[0].score"),
        (_snap(lambda d: d["data"]["results"][0].update(dscore="high")), "data.results[0].dscore"),
        (
            _snap(lambda d: d["data"]["results"][0]["candidates"][1].update(score=2)),
            "data.results[0].candidates[1].score",
        ),
        (
            _snap(lambda d: d["data"]["results"][0].update(candidates="浙c12345")),
            "data.results[0].candidates",
        ),
        (_snap(lambda d: d["data"].pop("timestamp")), "data.timestamp"),
        (_snap(lambda d: d["data"].update(timestamp="yesterday")), "data.timestamp"),
        (_snap(lambda d: d["data"].update(camera_id=["gate"])), "data.camera_id"),
    ],
)
def test_malformed_payloads_name_the_field(clock: MovableClock, payload: Any, field: str) -> None:
    assert bad_field(parse_platerecognizer, payload) == field


def test_multipart_errors(clock: MovableClock) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_platerecognizer_multipart("{not json", UPLOAD)
    assert err.value.field == "json"
    with pytest.raises(InvalidInput) as err:
        parse_platerecognizer_multipart(json.dumps(snapshot()), b"GIF89a....")
    assert err.value.field == "upload"
