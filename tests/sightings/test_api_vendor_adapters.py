"""Vendor adapters through the HTTP API: each vendor's own message, unchanged, at its own endpoint.

The payload shapes are the vendors' own, built by the vendors' message modules (``tests/*_messages.py``);
here they go through the router, the key checks, ingest and the database on both backends.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.core import clock as clock_mod
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import Organisation
from car_enforce.sightings.models import Alert, Camera, ReadBatch, ReadCount, Sighting
from tests import factories
from tests.adapter_messages import (
    CSV,
    CSV_ROWS,
    HIKVISION,
    HITS,
    IN_PINGYANG,
    OPENALPR,
    PLATERECOGNIZER,
    REKOR,
    Builder,
    Message,
    csv_data,
    csv_form,
    csv_hit,
    dahua_hit,
    hikvision_form,
    hikvision_xml,
    json_message,
    key,
    multipart,
    openalpr_doc,
    openalpr_hit,
    platerecognizer_doc,
    platerecognizer_form,
    rekor_doc,
    rekor_hit,
    send,
)
from tests.api_helpers import login
from tests.dahua_messages import CAMERA as DAHUA_CAMERA
from tests.factories import START
from tests.hikvision_messages import BILLION_LAUGHS, EXTERNAL, PLATE_PICTURE
from tests.hikvision_messages import alert as alert_xml
from tests.openalpr_messages import alprd_results
from tests.platerecognizer_messages import UPLOAD
from tests.rekor_messages import alert as rekor_alert
from tests.rekor_messages import group as rekor_group
from tests.rekor_messages import ms

PINGYANG_BRIGADE = "平阳县公安局交通警察大队"


HIKVISION_CAMERA = "44:19:b6:6d:24:85/1"  # its MAC address and channel, as the parser names it


# --- fixtures ---------------------------------------------------------------------------------------


# --- messages ---------------------------------------------------------------------------------------


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def accepted(client: TestClient, message: Message) -> dict[str, Any]:
    r = send(client, message)
    assert r.status_code == 200, r.text
    return dict(r.json())


def openalpr_heartbeat(secret: str | None) -> Message:
    doc = {
        "data_type": "heartbeat",
        "version": 2,
        "company_id": "c0ffee",
        "agent_uid": "agent-77",
        "agent_version": "2.8.101",
        "epoch_time": ms(clock_mod.now()),
        "video_streams": [
            {"camera_id": 1147, "fps": 10, "is_streaming": True},
            {"camera_id": 1148, "fps": 10, "is_streaming": True},
        ],
    }
    return json_message(OPENALPR, doc, secret)


def rekor_heartbeat(secret: str | None) -> Message:
    doc = {
        "data_type": "heartbeat",
        "version": 2,
        "company_id": "3f2c9a10",
        "agent_uid": "Xk3JrD9pLq2vYt7Z",
        "epoch_time": ms(clock_mod.now()),
        "video_streams": [{"camera_id": 1734418802, "camera_name": "Gate 3", "is_streaming": True}],
        "custom_data": {"api_key": secret},
    }
    return json_message(REKOR, doc, None)


def hikvision_heartbeat(secret: str | None) -> Message:
    when = clock_mod.local(clock_mod.now()).isoformat()
    return hikvision_xml(secret, alert_xml(event="heartBeat", when=when))


# One message per endpoint, for the checks every endpoint must pass alike.
ENDPOINTS = {
    "openalpr": openalpr_hit,
    "rekor": rekor_hit,
    "platerecognizer": platerecognizer_form,
    "hikvision": hikvision_form,
    "csv": csv_hit,
    "dahua": dahua_hit,
}


# --- helpers ----------------------------------------------------------------------------------------


def count(db: Database, *columns: Any) -> int:
    with db.session(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(*columns)) or 0)


def nothing_stored(db: Database) -> bool:
    return all(count(db, model) == 0 for model in (Sighting, Alert, ReadCount, ReadBatch, Camera))


def org_id(db: Database, name: str) -> int:
    with db.session(read_only=True) as s:
        return int(s.scalar(select(Organisation.id).where(Organisation.name == name)) or 0)


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def key_id(client: TestClient, secret: str) -> int:
    admin = login(client, "root.admin")
    prefix = "_".join(secret.split("_")[:2])
    return int(
        next(
            k["id"] for k in client.get("/api/admin/api-keys", headers=admin).json() if k["prefix"] == prefix
        )
    )


def cameras(client: TestClient, secret: str) -> dict[str, datetime | None]:
    listed = client.get("/api/police/cameras", headers=key(secret)).json()
    return {
        c["external_id"]: None if c["last_seen_at"] is None else datetime.fromisoformat(c["last_seen_at"])
        for c in listed
    }


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


# --- a read of the watched car ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HITS))
def test_a_watched_cars_read_is_a_hit_routed_to_the_brigade_of_the_place(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, name: str
) -> None:
    hit = HITS[name]
    result = accepted(client, hit.build(world.pingyang_key))
    (alert_id,) = result.pop("alerts")
    assert result == {
        "reads": hit.reads,
        "matched": 1,
        "hits": 1,
        "possible_hits": 0,
        "duplicates": 0,
        "heartbeats": 0,
        "late": 0,
        "clock_skewed": 0,
        "rejected": [],
        "replayed": False,
    }

    officer = login(client, "py.officer")
    alert = client.get(f"/api/alerts/{alert_id}", headers=officer).json()
    assert (alert["kind"], alert["status"], alert["plate"]) == ("hit", "open", "浙C12345")
    assert alert["routed_unit_id"] == org_id(db, PINGYANG_BRIGADE) and alert["in_scope"] is True
    (evidence,) = alert["evidence"]
    assert (evidence["reading"], evidence["plate_read"]) == (hit.reading, hit.plate_read)
    feed = client.get("/api/police/alerts", headers=key(world.pingyang_key)).json()
    assert [d["alert"]["id"] for d in feed["dispatches"]] == [alert_id]
    assert count(db, Sighting) == 1 and count(db, Alert) == 1


@pytest.mark.parametrize("name", [n for n, hit in HITS.items() if hit.images])
def test_the_images_are_kept_as_evidence_files_not_in_the_raw_payload(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, name: str
) -> None:
    hit = HITS[name]
    (alert_id,) = accepted(client, hit.build(world.pingyang_key))["alerts"]
    with db.session(read_only=True) as s:
        raw = s.scalar(select(Sighting.raw))
    assert raw  # the vendor's message is kept as evidence …
    assert max(len(text) for text in strings_in(raw)) < 200  # … without the base64 images
    assert not any(base64.b64encode(image).decode()[:64] in json.dumps(raw) for image in hit.images)

    officer = login(client, "py.officer")
    refs = client.get(f"/api/alerts/{alert_id}", headers=officer).json()["evidence"][0]["images"]
    assert len(refs) == len(hit.images)
    for ref, image in zip(refs, hit.images, strict=True):
        r = client.get(f"/api/alerts/{alert_id}/evidence/{ref}", headers=officer)
        assert r.status_code == 200, r.text
        assert (r.headers["content-type"], r.content) == ("image/jpeg", image)


def test_rekor_raw_payload_marks_where_each_image_was(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    accepted(client, rekor_hit(world.pingyang_key))
    with db.session(read_only=True) as s:
        raw = s.scalar(select(Sighting.raw))
    assert isinstance(raw, dict)
    assert (raw["vehicle_crop_jpeg"], raw["overview_jpeg"]) == ({"image": 0}, {"image": 1})
    assert raw["best_plate"]["plate_crop_jpeg"] == {"image": 2}
    assert raw["best_uuid"] == rekor_group()["best_uuid"] and len(json.dumps(raw)) < 5_000


def test_the_unit_key_in_rekor_custom_data_is_not_kept_with_the_evidence(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    """Only a key's SHA-256 is stored (identity.models.ApiKey); the evidence must not hold it in clear."""
    accepted(client, rekor_hit(world.pingyang_key))
    with db.session(read_only=True) as s:
        raw = s.scalar(select(Sighting.raw))
    assert raw and world.pingyang_key not in json.dumps(raw, ensure_ascii=False)


