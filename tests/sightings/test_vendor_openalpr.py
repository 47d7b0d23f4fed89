"""OpenALPR alprd: results in seconds, two plates in one frame, heartbeats, malformed payloads."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from car_enforce.core.clock import MovableClock
from car_enforce.sightings.reads import Candidate
from car_enforce.sightings.vendors import parse_openalpr
from tests.factories import START
from tests.openalpr_messages import SEEN, alprd_results
from tests.vendor_helpers import bad_field


def test_two_results_give_two_reads(clock: MovableClock) -> None:
    parsed = parse_openalpr(alprd_results())
    assert parsed.heartbeats == []
    first, second = parsed.reads
    assert first.plate == "浙C12345"
    assert first.confidence == pytest.approx(0.915)
    assert first.candidates == (
        Candidate("浙C12345", 0.915),
        Candidate("浙C1234S", 0.8025),
        Candidate("浙C12B45", 0.70),
    )
    assert first.read_at == SEEN.astimezone(UTC).replace(microsecond=0)
    assert first.read_at.tzinfo is UTC
    assert first.camera_id == "1147"
    assert first.vendor == "openalpr"
    assert first.read_key == "8a2e1c0d-4b7e-4c5f-9e0a-1f2b3c4d5e6f-1795000000:0"
    assert first.pass_key is None
    assert first.colour is None and first.place is None
    assert first.raw is not None and first.raw["site_id"] == "wenzhou-gate-3"
    assert second.plate == "苏E8O123"  # as read: the O stays an O
    assert second.read_key.endswith(":1")  # type: ignore[union-attr]
    assert second.candidates == (Candidate("苏E80123", 0.75),)


def test_old_builds_without_data_type_and_uuid(clock: MovableClock) -> None:
    doc = alprd_results()
    del doc["data_type"], doc["uuid"]
    parsed = parse_openalpr(doc)
    assert [r.plate for r in parsed.reads] == ["浙C12345", "苏E8O123"]
    keys = [r.read_key for r in parsed.reads]
    assert keys == [r.read_key for r in parse_openalpr(doc).reads]  # deterministic without a uuid
    assert keys[0] != keys[1]


def test_placeholder_plate_without_candidates_gives_no_read(clock: MovableClock) -> None:
    doc = alprd_results()
    doc["results"][0] = {"plate": "NOPLATE", "confidence": 10, "candidates": []}
    doc["results"][1]["plate"] = ""
    parsed = parse_openalpr(doc)
    assert [r.plate for r in parsed.reads] == [""]  # the second still has a real candidate
    assert parse_openalpr({**alprd_results(), "results": []}).reads == []


def test_heartbeat_one_per_video_stream(clock: MovableClock) -> None:
    heartbeat = {
        "data_type": "heartbeat",
        "version": 2,
        "company_id": "c0ffee",
        "agent_uid": "agent-77",
        "agent_version": "2.8.101",
        "openalpr_version": "2.8.101",
        "epoch_time": int(SEEN.timestamp() * 1000),
        "video_streams": [
            {"camera_id": 1147, "fps": 10, "is_streaming": True},
            {"camera_id": 1148, "fps": 10, "is_streaming": True},
        ],
    }
    parsed = parse_openalpr(heartbeat)
    assert parsed.reads == []
    assert [(h.camera_id, h.at, h.vendor) for h in parsed.heartbeats] == [
        ("1147", START.astimezone(UTC), "openalpr"),
        ("1148", START.astimezone(UTC), "openalpr"),
    ]
    bare = {"data_type": "heartbeat", "agent_uid": "agent-77"}
    assert [h.camera_id for h in parse_openalpr(bare).heartbeats] == ["agent-77"]


def _set(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = alprd_results()
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def _drop(key: str) -> dict[str, Any]:
    doc = alprd_results()
    del doc[key]
    return doc


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([1, 2], "body"),
        ("results", "body"),
        (_set(("results",), "none"), "results"),
        (_set(("results", 0), "浙C12345"), "results[0]"),
        (_set(("results", 1, "plate"), 12345), "results[1].plate"),
        (_set(("results", 0, "plate"), None), "results[0].plate"),
        (_set(("results", 0, "confidence"), 120), "results[0].confidence"),
        (_set(("results", 0, "confidence"), "high"), "results[0].confidence"),
        (_set(("results", 0, "candidates"), {"plate": "x"}), "results[0].candidates"),
        (_set(("results", 0, "candidates", 2, "confidence"), -1), "results[0].candidates[2].confidence"),
        (_set(("results", 0, "candidates", 1, "plate"), ["浙C"]), "results[0].candidates[1].plate"),
        (_drop("epoch_time"), "epoch_time"),
        (_set(("epoch_time",), int(SEEN.timestamp() * 1000)), "epoch_time"),  # milliseconds
        (_set(("camera_id",), {"id": 1}), "camera_id"),
        (_set(("data_type",), "alpr_group"), "data_type"),
        ({"data_type": "heartbeat"}, "camera_id"),
    ],
)
def test_malformed_payloads_name_the_field(clock: MovableClock, payload: Any, field: str) -> None:
    assert bad_field(parse_openalpr, payload) == field
