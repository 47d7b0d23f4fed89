"""Rekor Scout / OpenALPR agent: groups with base64 images, alerts, vehicles, heartbeats, the key."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.core.geo.datum import Datum
from car_enforce.sightings.reads import Candidate
from car_enforce.sightings.vendors import parse_rekor, rekor_key
from tests.factories import START
from tests.rekor_messages import (
    FIRST_SEEN,
    KEY,
    OVERVIEW,
    PLATE_CROP,
    VEHICLE_CROP,
    alert,
    group,
    ms,
)
from tests.vendor_helpers import bad_field


def test_group_message_is_about_sixty_kilobytes() -> None:
    assert 55_000 < len(json.dumps(group())) < 75_000


def test_group_is_one_read_with_images_stripped(clock: MovableClock) -> None:
    parsed = parse_rekor(group())
    assert parsed.heartbeats == []
    (read,) = parsed.reads
    assert read.plate == "浙C12345"
    assert read.vendor == "rekor"
    assert read.confidence == pytest.approx(0.941)
    assert read.candidates == (
        Candidate("浙C12345", pytest.approx(0.941)),  # type: ignore[arg-type]
        Candidate("浙C1234S", pytest.approx(0.855)),  # type: ignore[arg-type]
        Candidate("浙C1Z345", pytest.approx(0.82)),  # type: ignore[arg-type]
    )
    assert read.read_at == FIRST_SEEN.astimezone(UTC)  # epoch_start, milliseconds kept
    assert read.read_at.microsecond == 750_000
    assert read.camera_id == "1734418802"
    assert read.place is not None
    assert (read.place.lon, read.place.lat, read.place.datum_in) == (120.69985, 27.99412, Datum.WGS84)
    assert read.pass_key == read.read_key == "Xk3JrD9pLq2vYt7Z-1734418802-1795385780750"
    assert read.images == (VEHICLE_CROP, OVERVIEW, PLATE_CROP)
    assert read.raw is not None
    assert read.raw["vehicle_crop_jpeg"] == {"image": 0}
    assert read.raw["best_plate"]["plate_crop_jpeg"] == {"image": 2}
    assert read.raw["custom_data"] == {"api_key": KEY}
    assert len(json.dumps(read.raw)) < 5_000


def test_alert_reads_the_nested_group_with_the_same_key(clock: MovableClock) -> None:
    (from_group,) = parse_rekor(group()).reads
    (from_alert,) = parse_rekor(alert()).reads
    assert from_alert.plate == from_group.plate
    assert from_alert.read_key == from_group.read_key
    assert from_alert.pass_key == from_group.pass_key
    assert from_alert.read_at == from_group.read_at
    assert from_alert.images == from_group.images
    assert from_alert.raw is not None
    assert from_alert.raw["alert_list"] == "court seizures"
    assert from_alert.raw["group"]["overview_jpeg"] == {"image": 1}


def test_gps_zero_or_missing_is_no_place(clock: MovableClock) -> None:
    doc = group()
    doc["gps_latitude"] = doc["gps_longitude"] = 0
    assert parse_rekor(doc).reads[0].place is None
    del doc["gps_latitude"], doc["gps_longitude"]
    assert parse_rekor(doc).reads[0].place is None


def test_vehicle_and_placeholder_groups_give_no_read(clock: MovableClock) -> None:
    vehicle = {"data_type": "vehicle", "version": 2, "camera_id": 1734418802, "vehicle": {"color": []}}
    assert parse_rekor(vehicle).reads == []
    doc = group()
    doc["best_plate_number"] = "NOPLATE"
    doc["candidates"] = []
    doc["best_plate"]["candidates"] = [{"plate": "000", "confidence": 12}]
    assert parse_rekor(doc).reads == []


def test_heartbeat(clock: MovableClock) -> None:
    heartbeat = {
        "data_type": "heartbeat",
        "version": 2,
        "company_id": "3f2c9a10",
        "agent_uid": "Xk3JrD9pLq2vYt7Z",
        "epoch_time": ms(START),
        "video_streams": [{"camera_id": 1734418802, "camera_name": "Gate 3", "is_streaming": True}],
    }
    parsed = parse_rekor(heartbeat)
    assert parsed.reads == []
    assert [(h.camera_id, h.at, h.vendor) for h in parsed.heartbeats] == [
        ("1734418802", START.astimezone(UTC), "rekor")
    ]


@pytest.mark.parametrize(
    ("custom_data", "expected"),
    [
        ({"api_key": KEY}, KEY),
        ({"key": KEY, "site": "gate 3"}, KEY),
        (f"court adapter {KEY} (do not remove)", KEY),
        (KEY, KEY),
        ("stuck_abcdefghijk", None),  # "ck_" inside another word is not a key
        ("", None),
        ({"api_key": 12345}, None),
        (None, None),
    ],
)
def test_rekor_key(custom_data: object, expected: str | None) -> None:
    assert rekor_key({"data_type": "alpr_group", "custom_data": custom_data}) == expected


def test_rekor_key_in_an_alert_group_and_odd_bodies() -> None:
    assert rekor_key(alert()) == KEY
    assert rekor_key([1, 2]) is None
    assert rekor_key({"data_type": "heartbeat"}) is None


def _with(change: Any) -> dict[str, Any]:
    doc = group()
    change(doc)
    return doc


def _alert_with(change: Any) -> dict[str, Any]:
    doc = alert()
    change(doc)
    return doc


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ("alpr_group", "body"),
        ({"version": 2}, "data_type"),
        ({"data_type": "alpr_results"}, "data_type"),
        (_with(lambda d: d.update(best_plate_number=12345)), "best_plate_number"),
        (_with(lambda d: (d.pop("best_plate_number"), d.pop("best_plate"))), "best_plate_number"),
        (_with(lambda d: d.update(best_confidence=940)), "best_confidence"),
        (_with(lambda d: d.update(candidates="浙C12345")), "candidates"),
        (_with(lambda d: d["candidates"].append("x")), "candidates[2]"),
        (
            _with(lambda d: d["best_plate"]["candidates"][2].update(confidence="90")),
            "best_plate.candidates[2].confidence",
        ),
        (_with(lambda d: d["best_plate"].update(candidates={"plate": "x"})), "best_plate.candidates"),
        (_with(lambda d: d.update(best_plate="浙C12345")), "best_plate"),
        (_with(lambda d: d.update(epoch_start=int(FIRST_SEEN.timestamp()))), "epoch_start"),  # seconds
        (_with(lambda d: d.update(epoch_start="1795385780750")), "epoch_start"),
        (_with(lambda d: (d.pop("epoch_start"), d.pop("epoch_end"))), "epoch_end"),
        (_with(lambda d: d.update(gps_latitude="27.99")), "gps_latitude"),
        (_with(lambda d: d.update(gps_longitude=200.0)), "gps_longitude"),
        (_with(lambda d: d.update(camera_id=[1])), "camera_id"),
        (_alert_with(lambda d: d.pop("group")), "group"),
        (_alert_with(lambda d: d.update(group=[])), "group"),
        (_alert_with(lambda d: d["group"].update(best_confidence=-3)), "group.best_confidence"),
        (
            _alert_with(lambda d: d["group"]["best_plate"]["candidates"][0].pop("plate")),
            "group.best_plate.candidates[0].plate",
        ),
        ({"data_type": "heartbeat", "video_streams": "cam"}, "video_streams"),
    ],
)
def test_malformed_payloads_name_the_field(clock: MovableClock, payload: Any, field: str) -> None:
    assert bad_field(parse_rekor, payload) == field
