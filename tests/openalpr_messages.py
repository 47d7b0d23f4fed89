"""OpenALPR ``alprd`` results, for the parser's tests and the adapter tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.factories import START

SEEN = START - timedelta(seconds=42)


def alprd_results() -> dict[str, Any]:
    return {
        "version": 2,
        "data_type": "alpr_results",
        "epoch_time": int(SEEN.timestamp()),
        "img_width": 1920,
        "img_height": 1080,
        "processing_time_ms": 81.2,
        "regions_of_interest": [{"x": 0, "y": 0, "width": 1920, "height": 1080}],
        "uuid": "8a2e1c0d-4b7e-4c5f-9e0a-1f2b3c4d5e6f-1795000000",
        "camera_id": 1147,
        "site_id": "wenzhou-gate-3",
        "company_id": "c0ffee",
        "results": [
            {
                "plate": "浙C12345",
                "confidence": 91.5,
                "matches_template": 1,
                "plate_index": 0,
                "region": "cn",
                "region_confidence": 0,
                "processing_time_ms": 20.5,
                "requested_topn": 10,
                "coordinates": [
                    {"x": 10, "y": 20},
                    {"x": 110, "y": 20},
                    {"x": 110, "y": 50},
                    {"x": 10, "y": 50},
                ],
                "candidates": [
                    {"plate": "浙C12345", "confidence": 91.5, "matches_template": 1},
                    {"plate": "浙C1234S", "confidence": 80.25, "matches_template": 0},
                    {"plate": "浙C12B45", "confidence": 70, "matches_template": 0},
                ],
            },
            {
                "plate": "苏E8O123",
                "confidence": 77,
                "matches_template": 0,
                "plate_index": 1,
                "candidates": [{"plate": "苏E80123", "confidence": 75, "matches_template": 1}],
            },
        ],
    }
