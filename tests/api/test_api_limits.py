"""Request bodies past the stated size are refused (413) before they are parsed or searched for a key.

The app here runs with small limits (64 KiB for the camera feeds, 256 KiB elsewhere) so that the tests
need no large bodies; the sizes the platform ships with are checked against the documents they must hold.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message

from api.app import create_app
from api.deps import MAX_UPLOAD_BYTES
from api.limits import BodyLimit
from car_enforce.core import clock as clock_mod
from car_enforce.core.db import Database
from car_enforce.core.files.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from car_enforce.core.settings import Settings, get_settings
from car_enforce.sightings.ingest import MAX_BATCH
from car_enforce.sightings.models import Camera, ReadBatch, Sighting
from car_enforce.sightings.schemas import decode_batch
from tests import factories
from tests.api_helpers import login
from tests.live import serve

FEED_LIMIT = 64 * 1024
DEFAULT_LIMIT = 256 * 1024
READS = "/api/police/reads"
REKOR = "/api/police/adapters/rekor"
HIKVISION = "/api/police/adapters/hikvision"
VIID = "/VIID/MotorVehicles"
CAPTURES = "/api/police/captures"
CASES = "/api/cases"
CHUNK = 16 * 1024


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CARENFORCE_MAX_FEED_BODY_BYTES", str(FEED_LIMIT))
    monkeypatch.setenv("CARENFORCE_MAX_BODY_BYTES", str(DEFAULT_LIMIT))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()  # the next reader sees the environment monkeypatch restores


@pytest.fixture
def client(db: Database, world: factories.World, small_limits: None) -> Iterator[TestClient]:
    with TestClient(create_app(db)) as c:
        yield c


def key(secret: str) -> dict[str, str]:
    return {"X-Api-Key": secret}


def wrong(secret: str) -> str:
    """The unit's key with its last character changed: well formed, the right prefix, not its key."""
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


