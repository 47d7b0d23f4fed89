"""The watch-list feed for police systems: a streamed snapshot and a change feed, scoped to an area."""

from __future__ import annotations

import json

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.deps import PoliceAdapter, SessionDep
from api.errors import ErrorOut, responses
from car_enforce.core import clock
from car_enforce.core.db import get_database
from car_enforce.core.errors import CursorBeyondEnd, Forbidden
from car_enforce.core.geo.service import overlapping_jurisdiction_ids
from car_enforce.core.identity.principal import Principal
from car_enforce.watches import feed

router = APIRouter(prefix="/api/police/watchlist", tags=["police"], responses=responses(401, 403))


class CourtContact(BaseModel):
    name: str
    phone: str


class EntryOut(BaseModel):
    plate: str
    plate_colour: str
    vin: str | None
    description: str
    court: CourtContact
    starts_on: str | None
    expires_on: str | None


class ChangeOut(BaseModel):
    seq: int
    kind: str
    at: str
    watch_id: int
    entry: EntryOut


class ChangesOut(BaseModel):
    cursor: int
    has_more: bool
    changes: list[ChangeOut]


def _scope_ids(session: Session, unit: Principal) -> list[int]:
    if unit.jurisdiction_id is None:
        raise Forbidden(
            "this police unit has no area on the platform; ask an administrator to set it",
            zh="平台上没有登记此公安交警单位的辖区，请联系平台管理员设置",
        )
    return overlapping_jurisdiction_ids(session, unit.jurisdiction_id)


@router.get(
    "/snapshot",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {m: {} for m in feed.MEDIA_TYPES.values()},
            "description": "Every active entry in the unit's area, streamed",
        },
        304: {"description": "Not modified since the ETag given"},
    },
)
def snapshot(
    session: SessionDep,
    unit: PoliceAdapter,
    format: feed.SnapshotFormat = Query(feed.SnapshotFormat.JSON),
    if_none_match: str | None = Header(default=None),
) -> Response:
    """The full watch list of the unit's area. `X-Watchlist-Cursor` is where the change feed resumes."""
    scope_ids = _scope_ids(session, unit)
    database = get_database()
    # The cursor and the rows come from one read snapshot, so no change falls between them.
    connection = database.engine.connect()
    if not database.sqlite:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    else:
        connection = connection.execution_options(sqlite_begin="DEFERRED")
    try:
        connection.begin()
        cursor = feed.cursor_of(connection, scope_ids)
    except BaseException:
        connection.close()
        raise
    tag = feed.etag("wl", scope_ids, format.value, cursor)
    headers = {"ETag": tag, "X-Watchlist-Cursor": str(cursor), "Cache-Control": "no-cache"}
    if if_none_match == tag:
        connection.close()
        return Response(status_code=304, headers=headers)
    generated_at = clock.now().isoformat()
    return StreamingResponse(
        feed.stream_snapshot(connection, scope_ids, format, cursor, generated_at),
        media_type=feed.MEDIA_TYPES[format],
        headers=headers,
    )


@router.get(
    "/changes",
    response_model=ChangesOut,
    responses={
        304: {"description": "No change since the ETag"},
        409: {
            "model": ErrorOut,
            "description": "The cursor is beyond the newest change (CursorBeyondEnd): resynchronise from "
            "the snapshot",
        },
    },
)
def changes(
    session: SessionDep,
    unit: PoliceAdapter,
    after: int = Query(0, ge=0, le=2**62, description="The cursor of the last change already applied"),
    limit: int = Query(1000, ge=1, le=10000),
    if_none_match: str | None = Header(default=None),
) -> Response:
    """Entries issued, renewed, lifted or lapsed after the cursor, oldest first.

    A cursor beyond the newest change was never handed out by this platform (its database was restored,
    or the cursor is another platform's): 409, and the client reloads the snapshot.
    """
    scope_ids = _scope_ids(session, unit)
    page = feed.changes_after(session, scope_ids, after, limit)
    # Only an empty page can hide a cursor beyond the end, so a page with changes costs no extra query.
    if not page.changes and after > (newest := feed.newest_seq(session)):
        raise CursorBeyondEnd(
            f"after={after} is beyond the newest change of this platform's watch list (cursor {newest}); "
            "it was not handed out here (a restored database, or another platform's cursor), so the list "
            f"held cannot be brought up to date: replace it with GET {router.prefix}/snapshot and resume "
            "the change feed from that snapshot's X-Watchlist-Cursor",
            zh=f"游标 after={after} 超出本平台布控名单的最新变更（{newest}），不是本平台发出的游标；"
            "请重新获取名单快照，并从快照的 X-Watchlist-Cursor 起接收变更",
        )
    tag = feed.etag("wlc", scope_ids, after, limit, page.cursor)
    if if_none_match == tag:
        return Response(status_code=304, headers={"ETag": tag})
    # The page is built from plain rows into the documented shape (ChangesOut); returning it as JSON
    # directly skips validating a thousand entries a second time on the hot polling path.
    document = {"cursor": page.cursor, "has_more": page.has_more, "changes": page.changes}
    return Response(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        media_type="application/json",
        headers={"ETag": tag},
    )
