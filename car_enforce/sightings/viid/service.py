"""GA/T 1400 (视图库) verbs: Digest accounts, device registration, keepalive, time and vehicle pushes.

A police unit creates an account with its API key, which becomes the account's Digest password (only
``HA1 = MD5(username:realm:key)`` is kept). A device registers with Digest against that account and is
then known by its ``DeviceID`` and by the address it registered from: keepalives, time requests and pushes
name the device in ``User-Identify`` and are taken from that address only (``request.client.host``;
behind a reverse proxy, run the server with its forwarded-address handling so that this is the device's
address). A registration ends only on UnRegister, never for want of keepalives: a checkpoint that lost
its link for an hour still pushes its buffer, and that is when its reads matter. A device that is not
registered (or registered from another address) is answered 401 and registers again.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import shapely
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from car_enforce.core import clock, events
from car_enforce.core.db import get_database, insert_once
from car_enforce.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from car_enforce.core.events import DomainEvent
from car_enforce.core.geo.datum import Datum
from car_enforce.core.geo.models import Jurisdiction
from car_enforce.core.identity import security
from car_enforce.core.identity.models import ApiKey
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import principal_of_key
from car_enforce.core.settings import get_settings
from car_enforce.sightings import ingest as ingesting
from car_enforce.sightings.cameras import camera_ids
from car_enforce.sightings.index import index_of
from car_enforce.sightings.models import Camera
from car_enforce.sightings.reads import Heartbeat
from car_enforce.sightings.vendors.encoding import decode_text
from car_enforce.sightings.viid import digest
from car_enforce.sightings.viid.codes import STATUS_STRINGS, StatusCode
from car_enforce.sightings.viid.models import ViidAccount, ViidDevice
from car_enforce.sightings.viid.parse import VENDOR, parse_motor_vehicles
from car_enforce.sightings.viid.schemas import (
    ResponseStatus,
    ResponseStatusAnswer,
    ResponseStatusList,
    ResponseStatusListAnswer,
    SystemTime,
    SystemTimeAnswer,
    ViidAccountIn,
    ViidAccountOut,
)

REALM: Final = "carenforce-viid"
# The platform's own 视图库 id, in GA/T 1400's 20-digit coding: division 330000 (Zhejiang), 0000, type
# 503 (视图库), serial 0000001. Devices log it from the time answer; nothing routes by it.
SERVER_ID: Final = "33000000005030000001"
# GA/T 1400 device ids are 20 digits: the 6-digit administrative division of the place first. Shorter
# numeric ids exist in the field (11-digit ids of some VIID terminals; platforms that number their own
# devices), so any 1–32 digits are taken, but only a 20-digit id is read for its division.
_DEVICE_ID = re.compile(r"[0-9]{1,32}")
_STANDARD_DEVICE_ID = re.compile(r"[0-9]{20}")
PLACE_FROM_DIVISION: Final = "division"


class StaleNonce(Unauthenticated):
    """The Digest answer was right but its nonce expired: the new challenge says ``stale=true``."""


class InvalidJson(InvalidInput):
    """The body is not JSON at all (GA/T 1400 status 7, Invalid JSON Format), not merely wrong inside."""


@dataclass(frozen=True, slots=True)
class Caller:
    """A Digest-verified request: its account, and the police unit's key behind it as a principal."""

    account: ViidAccount
    principal: Principal


@dataclass(frozen=True, slots=True)
class Registered:
    """A request of a registered device, from the address it registered from."""

    device: ViidDevice
    account: ViidAccount
    principal: Principal


# --- accounts ------------------------------------------------------------------------------------


def create_account(session: Session, *, unit: Principal, secret: str, data: ViidAccountIn) -> ViidAccount:
    """An account whose Digest password is ``secret``, the API key this very request came with."""
    if unit.kind != "api_key" or unit.id is None or unit.organisation_id is None:
        raise Forbidden(
            "a GA/T 1400 account is created with the police unit's API key in X-Api-Key: that key becomes "
            "its Digest password",
            zh="创建 GA/T 1400 账号须在 X-Api-Key 中使用公安单位的接口密钥，该密钥即为 Digest 认证密码",
        )
    key = session.get(ApiKey, unit.id)
    if key is None or not hmac.compare_digest(key.secret_hash, security.sha256_hex(secret)):
        raise Unauthenticated(
            "send the key the account is for in X-Api-Key", zh="请在 X-Api-Key 中提供该账号对应的接口密钥"
        )
    # One statement: two units asking for one name at once get one account and a 409, never a 500.
    account = insert_once(
        session,
        ViidAccount,
        {
            "organisation_id": unit.organisation_id,
            "api_key_id": key.id,
            "username": data.username,
            "realm": REALM,
            "ha1": digest.ha1(data.username, REALM, secret),
            "colour_table": data.colour_table,
            "created_at": clock.now(),
            "created_by": unit.label,
        },
        ["username"],
    )
    if account is None:
        raise Conflict(
            f"the GA/T 1400 account {data.username!r} exists already; choose another user name",
            zh=f"GA/T 1400 账号 {data.username} 已存在，请换一个用户名",
        )
    events.record(
        session,
        unit,
        DomainEvent(
            kind="viid_account.created",
            subject=f"viid_account:{account.id}",
            case_id=None,
            data={
                "username": account.username,
                "organisation_id": account.organisation_id,
                "api_key": key.prefix,
                "colour_table": account.colour_table,
            },
        ),
    )
    return account