class Body:
    """A request body produced in chunks, that remembers how much of it was pulled."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), CHUNK):
            chunk = self.data[start : start + CHUNK]
            self.pulled += len(chunk)
            yield chunk


def assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == "PayloadTooLarge"
    assert f"at most {limit} bytes" in body["detail"]


def rekor_message(secret: str, size: int) -> bytes:
    """A Rekor alpr_group of about ``size`` bytes (a vehicle crop as base64), the key in custom_data."""
    doc: dict[str, Any] = {
        "data_type": "alpr_group",
        "best_plate_number": "浙C12345",
        "epoch_start": 1795400000000,
        "custom_data": {"api_key": secret},
        "vehicle_crop_jpeg": "",
    }
    filler = size - len(json.dumps(doc).encode())
    doc["vehicle_crop_jpeg"] = base64.b64encode(b"\xff" * (filler * 3 // 4)).decode()
    return json.dumps(doc).encode()


def count(db: Database, model: Any) -> int:
    with db.session(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# --- what is refused, and before what ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        (READS, FEED_LIMIT),
        (REKOR, FEED_LIMIT),
        (VIID, FEED_LIMIT),
        (CAPTURES, DEFAULT_LIMIT),
        (CASES, DEFAULT_LIMIT),
    ],
)
def test_a_declared_length_over_the_limit_is_refused_before_the_app_reads_a_byte(
    client: TestClient, world: factories.World, path: str, limit: int
) -> None:
    body = Body(b"x" * (limit + 1))
    r = client.post(path, content=body, headers={"Content-Length": str(limit + 1), **key(world.pingyang_key)})
    assert_too_large(r, limit)
    assert r.headers["Connection"] == "close"
    assert body.pulled == 0


def test_the_feeds_limit_holds_under_police_and_viid_and_the_default_elsewhere(
    client: TestClient, world: factories.World
) -> None:
    between = b"x" * (FEED_LIMIT + 1)  # past the feeds' limit, well within the default
    for path in (READS, REKOR, HIKVISION, VIID, "/api/police/watchlist/changes"):
        assert_too_large(client.post(path, content=between, headers=key(world.pingyang_key)), FEED_LIMIT)
    # The capture report is a police route but carries up to twelve photos: the default holds there.
    for path in (CAPTURES, CASES):
        r = client.post(path, content=between, headers={"Content-Type": "application/json"})
        assert r.status_code != 413, r.text

    # A body exactly at the limit reaches the app, which finds it is not JSON.
    r = client.post(READS, content=b"x" * FEED_LIMIT, headers=key(world.pingyang_key))
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
def test_an_oversized_rekor_body_is_413_before_any_key_in_custom_data_is_tried(
    client: TestClient, world: factories.World, db: Database, streamed: bool
) -> None:
    def post(secret: str, size: int) -> httpx.Response:
        message = rekor_message(secret, size)
        content: Any = Body(message) if streamed else message
        return client.post(REKOR, content=content, headers={"Content-Type": "application/json"})

    # Within the limit the key in custom_data is looked for and tried: a wrong one is refused (401).
    assert post(wrong(world.pingyang_key), FEED_LIMIT // 2).status_code == 401
    # Past it, nobody is authenticated: a wrong key and the right one get the same 413.
    assert_too_large(post(wrong(world.pingyang_key), FEED_LIMIT + 4096), FEED_LIMIT)
    assert_too_large(post(world.pingyang_key, FEED_LIMIT + 4096), FEED_LIMIT)
    assert all(count(db, model) == 0 for model in (ReadBatch, Sighting, Camera))


def hikvision_form(size: int) -> tuple[bytes, str]:
    boundary = "limit-test-boundary"
    parts = [
        ("anpr.xml", "application/xml", b"<EventNotificationAlert/>"),
        ("licensePlatePicture.jpg", "image/jpeg", b"\xff\xd8\xff" + b"\x00" * size),
    ]
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
        f"Content-Type: {kind}\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, kind, data in parts
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("path", "limit", "content_type"),
    [
        pytest.param(READS, FEED_LIMIT, "application/json", id="canonical-batch"),
        pytest.param(HIKVISION, FEED_LIMIT, "multipart", id="multipart-form"),
        pytest.param(CAPTURES, DEFAULT_LIMIT, "application/json", id="capture-report-model"),
        pytest.param(CASES, DEFAULT_LIMIT, "application/json", id="case-model"),
    ],
)
def test_a_body_streamed_past_the_limit_is_413_never_a_500(
    client: TestClient, world: factories.World, path: str, limit: int, content_type: str
) -> None:
    """Whoever was reading (the raw body, the multipart parser, FastAPI decoding a model) is stopped."""
    if content_type == "multipart":
        data, content_type = hikvision_form(limit)
    else:
        data = json.dumps({"reads": [{"plate": "浙C12345", "camera_id": "x" * limit}]}).encode()
    headers = {"Content-Type": content_type}
    if path == CASES:
        headers |= login(client, "py.officer")
    else:
        headers |= key(world.pingyang_key)
    r = client.post(path, content=Body(data), headers=headers)
    assert "Content-Length" not in r.request.headers  # chunked: only counting can catch it
    assert_too_large(r, limit)


def test_reading_stops_at_the_first_chunk_past_the_limit() -> None:
    """At the ASGI level: the body is pulled no further, and what the app made of the interrupted read
    (here a 400 of its own) is replaced by the 413."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            body = await request.body()
        except Exception:
            return JSONResponse({"error": "Unreadable", "detail": "cut short"}, status_code=400)
        return JSONResponse({"size": len(body)})

    app = BodyLimit(
        Starlette(routes=[Route("/api/police/reads", endpoint, methods=["POST"])]),
        default_bytes=10_000,
        feed_bytes=1_000,
    )
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        # Endless in effect (a thousand times the limit), yet finite: a middleware that reads on fails.
        return {"type": "http.request", "body": b"x" * 100, "more_body": pulled < 10_000}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/police/reads",
        "raw_path": b"/api/police/reads",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"transfer-encoding", b"chunked")],
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
    }
    anyio.run(app, scope, receive, send)
    assert pulled == 11  # 1,100 bytes: the first chunk past 1,000
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"] == "PayloadTooLarge"


# --- the sizes shipped ------------------------------------------------------------------------------


