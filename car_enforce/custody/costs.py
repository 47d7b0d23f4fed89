"""Costs of a custody, charged to the debtor and paid first from the proceeds (网拍规定 Art. 7;
执行工作规定 item 34): the center's tariff, charges posted once, and the running statement.

Storage is not posted day by day: it accrues, priced per calendar day by the tariff in force that day,
and the statement derives it from the custody's dates, so no sweep can miss or double a day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, zh
from car_enforce.core.db import insert_once
from car_enforce.core.errors import Conflict
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import (
    CenterTariff,
    ChargeKind,
    Custody,
    CustodyCharge,
    CustodyStatus,
    VehicleClass,
    vehicle_class_zh,
)


def tariff_on(session: Session, center_id: int, vehicle_class: VehicleClass, day: date) -> CenterTariff:
    """The center's tariff for the class in force on ``day``; Conflict when the center has none."""
    tariff = session.scalars(
        select(CenterTariff)
        .where(
            CenterTariff.center_id == center_id,
            CenterTariff.vehicle_class == vehicle_class,
            CenterTariff.effective_from <= day,
        )
        .order_by(CenterTariff.effective_from.desc())
        .limit(1)
    ).first()
    if tariff is None:
        raise Conflict(
            f"center {center_id} has no tariff for {vehicle_class} vehicles in force on {day.isoformat()}; "
            "its staff or an administrator must set one",
            zh=f"辅助中心没有{zh.day(day)}适用的{vehicle_class_zh(vehicle_class)}"
            "收费标准，须由中心工作人员或平台管理员设定",
        )
    return tariff


def tariff_in_force(session: Session, custody: Custody, day: date) -> CenterTariff | None:
    """The tariff that prices the custody's car on ``day``, or None when its center has set none."""
    try:
        return tariff_on(session, custody.center_id, custody.vehicle_class, day)
    except Conflict:
        return None


def post_charge(
    session: Session,
    *,
    actor: Principal,
    custody: Custody,
    kind: ChargeKind,
    amount_fen: int,
    description: str,
    basis: dict[str, Any],
    dedupe_key: str,
) -> tuple[CustodyCharge, bool]:
    """Post a charge once per ``dedupe_key``: (the charge, True), or (the earlier one, False) on a retry."""
    row = insert_once(
        session,
        CustodyCharge,
        {
            "custody_id": custody.id,
            "kind": kind,
            "amount_fen": amount_fen,
            "description": description,
            "basis": basis,
            "charged_at": clock.now(),
            "charged_by": actor.label,
            "dedupe_key": dedupe_key,
        },
        ["custody_id", "dedupe_key"],
    )
    if row is not None:
        return row, True
    earlier = session.scalar(
        select(CustodyCharge).where(
            CustodyCharge.custody_id == custody.id, CustodyCharge.dedupe_key == dedupe_key
        )
    )
    assert earlier is not None
    return earlier, False


def charge_towing(
    session: Session, *, actor: Principal, custody: Custody, distance_km: float | None
) -> CustodyCharge:
    """Towing by the tariff in force on the intake day: a base fee plus a fee per started kilometre."""
    tariff = tariff_on(session, custody.center_id, custody.vehicle_class, custody.storage_from)
    km = math.ceil(distance_km) if distance_km else 0
    amount = tariff.towing_base_fen + km * tariff.towing_per_km_fen
    charge, _ = post_charge(
        session,
        actor=actor,
        custody=custody,
        kind=ChargeKind.TOWING,
        amount_fen=amount,
        description=f"拖车费（{km}公里）",
        basis={
            "tariff_id": tariff.id,
            "km": km,
            "distance_km": distance_km,
            "base_fen": tariff.towing_base_fen,
            "per_km_fen": tariff.towing_per_km_fen,
        },
        dedupe_key="towing",
    )
    return charge


