"""Keyed requests of a simulator that keeps them in the database: each POST carries an ``Idempotency-Key``;
the same key with the same method, path and body gets the first answer again and acts once, with another
body it is a 409. The payment gateway and the registry answer so."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.simulators.common import require_key
from api.simulators.failure_modes import StoredFaults, respond
from api.simulators.models import KeyedRequest
from car_enforce.core import clock
from car_enforce.core.db import Database, get_database
from car_enforce.core.errors import Conflict

Answer = tuple[int, Any]  # the status and the JSON document
Work = Callable[[Session, Database], Answer]


@dataclass(frozen=True, slots=True)
class KeyedRequests:
    """One simulator's keyed requests, kept in ``table``; each suffers the simulator's staged ``faults``."""

    table: type[KeyedRequest]
    faults: StoredFaults

    def answer(
        self,
        request: Request,
        raw: bytes,
        key: str | None,
        work: Work,
        *,
        keep_answer: bool = True,
        prepare: Callable[[Database], object] | None = None,
    ) -> Response:
        """Run ``work`` once per Idempotency-Key, in one transaction: the same key and body get the first
        answer again.

        The staged failures come first; ``prepare`` runs past them, before the key is looked up.
        ``keep_answer=False`` is for work keyed item by item (a payout batch): its answer, up to a thousand
        transfers, is not stored a second time; the same request runs the work again, which finds every
        item done and answers with what was done.
        """
        key = require_key(key, zh="缺少幂等键（Idempotency-Key）")
        database = get_database()  # the one the request arrived at, even if a slow answer outlives it
        failure = self.faults.before(database)
        if prepare is not None:
            prepare(database)
        digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + raw).hexdigest()
        with database.unit_of_work() as session:
            earlier = self._earlier(session, key, digest)
            if earlier is None:
                record = self.table(
                    idempotency_key=key,
                    request_hash=digest,
                    status_code=0,
                    response=None,
                    created_at=clock.now(),
                )
                try:
                    with session.begin_nested():
                        session.add(record)
                except IntegrityError:
                    earlier = self._earlier(session, key, digest)  # a concurrent duplicate committed first
                    if earlier is None:
                        raise
            if earlier is None:
                status, document = work(session, database)
                record.status_code, record.response = status, document if keep_answer else None
            elif keep_answer:
                status, document = earlier
            else:
                status, document = work(session, database)
        return respond(status, document, failure)

    def _earlier(self, session: Session, key: str, digest: str) -> Answer | None:
        row = session.scalar(select(self.table).where(self.table.idempotency_key == key))
        if row is None:
            return None
        if row.request_hash != digest:
            raise Conflict(
                "this Idempotency-Key was used for a different request; use a new key",
                zh="此幂等键（Idempotency-Key）已用于另一个不同的请求，请使用新的键",
            )
        return row.status_code, row.response
