"""The simulated gateway's notifications: queued in the transaction that causes them, sent after its commit.

Each message is a row; once the transaction commits, a thread of its own posts it to its notify URL,
signed the Standard Webhooks way afresh at each try, and tries again with doubling waits until the
receiver answers 2xx or the tries run out. The row records how it went. ``wait_for_deliveries`` lets a
test (or the demo) wait until every send under way has ended.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.simulators.models import SimFailureMode, SimPaymentWebhook
from car_enforce.core import clock
from car_enforce.core.db import Database, on_commit
from car_enforce.core.outbound import standard_webhooks

log = logging.getLogger(__name__)

SIMULATOR = "payments"
SEND_TIMEOUT_S = 5.0
MAX_ERROR_CHARS = 200

_lock = threading.Lock()
_sending: set[threading.Thread] = set()


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    secret: str  # the whsec_ secret the platform verifies with
    attempts: int
    backoff_s: float  # the first wait; each next one is twice as long


def queue(
    session: Session,
    database: Database,
    policy: DeliveryPolicy,
    *,
    type_: str,
    url: str,
    data: dict[str, Any],
) -> str:
    """Store one notification and send it once the session commits; its message id."""
    message_id = f"msg_{secrets.token_hex(12)}"
    document = {"type": type_, "timestamp": clock.now().isoformat(), "data": data}
    session.add(
        SimPaymentWebhook(
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
    on_commit(session, lambda: start(database, policy, message_id))
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


def start(database: Database, policy: DeliveryPolicy, message_id: str) -> None:
    """Send one stored message in a thread of its own (again, for a redelivery)."""
    thread = threading.Thread(
        target=_send, args=(database, policy, message_id), name=f"sim-payments-{message_id}", daemon=True
    )
    with _lock:
        _sending.add(thread)
    thread.start()


@functools.cache
def _tls() -> ssl.SSLContext:
    # Made once: loading the certificate authorities for each message cost more than sending it.
    return httpx.create_ssl_context()


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
            raise TimeoutError(f"{len(running)} payment notifications still being sent")
        running[0].join(left)


def _send(database: Database, policy: DeliveryPolicy, message_id: str) -> None:
    try:
        with database.unit_of_work(read_only=True) as session:
            row = session.scalar(select(SimPaymentWebhook).where(SimPaymentWebhook.message_id == message_id))
            if row is None:
                return
            url, body, rightly = row.url, row.body.encode(), row.signed_rightly
        # A wrong key of the same shape: what a receiver holding the right secret must refuse.
        secret = policy.secret if rightly else "wrong-" + policy.secret
        with httpx.Client(timeout=SEND_TIMEOUT_S, follow_redirects=False, verify=_tls()) as http:
            for attempt in range(1, policy.attempts + 1):
                headers = standard_webhooks.sign(secret, message_id, int(clock.now().timestamp()), body)
                headers["Content-Type"] = "application/json"
                status: int | None = None
                error = ""
                try:
                    status = http.post(url, content=body, headers=headers).status_code
                except httpx.HTTPError as exc:
                    error = f"network error ({type(exc).__name__})"
                delivered = status is not None and 200 <= status < 300
                last = delivered or attempt == policy.attempts
                _record(database, message_id, status, error, delivered=delivered, last=last)
                if delivered:
                    return
                if not last:
                    time.sleep(policy.backoff_s * 2 ** (attempt - 1))
    except Exception:  # a thread's failure would otherwise vanish; the row keeps its last state
        log.exception("sending payment notification %s failed", message_id)
    finally:
        with _lock:
            _sending.discard(threading.current_thread())


def _record(
    database: Database, message_id: str, status: int | None, error: str, *, delivered: bool, last: bool
) -> None:
    with database.unit_of_work() as session:
        row = session.scalar(select(SimPaymentWebhook).where(SimPaymentWebhook.message_id == message_id))
        if row is None:
            return
        row.attempts += 1
        row.last_status = status
        row.last_error = error[:MAX_ERROR_CHARS] or (f"HTTP {status}" if not delivered else "")
        if delivered:
            row.status, row.delivered_at = "delivered", clock.now()
        elif last:
            row.status = "failed"
