"""Posting canonical plate-read batches over the HTTP API, for the sightings and readiness tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from car_enforce.core import clock as clock_mod

IN_PINGYANG = (120.45, 27.65)


def key(secret: str) -> dict[str, str]:
    return {"X-Api-Key": secret}


def read(
    plate: str,
    *,
    at: datetime | None = None,
    camera: str = "cam-1",
    where: tuple[float, float] | None = IN_PINGYANG,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "plate": plate,
        "read_at": (at or clock_mod.now()).isoformat(),
        "camera_id": camera,
        "confidence": 0.91,
        **extra,
    }
    if where is not None:
        body |= {"lon": where[0], "lat": where[1], "datum": "WGS84"}
    return body


def post(client: TestClient, secret: str, *reads: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/police/reads", json={"reads": list(reads)}, headers=key(secret))
    assert r.status_code == 200, r.text
    return dict(r.json())
