"""What custody does when other domains' events happen."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase, Party
from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody, CustodyStatus, ReleaseKind
from car_enforce.custody.release import issue_order, open_order_of
from car_enforce.custody.schemas import ReleaseOrderIn
from car_enforce.vehicles.models import CaseVehicle


def debtor_paid(session: Session, recorded: Recorded) -> None:
    """``case.debtor_paid``: each of the case's cars at a center is ordered back to its owner (查封规定 Art.
    28), on the gate's check of the owner's ID like any release."""
    case = session.get(EnforcementCase, recorded.event.data["case_id"])
    actor = recorded.actor
    assert case is not None and isinstance(actor, Principal)
    held = session.scalars(
        select(Custody).where(Custody.case_id == case.id, Custody.status == CustodyStatus.IN_CUSTODY)
    )
    for custody in held:
        if open_order_of(session, custody) is not None:
            continue  # the court has ordered this car's release already
        owner = session.scalar(
            select(Party)
            .join(CaseVehicle, CaseVehicle.owner_party_id == Party.id)
            .where(CaseVehicle.case_id == case.id, CaseVehicle.vehicle_id == custody.vehicle_id)
        )
        if owner is None:
            continue  # a car in the yard of no debtor of this case: the officer decides
        issue_order(
            session,
            actor=actor,
            custody=custody,
            data=ReleaseOrderIn(
                kind=ReleaseKind.RETURN_TO_OWNER,
                document_number=f"{case.case_number}（履行完毕解除扣押）",
                recipient_name=owner.name,
                recipient_id_number=owner.id_number,
                notes="被执行人已履行完毕，解除扣押，车辆退还所有人",
            ),
        )
