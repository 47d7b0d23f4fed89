"""The simulated registry's callbacks: queued in the transaction that causes them, sent after its commit.

Each message is a row; once the transaction commits, a thread of its own sends it through the simulators'
one signed delivery (``signed_delivery``: Standard Webhooks, signed afresh at each try, tried again on a
network error or a 5xx) and records how it went. ``wait_for_deliveries`` lets a test (or the demo) wait
until every send under way has ended.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.simulators import signed_delivery
from api.simulators.models import SimFailureMode, SimRegistryMessage
from car_enforce.core import clock
from car_enforce.core.db import Database, on_commit

log = logging.getLogger(__name__)

SIMULATOR: Final = "registry"
MAX_ERROR_CHARS: Final = 200

_lock = threading.Lock()
_sending: set[threading.Thread] = set()


def queue(
    session: Session, database: Database, secret: str, *, type_: str, url: str, data: dict[str, Any]
) -> str:
    """Store one callback and send it once the session commits; its message id."""
    message_id = f"msg_{secrets.token_hex(12)}"
    document = {"type": type_, "timestamp": clock.now().isoformat(), "data": data}
    session.add(
        SimRegistryMessage(
            message_id=message_id,
            type=type_,
            url=url,
            body=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
            signed_rightly=not _take_bad_signature(session),
            status="pending",
            attempts=0,
            last_status=None,
            last_error="",
            created_at=clock.now(),
            delivered_at=None,
        )
    )
    on_commit(session, lambda: start(database, secret, message_id))
    return message_id


def _take_bad_signature(session: Session) -> bool:
    # In the caller's transaction: a second one would wait on SQLite's write lock that the caller holds.
    row = session.execute(
        select(SimFailureMode).where(SimFailureMode.simulator == SIMULATOR).with_for_update()
    ).scalar_one_or_none()
    if row is None or row.mode != "bad_signature" or row.remaining <= 0:
        return False
    row.remaining -= 1
    row.updated_at = clock.now()
    return True


def start(database: Database, secret: str, message_id: str) -> None:
    """Send one stored message in a thread of its own (again, for a redelivery)."""
    thread = threading.Thread(
        target=_send, args=(database, secret, message_id), name=f"sim-registry-{message_id}", daemon=True
    )
    with _lock:
        _sending.add(thread)
    thread.start()


def wait_for_deliveries(timeout_s: float = 10.0) -> None:
    """Return once every send under way has ended; TimeoutError if one is still going after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        with _lock:
            running = [t for t in _sending if t.is_alive()]
        if not running:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{len(running)} registry callbacks still being sent")
        running[0].join(left)


def _send(database: Database, secret: str, message_id: str) -> None:
    try:
        with database.unit_of_work(read_only=True) as session:
            row = session.scalar(
                select(SimRegistryMessage).where(SimRegistryMessage.message_id == message_id)
            )
            if row is None:
                return
            url, body, rightly = row.url, row.body.encode(), row.signed_rightly
        # A wrong key of the same shape: what a receiver holding the right secret must refuse.
        sent = asyncio.run(
            signed_delivery.deliver(url, secret if rightly else "wrong-" + secret, message_id, body)
        )
        delivered = sent.status is not None and 200 <= sent.status < 300
        with database.unit_of_work() as session:
            row = session.scalar(
                select(SimRegistryMessage).where(SimRegistryMessage.message_id == message_id)
            )
            if row is None:
                return
            row.attempts += sent.tries
            row.last_status = sent.status
            row.last_error = (sent.error or ("" if delivered else f"HTTP {sent.status}"))[:MAX_ERROR_CHARS]
            if delivered:
                row.status, row.delivered_at = "delivered", clock.now()
            else:
                row.status = "failed"
    except Exception:  # a thread's failure would otherwise vanish; the row keeps its last state
        log.exception("sending registry callback %s failed", message_id)
    finally:
        with _lock:
            _sending.discard(threading.current_thread())
