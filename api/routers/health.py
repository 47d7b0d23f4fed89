"""Liveness and readiness, for a load balancer, an orchestrator and the benchmarks.

``/healthz`` says the process answers. ``/readyz`` says it should be sent traffic: its database answers
and, in a process that takes plate reads, the watch index is loaded, so that a batch is matched in
milliseconds rather than waiting for a million entries to load.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from car_enforce.core.db import get_database
from car_enforce.sightings.index import IndexState, index_of

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)
RETRY_AFTER_S = 1


class Health(BaseModel):
    status: Literal["ok"]


class IndexCheck(BaseModel):
    held: bool  # False: this process takes no reads and never loads the index
    state: IndexState | None = None
    loaded_rows: int | None = None
    seconds: float | None = None
    error: str | None = None


class Checks(BaseModel):
    database: str  # "ok", or the kind of failure (its message, which may name hosts, is only logged)
    watch_index: IndexCheck


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: Checks
    error: str | None = None  # "NotReady" on a 503, as every error of this API names itself
    detail: str | None = None


@router.get("/healthz")
def healthz() -> Health:
    """The process answers; it may still be loading (see `/readyz`)."""
    return Health(status="ok")


def _database_check() -> str:
    try:
        with get_database().session(read_only=True) as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # the process stays up; a probe every second logs at most once a minute
        _log_sparingly(f"readiness: the database does not answer: {exc}")
        return type(exc).__name__
    return "ok"


_last_logged = [float("-inf")]


def _log_sparingly(message: str) -> None:
    if time.monotonic() - _last_logged[0] >= 60:
        _last_logged[0] = time.monotonic()
        log.warning(message)


def _index_check(takes_reads: bool) -> IndexCheck:
    if not takes_reads:
        return IndexCheck(held=False)
    status = index_of(get_database()).status()
    seconds = None if status.seconds is None else round(status.seconds, 2)
    return IndexCheck(
        held=True, state=status.state, loaded_rows=status.loaded_rows, seconds=seconds, error=status.error
    )


def _why_not(checks: Checks) -> str | None:
    reasons = []
    if checks.database != "ok":
        reasons.append(f"the database does not answer ({checks.database})")
    index = checks.watch_index
    if index.held and index.state is not IndexState.READY:
        if index.state is IndexState.FAILED:
            reasons.append(f"loading the watch index failed ({index.error}); it is tried again")
        else:
            reasons.append(f"the watch index is loading: {index.loaded_rows or 0:,} rows read")
    return "; ".join(reasons) or None


@router.get(
    "/readyz",
    response_model=Readiness,
    response_model_exclude_none=True,
    responses={503: {"model": Readiness, "description": "Not ready yet (NotReady): retry after a second"}},
)
def readyz(request: Request) -> Any:
    """Send traffic: the database answers and, if this process takes reads, the watch index is loaded."""
    checks = Checks(database=_database_check(), watch_index=_index_check(bool(request.app.state.takes_reads)))
    why = _why_not(checks)
    if why is None:
        return Readiness(status="ready", checks=checks)
    body = Readiness(status="not_ready", checks=checks, error="NotReady", detail=why)
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