def longest_canonical_batch() -> bytes:
    """5,000 reads with every field at its longest, every character a \\u escape: the most a valid
    canonical batch takes (short of padding it with whitespace)."""
    wide = "浙"
    candidates = [{"plate": wide * 32, "confidence": 0.123456789012345} for _ in range(20)]
    read = {
        "plate": wide * 32,
        "read_at": "2026-11-23T09:00:00.123456+08:00",
        "candidates": candidates,
        "confidence": 0.123456789012345,
        "colour": wide * 16,
        "camera_id": wide * 128,
        "lon": -179.12345678901234,
        "lat": -89.12345678901234,
        "datum": "WGS84",
        "read_id": wide * 128,
        "pass_id": wide * 128,
        "retransmitted": False,
    }
    return json.dumps({"reads": [read] * MAX_BATCH}, ensure_ascii=True).encode()


def gat1400_push(records: int, image_bytes: int, images: int) -> bytes:
    picture = base64.b64encode(b"\xff" * image_bytes).decode()
    record = {
        "MotorVehicleID": "33032600001320000001022026112309000000001",
        "DeviceID": "33032600001320000001",
        "TollgateID": "33032600001210000001",
        "PassTime": "20261123090000",
        "PlateNo": "浙C12345",
        "PlateColor": "5",
        "PlateClass": "02",
        "PlateReliability": "90",
        "PlateCharReliability": "浙-90,C-90,1-90,2-90,3-90,4-90,5-90",
        "SubImageList": {
            "SubImageInfoObject": [
                {"ImageID": f"3303260000132000000102202611230900000000{i}", "Type": "01", "Data": picture}
                for i in range(images)
            ]
        },
    }
    return json.dumps({"MotorVehicleListObject": {"MotorVehicleObject": [record] * records}}).encode()


def test_the_limits_shipped_hold_the_largest_documents_the_platform_accepts() -> None:
    fields = Settings.model_fields
    feed, default = fields["max_feed_body_bytes"].default, fields["max_body_bytes"].default
    assert (feed, default) == (48 * 1024 * 1024, 96 * 1024 * 1024)

    batch = longest_canonical_batch()
    reads, rejected = decode_batch(batch)
    assert len(reads) == MAX_BATCH and rejected == []  # valid as it is, so it must not be refused
    assert len(batch) < feed
    # A GA/T 1400 push of 100 records with a 100 KB picture each, and with a second one each.
    assert len(gat1400_push(100, 100 * 1024, 1)) < len(gat1400_push(100, 100 * 1024, 2)) < feed

    # Twelve photos of 5 MiB are 80 MiB of base64: past the feeds' limit, so the capture report that
    # carries them is held to the default, like an intake and an inspection.
    photos = MAX_PHOTOS * len(base64.b64encode(b"\xff" * MAX_PHOTO_BYTES))
    assert feed < photos < default
    assert feed > MAX_UPLOAD_BYTES  # a camera's multipart push may carry a part of the largest size
    limits = BodyLimit(Starlette())
    assert [limits.limit_for(p) for p in (READS, REKOR, VIID, CAPTURES, CASES)] == [
        feed,
        feed,
        feed,
        default,
        default,
    ]


# --- over real HTTP -----------------------------------------------------------------------------------


def test_a_chunked_upload_past_the_limit_gets_413_from_a_real_server(
    db: Database, world: factories.World, small_limits: None
) -> None:
    total = 64 * 1024 * 1024  # a thousand times the limit: the server must not read it to the end
    body = Body(b"[" * total)
    with serve(create_app(db)) as base, httpx.Client(base_url=base, timeout=30) as http:
        r = http.post(
            READS, content=body, headers={"Content-Type": "application/json", **key(world.pingyang_key)}
        )
        assert "Content-Length" not in r.request.headers
        assert_too_large(r, FEED_LIMIT)
        assert r.headers["Connection"] == "close"
        assert body.pulled < total // 4  # the upload was cut off, not drained

        # Rekor with a wrong key in custom_data, streamed: refused for its size, not for its key.
        streamed = Body(rekor_message(wrong(world.pingyang_key), 4 * FEED_LIMIT))
        assert_too_large(http.post(REKOR, content=streamed), FEED_LIMIT)

        # The server goes on serving, and a batch within the limit is taken.
        read = {"plate": "浙C99999", "read_at": clock_mod.now().isoformat(), "camera_id": "cam-1"}
        ok = http.post(READS, json={"reads": [read]}, headers=key(world.pingyang_key))
        assert ok.status_code == 200, ok.text
        assert ok.json()["reads"] == 1