def charge_inspection(
    session: Session, *, actor: Principal, custody: Custody, inspection_id: int, on: date
) -> CustodyCharge:
    """The inspection fee by the tariff in force on the inspection day; once per inspection."""
    tariff = tariff_on(session, custody.center_id, custody.vehicle_class, on)
    charge, _ = post_charge(
        session,
        actor=actor,
        custody=custody,
        kind=ChargeKind.INSPECTION,
        amount_fen=tariff.inspection_fen,
        description="车辆检测费（GB/T 30323-2013）",
        basis={"tariff_id": tariff.id, "inspection_id": inspection_id},
        dedupe_key=f"inspection:{inspection_id}",
    )
    return charge


@dataclass(frozen=True, slots=True)
class StorageSpan:
    """Consecutive storage days priced by one tariff."""

    first_day: date
    last_day: date
    days: int
    daily_fen: int
    tariff_id: int

    @property
    def amount_fen(self) -> int:
        return self.days * self.daily_fen


def storage_days(custody: Custody, through: date) -> int:
    """Calendar days of storage from ``storage_from`` to ``through``: the day the car came in is not
    counted (as a court period, 民诉法 Art. 85), but a car that stays any part of a day pays one day."""
    return max(1, (through - custody.storage_from).days)


def storage_spans(session: Session, custody: Custody, through: date) -> list[StorageSpan]:
    """The storage accrued up to ``through`` (or the release day), day by day at the tariff of that day."""
    if custody.status == CustodyStatus.RELEASED and custody.released_at is not None:
        through = clock.local(custody.released_at).date()
    n = storage_days(custody, through)
    # The days paid for are those after the intake day; a car out the same day pays that one day.
    first = custody.storage_from + timedelta(days=1 if through > custody.storage_from else 0)
    tariffs = list(
        session.scalars(
            select(CenterTariff)
            .where(
                CenterTariff.center_id == custody.center_id,
                CenterTariff.vehicle_class == custody.vehicle_class,
                CenterTariff.effective_from <= first + timedelta(days=n - 1),
            )
            .order_by(CenterTariff.effective_from)
        )
    )
    # A run of days at one tariff is one span, found from the tariffs' effective days rather than day by
    # day: a statement "as of" a far-off day is asked for in one step per tariff, not one per day.
    spans: list[StorageSpan] = []
    last_day = first + timedelta(days=n - 1)
    day = first
    while True:
        tariff = next((t for t in reversed(tariffs) if t.effective_from <= day), None)
        if tariff is None:
            raise Conflict(
                f"center {custody.center_id} has no tariff for {custody.vehicle_class} vehicles in force on "
                f"{day.isoformat()}; storage cannot be priced",
                zh=f"辅助中心没有{zh.day(day)}适用的"
                f"{vehicle_class_zh(custody.vehicle_class)}收费标准，无法计算保管费",
            )
        later = [t.effective_from for t in tariffs if t.effective_from > day]
        until = min(later[0] - timedelta(days=1), last_day) if later else last_day
        days = (until - day).days + 1
        last = spans[-1] if spans else None
        if last is not None and last.tariff_id == tariff.id:
            spans[-1] = StorageSpan(last.first_day, until, last.days + days, last.daily_fen, last.tariff_id)
        else:
            spans.append(StorageSpan(day, until, days, tariff.storage_daily_fen, tariff.id))
        if until >= last_day:
            return spans
        day = until + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Statement:
    custody_id: int
    as_of: date
    charges: list[CustodyCharge]
    storage: list[StorageSpan]

    @property
    def storage_fen(self) -> int:
        return sum(s.amount_fen for s in self.storage)

    @property
    def total_fen(self) -> int:
        return sum(c.amount_fen for c in self.charges) + self.storage_fen


def statement(session: Session, custody: Custody, as_of: date | None = None) -> Statement:
    """Every cost of the custody as of a day (today in Asia/Shanghai by default), to the fen."""
    day = as_of or clock.today_local()
    charges = list(
        session.scalars(
            select(CustodyCharge).where(CustodyCharge.custody_id == custody.id).order_by(CustodyCharge.id)
        )
    )
    return Statement(custody.id, day, charges, storage_spans(session, custody, day))