def account_out(session: Session, account: ViidAccount) -> ViidAccountOut:
    key = session.get(ApiKey, account.api_key_id)
    return ViidAccountOut(
        id=account.id,
        username=account.username,
        realm=account.realm,
        colour_table=account.colour_table,
        organisation_id=account.organisation_id,
        api_key_prefix=key.prefix if key is not None else "",
        created_at=account.created_at,
    )


def _principal(session: Session, account: ViidAccount) -> Principal:
    key = session.get(ApiKey, account.api_key_id)
    if key is None or key.revoked_at is not None:
        raise Forbidden(
            f"the API key behind GA/T 1400 account {account.username!r} was revoked; the unit creates an "
            "account with a current key",
            zh=f"GA/T 1400 账号 {account.username} 对应的接口密钥已被吊销，请用现行密钥另建账号",
        )
    return principal_of_key(key)


# --- Digest --------------------------------------------------------------------------------------


def peer_address(host: str | None) -> str:
    """The client's address as stored and compared (an IPv4-mapped IPv6 address as plain IPv4)."""
    if not host:
        return ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _secret() -> bytes:
    return get_settings().viid_nonce_secret.encode()


def challenge_header(peer: str, *, stale: bool = False) -> str:
    """A fresh ``WWW-Authenticate`` challenge for a client at ``peer``."""
    nonce = digest.make_nonce(_secret(), realm=REALM, peer=peer, now=clock.now())
    return digest.challenge(REALM, nonce, stale=stale)


def authenticate(session: Session, *, method: str, path: str, authorization: str | None, peer: str) -> Caller:
    """The account a Digest answer proves; Unauthenticated (answered with a challenge) otherwise."""
    if not authorization:
        raise Unauthenticated(
            "answer the HTTP Digest challenge: the password is the police unit's API key",
            zh="请应答 HTTP Digest 认证质询，密码为公安单位的接口密钥",
        )
    try:
        credentials = digest.parse_authorization(authorization)
    except digest.DigestError as exc:
        raise Unauthenticated(str(exc), zh="Digest 认证信息格式不对") from None
    if credentials.realm != REALM:
        raise Unauthenticated(f"answer the challenge of realm {REALM!r}", zh=f"请应答域 {REALM} 的认证质询")
    if digest.uri_path(credentials.uri) != path:
        raise Unauthenticated(
            f"the Digest answer was made for {credentials.uri!r}, not {path!r}",
            zh="Digest 应答所对应的地址与本次请求不符",
        )
    state = digest.nonce_state(credentials.nonce, _secret(), realm=REALM, peer=peer, now=clock.now())
    if state is digest.NonceState.FORGED:
        raise Unauthenticated(
            "the nonce was not issued to this address: answer the new challenge",
            zh="随机数不是发给此地址的，请应答新的认证质询",
        )
    account = session.scalar(select(ViidAccount).where(ViidAccount.username == credentials.username))
    if (
        account is None
        or account.realm != credentials.realm
        or not digest.verify(credentials, account.ha1, method)
    ):
        raise Unauthenticated("wrong Digest user name or password", zh="Digest 用户名或密码错误")
    if state is digest.NonceState.STALE:
        raise StaleNonce("the nonce expired: answer the new challenge", zh="随机数已过期，请应答新的认证质询")
    return Caller(account=account, principal=_principal(session, account))


# --- devices -------------------------------------------------------------------------------------


def json_document(body: bytes, charset: str | None) -> object | None:
    """The JSON document of a body in UTF-8, or in GBK/GB18030 as Chinese platforms send it; None if empty."""
    if not body.strip():
        return None
    try:
        text = decode_text(body, "body", charset=charset)
    except InvalidInput as exc:
        raise InvalidJson("body", exc.reason, zh=exc.zh) from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidJson("body", f"is not valid JSON: {exc}", zh="不是有效的 JSON") from None


