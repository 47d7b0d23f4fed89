"""The police watch-list feed: a streamed full snapshot and a change feed after a cursor.

A police unit sees the entries whose scope overlaps its own area, and only what it needs to stop a car:
the plate, colour, VIN and description, the watch id and the court's contact; never the debtor or the debt.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from car_enforce.watches.models import WatchlistChange, WatchlistEntry

COLOUR_NAMES = {
    "blue": "蓝",
    "yellow": "黄",
    "green": "绿",
    "yellow_green": "黄绿",
    "white": "白",
    "black": "黑",
}
CHUNK = 5000


class SnapshotFormat(StrEnum):
    JSON = "json"
    CSV = "csv"  # Rekor / OpenALPR alert list: Plate Number,Description,Match Strategy
    GENETEC = "genetec"  # Genetec AutoVu hotlist, ';'-delimited
    PLAIN = "plain"  # one plate per line


MEDIA_TYPES = {
    SnapshotFormat.JSON: "application/json",
    SnapshotFormat.CSV: "text/csv; charset=utf-8",
    SnapshotFormat.GENETEC: "text/plain; charset=utf-8",
    SnapshotFormat.PLAIN: "text/plain; charset=utf-8",
}

_ENTRY_COLUMNS = (
    WatchlistEntry.watch_id,
    WatchlistEntry.plate,
    WatchlistEntry.plate_colour,
    WatchlistEntry.vin,
    WatchlistEntry.description,
    WatchlistEntry.court_name,
    WatchlistEntry.court_phone,
    WatchlistEntry.starts_on,
    WatchlistEntry.expires_on,
)
# The CSV alert list prints only the plate and a description built from these: reading the dates and the
# VIN of a million rows it does not print would cost seconds.
_FORMAT_COLUMNS = {
    SnapshotFormat.CSV: (
        WatchlistEntry.watch_id,
        WatchlistEntry.plate,
        WatchlistEntry.plate_colour,
        WatchlistEntry.description,
        WatchlistEntry.court_name,
        WatchlistEntry.court_phone,
    ),
    SnapshotFormat.PLAIN: (WatchlistEntry.plate,),
}
GENETEC_HEADER = [
    "Category",
    "PlateState",
    "PlateNumber",
    "EffectiveDate",
    "ExpiryDate",
    "PlateColour",
    "VIN",
    "Description",
    "WatchId",
    "Court",
    "CourtPhone",
]


def cursor_of(connection: Connection | Session, scope_ids: Sequence[int]) -> int:
    """The newest change visible to these scopes: a client that holds the snapshot resumes after it."""
    return int(
        connection.execute(
            select(func.coalesce(func.max(WatchlistChange.seq), 0)).where(
                WatchlistChange.scope_jurisdiction_id.in_(scope_ids)
            )
        ).scalar_one()
    )


def newest_seq(session: Session) -> int:
    """The newest change of the whole feed, whatever its area: no cursor beyond it was ever handed out.

    Not the scope's newest: a unit whose area was redrawn may rightly hold a cursor past its new area's.
    """
    newest = session.scalar(select(WatchlistChange.seq).order_by(WatchlistChange.seq.desc()).limit(1))
    return int(newest or 0)


def etag(kind: str, scope_ids: Sequence[int], *parts: object) -> str:
    scope_key = hashlib.sha256(",".join(map(str, sorted(scope_ids))).encode()).hexdigest()[:12]
    return '"' + "-".join([kind, scope_key, *map(str, parts)]) + '"'


def _describe(colour: str, description: str, watch_id: int, court: str, phone: str) -> str:
    colour_name = COLOUR_NAMES.get(colour, colour)
    return f"{colour_name}牌 {description} · 布控#{watch_id} · {court} {phone}".replace("  ", " ").strip()


def _entry_json(row: Any) -> dict[str, Any]:
    return {
        "watch_id": row.watch_id,
        "plate": row.plate,
        "plate_colour": row.plate_colour,
        "vin": row.vin,
        "description": row.description,
        "court": {"name": row.court_name, "phone": row.court_phone},
        "starts_on": row.starts_on.isoformat(),
        "expires_on": row.expires_on.isoformat(),
    }


def _csv_rows(rows: Sequence[Any]) -> list[tuple[str, str, str]]:
    # "lenient" lets the police reader alert on near-misses too: a missed hit costs more than a second
    # look by the officer at the roadside.
    return [
        (plate, _describe(colour, description, watch_id, court, phone), "lenient")
        for watch_id, plate, colour, description, court, phone in rows
    ]


def _genetec_rows(rows: Sequence[Any]) -> list[list[Any]]:
    return [
        [
            "court-watch",
            row.plate[0],
            row.plate,
            row.starts_on.isoformat(),
            row.expires_on.isoformat(),
            row.plate_colour,
            row.vin or "",
            row.description,
            row.watch_id,
            row.court_name,
            row.court_phone,
        ]
        for row in rows
    ]


def stream_snapshot(
    connection: Connection, scope_ids: Sequence[int], fmt: SnapshotFormat, cursor: int, generated_at: str
) -> Iterator[bytes]:
    """Yield the snapshot in chunks; the whole list is never held in memory. Closes the connection.

    A million entries must stream in seconds (DESIGN §8): each chunk of rows is written in one call with
    one CSV writer, and only the columns the format prints are read.
    """
    try:
        columns = _FORMAT_COLUMNS.get(fmt, _ENTRY_COLUMNS)
        result = connection.execution_options(stream_results=True, yield_per=CHUNK).execute(
            select(*columns).where(WatchlistEntry.scope_jurisdiction_id.in_(scope_ids))
        )
        buf = io.StringIO()
        writer = csv.writer(
            buf, delimiter=";" if fmt is SnapshotFormat.GENETEC else ",", lineterminator="\r\n"
        )
        if fmt is SnapshotFormat.JSON:
            buf.write(json.dumps({"cursor": cursor, "generated_at": generated_at})[:-1] + ', "entries": [')
        elif fmt is SnapshotFormat.CSV:
            writer.writerow(["Plate Number", "Description", "Match Strategy"])
        elif fmt is SnapshotFormat.GENETEC:
            writer.writerow(GENETEC_HEADER)
        first = True
        for rows in result.partitions():
            if fmt is SnapshotFormat.JSON:
                for row in rows:
                    buf.write(("" if first else ",") + json.dumps(_entry_json(row), ensure_ascii=False))
                    first = False
            elif fmt is SnapshotFormat.CSV:
                writer.writerows(_csv_rows(rows))
            elif fmt is SnapshotFormat.GENETEC:
                writer.writerows(_genetec_rows(rows))
            else:
                buf.write("".join([row[0] + "\n" for row in rows]))
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
        if fmt is SnapshotFormat.JSON:
            buf.write("]}")
        tail = buf.getvalue()
        if tail:
            yield tail.encode()
    finally:
        connection.rollback()
        connection.close()


@dataclass(frozen=True)
class ChangePage:
    changes: list[dict[str, Any]]
    cursor: int
    has_more: bool


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


_CHANGE_COLUMNS = (
    WatchlistChange.seq,
    WatchlistChange.kind,
    WatchlistChange.at,
    WatchlistChange.watch_id,
    WatchlistChange.plate,
    WatchlistChange.plate_colour,
    WatchlistChange.vin,
    WatchlistChange.description,
    WatchlistChange.court_name,
    WatchlistChange.court_phone,
    WatchlistChange.starts_on,
    WatchlistChange.expires_on,
)


def changes_after(session: Session, scope_ids: Sequence[int], after: int, limit: int) -> ChangePage:
    """The changes after a cursor, oldest first, at most ``limit`` of them."""
    # Plain tuples, not ORM objects or named rows: a police poller reads a thousand at a time (DESIGN §8).
    rows = session.execute(
        select(*_CHANGE_COLUMNS)
        .where(WatchlistChange.scope_jurisdiction_id.in_(scope_ids), WatchlistChange.seq > after)
        .order_by(WatchlistChange.seq)
        .limit(limit + 1)
    ).all()
    page = rows[:limit]
    changes = [
        {
            "seq": seq,
            "kind": kind,
            "at": at.isoformat(),
            "watch_id": watch_id,
            "entry": {
                "plate": plate,
                "plate_colour": colour,
                "vin": vin,
                "description": description,
                "court": {"name": court_name, "phone": court_phone},
                "starts_on": _iso(starts_on),
                "expires_on": _iso(expires_on),
            },
        }
        for (
            seq,
            kind,
            at,
            watch_id,
            plate,
            colour,
            vin,
            description,
            court_name,
            court_phone,
            starts_on,
            expires_on,
        ) in page
    ]
    return ChangePage(changes=changes, cursor=page[-1][0] if page else after, has_more=len(rows) > limit)
