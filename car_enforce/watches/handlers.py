"""What the watches domain does when other domains' events happen."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase
from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal
from car_enforce.watches.models import LiftReason, Watch, WatchStatus
from car_enforce.watches.schemas import WatchLift
from car_enforce.watches.service import lift_watch, release_held_car, watches_of_case


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


def debtor_paid(session: Session, recorded: Recorded) -> None:
    """``case.debtor_paid``: every watch of the case still looking for a car, or queued, is lifted."""
    case = session.get(EnforcementCase, recorded.event.data["case_id"])
    actor = recorded.actor
    assert case is not None and isinstance(actor, Principal)
    for watch in watches_of_case(session, case):
        if watch.status in (WatchStatus.ACTIVE, WatchStatus.QUEUED):
            lift_watch(
                session,
                actor=actor,
                watch=watch,
                data=WatchLift(reason=LiftReason.DEBTOR_PAID, note="被执行人已履行完毕"),
            )