def test_a_hikvision_push_whose_colour_is_not_the_watched_cars_is_another_car(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    result = accepted(client, hikvision_xml(world.pingyang_key, alert_xml(colour="yellow")))
    assert (result["reads"], result["matched"], result["alerts"]) == (1, 0, [])
    assert count(db, Sighting) == 0


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_a_read_sent_by_the_city_detachment_is_routed_by_the_place_of_the_camera(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, name: str
) -> None:
    """Rekor and the CSV carry coordinates; the other vendors' cameras are placed by their unit first."""
    camera = {
        "openalpr": "1147",
        "platerecognizer": "gate-3",
        "hikvision": HIKVISION_CAMERA,
        "dahua": DAHUA_CAMERA,
    }.get(name)
    if camera is not None:
        where = {"name": "平阳 104国道卡口", "lon": IN_PINGYANG[0], "lat": IN_PINGYANG[1], "datum": "WGS84"}
        r = client.put(
            f"/api/police/cameras/{quote(camera, safe='')}", json=where, headers=key(world.city_key)
        )
        assert r.status_code == 200, r.text
    (alert_id,) = accepted(client, ENDPOINTS[name](world.city_key))["alerts"]
    with db.session(read_only=True) as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        assert (alert.routed_unit_id, alert.in_scope) == (org_id(db, PINGYANG_BRIGADE), True)


# --- replays ----------------------------------------------------------------------------------------


# Byte-identical replays; the multipart forms keep their boundary, as a camera's retry does.
@pytest.mark.parametrize(
    "name", ["openalpr", "rekor", "platerecognizer-multipart", "hikvision-multipart", "csv-multipart"]
)
def test_a_replayed_message_is_answered_with_its_first_result_and_stores_nothing_twice(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, name: str
) -> None:
    message = HITS[name].build(world.pingyang_key)
    first = accepted(client, message)
    again = accepted(client, message)
    assert again == {**first, "replayed": True}
    assert count(db, Sighting) == count(db, Alert) == count(db, ReadBatch) == 1
    with db.session(read_only=True) as s:
        assert s.scalar(select(func.sum(ReadCount.reads))) == HITS[name].reads  # counted once


def test_a_rekor_alert_after_its_group_is_the_same_read(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    first = accepted(client, rekor_hit(world.pingyang_key))
    doc = rekor_alert()
    doc["group"] = rekor_doc(world.pingyang_key)
    alert = accepted(client, json_message(REKOR, doc, None))
    assert (alert["duplicates"], alert["hits"], alert["alerts"], alert["replayed"]) == (1, 0, [], False)
    assert first["alerts"] and count(db, Sighting) == count(db, Alert) == 1


# --- messages without a plate, heartbeats -----------------------------------------------------------


def rekor_vehicle(secret: str | None) -> Message:
    doc = {
        "data_type": "vehicle",
        "version": 2,
        "epoch_start": ms(START - timedelta(seconds=20)),
        "camera_id": 1734418802,
        "agent_uid": "Xk3JrD9pLq2vYt7Z",
        "vehicle": {"color": [{"name": "white", "confidence": 71.2}]},
        "custom_data": {"api_key": secret},
    }
    return json_message(REKOR, doc, None)


def platerecognizer_empty() -> dict[str, Any]:
    doc = platerecognizer_doc()
    doc["data"]["results"] = []
    return doc


def openalpr_noplate(secret: str | None) -> Message:
    doc = alprd_results()
    doc["results"] = [{"plate": "NOPLATE", "confidence": 10, "candidates": []}]
    return json_message(OPENALPR, doc, secret)


NO_PLATE: dict[str, Builder] = {
    "rekor-vehicle": rekor_vehicle,
    "platerecognizer-no-results": lambda s: json_message(PLATERECOGNIZER, platerecognizer_empty(), s),
    "platerecognizer-multipart-no-results": lambda s: platerecognizer_form(s, platerecognizer_empty()),
    "openalpr-noplate": openalpr_noplate,
    "hikvision-unknown": lambda secret: hikvision_form(secret, alert_xml(plate="unknown")),
    "csv-placeholders": lambda secret: csv_hit(
        secret, csv_data("NOPLATE,2026-11-23T08:52:00+08:00,gate-3,0.1,,,,,")
    ),
}


@pytest.mark.parametrize("name", list(NO_PLATE))
def test_a_message_without_a_plate_stores_nothing(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database, name: str
) -> None:
    result = accepted(client, NO_PLATE[name](world.pingyang_key))
    assert (result["reads"], result["matched"], result["alerts"]) == (0, 0, [])
    assert count(db, Sighting) == count(db, Alert) == count(db, ReadCount) == 0


HEARTBEATS: dict[str, tuple[Builder, list[str]]] = {
    "openalpr": (openalpr_heartbeat, ["1147", "1148"]),
    "rekor": (rekor_heartbeat, ["1734418802"]),
    "hikvision": (hikvision_heartbeat, [HIKVISION_CAMERA]),
}


@pytest.mark.parametrize("name", list(HEARTBEATS))
def test_a_heartbeat_creates_its_cameras_and_stores_nothing_else(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock, name: str
) -> None:
    build, expected = HEARTBEATS[name]
    result = accepted(client, build(world.pingyang_key))
    assert (result["reads"], result["heartbeats"], result["alerts"]) == (0, len(expected), [])
    assert cameras(client, world.pingyang_key) == dict.fromkeys(expected, clock.now())
    assert count(db, Sighting) == count(db, Alert) == count(db, ReadCount) == 0


@pytest.mark.parametrize("name", list(HEARTBEATS))
def test_a_later_heartbeat_moves_the_cameras_last_seen_time(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock, name: str
) -> None:
    build, expected = HEARTBEATS[name]
    accepted(client, build(world.pingyang_key))
    clock.advance(timedelta(minutes=1))
    accepted(client, build(world.pingyang_key))
    assert cameras(client, world.pingyang_key) == dict.fromkeys(expected, clock.now())
    assert count(db, Camera) == len(expected) and count(db, ReadCount) == 0


# --- who may post -----------------------------------------------------------------------------------


def test_rekor_with_the_key_only_in_custom_data_is_accepted(
    client: TestClient, world: factories.World, watched: dict[str, Any]
) -> None:
    message = rekor_hit(world.pingyang_key)
    assert "X-Api-Key" not in message.headers and "Authorization" not in message.headers
    assert accepted(client, message)["hits"] == 1


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(rekor_hit(None), id="no-custom-data"),
        pytest.param(
            json_message(REKOR, {**rekor_doc(None), "custom_data": "gate 3"}, None), id="no-key-in-it"
        ),
        pytest.param(
            Message(REKOR, b'{"data_type": "alpr_group", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
            id="too-deep",
        ),
        pytest.param(Message(REKOR, b"{not json", {"Content-Type": "application/json"}), id="not-json"),
    ],
)
def test_rekor_with_no_key_anywhere_is_unauthenticated(
    client: TestClient, world: factories.World, db: Database, message: Message
) -> None:
    r = send(client, message)
    assert r.status_code == 401, r.text
    assert nothing_stored(db)


@pytest.mark.parametrize("username", ["admin", ""])
def test_hikvision_with_the_key_as_http_basic_password_is_accepted(
    client: TestClient, world: factories.World, watched: dict[str, Any], username: str
) -> None:
    message = hikvision_form(None).signed(**basic(username, world.pingyang_key))
    assert accepted(client, message)["hits"] == 1


def test_hikvision_with_an_unknown_http_basic_password_is_unauthenticated(
    client: TestClient, world: factories.World, db: Database
) -> None:
    r = send(client, hikvision_form(None).signed(**basic("admin", "ck_00000000_nothere")))
    assert r.status_code == 401, r.text
    assert nothing_stored(db)


def test_the_key_as_a_bearer_token_is_accepted(
    client: TestClient, world: factories.World, watched: dict[str, Any]
) -> None:
    message = openalpr_hit(None).signed(Authorization=f"Bearer {world.pingyang_key}")
    assert accepted(client, message)["hits"] == 1


Credential = Callable[[TestClient, factories.World], dict[str, str]]


def _unknown(client: TestClient, world: factories.World) -> dict[str, str]:
    return key("ck_00000000_nothere")


def _revoked(client: TestClient, world: factories.World) -> dict[str, str]:
    admin = login(client, "root.admin")
    r = client.post(f"/api/admin/api-keys/{key_id(client, world.pingyang_key)}/revoke", headers=admin)
    assert r.status_code == 200, r.text
    return key(world.pingyang_key)


def _officer(client: TestClient, world: factories.World) -> dict[str, str]:
    return login(client, "py.officer")


CREDENTIALS: dict[str, tuple[Credential, int]] = {
    "unknown-key": (_unknown, 401),
    "revoked-key": (_revoked, 403),
    "officer-token": (_officer, 403),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("credential", list(CREDENTIALS))
def test_a_wrong_credential_is_refused_and_stores_nothing(
    client: TestClient, world: factories.World, db: Database, endpoint: str, credential: str
) -> None:
    make, status = CREDENTIALS[credential]
    headers = make(client, world)
    message = ENDPOINTS[endpoint](None)  # (Rekor's custom_data holds no key: only the header speaks)
    r = send(client, message.signed(**headers))
    assert r.status_code == status, r.text
    assert nothing_stored(db)


def test_a_revoked_key_in_rekor_custom_data_is_forbidden(
    client: TestClient, world: factories.World, db: Database
) -> None:
    _revoked(client, world)
    r = send(client, rekor_hit(world.pingyang_key))
    assert r.status_code == 403 and "revoked" in r.json()["detail"]
    assert nothing_stored(db)


# --- malformed messages -----------------------------------------------------------------------------


def _openalpr(change: Callable[[dict[str, Any]], Any]) -> Builder:
    def build(secret: str | None) -> Message:
        doc = openalpr_doc()
        change(doc)
        return json_message(OPENALPR, doc, secret)

    return build


def _rekor(change: Callable[[dict[str, Any]], Any]) -> Builder:
    def build(secret: str | None) -> Message:
        doc = rekor_doc(secret)
        change(doc)
        return json_message(REKOR, doc, None)

    return build


def _platerecognizer(change: Callable[[dict[str, Any]], Any]) -> Builder:
    def build(secret: str | None) -> Message:
        doc = platerecognizer_doc()
        change(doc)
        return json_message(PLATERECOGNIZER, doc, secret)

    return build


def _raw(path: str, body: bytes, content_type: str = "application/json") -> Builder:
    return lambda secret: Message(path, body, {"Content-Type": content_type, **key(secret or "")})


# A valid ANPR alert with one element nested 5,000 deep: no camera nests more than a few levels.
DEEP_XML = alert_xml().replace(b"<UUID>", b"<extension>" * 5000 + b"</extension>" * 5000 + b"<UUID>")

MALFORMED: list[Any] = [
    # OpenALPR
    pytest.param(_openalpr(lambda d: d.pop("epoch_time")), "epoch_time", id="openalpr-no-epoch-time"),
    pytest.param(
        _openalpr(lambda d: d.update(epoch_time=d["epoch_time"] * 1000)),
        "epoch_time",
        id="openalpr-epoch-in-ms",
    ),
    pytest.param(
        _raw(OPENALPR, b'{"data_type": "heartbeat"}'), "camera_id", id="openalpr-heartbeat-no-camera"
    ),
    pytest.param(_raw(OPENALPR, b"{not json"), "body", id="openalpr-not-json"),
    pytest.param(_raw(OPENALPR, b'{"data_type": "alpr_results", "\xff": 1}'), "body", id="openalpr-not-utf8"),
    pytest.param(_openalpr(lambda d: d.update(extra=nested(600))), "body", id="openalpr-nested-deep"),
    # Rekor
    pytest.param(
        _rekor(lambda d: d.update(best_plate_number=12345)), "best_plate_number", id="rekor-plate-number"
    ),
    pytest.param(_rekor(lambda d: d.pop("data_type")), "data_type", id="rekor-no-data-type"),
    pytest.param(_rekor(lambda d: d.update(gps_longitude=200.0)), "gps_longitude", id="rekor-longitude-200"),
    pytest.param(_rekor(lambda d: d.update(gps_latitude="27.65")), "gps_latitude", id="rekor-latitude-text"),
    pytest.param(
        _rekor(lambda d: d.update(epoch_start=d["epoch_start"] // 1000)), "epoch_start", id="rekor-epoch-in-s"
    ),
    pytest.param(_rekor(lambda d: d.update(candidates="浙C12345")), "candidates", id="rekor-candidates-text"),
    pytest.param(_rekor(lambda d: d.update(extra=nested(600))), "body", id="rekor-nested-deep"),
    pytest.param(
        lambda secret: json_message(REKOR, {k: v for k, v in rekor_alert().items() if k != "group"}, secret),
        "group",
        id="rekor-alert-without-group",
    ),
    # Plate Recognizer
    pytest.param(
        _platerecognizer(lambda d: d["data"]["results"][0].update(plate=12345)),
        "data.results[0].plate",
        id="platerecognizer-plate-number",
    ),
    pytest.param(
        _platerecognizer(lambda d: d["data"]["results"][0].update(score=89.8)),
        "data.results[0].score",
        id="platerecognizer-score-percent",
    ),
    pytest.param(
        _platerecognizer(lambda d: d["data"].pop("timestamp")), "data.timestamp", id="platerecognizer-no-time"
    ),
    pytest.param(
        lambda secret: multipart(PLATERECOGNIZER, [("upload", "a.jpg", "image/jpeg", UPLOAD)], secret),
        "json",
        id="platerecognizer-multipart-no-json",
    ),
    pytest.param(
        lambda secret: multipart(
            PLATERECOGNIZER,
            [("json", None, None, b"{not json"), ("upload", "a.jpg", "image/jpeg", UPLOAD)],
            secret,
        ),
        "json",
        id="platerecognizer-multipart-json-broken",
    ),
    pytest.param(
        lambda secret: platerecognizer_form(secret, upload=b"GIF89a" + bytes(300)),
        "upload",
        id="platerecognizer-multipart-upload-gif",
    ),
    pytest.param(
        lambda secret: multipart(
            PLATERECOGNIZER,
            [
                ("json", None, None, json.dumps(platerecognizer_doc()).encode()),
                ("upload", None, None, b"abc"),
            ],
            secret,
        ),
        "upload",
        id="platerecognizer-multipart-upload-as-text",
    ),
    pytest.param(
        _platerecognizer(lambda d: d.update(extra=nested(600))), "body", id="platerecognizer-nested-deep"
    ),
    # Hikvision
    pytest.param(
        lambda s: hikvision_form(s, b"<EventNotificationAlert><eventType>ANPR"),
        "anpr.xml",
        id="hikvision-broken-xml",
    ),
    pytest.param(lambda s: hikvision_form(s, BILLION_LAUGHS), "anpr.xml", id="hikvision-entity-expansion"),
    pytest.param(lambda s: hikvision_xml(s, EXTERNAL), "anpr.xml", id="hikvision-external-entity"),
    pytest.param(
        lambda s: hikvision_form(s, alert_xml(confidence="high")),
        "anpr.xml/ANPR/confidenceLevel",
        id="hikvision-confidence-text",
    ),
    pytest.param(
        lambda s: hikvision_xml(s, alert_xml(when="soon")), "anpr.xml/dateTime", id="hikvision-time-text"
    ),
    pytest.param(
        lambda s: multipart(
            HIKVISION, [("licensePlatePicture.jpg", "p.jpg", "image/jpeg", PLATE_PICTURE)], s
        ),
        "anpr.xml",
        id="hikvision-multipart-no-xml",
    ),
    pytest.param(lambda s: hikvision_xml(s, DEEP_XML), "anpr.xml", id="hikvision-nested-deep"),
    # CSV
    pytest.param(lambda s: csv_hit(s, b""), "header", id="csv-empty"),
    pytest.param(
        lambda s: multipart(CSV, [("reads", "reads.csv", "text/csv", csv_data())], s),
        "file",
        id="csv-multipart-no-file",
    ),
    pytest.param(
        lambda s: multipart(CSV, [("file", None, None, csv_data())], s),
        "file",
        id="csv-multipart-file-as-text",
    ),
]


@pytest.mark.parametrize(("build", "field"), MALFORMED)
def test_a_malformed_message_is_refused_naming_the_field_and_stores_nothing(
    client: TestClient,
    world: factories.World,
    db: Database,
    build: Builder,
    field: str,
) -> None:
    # No watch needed: ingest is one transaction, so a message kept even in part would leave its
    # ReadBatch, Camera and ReadCount rows behind.
    r = send(client, build(world.pingyang_key))
    assert r.status_code == 422, r.text
    assert r.json()["fields"][0] == field
    assert nothing_stored(db)


PARTIAL: list[Any] = [
    pytest.param(
        _openalpr(lambda d: d["results"][1].update(plate=12345)),
        "results[1].plate",
        id="openalpr-plate-number",
    ),
    pytest.param(
        _openalpr(lambda d: d["results"][0]["candidates"][1].update(confidence="high")),
        "results[0].candidates[1].confidence",
        id="openalpr-candidate-confidence-text",
    ),
    pytest.param(
        lambda s: csv_hit(s, csv_data(CSV_ROWS[0], "浙C1,2026-11-23 08:50:00,gate-3,,,,,,")),
        "row 3.read_at",
        id="csv-time-without-offset",
    ),
    pytest.param(
        lambda s: csv_hit(s, csv_data(CSV_ROWS[0], "浙C1,2026-11-23T08:50:00+08:00,gate-3,,purple,,,,")),
        "row 3.colour",
        id="csv-colour",
    ),
    pytest.param(
        lambda s: csv_form(s, csv_data(CSV_ROWS[0], "浙C1,2026-11-23T08:50:00+08:00,gate-3,93,,,,,")),
        "row 3.confidence",
        id="csv-multipart-confidence-percent",
    ),
    pytest.param(
        lambda s: csv_hit(s, csv_data(CSV_ROWS[0], "浙C1,2026-11-23T08:50:00+08:00,gate-3,,,,,,,extra")),
        "row 3",
        id="csv-extra-cell",
    ),
]


@pytest.mark.parametrize(("build", "field"), PARTIAL)
def test_a_bad_record_is_rejected_alone_and_the_others_are_taken(
    client: TestClient,
    world: factories.World,
    watched: dict[str, Any],
    db: Database,
    build: Builder,
    field: str,
) -> None:
    # A camera pushes once: one bad plate of a frame, or one bad row of a file, must not lose the others.
    result = accepted(client, build(world.pingyang_key))
    (rejected,) = result["rejected"]
    assert rejected["field"] == field and rejected["detail"]
    # In the OpenALPR frame the watched car is results[0]: a bad value there loses only that plate.
    hits = 0 if field.startswith("results[0]") else 1
    assert result["reads"] >= 1 and result["hits"] == hits
    assert count(db, Sighting) == hits


def test_a_gbk_csv_from_a_chinese_spreadsheet_is_read(
    client: TestClient, world: factories.World, watched: dict[str, Any], db: Database
) -> None:
    result = accepted(client, csv_hit(world.pingyang_key, csv_data().decode().encode("gbk")))
    assert (result["hits"], result["rejected"]) == (1, [])


def _future(hours: int = 3) -> datetime:
    return START + timedelta(hours=hours)


FUTURE: list[Any] = [
    pytest.param(
        _openalpr(lambda d: d.update(epoch_time=int(_future().timestamp()))), "epoch_time", id="openalpr"
    ),
    pytest.param(
        _rekor(lambda d: d.update(epoch_start=ms(_future()), epoch_end=ms(_future()))),
        "epoch_start",
        id="rekor",
    ),
    pytest.param(
        _platerecognizer(
            lambda d: d["data"].update(timestamp=clock_mod.local(_future()).replace(tzinfo=None).isoformat())
        ),
        "data.timestamp",
        id="platerecognizer",
    ),
    pytest.param(
        lambda s: hikvision_form(s, alert_xml(when=clock_mod.local(_future()).isoformat())),
        "anpr.xml/dateTime",
        id="hikvision",
    ),
    pytest.param(
        lambda s: csv_hit(s, csv_data(CSV_ROWS[0], f"浙C12345,{_future().isoformat()},gate-3,,,,,,")),
        "row 3.read_at",
        id="csv",
    ),
]


@pytest.mark.parametrize(("build", "field"), FUTURE)
def test_a_read_stamped_far_in_the_future_is_taken_at_its_receipt_time_and_the_camera_flagged(
    client: TestClient,
    world: factories.World,
    watched: dict[str, Any],
    db: Database,
    build: Builder,
    field: str,
) -> None:
    # Refusing it would lose the hit for good: the camera's stamp is evidence, the receipt time is used.
    result = accepted(client, build(world.pingyang_key))
    assert result["hits"] >= 1 and result["clock_skewed"] >= 1
    with db.session(read_only=True) as session:
        sighting = session.scalars(select(Sighting).where(Sighting.clock_skewed)).one()
        assert sighting.camera_read_at is not None
        assert clock_mod.as_utc(sighting.camera_read_at) == _future()
        assert clock_mod.as_utc(sighting.read_at) == clock_mod.now()
        camera = session.get(Camera, sighting.camera_id)
        assert camera is not None and camera.clock_skew_s == 3 * 3600
