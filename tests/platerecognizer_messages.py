"""Plate Recognizer Snapshot results and an upload, for the parser's tests and the adapter tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from car_enforce.core.clock import SHANGHAI
from tests.factories import START

UPLOAD = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"

LOCAL_SEEN = (START - timedelta(minutes=2)).astimezone(SHANGHAI)  # 08:58 Shanghai


def snapshot() -> dict[str, Any]:
    return {
        "hook": {
            "target": "https://court.example/api/anpr/platerecognizer",
            "id": 479,
            "event": "image.done",
        },
        "data": {
            "processing_time": 102.895,
            "filename": "gate3_0858.jpg",
            "timestamp": LOCAL_SEEN.replace(tzinfo=None).isoformat(sep=" "),
            "camera_id": None,
            "version": 1,
            "image_width": 1280,
            "image_height": 720,
            "results": [
                {
                    "box": {"xmin": 146, "ymin": 481, "xmax": 276, "ymax": 576},
                    "plate": "浙c12345",
                    "region": {"code": "cn", "score": 0.986},
                    "score": 0.898,
                    "candidates": [
                        {"score": 0.898, "plate": "浙c12345"},
                        {"score": 0.71, "plate": "浙c1z345"},
                    ],
                    "dscore": 0.9252,
                    "vehicle": {
                        "score": 0.834,
                        "type": "Sedan",
                        "box": {"xmin": 68, "ymin": 103, "xmax": 914, "ymax": 643},
                    },
                }
            ],
            "usage": {"calls": 19, "max_calls": 100000},
        },
    }
