"""What the registry's outbox hears from the domains below it (registered in ``api.wiring``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase
from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal
from car_enforce.registry.client import SeizureStatus
from car_enforce.registry.models import RegistryRequest, RequestKind, RequestStatus
from car_enforce.registry.service import queue_release


def debtor_paid(session: Session, recorded: Recorded) -> None:
    """``case.debtor_paid``: each seizure the case holds (or has on its way) at the registry is released by
    a 协助执行通知书 (查封规定 Art. 28)."""
    case = session.get(EnforcementCase, recorded.event.data["case_id"])
    actor = recorded.actor
    assert case is not None and isinstance(actor, Principal)
    held = session.scalars(
        select(RegistryRequest).where(
            RegistryRequest.kind == RequestKind.SEIZE,
            RegistryRequest.case_id == case.id,
            RegistryRequest.status.in_((RequestStatus.QUEUED, RequestStatus.SENT, RequestStatus.DONE)),
        )
    )
    vehicles = sorted(
        {r.vehicle_id for r in held if r.registry_status in ("", SeizureStatus.ACTIVE, SeizureStatus.QUEUED)}
    )
    for vehicle_id in vehicles:
        queue_release(
            session,
            actor=actor,
            case_id=case.id,
            vehicle_id=vehicle_id,
            notice_number=f"{case.case_number}（履行完毕解除查封）",
        )
