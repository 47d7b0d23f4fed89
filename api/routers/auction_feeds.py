"""The public lots for machines: the JSON list and lot, and the RSS, Atom and JSON Feed feeds. Open to anyone;
nothing personal in them (``auction.feeds``). Each answer carries an ETag (a digest of its bytes) and the
time its newest round last changed; a client that sends the ETag back gets 304 while nothing changed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import SessionDep
from api.errors import responses
from auction import feeds, syndication
from car_enforce.core import clock
from car_enforce.core.db import MAX_ROW_ID, RowId
from car_enforce.core.settings import get_settings

router = APIRouter(tags=["auction: public"])
Before = Annotated[
    int | None,
    Query(ge=1, le=MAX_ROW_ID, description="a round of the previous page's end: the page of rounds after it"),
]
Limit = Annotated[int, Query(ge=1, le=100)]
# Machines may keep a feed a minute; the JSON is asked again each time (with its ETag, cheaply).
FEED_CACHE = "public, max-age=60"
JSON_CACHE = "no-cache"


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str | None, etag: str) -> bool:
    """If-None-Match by the weak comparison (RFC 9110 §13.1.2): a list of tags, or *."""
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def conditional(
    request: Request, body: bytes, media_type: str, modified: datetime, cache: str = JSON_CACHE
) -> Response:
    """The answer with its validators, or 304 with them alone when the client holds this very answer."""
    etag = _etag(body)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(clock.as_utc(modified), usegmt=True),
        "Cache-Control": cache,
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _content(media: str, schema: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media.split(";")[0]: {"schema": schema or {"type": "string"}}}},
        304: {"description": "Not modified"},
    }


@router.get(
    "/api/public/lots",
    response_model=feeds.PublicLotList,
    responses={304: {"description": "Not modified"}, **responses(422)},
)
def list_lots(request: Request, session: SessionDep, before: Before = None, limit: Limit = 20) -> Response:
    """The public rounds, the latest announced first, a page at a time (`next_before` gives the next)."""
    page = feeds.public_lots(session, before=before, limit=limit)
    modified = syndication.last_modified(page.items, clock.now())
    return conditional(request, page.model_dump_json().encode(), "application/json", modified)


@router.get(
    "/api/public/lots/{round_id}",
    response_model=feeds.PublicLotPage,
    responses={304: {"description": "Not modified"}, **responses(404)},
)
def get_lot(
    round_id: Annotated[RowId, Path(description="the round")], request: Request, session: SessionDep
) -> Response:
    """One public round: its terms and state, the announcement's items, the car's photos and inspection."""
    page = feeds.lot_page(session, round_id)
    return conditional(request, page.model_dump_json().encode(), "application/json", page.updated_at)


def _feed(
    request: Request,
    session: SessionDep,
    media: str,
    build: Callable[[list[feeds.PublicLot], syndication.Site, datetime], bytes],
) -> Response:
    lots = feeds.public_lots(session, limit=feeds.FEED_SIZE).items
    # With no lot yet, the feed is as old as the first instant anything could be in it.
    modified = syndication.last_modified(lots, datetime(2026, 1, 1, tzinfo=UTC))
    body = build(lots, syndication.Site(get_settings().public_base_url), modified)
    return conditional(request, body, media, modified, FEED_CACHE)


@router.get("/feeds/lots.rss", response_class=Response, responses=_content(syndication.RSS_TYPE))
def rss(request: Request, session: SessionDep) -> Response:
    """RSS 2.0 of the newest public rounds."""
    return _feed(request, session, syndication.RSS_TYPE, lambda x, s, u: syndication.rss(x, s, updated=u))


@router.get("/feeds/lots.atom", response_class=Response, responses=_content(syndication.ATOM_TYPE))
def atom(request: Request, session: SessionDep) -> Response:
    """Atom 1.0 (RFC 4287) of the newest public rounds."""
    return _feed(request, session, syndication.ATOM_TYPE, lambda x, s, u: syndication.atom(x, s, updated=u))


@router.get(
    "/feeds/lots.json",
    response_class=Response,
    # A JSON Feed is a JSON object (https://jsonfeed.org/version/1.1), not a string.
    responses=_content(syndication.JSON_FEED_TYPE, {"type": "object"}),
)
def json_feed(request: Request, session: SessionDep) -> Response:
    """JSON Feed 1.1 of the newest public rounds."""
    return _feed(request, session, syndication.JSON_FEED_TYPE, lambda x, s, _u: syndication.json_feed(x, s))
