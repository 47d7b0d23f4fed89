"""Actions on one watch: read, renew, lift."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import Allow, IdempotencyDep, Officer, SessionDep
from api.errors import responses
from car_enforce.core.db import RowId
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.watches import service as watches
from car_enforce.watches.schemas import WatchLift, WatchOut, WatchRenew

router = APIRouter(prefix="/api/watches", tags=["watches"], responses=responses(401, 403, 404))
OfficerOrAdmin = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.ADMIN))]


@router.get("/{watch_id}", response_model=WatchOut)
def get_watch(watch_id: RowId, session: SessionDep, who: OfficerOrAdmin) -> WatchOut:
    watch = watches.visible_watch(session, who, watch_id)
    return WatchOut.of(watch, watches.scope_of(session, watch))


@router.post("/{watch_id}/renew", response_model=WatchOut, responses=responses(400, 409, 422))
def renew(
    watch_id: RowId, body: WatchRenew, session: SessionDep, officer: Officer, idem: IdempotencyDep
) -> object:
    """Continue the seizure (续行查封) before it ends, for at most two more years."""
    watch = watches.visible_watch(session, officer, watch_id)

    def run() -> WatchOut:
        renewed = watches.renew_watch(session, actor=officer, watch=watch, data=body)
        return WatchOut.of(renewed, watches.scope_of(session, renewed))

    return idem.run(run, status_code=200)


@router.post("/{watch_id}/lift", response_model=WatchOut, responses=responses(409, 422))
def lift(
    watch_id: RowId, body: WatchLift, session: SessionDep, officer: Officer, idem: IdempotencyDep
) -> object:
    """Lift the watch with a reason; the next queued court's watch on the car takes effect."""
    watch = watches.visible_watch(session, officer, watch_id)

    def run() -> WatchOut:
        lifted = watches.lift_watch(session, actor=officer, watch=watch, data=body)
        return WatchOut.of(lifted, watches.scope_of(session, lifted))

    return idem.run(run, status_code=200)
