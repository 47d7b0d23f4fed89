"""What the watches domain does when other domains' events happen."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal
from car_enforce.watches.models import Watch
from car_enforce.watches.service import release_held_car


def car_left_custody(session: Session, recorded: Recorded) -> None:
    """``custody.released``: the fulfilled watch that held the car ends; queued ones end or take effect."""
    context = recorded.event.context
    watch_id = context.get("watch_id")
    watch = session.get(Watch, watch_id) if watch_id is not None else None
    actor = recorded.actor
    assert isinstance(actor, Principal)
    release_held_car(
        session,
        actor=actor,
        watch=watch,
        vehicle_id=context["vehicle_id"],
        sold=context["sold"],
        reason=context["why"],
    )
