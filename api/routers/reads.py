"""Plate reads in: the canonical batch, and each vendor's own message at its own endpoint, unchanged.

Every endpoint answers with the same summary (reads, matches, alerts). A message received before (the
same bytes from the same unit) is answered with its first result and changes nothing, which is what
cameras that push once and never retry (Hikvision), and webhooks that retry on timeouts (Rekor), need.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials
from sqlalchemy.orm import Session

from api.deps import (
    Allow,
    MultipartForm,
    PoliceAdapter,
    RawBody,
    SessionDep,
    api_key_scheme,
    bearer_scheme,
    file_or_body,
    get_principal,
)
from api.errors import responses
from car_enforce.core.db import get_database
from car_enforce.core.errors import InvalidInput, Unauthenticated
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.sightings import ingest as ingesting
from car_enforce.sightings import vendors
from car_enforce.sightings.index import index_of
from car_enforce.sightings.reads import Parsed
from car_enforce.sightings.schemas import IngestOut, batch_schema, canonical_reads, decode_batch
from car_enforce.sightings.vendors.encoding import charset_of, decode_text

router = APIRouter(prefix="/api/police", tags=["police: reads"], responses=responses(401, 403, 422))


class AllowDevice(Allow):
    """A police unit's key from a device that cannot always set a header.

    Besides ``X-Api-Key`` and ``Authorization: Bearer``, a camera may send the key as the password of
    HTTP Basic authentication (the only credential many camera firmwares can be configured with), and a
    Rekor agent may carry it in its ``custom_data`` field, which echoes what the operator typed.
    """

    def __call__(  # type: ignore[override]
        self,
        session: SessionDep,
        body: RawBody,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        api_key: Annotated[str | None, Depends(api_key_scheme)],
        basic: Annotated[HTTPBasicCredentials | None, Depends(HTTPBasic(auto_error=False))],
    ) -> Principal:
        if api_key or bearer is not None:
            principal = get_principal(session, bearer, api_key)
        elif basic is not None and basic.password:
            principal = identity.authenticate_api_key(session, basic.password)
        else:
            key = _rekor_key(body)
            if key is None:
                raise Unauthenticated(
                    "send the unit's key as 'X-Api-Key', 'Authorization: Bearer', the HTTP Basic password, "
                    "or (Rekor) in custom_data",
                    zh="请提供本单位的接口密钥（X-Api-Key、Authorization: Bearer、HTTP Basic 密码，"
                    "或 Rekor 的 custom_data）",
                )
            principal = identity.authenticate_api_key(session, key)
        return self.check(principal)


def _rekor_key(body: bytes) -> str | None:
    try:
        return vendors.rekor_key(json.loads(body))
    except (ValueError, RecursionError):
        return None


Device = Annotated[Principal, Depends(AllowDevice(Role.POLICE_ADAPTER))]


def _ingest(session: Session, unit: Principal, parsed: Parsed, body: bytes) -> IngestOut:
    # A record with a bad field is listed in the answer and the others are taken; a message none of whose
    # records could be read is refused whole, and stores nothing.
    if parsed.rejected and not parsed.reads and not parsed.heartbeats:
        first, more = parsed.rejected[0], len(parsed.rejected) - 1
        also = f" (and {more} more records rejected)" if more else ""
        also_zh = f"（另有 {more} 条记录被拒收）" if more else ""
        zh = f"{first.detail_zh}{also_zh}" if first.detail_zh else None
        raise InvalidInput(first.field, first.detail + also, zh=zh)
    result = ingesting.ingest(
        session,
        unit=unit,
        parsed=parsed,
        digest=ingesting.body_digest(body),
        index=index_of(get_database()),
    )
    return IngestOut(**result.as_dict())


def _json(body: bytes, charset: str | None, field: str = "body") -> Any:
    """The JSON document of a body in UTF-8, or in GBK/GB18030 as Chinese platforms send it."""
    try:
        return json.loads(decode_text(body, field, charset=charset))
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(field, f"is not valid JSON: {exc}", zh="不是有效的 JSON") from None


async def _charset(request: Request) -> str | None:
    return charset_of(request.headers.get("content-type"))


Charset = Annotated[str | None, Depends(_charset)]


def _body_doc(**media: Any) -> dict[str, Any]:
    """The request body as the OpenAPI document shows it (these routes read the raw body themselves)."""
    return {"requestBody": {"required": True, "content": media}}


_OBJECT: dict[str, Any] = {"schema": {"type": "object"}}
_FORM: dict[str, Any] = {"schema": {"type": "object", "additionalProperties": True}}
_TEXT: dict[str, Any] = {"schema": {"type": "string"}}


BATCH_SCHEMA, BATCH_COMPONENTS = batch_schema()


@router.post(
    "/reads",
    response_model=IngestOut,
    openapi_extra=_body_doc(**{"application/json": {"schema": BATCH_SCHEMA}}),
)
def post_reads(session: SessionDep, unit: PoliceAdapter, body: RawBody, charset: Charset) -> IngestOut:
    """Up to 5,000 plate reads at once, matched against the watch list; only matches are stored.

    UTF-8 JSON (GBK/GB18030 taken too, declared by ``charset=`` or not). A read with a bad field is
    listed under ``rejected`` and the others are taken. Key: ``X-Api-Key`` or ``Authorization: Bearer``.
    """
    return _ingest(session, unit, canonical_reads(decode_batch(body, charset)), body)


@router.post(
    "/adapters/openalpr", response_model=IngestOut, openapi_extra=_body_doc(**{"application/json": _OBJECT})
)
def post_openalpr(session: SessionDep, unit: Device, body: RawBody, charset: Charset) -> IngestOut:
    """OpenALPR ``alprd`` results and heartbeats, as the daemon posts them (key: header or Basic password)."""
    return _ingest(session, unit, vendors.parse_openalpr(_json(body, charset)), body)


@router.post(
    "/adapters/rekor", response_model=IngestOut, openapi_extra=_body_doc(**{"application/json": _OBJECT})
)
def post_rekor(session: SessionDep, unit: Device, body: RawBody, charset: Charset) -> IngestOut:
    """Rekor Scout webhooks: ``alpr_group``, ``alpr_alert``, ``vehicle`` and ``heartbeat``.

    Key: a header, the HTTP Basic password, or ``custom_data`` (what the operator typed into the agent).
    """
    return _ingest(session, unit, vendors.parse_rekor(_json(body, charset)), body)


@router.post(
    "/adapters/platerecognizer",
    response_model=IngestOut,
    openapi_extra=_body_doc(**{"application/json": _OBJECT, "multipart/form-data": _FORM}),
)
def post_platerecognizer(
    session: SessionDep, unit: Device, body: RawBody, form: MultipartForm, charset: Charset
) -> IngestOut:
    """Plate Recognizer Snapshot (JSON, or multipart ``json`` + ``upload``) and Stream webhooks.

    Key: a header or the HTTP Basic password.
    """
    if form:
        if "json" not in form or not isinstance(form["json"], str):
            raise InvalidInput(
                "json",
                "the multipart form needs a 'json' field holding the result",
                zh="表单中缺少识别结果（json）",
            )
        uploads = form.get("upload") or []
        image = (uploads[0][1] if isinstance(uploads, list) else uploads.encode()) if uploads else None
        parsed = vendors.parse_platerecognizer_multipart(form["json"], image)
    else:
        parsed = vendors.parse_platerecognizer(_json(body, charset))
    return _ingest(session, unit, parsed, body)


@router.post(
    "/adapters/hikvision",
    response_model=IngestOut,
    openapi_extra=_body_doc(**{"multipart/form-data": _FORM, "application/xml": _TEXT}),
)
def post_hikvision(session: SessionDep, unit: Device, body: RawBody, form: MultipartForm) -> IngestOut:
    """Hikvision ISAPI ANPR pushes: multipart with ``anpr.xml`` and JPEG parts, or a bare XML body.

    The XML is decoded by its declaration (GB2312/GBK from Chinese firmware). Key: a header or the HTTP
    Basic password (the only credential many cameras can be configured with).
    """
    if form:
        xml: bytes | None = None
        images: list[bytes] = []
        for name, value in form.items():
            for filename, data in value if isinstance(value, list) else [("", value.encode())]:
                if filename.lower().endswith(".xml") or name.lower().endswith(".xml") or name == "anpr":
                    xml = xml or data
                elif data[:3] == b"\xff\xd8\xff":
                    images.append(data)
        if xml is None:
            raise InvalidInput(
                "anpr.xml", "the multipart push has no anpr.xml part", zh="推送中缺少 anpr.xml"
            )
        parsed = vendors.parse_hikvision(xml, images)
    else:
        parsed = vendors.parse_hikvision(body, [])
    return _ingest(session, unit, parsed, body)


@router.post(
    "/adapters/csv",
    response_model=IngestOut,
    openapi_extra=_body_doc(**{"text/csv": _TEXT, "multipart/form-data": _FORM}),
)
def post_csv(
    session: SessionDep, unit: Device, body: RawBody, form: MultipartForm, charset: Charset
) -> IngestOut:
    """A CSV of reads (the platform's columns, or Plate Recognizer Stream's CSV), as a body or a ``file``.

    UTF-8 (with or without BOM) or GBK/GB18030 as Chinese spreadsheets save it. A row with a bad cell is
    listed under ``rejected`` and the other rows are taken. Key: a header or the HTTP Basic password.
    """
    _, data = file_or_body(body, form, "the CSV")
    return _ingest(session, unit, vendors.parse_csv(data, charset=None if form else charset), body)


@router.post(
    "/adapters/dahua", response_model=IngestOut, openapi_extra=_body_doc(**{"application/json": _OBJECT})
)
def post_dahua(session: SessionDep, unit: Device, body: RawBody, charset: Charset) -> IngestOut:
    """Dahua ITC ``TrafficJunction``/``TrafficGate`` events (``client.notifyEventStream`` with its
    ``eventList``, an ``Events`` list, or one event), UTF-8 or GBK; a bad event is rejected alone.

    Key: a header or the HTTP Basic password.
    """
    return _ingest(session, unit, vendors.parse_dahua(_json(body, charset)), body)
