"""A simulator's signed messages kept in its own table: queued in the transaction that causes them, sent
after its commit.

Each message is a row; once the transaction commits, a thread of its own sends it through
``signed_delivery`` (signed afresh at each try, tried again as the simulator's ``Retries`` say) and records
every try on the row. A staged ``bad_signature`` failure signs the next message with a wrong key.
``wait`` lets a test (or the demo) wait until every send under way has ended. The payment gateway's
notifications and the registry's callbacks go this way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.simulators import signed_delivery
from api.simulators.common import compact_json
from api.simulators.failure_modes import use_up
from api.simulators.models import OutboundMessage
from car_enforce.core import clock
from car_enforce.core.db import Database, on_commit

log = logging.getLogger(__name__)

MAX_ERROR_CHARS: Final = 200
MAX_LISTED: Final = 1000


@dataclass(frozen=True, slots=True)
class Sending:
    secret: str  # the whsec_ secret the platform verifies with
    retries: signed_delivery.Retries


class Outbox:
    """One simulator's messages, kept in ``table``; ``what`` names one ("payment notification")."""

    def __init__(self, simulator: str, table: type[OutboundMessage], what: str) -> None:
        self.simulator = simulator
        self.table = table
        self.what = what
        self._lock = threading.Lock()
        self._sending: set[threading.Thread] = set()

    def queue(
        self,
        session: Session,
        database: Database,
        sending: Sending,
        *,
        type_: str,
        url: str,
        data: dict[str, Any],
    ) -> str:
        """Store one message and send it once the session commits; its message id."""
        message_id = f"msg_{secrets.token_hex(12)}"
        document = {"type": type_, "timestamp": clock.now().isoformat(), "data": data}
        session.add(
            self.table(
                message_id=message_id,
                type=type_,
                url=url,
                body=compact_json(document),
                signed_rightly=use_up(session, self.simulator, "bad_signature") == 0,
                status="pending",
                attempts=0,
                last_status=None,
                last_error="",
                created_at=clock.now(),
                delivered_at=None,
            )
        )
        on_commit(session, lambda: self.start(database, sending, message_id))
        return message_id

    def redeliver(self, database: Database, sending: Sending, message_id: str) -> bool:
        """Send a stored message again under its id; False if there is none."""
        with database.unit_of_work(read_only=True) as session:
            found = session.scalar(select(self.table.id).where(self.table.message_id == message_id))
        if found is None:
            return False
        self.start(database, sending, message_id)
        return True

    def listing(self, database: Database, limit: int) -> list[dict[str, Any]]:
        """The latest ``limit`` messages and how their delivery went, newest last."""
        table = self.table
        with database.unit_of_work(read_only=True) as session:
            query = select(table).order_by(table.id.desc()).limit(max(1, min(limit, MAX_LISTED)))
            return [
                {
                    "message_id": r.message_id,
                    "type": r.type,
                    "url": r.url,
                    "body": json.loads(r.body),
                    "signed_rightly": r.signed_rightly,
                    "status": r.status,
                    "attempts": r.attempts,
                    "last_status": r.last_status,
                    "last_error": r.last_error,
                }
                for r in reversed(list(session.scalars(query)))
            ]

    def start(self, database: Database, sending: Sending, message_id: str) -> None:
        """Send one stored message in a thread of its own."""
        thread = threading.Thread(
            target=self._send,
            args=(database, sending, message_id),
            name=f"sim-{self.simulator}-{message_id}",
            daemon=True,
        )
        with self._lock:
            self._sending.add(thread)
        thread.start()

    def wait(self, timeout_s: float = 10.0) -> None:
        """Return once every send under way has ended; TimeoutError if one still goes after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                running = [t for t in self._sending if t.is_alive()]
            if not running:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(running)} {self.what}s still being sent")
            running[0].join(left)

    def _send(self, database: Database, sending: Sending, message_id: str) -> None:
        try:
            with database.unit_of_work(read_only=True) as session:
                row = self._row(session, message_id)
                if row is None:
                    return
                url, body, rightly = row.url, row.body.encode(), row.signed_rightly
            # A wrong key of the same shape: what a receiver holding the right secret must refuse.
            secret = sending.secret if rightly else "wrong-" + sending.secret

            def record(sent: signed_delivery.Delivery, last: bool) -> None:
                self._record(database, message_id, sent, last=last)

            asyncio.run(signed_delivery.deliver(url, secret, message_id, body, sending.retries, record))
        except Exception:  # a thread's failure would otherwise vanish; the row keeps its last state
            log.exception("sending %s %s failed", self.what, message_id)
        finally:
            with self._lock:
                self._sending.discard(threading.current_thread())

    def _record(
        self, database: Database, message_id: str, sent: signed_delivery.Delivery, *, last: bool
    ) -> None:
        """One try on the row: delivered, failed after the last, else still pending."""
        with database.unit_of_work() as session:
            row = self._row(session, message_id)
            if row is None:
                return
            row.attempts += 1
            row.last_status = sent.status
            error = sent.error or ("" if sent.delivered else f"HTTP {sent.status}")
            row.last_error = error[:MAX_ERROR_CHARS]
            if sent.delivered:
                row.status, row.delivered_at = "delivered", clock.now()
            elif last:
                row.status = "failed"

    def _row(self, session: Session, message_id: str) -> OutboundMessage | None:
        return session.scalar(select(self.table).where(self.table.message_id == message_id))
