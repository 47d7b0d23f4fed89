"""What custody does when other domains' events happen."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.case_money.accounts import CostKind
from car_enforce.case_money.entries import charge_cost
from car_enforce.case_money.payees import organisation_payee
from car_enforce.cases.models import EnforcementCase, Party
from car_enforce.core.errors import Conflict
from car_enforce.core.events import Recorded
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.costs import statement
from car_enforce.custody.models import ChargeKind, Custody, CustodyStatus, ReleaseKind
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


log = logging.getLogger(__name__)
CHARGE_COSTS = {
    ChargeKind.TOWING: CostKind.TOWING,
    ChargeKind.STORAGE: CostKind.STORAGE,
    ChargeKind.INSPECTION: CostKind.INSPECTION,
    ChargeKind.OTHER: CostKind.OTHER,
}


def costs_to_case(session: Session, recorded: Recorded) -> None:
    """``custody.released``: the car's costs at the center (towing, inspection, storage to the day it left)
    are charged to the case, owed to the center and paid first from the money (执行工作规定 item 34; 网拍规定
    Art. 7); each once, by its key."""
    custody = session.get(Custody, recorded.event.data["custody_id"])
    case = session.get(EnforcementCase, custody.case_id) if custody is not None else None
    actor = recorded.actor
    assert custody is not None and case is not None and isinstance(actor, Principal)
    try:
        owed = statement(session, custody)
    except Conflict:
        # No tariff priced a day of the stay: the car still leaves (its release is the court's order); the
        # charges are left for the officer to enter on the case's account by hand.
        log.warning("custody %s left without a priced statement; its costs are not charged", custody.id)
        return
    if owed.total_fen <= 0:
        return
    payee_id = organisation_payee(session, case, custody.center, prefix="CENTER", actor=actor)
    for charge in owed.charges:
        if charge.amount_fen > 0:
            charge_cost(
                session,
                case.id,
                payee_id=payee_id,
                kind=CHARGE_COSTS[ChargeKind(charge.kind)],
                amount_fen=charge.amount_fen,
                key=f"custody-charge:{charge.id}",
                actor=actor,
                memo=charge.description,
            )
    if owed.storage_fen > 0:
        charge_cost(
            session,
            case.id,
            payee_id=payee_id,
            kind=CostKind.STORAGE,
            amount_fen=owed.storage_fen,
            key=f"custody-storage:{custody.id}",
            actor=actor,
            memo=f"停车保管费（至{owed.as_of.isoformat()}）",
        )
