"""A center's tariff (storage per day, towing, inspection, per vehicle class) and charges by hand."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events, zh
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput
from car_enforce.core.events import DomainEvent
from car_enforce.core.identity.models import Organisation, OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import organisation_of
from car_enforce.custody import costs
from car_enforce.custody.models import CenterTariff, Custody, CustodyCharge, CustodyStatus
from car_enforce.custody.schemas import ChargeIn, TariffIn


def center_of(session: Session, center_id: int) -> Organisation:
    """The auxiliary center by id; NotFound for any other organisation."""
    return organisation_of(session, center_id, OrgKind.AUX_CENTER)


def _may_set(actor: Principal, center: Organisation) -> None:
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.CENTER_STAFF and actor.organisation_id == center.id:
        return
    raise Forbidden(
        f"only the staff of {center.name} or an administrator set its tariff",
        zh=f"只有{center.name}的工作人员或平台管理员才能设定其收费标准",
    )


def set_tariff(session: Session, *, actor: Principal, center: Organisation, data: TariffIn) -> CenterTariff:
    """Prices from a day on; never for a day already past, since stored days were priced by the old ones."""
    _may_set(actor, center)
    today = clock.today_local()
    if data.effective_from < today:
        raise InvalidInput(
            "effective_from",
            f"{data.effective_from.isoformat()} is in the past (today is {today.isoformat()}); "
            "days already stored keep the prices they were stored at",
            zh=f"{zh.day(data.effective_from)}早于今天（{zh.day(today)}）；已保管的日子按当时的标准计费，"
            "新标准只能从今天或以后起施行",
        )
    values = data.model_dump()
    tariff = session.scalar(
        select(CenterTariff)
        .where(
            CenterTariff.center_id == center.id,
            CenterTariff.vehicle_class == data.vehicle_class,
            CenterTariff.effective_from == data.effective_from,
        )
        .with_for_update()
    )
    if tariff is None:
        tariff = CenterTariff(center_id=center.id, created_at=clock.now(), created_by=actor.label, **values)
        session.add(tariff)
    else:  # a price for a day still to come may be corrected
        for key, value in values.items():
            setattr(tariff, key, value)
        tariff.created_at, tariff.created_by = clock.now(), actor.label
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.tariff_set",
            subject=f"organisation:{center.id}",
            case_id=None,
            data={"center_id": center.id, **data.model_dump(mode="json")},
            parties=(center.id,),
        ),
    )
    return tariff


def tariffs_of(session: Session, center: Organisation) -> list[CenterTariff]:
    return list(
        session.scalars(
            select(CenterTariff)
            .where(CenterTariff.center_id == center.id)
            .order_by(CenterTariff.vehicle_class, CenterTariff.effective_from)
        )
    )


class ChargeKeyReused(Conflict):
    """The center's reference names another charge already: a new charge needs its own."""


def add_charge(
    session: Session, *, actor: Principal, custody: Custody, data: ChargeIn
) -> tuple[CustodyCharge, bool]:
    """A cost the tariff does not cover, posted by the center once per its own ``charge_key``."""
    if actor.role != Role.CENTER_STAFF or actor.organisation_id != custody.center_id:
        raise Forbidden(
            f"only the staff of {custody.center.name} post its charges",
            zh=f"只有{custody.center.name}的工作人员才能记入费用",
        )
    if custody.status != CustodyStatus.IN_CUSTODY:
        raise Conflict(
            f"custody {custody.id} is {custody.status}: its statement is closed",
            zh="车辆已出库，费用清单已结清",
        )
    description = data.description.strip()
    if not description:
        raise InvalidInput("description", "is empty", zh="请填写说明")
    charge, created = costs.post_charge(
        session,
        actor=actor,
        custody=custody,
        kind=data.kind,
        amount_fen=data.amount_fen,
        description=description,
        basis={"charge_key": data.charge_key},
        dedupe_key=f"center:{data.charge_key}",
    )
    if not created:
        if (charge.kind, charge.amount_fen, charge.description) != (data.kind, data.amount_fen, description):
            raise ChargeKeyReused(
                f"charge key {data.charge_key!r} was used for charge {charge.id} "
                f"({charge.amount_fen} fen, {charge.description}); a new charge needs a new key",
                field="charge_key",
                zh=f"单据号已用于另一笔费用（{zh.yuan_text(charge.amount_fen)}，{charge.description}）："
                "新费用请用新的单据号",
            )
        return charge, False
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.charged",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            data={
                "custody_id": custody.id,
                "charge_id": charge.id,
                "kind": charge.kind,
                "amount_fen": charge.amount_fen,
                "description": charge.description,
            },
            parties=(custody.court_id, custody.center_id),
        ),
    )
    return charge, True
