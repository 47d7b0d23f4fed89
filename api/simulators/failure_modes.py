"""The failures a test stages on a simulator kept in the database (``POST .../failure-mode``), and how the
simulator acts them out.

One row a simulator: the next ``remaining`` requests (error500, slow, malformed) or the next things it
does (a payment gateway's declined transfers, a wrongly signed message) go wrong the way ``mode`` says.
Kept in the database, not process memory, so every server process serving the simulator acts alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.simulators.common import SimulatedFailure
from api.simulators.models import SimFailureMode
from car_enforce.core import clock
from car_enforce.core.db import Database, get_database

REQUEST_MODES: Final = ("error500", "slow", "malformed")  # the ones a request itself suffers


class FailureModeIn(BaseModel):
    """What a test stages; each simulator narrows ``mode`` to the ones it acts out."""

    mode: str
    count: int = Field(default=1, ge=0, le=10_000, description="How many of the next requests it applies to")
    delay_s: float = Field(default=3.0, ge=0, le=60, description="How long a slow answer waits")


class FailureModeOut(BaseModel):
    mode: str
    remaining: int
    delay_s: float


@dataclass(frozen=True, slots=True)
class Failure:
    """A staged failure one request took."""

    mode: str
    delay_s: float


def respond(status: int, document: Any, failure: Failure | None) -> Response:
    """The answer to a request that acted: garbled when the failure it took says so."""
    if failure is not None and failure.mode == "malformed":
        # The simulator acted and committed; only its answer is garbled, so a retry must be deduplicated.
        return JSONResponse({"ok": True}, status_code=200)
    return JSONResponse(document, status_code=status)


def _staged(session: Session, simulator: str) -> SimFailureMode | None:
    return session.execute(
        select(SimFailureMode).where(SimFailureMode.simulator == simulator).with_for_update()
    ).scalar_one_or_none()


def use_up(session: Session, simulator: str, mode: str, wanted: int = 1) -> int:
    """How many of the next ``wanted`` things ``simulator`` does its staged ``mode`` spoils (transfers
    declined, messages signed wrongly); that many used up.

    In the caller's transaction: a second one would wait on SQLite's write lock that the caller holds.
    """
    if wanted <= 0:
        return 0
    row = _staged(session, simulator)
    if row is None or row.mode != mode or row.remaining <= 0:
        return 0
    used = min(wanted, row.remaining)
    row.remaining -= used
    row.updated_at = clock.now()
    return used


@dataclass(frozen=True, slots=True)
class StoredFaults:
    """One simulator's staged failures; ``detail`` and ``zh`` are what its error500 answers."""

    simulator: str
    detail: str
    zh: str

    def before(self, database: Database) -> Failure | None:
        """Use up one staged request failure, if one is staged, and act it out: a 500 raised, a slow answer
        waited out; the failure, for ``respond``.

        Taken in a transaction of its own, so the count goes down even when the request then fails, and a
        slow answer does not hold the database (on SQLite, its write lock) while it waits.
        """
        with database.unit_of_work() as session:
            row = _staged(session, self.simulator)
            if row is None or row.mode not in REQUEST_MODES or row.remaining <= 0:
                return None
            row.remaining -= 1
            row.updated_at = clock.now()
            failure = Failure(row.mode, row.delay_s)
        if failure.mode == "error500":
            raise SimulatedFailure(self.detail, zh=self.zh)
        if failure.mode == "slow":
            time.sleep(failure.delay_s)  # then act and answer: the caller has likely timed out and will retry
        return failure

    def stage(self, database: Database, body: FailureModeIn) -> FailureModeOut:
        """Stage ``body``'s failure for the next ``count``; "ok" clears it."""
        remaining = 0 if body.mode == "ok" else body.count
        with database.unit_of_work() as session:
            row = session.get(SimFailureMode, self.simulator, with_for_update=True)
            if row is None:
                row = SimFailureMode(
                    simulator=self.simulator, mode="ok", remaining=0, delay_s=0.0, updated_at=clock.now()
                )
                session.add(row)
            row.mode, row.remaining, row.delay_s = body.mode, remaining, body.delay_s
            row.updated_at = clock.now()
            return FailureModeOut(mode=row.mode, remaining=row.remaining, delay_s=row.delay_s)

    def read(
        self, read: Callable[[Session], Any], *, prepare: Callable[[Database], object] | None = None
    ) -> Response:
        """A read (200) that suffers the staged request failures; ``prepare`` runs first, past them."""
        database = get_database()
        failure = self.before(database)
        if prepare is not None:
            prepare(database)
        with database.unit_of_work(read_only=True) as session:
            document = read(session)
        return respond(200, document, failure)