def device_id_of(document: object, key: str, fallback: str | None) -> str:
    """``{key: {"DeviceID": …}}``'s device id, else the ``User-Identify`` header's; checked."""
    found: object = None
    if isinstance(document, dict) and isinstance(document.get(key), dict):
        found = document[key].get("DeviceID")
    field = f"{key}.DeviceID"
    if found is None or found == "":
        found, field = fallback, "User-Identify"
    if isinstance(found, int) and not isinstance(found, bool):
        found = str(found)
    if not isinstance(found, str) or not found.strip():
        raise InvalidInput(f"{key}.DeviceID", "the device id is required", zh="缺少设备编码")
    text = found.strip()
    if not _DEVICE_ID.fullmatch(text):
        raise InvalidInput(
            field,
            f"a device id is 20 digits (1 to 32 taken), got {text[:40]!r}",
            zh="设备编码应为 20 位数字（可接受 1 至 32 位）",
        )
    return text


def register(session: Session, *, caller: Caller, device_id: str, peer: str) -> ViidDevice:
    """Register (or register again) a device of the caller's unit from ``peer``.

    A device id belongs to the unit that first registered it: another unit's registration is refused.
    """
    organisation_id = caller.account.organisation_id
    now = clock.now()
    # A device that registers twice at once (a retry racing its first attempt) makes one row, not a 500.
    device = insert_once(
        session,
        ViidDevice,
        {
            "device_id": device_id,
            "organisation_id": organisation_id,
            "account_id": caller.account.id,
            "peer": peer,
            "registered_at": now,
        },
        ["device_id"],
    )
    if device is None:  # registered before: by this unit it registers again, by another it is refused
        device = session.scalar(
            select(ViidDevice)
            .where(ViidDevice.device_id == device_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert device is not None  # the row the insert collided with
        if device.organisation_id != organisation_id:
            raise Conflict(
                f"device {device_id} is registered by another police unit",
                zh=f"设备 {device_id} 已由其他公安单位注册",
            )
        device.account_id, device.peer = caller.account.id, peer
        device.registered_at, device.unregistered_at = now, None
        session.flush()
    _seen(session, organisation_id, device_id, now)
    return device


def registered(session: Session, *, device_id: str | None, peer: str) -> Registered:
    """The registered device named by ``User-Identify``; Unauthenticated so that it registers again."""
    if not device_id or not device_id.strip():
        raise Unauthenticated(
            "name the device in User-Identify, after registering at /VIID/System/Register",
            zh="请在 User-Identify 中注明设备编码，并先在 /VIID/System/Register 注册",
        )
    device = session.scalar(select(ViidDevice).where(ViidDevice.device_id == device_id.strip()))
    if device is None or device.unregistered_at is not None:
        raise Unauthenticated(
            f"device {device_id.strip()[:32]} is not registered: register first",
            zh=f"设备 {device_id.strip()[:32]} 未注册，请先注册",
        )
    if device.peer != peer:
        raise Unauthenticated(
            f"device {device.device_id} registered from another address: register again from this one",
            zh=f"设备 {device.device_id} 是从其他地址注册的，请从本地址重新注册",
        )
    account = session.get(ViidAccount, device.account_id)
    assert account is not None  # a foreign key
    return Registered(device=device, account=account, principal=_principal(session, account))


def keepalive(session: Session, device: Registered) -> None:
    now = clock.now()
    device.device.keepalive_at = now
    _seen(session, device.device.organisation_id, device.device.device_id, now)


def unregister(session: Session, *, caller: Caller, device_id: str) -> None:
    """End a registration of the caller's unit; ending an ended one again changes nothing."""
    device = session.scalar(select(ViidDevice).where(ViidDevice.device_id == device_id))
    if device is None or device.organisation_id != caller.account.organisation_id:
        raise NotFound(
            f"device {device_id} is not registered by this police unit",
            zh=f"设备 {device_id} 未由本公安单位注册",
        )
    if device.unregistered_at is None:
        device.unregistered_at = clock.now()


def _seen(session: Session, organisation_id: int, device_id: str, now: datetime) -> None:
    """The device as a camera of its unit (created on first contact), seen now, placed if it can be."""
    camera_ids(session, organisation_id, {device_id: (VENDOR, now)})
    place_from_division(session, organisation_id, [device_id])


def place_from_division(session: Session, organisation_id: int, external_ids: list[str]) -> None:
    """Place cameras that have no position at the division their 20-digit device id begins with.

    The point is the division's representative point (inside it, approximate), marked ``division`` so
    nobody takes it for a surveyed position; a position that was given is never overwritten.
    """
    standard = sorted({e for e in external_ids if _STANDARD_DEVICE_ID.fullmatch(e)})
    if not standard:
        return
    unplaced = session.execute(
        select(Camera.id, Camera.external_id).where(
            Camera.organisation_id == organisation_id,
            Camera.external_id.in_(standard),
            or_(Camera.lon.is_(None), Camera.lat.is_(None)),
        )
    ).all()
    points: dict[str, tuple[float, float] | None] = {}
    for camera_id, external_id in unplaced:
        code = external_id[:6]
        if code not in points:
            points[code] = _division_point(session, code)
        point = points[code]
        if point is None:
            continue
        # Conditional: a position given by a concurrent request wins over this approximate one.
        session.execute(
            update(Camera)
            .where(Camera.id == camera_id, or_(Camera.lon.is_(None), Camera.lat.is_(None)))
            .values(lon=point[0], lat=point[1], datum_in=Datum.WGS84.value, place_source=PLACE_FROM_DIVISION)
        )


def _division_point(session: Session, code: str) -> tuple[float, float] | None:
    wkt = session.scalar(select(Jurisdiction.boundary_wkt).where(Jurisdiction.code == code))
    if not wkt:
        return None
    point = shapely.from_wkt(wkt).representative_point()
    return (round(point.x, 6), round(point.y, 6))


# --- pushes --------------------------------------------------------------------------------------


def push_motor_vehicles(
    session: Session, device: Registered, *, document: object, body: bytes
) -> list[ResponseStatus]:
    """Take a push of passing-vehicle records: one status per record, in order; a bad one sinks no other.

    A push sent again unchanged changes nothing: ingest answers a body it has seen with its first result.
    """
    now = clock.now()
    pushed = parse_motor_vehicles(
        document,
        colour_table=device.account.colour_table,
        device_id=device.device.device_id,
        received_at=now,
    )
    parsed = pushed.parsed
    # The pushing device is alive, whichever cameras its records name.
    parsed.heartbeats.append(Heartbeat(camera_id=device.device.device_id, at=now, vendor=VENDOR))
    ingesting.ingest(
        session,
        unit=device.principal,
        parsed=parsed,
        digest=ingesting.body_digest(body),
        index=index_of(get_database()),
    )
    cameras = {read.camera_id for read in parsed.reads if read.camera_id}
    place_from_division(session, device.device.organisation_id, sorted(cameras))
    rejected = {r.index: r for r in parsed.rejected}
    url = "/VIID/MotorVehicles"
    statuses = []
    for index, record_id in enumerate(pushed.record_ids):
        bad = rejected.get(index)
        if bad is None:
            statuses.append(status(url, record_id or ""))
        else:
            text = f"{bad.field}: {bad.detail}"
            statuses.append(status(url, record_id or "", StatusCode.INVALID_JSON_CONTENT, text))
    return statuses


# --- answers -------------------------------------------------------------------------------------


def local_time() -> str:
    return clock.local(clock.now()).strftime("%Y%m%d%H%M%S")


def status(url: str, id_: str, code: StatusCode = StatusCode.OK, text: str | None = None) -> ResponseStatus:
    return ResponseStatus(
        RequestURL=url,
        StatusCode=int(code),
        StatusString=text or STATUS_STRINGS[code],
        Id=id_,
        LocalTime=local_time(),
    )


def answer(
    url: str, id_: str, code: StatusCode = StatusCode.OK, text: str | None = None
) -> ResponseStatusAnswer:
    return ResponseStatusAnswer(ResponseStatusObject=status(url, id_, code, text))


def answer_list(statuses: list[ResponseStatus]) -> ResponseStatusListAnswer:
    return ResponseStatusListAnswer(
        ResponseStatusListObject=ResponseStatusList(ResponseStatusObject=statuses)
    )


def system_time() -> SystemTimeAnswer:
    return SystemTimeAnswer(
        SystemTimeObject=SystemTime(VIIDServerID=SERVER_ID, TimeMode="1", LocalTime=local_time())
    )


def status_of(error: DomainError) -> StatusCode:
    """The GA/T 1400 status a refused request is answered with, beside its HTTP status."""
    if isinstance(error, InvalidJson):
        return StatusCode.INVALID_JSON_FORMAT
    if isinstance(error, InvalidInput):
        return StatusCode.INVALID_JSON_CONTENT
    if isinstance(error, Unauthenticated | Forbidden | Conflict | NotFound):
        return StatusCode.INVALID_OPERATION
    return StatusCode.OTHER_ERROR
