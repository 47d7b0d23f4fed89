"""Rekor Scout messages (groups, alerts, crops), for the parser's tests and the adapter tests."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from tests.factories import START

FIRST_SEEN = START - timedelta(seconds=20, milliseconds=250)

LAST_SEEN = START - timedelta(seconds=17)

KEY = "ck_0a1b2c3d_Zx9-yW8_vU7tS6rQ5pO4nM3lK2jI1hG0fE"


def jpeg(size: int, seed: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + bytes((seed * 7 + i) % 256 for i in range(size)) + b"\xff\xd9"


VEHICLE_CROP = jpeg(20_000, 1)

OVERVIEW = jpeg(22_000, 2)

PLATE_CROP = jpeg(3_000, 3)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ms(instant: Any) -> int:
    return int(instant.timestamp() * 1000)


def group() -> dict[str, Any]:
    return {
        "data_type": "alpr_group",
        "version": 2,
        "epoch_start": ms(FIRST_SEEN),
        "epoch_end": ms(LAST_SEEN),
        "frame_start": 41200,
        "frame_end": 41236,
        "company_id": "3f2c9a10-7e1d-4d5b-8a11-2bc4e6f80a91",
        "agent_uid": "Xk3JrD9pLq2vYt7Z",
        "agent_version": "4.1.2",
        "agent_type": "alprd",
        "camera_id": 1734418802,
        "gps_latitude": 27.99412,
        "gps_longitude": 120.69985,
        "country": "cn",
        "uuids": ["Xk3JrD9pLq2vYt7Z-1734418802-1795385780750", "Xk3JrD9pLq2vYt7Z-1734418802-1795385781000"],
        "vehicle_path": [{"x": 610, "y": 420, "w": 180, "h": 60, "f": 41200}],
        "plate_indexes": [0, 0],
        "candidates": [
            {
                "plate": "浙C12345",
                "confidence": 94.1,
                "matches_template": 1,
                "plate_index": 0,
                "frame_num": 3,
            },
            {
                "plate": "浙C1Z345",
                "confidence": 82.0,
                "matches_template": 1,
                "plate_index": 0,
                "frame_num": 3,
            },
        ],
        "vehicle_crop_jpeg": b64(VEHICLE_CROP),
        "overview_jpeg": b64(OVERVIEW),
        "best_plate": {
            "plate": "浙C12345",
            "confidence": 94.1,
            "matches_template": 1,
            "plate_index": 0,
            "region": "cn",
            "region_confidence": 88,
            "processing_time_ms": 32.1,
            "requested_topn": 10,
            "coordinates": [
                {"x": 640, "y": 450},
                {"x": 740, "y": 450},
                {"x": 740, "y": 480},
                {"x": 640, "y": 480},
            ],
            "plate_crop_jpeg": b64(PLATE_CROP),
            "candidates": [
                {"plate": "浙C12345", "confidence": 94.1, "matches_template": 1},
                {"plate": "浙C1234S", "confidence": 85.5, "matches_template": 1},
                {"plate": "浙C1Z345", "confidence": 79.0, "matches_template": 1},
            ],
        },
        "best_confidence": 94.1,
        "best_uuid": "Xk3JrD9pLq2vYt7Z-1734418802-1795385780750",
        "best_plate_number": "浙C12345",
        "best_region": "cn",
        "best_region_confidence": 88,
        "matches_template": True,
        "best_image_width": 1920,
        "best_image_height": 1080,
        "travel_direction": 182.5,
        "is_parked": False,
        "is_preview": False,
        "vehicle_signature": "1:0.31:-0.02",
        "vehicle": {
            "color": [{"name": "white", "confidence": 71.2}],
            "make": [{"name": "byd", "confidence": 40.0}],
            "body_type": [{"name": "sedan-standard", "confidence": 88.0}],
        },
        "web_server_config": {"camera_label": "Gate 3 northbound", "agent_label": "wz-gate3"},
        "custom_data": {"api_key": KEY},
    }


def alert() -> dict[str, Any]:
    return {
        "data_type": "alpr_alert",
        "version": 2,
        "epoch_time": ms(LAST_SEEN),
        "agent_uid": "Xk3JrD9pLq2vYt7Z",
        "alert_list": "court seizures",
        "alert_list_id": 5521,
        "site_name": "wz-gate3",
        "camera_id": 1734418802,
        "plate_number": "浙C12345",
        "description": "(2026)浙0326执1234号",
        "match_type": "exact",
        "group": group(),
    }
