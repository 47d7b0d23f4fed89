"""GA/T 1400 over real HTTP: accounts, Digest registration, keepalive, pushes, addresses, unregistering.

The server runs under uvicorn on 127.0.0.1; a second client binds 127.0.0.2, so "another address" is a
real other peer. Digest is answered by httpx's own client implementation, not by the code under test.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import shapely
from fastapi import FastAPI
from sqlalchemy import func, select

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict
from car_enforce.core.geo.models import Jurisdiction
from car_enforce.core.identity.models import ApiKey, Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import revoke_api_key
from car_enforce.sightings.cameras import place_camera
from car_enforce.sightings.models import Alert, Camera, Sighting
from car_enforce.sightings.reads import Place
from car_enforce.sightings.viid import digest
from car_enforce.sightings.viid import service as viid_service
from car_enforce.sightings.viid.models import ViidAccount, ViidDevice
from tests import factories
from tests.api_helpers import issue_watch, login, open_case, register_vehicle
from tests.live import serve
from tests.viid_helpers import DEVICE, JPEG, record

REGISTER = "/VIID/System/Register"
KEEPALIVE = "/VIID/System/Keepalive"
UNREGISTER = "/VIID/System/UnRegister"
TIME = "/VIID/System/Time"
PUSH = "/VIID/MotorVehicles"
ACCOUNTS = "/api/police/viid-accounts"
USER = "py-checkpoints"
YUEQING_DEVICE = "33038200001190000007"  # division 330382 (乐清), no coordinates of its own
VIID_JSON = "application/VIID+JSON"


@pytest.fixture
def base(app: FastAPI, db: Database, world: factories.World) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture
def http(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=10) as client:
        yield client


@pytest.fixture
def elsewhere(base: str) -> Iterator[httpx.Client]:
    """A client at another address of this machine."""
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=base, timeout=10, transport=transport) as client:
        yield client


@pytest.fixture
def watched(http: httpx.Client) -> dict[str, Any]:
    """浙C12345 (blue) under a Pingyang-county watch of the Pingyang court."""
    officer = login(http, "py.officer")
    case = open_case(http, officer)
    link = register_vehicle(http, officer, case)
    return issue_watch(http, officer, case, link["vehicle"]["id"])


@pytest.fixture
def account(http: httpx.Client, world: factories.World) -> dict[str, Any]:
    return create_account(http, world.pingyang_key, USER)


def create_account(http: httpx.Client, key: str, username: str, table: str = "gat1400") -> dict[str, Any]:
    r = http.post(ACCOUNTS, headers={"X-Api-Key": key}, json={"username": username, "colour_table": table})
    assert r.status_code == 201, r.text
    return dict(r.json())


def body(document: Any, encoding: str = "utf-8") -> bytes:
    return json.dumps(document, ensure_ascii=False).encode(encoding)


def register(client: httpx.Client, key: str, device: str = DEVICE, username: str = USER) -> httpx.Response:
    return client.post(
        REGISTER,
        content=body({"RegisterObject": {"DeviceID": device}}),
        headers={"Content-Type": VIID_JSON},
        auth=httpx.DigestAuth(username, key),
    )


def status_of(response: httpx.Response) -> dict[str, Any]:
    return dict(response.json()["ResponseStatusObject"])


def statuses(response: httpx.Response) -> list[dict[str, Any]]:
    return list(response.json()["ResponseStatusListObject"]["ResponseStatusObject"])


def vehicles(*records: Any) -> dict[str, Any]:
    return {"MotorVehicleListObject": {"MotorVehicleObject": list(records)}}


def send(
    client: httpx.Client,
    path: str,
    device: str,
    document: Any = None,
    *,
    encoding: str = "utf-8",
    content_type: str = f"{VIID_JSON};charset=UTF-8",
) -> httpx.Response:
    content = b"" if document is None else body(document, encoding)
    headers = {"User-Identify": device, "Content-Type": content_type}
    return client.post(path, content=content, headers=headers)


def count(db: Database, model: type[Any], *where: Any) -> int:
    with db.unit_of_work(read_only=True) as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def camera(db: Database, external_id: str) -> Camera:
    with db.unit_of_work(read_only=True) as s:
        row = s.scalar(select(Camera).where(Camera.external_id == external_id))
        assert row is not None
        s.expunge(row)
        return row


def challenge_params(response: httpx.Response) -> dict[str, str]:
    header = response.headers["WWW-Authenticate"]
    assert header.startswith("Digest ")
    return {
        name: value.strip('"')
        for name, value in (part.strip().split("=", 1) for part in header[len("Digest ") :].split(","))
    }


def test_register_keepalive_push_and_unregister(
    db: Database, clock: MovableClock, world: factories.World, http: httpx.Client, watched: dict[str, Any]
) -> None:
    created = create_account(http, world.pingyang_key, USER)
    assert created["realm"] == "carenforce-viid" and created["api_key_prefix"] in world.pingyang_key
    with db.unit_of_work(read_only=True) as s:
        stored = s.scalar(select(ViidAccount))
        assert stored is not None and world.pingyang_key not in stored.ha1  # only HA1 is kept
        assert stored.ha1 == digest.ha1(USER, "carenforce-viid", world.pingyang_key)

    # The first Register is answered with a Digest challenge: MD5, qop="auth" only.
    first = http.post(REGISTER, content=body({"RegisterObject": {"DeviceID": DEVICE}}))
    assert first.status_code == 401
    params = challenge_params(first)
    assert (params["qop"], params["algorithm"], params["realm"]) == ("auth", "MD5", "carenforce-viid")
    assert status_of(first)["StatusCode"] == 4

    registered = register(http, world.pingyang_key)
    assert registered.status_code == 200, registered.text
    answer = status_of(registered)
    assert (answer["StatusCode"], answer["Id"], answer["RequestURL"]) == (0, DEVICE, REGISTER)
    assert answer["LocalTime"] == "20261123090000"  # Beijing time, YYYYMMDDhhmmss
    with db.unit_of_work(read_only=True) as s:
        device = s.scalar(select(ViidDevice))
        assert device is not None and (device.device_id, device.peer) == (DEVICE, "127.0.0.1")

    clock.advance(timedelta(seconds=30))
    alive = send(http, KEEPALIVE, DEVICE, {"KeepaliveObject": {"DeviceID": DEVICE}})
    assert alive.status_code == 200 and status_of(alive)["StatusCode"] == 0
    assert http.get(TIME, headers={"User-Identify": DEVICE}).json()["SystemTimeObject"]["LocalTime"] == (
        "20261123090030"
    )

    # Three passes: the watched car, an uninvolved car, and a record with an impossible time.
    document = vehicles(
        record(1, PassTime="20261123090010"),
        record(2, PlateNo="浙A99999", PassTime="20261123090012"),
        record(3, PassTime="20261399000000"),
    )
    pushed = send(http, PUSH, DEVICE, document)
    assert pushed.status_code == 200, pushed.text
    answers = statuses(pushed)
    assert [a["StatusCode"] for a in answers] == [0, 0, 8]
    assert [a["Id"] for a in answers] == [record(n)["MotorVehicleID"] for n in (1, 2, 3)]
    assert "PassTime" in answers[2]["StatusString"] and answers[0]["RequestURL"] == PUSH

    assert count(db, Sighting) == 1 and count(db, Alert) == 1
    assert count(db, Sighting, Sighting.plate_read == "浙A99999") == 0  # nothing of an uninvolved car
    with db.unit_of_work(read_only=True) as s:
        sighting = s.scalar(select(Sighting))
        alert = s.scalar(select(Alert))
        brigade = s.scalar(select(Organisation.id).where(Organisation.name == "平阳县公安局交通警察大队"))
        assert sighting is not None and alert is not None
        assert (sighting.vendor, sighting.plate_read) == ("gat1400", "浙C12345")
        assert sighting.watch_id == watched["id"]
        assert sighting.read_key == f"gat1400:{record(1)['MotorVehicleID']}" and len(sighting.images) == 1
        assert sighting.raw["MotorVehicleObject"]["SubImageList"]["SubImageInfoObject"][1]["StoragePath"]
        assert (alert.kind, alert.routed_unit_id) == ("hit", brigade)

    # The same push again (a retry after a lost answer) stores nothing twice.
    again = send(http, PUSH, DEVICE, document)
    assert [a["StatusCode"] for a in statuses(again)] == [0, 0, 8]
    assert count(db, Sighting) == 1 and count(db, Alert) == 1

    # UnRegister is challenged again; after it, the device is not registered any more.
    assert send(http, UNREGISTER, DEVICE, {"UnRegisterObject": {"DeviceID": DEVICE}}).status_code == 401
    gone = http.post(
        UNREGISTER,
        content=body({"UnRegisterObject": {"DeviceID": DEVICE}}),
        headers={"User-Identify": DEVICE, "Content-Type": "application/json"},
        auth=httpx.DigestAuth(USER, world.pingyang_key),
    )
    assert gone.status_code == 200 and status_of(gone)["StatusCode"] == 0
    after = send(http, KEEPALIVE, DEVICE)
    assert after.status_code == 401 and "WWW-Authenticate" in after.headers
    assert send(http, PUSH, DEVICE, document).status_code == 401


def test_a_device_that_is_not_registered_or_calls_from_elsewhere_is_told_to_register(
    db: Database,
    world: factories.World,
    http: httpx.Client,
    elsewhere: httpx.Client,
    account: dict[str, Any],
    watched: dict[str, Any],
) -> None:
    document = vehicles(record(1))
    never = send(http, PUSH, DEVICE, document)
    assert never.status_code == 401 and never.headers["WWW-Authenticate"].startswith("Digest ")
    assert status_of(never)["StatusCode"] == 4 and "not registered" in status_of(never)["StatusString"]
    assert send(http, KEEPALIVE, DEVICE).status_code == 401
    assert http.post(PUSH, content=body(document)).status_code == 401  # no User-Identify at all

    assert register(http, world.pingyang_key).status_code == 200
    # Registered from 127.0.0.1: the same id from 127.0.0.2 is not that device.
    assert send(elsewhere, PUSH, DEVICE, document).status_code == 401
    assert send(elsewhere, KEEPALIVE, DEVICE).status_code == 401
    assert count(db, Sighting) == 0
    # Registering again from the new address moves the registration there.
    assert register(elsewhere, world.pingyang_key).status_code == 200
    assert send(elsewhere, PUSH, DEVICE, document).status_code == 200
    assert send(http, PUSH, DEVICE, document).status_code == 401
    assert count(db, Sighting) == 1


def test_wrong_passwords_other_units_and_revoked_keys(
    db: Database, world: factories.World, http: httpx.Client, account: dict[str, Any]
) -> None:
    wrong = register(http, world.yueqing_key)  # a real key, but not this account's password
    assert wrong.status_code == 401 and status_of(wrong)["StatusCode"] == 4
    assert register(http, world.pingyang_key, username="nobody").status_code == 401
    assert count(db, ViidDevice) == 0

    duplicate = http.post(ACCOUNTS, headers={"X-Api-Key": world.city_key}, json={"username": USER})
    assert duplicate.status_code == 409
    create_account(http, world.city_key, "wz-platform", table="traffic")
    assert register(http, world.pingyang_key).status_code == 200
    taken = register(http, world.city_key, username="wz-platform")
    assert taken.status_code == 409 and "another police unit" in status_of(taken)["StatusString"]

    officer = login(http, "py.officer")  # a person's login has no key to be a Digest password
    assert http.post(ACCOUNTS, headers=officer, json={"username": "x"}).status_code == 403

    with db.unit_of_work() as s:
        key = s.scalar(select(ApiKey).where(ApiKey.id == s.scalar(select(ViidAccount.api_key_id).limit(1))))
        assert key is not None
        revoke_api_key(s, key_id=key.id, actor=Principal.system("test"))
    assert send(http, KEEPALIVE, DEVICE).status_code == 403
    assert register(http, world.pingyang_key).status_code == 403


def test_an_expired_nonce_is_answered_with_stale_and_a_replay_from_elsewhere_is_refused(
    clock: MovableClock,
    world: factories.World,
    http: httpx.Client,
    elsewhere: httpx.Client,
    account: dict[str, Any],
) -> None:
    content = body({"RegisterObject": {"DeviceID": DEVICE}})
    nonce = challenge_params(http.post(REGISTER, content=content))["nonce"]

    def answer(nonce: str, nc: str) -> str:
        ha1 = hashlib.md5(f"{USER}:carenforce-viid:{world.pingyang_key}".encode()).hexdigest()
        ha2 = hashlib.md5(f"POST:{REGISTER}".encode()).hexdigest()
        response = hashlib.md5(f"{ha1}:{nonce}:{nc}:c0ffee:auth:{ha2}".encode()).hexdigest()
        return (
            f'Digest username="{USER}", realm="carenforce-viid", nonce="{nonce}", uri="{REGISTER}", '
            f'qop=auth, nc={nc}, cnonce="c0ffee", response="{response}", algorithm=MD5'
        )

    header = answer(nonce, "00000001")
    # The answer seen on the wire, replayed from another address, is no good there.
    assert elsewhere.post(REGISTER, content=content, headers={"Authorization": header}).status_code == 401
    clock.advance(digest.NONCE_TTL + timedelta(seconds=1))
    stale = http.post(REGISTER, content=content, headers={"Authorization": header})
    assert stale.status_code == 401 and challenge_params(stale).get("stale") == "true"
    fresh = challenge_params(stale)["nonce"]
    again = http.post(REGISTER, content=content, headers={"Authorization": answer(fresh, "00000001")})
    assert again.status_code == 200


def test_a_gbk_push_of_a_watched_car_from_a_device_placed_by_its_division(
    db: Database, world: factories.World, http: httpx.Client, account: dict[str, Any], watched: dict[str, Any]
) -> None:
    # A camera whose position was given keeps it; one with none is placed inside its division.
    with db.unit_of_work() as s:
        unit = s.scalar(select(Organisation.id).where(Organisation.name == "平阳县公安局交通警察大队"))
        assert unit is not None
        place_camera(
            s,
            organisation_id=unit,
            external_id=DEVICE,
            name="昆阳卡口",
            place=Place(lon=120.56, lat=27.67, datum_in="WGS84"),  # type: ignore[arg-type]
            vendor="gat1400",
        )
    assert register(http, world.pingyang_key, device=YUEQING_DEVICE).status_code == 200
    assert register(http, world.pingyang_key, device=DEVICE).status_code == 200
    given = camera(db, DEVICE)
    assert (given.lon, given.lat, given.place_source) == (120.56, 27.67, "given")
    placed = camera(db, YUEQING_DEVICE)
    assert placed.place_source == "division" and placed.datum_in == "WGS84"
    with db.unit_of_work(read_only=True) as s:
        wkt = s.scalar(select(Jurisdiction.boundary_wkt).where(Jurisdiction.code == "330382"))
    assert wkt is not None and shapely.from_wkt(wkt).contains(shapely.Point(placed.lon, placed.lat))

    # A platform in GBK, undeclared, with the colour in the plate text; the record names no place.
    document = vehicles(
        record(7, DeviceID=YUEQING_DEVICE, PlateNo="蓝浙C12345", PlateColor="", PassTime="20261123085950")
    )
    pushed = send(http, PUSH, YUEQING_DEVICE, document, encoding="gbk", content_type="application/*+JSON")
    assert pushed.status_code == 200, pushed.text
    assert [a["StatusCode"] for a in statuses(pushed)] == [0]
    with db.unit_of_work(read_only=True) as s:
        sighting = s.scalar(select(Sighting))
        alert = s.scalar(select(Alert))
        yueqing = s.scalar(select(Organisation.id).where(Organisation.name == "乐清市公安局交通警察大队"))
        assert sighting is not None and alert is not None
        assert (alert.plate, sighting.colour_read, sighting.colour_in_text) == ("浙C12345", "blue", "blue")
        assert sighting.plate_read.endswith("浙C12345")  # as read: with or without its colour prefix
        assert len(sighting.images) == 1 and sighting.images[0]
        # No place in the read: the alert stands where the camera was placed, and goes to that brigade.
        assert (alert.lon, alert.lat, alert.routed_unit_id) == (placed.lon, placed.lat, yueqing)
    assert JPEG  # the picture in the record is the one stored as evidence (by digest)


def test_a_body_that_is_not_json_is_answered_in_the_standards_shape(
    world: factories.World, http: httpx.Client, account: dict[str, Any]
) -> None:
    assert register(http, world.pingyang_key).status_code == 200
    broken = http.post(PUSH, content=b"{not json", headers={"User-Identify": DEVICE})
    assert broken.status_code == 422 and status_of(broken)["StatusCode"] == 7
    wrong = send(http, PUSH, DEVICE, {"FaceListObject": {}})
    assert wrong.status_code == 422 and status_of(wrong)["StatusCode"] == 8
    bad_id = http.post(
        REGISTER,
        content=body({"RegisterObject": {"DeviceID": "cam-1"}}),
        auth=httpx.DigestAuth(USER, world.pingyang_key),
    )
    assert bad_id.status_code == 422 and "RegisterObject.DeviceID" in status_of(bad_id)["StatusString"]


def test_a_refusal_after_writes_undoes_them(
    db: Database,
    world: factories.World,
    http: httpx.Client,
    account: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The VIID answer to an error is rendered inside the request: the writes before it are rolled back."""

    def fails(*_args: object, **_kwargs: object) -> None:
        raise Conflict("staged after the device row was written")

    monkeypatch.setattr(viid_service, "place_from_division", fails)
    refused = register(http, world.pingyang_key)
    assert refused.status_code == 409 and status_of(refused)["StatusCode"] == 4
    assert count(db, ViidDevice) == 0 and count(db, Camera) == 0
    monkeypatch.undo()
    assert register(http, world.pingyang_key).status_code == 200
    assert count(db, ViidDevice) == 1 and count(db, Camera) == 1
