"""Import a center's yard inventory (Towbook-shaped CSV): match each car to the court that holds it and
take it into custody, or list the row for a person to review, resolve or dismiss.

A car is only taken in when it is certain which platform vehicle it is and which court holds it; every
doubt (no plate, an unknown car, plate and VIN naming different cars, a bad cell) is a review row with the
reason in plain words. The same file imported twice is the first import: nothing is duplicated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.core import clock, events, zh
from car_enforce.core.access import Scope, own
from car_enforce.core.db import insert_once
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from car_enforce.core.events import OFFICER, DomainEvent, Notice
from car_enforce.core.files import evidence
from car_enforce.core.identity.models import Organisation, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import costs
from car_enforce.custody.found import take_in_found
from car_enforce.custody.models import ChargeKind, Custody
from car_enforce.custody.service import IntakeDetails
from car_enforce.inventory.models import InventoryImport, InventoryRow, RowOutcome
from car_enforce.inventory.towbook import TowbookExport, TowbookRow, parse_towbook
from car_enforce.vehicles.models import Vehicle
from car_enforce.vehicles.plates import normalise_plate

MAX_FILE_NAME = 200
MAX_DISMISS_REASON = 500
CHARGE_KINDS = {"towing": ChargeKind.TOWING, "storage": ChargeKind.STORAGE, "other": ChargeKind.OTHER}


def _may_import(actor: Principal, center: Organisation) -> None:
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.CENTER_STAFF and actor.organisation_id == center.id:
        return
    raise Forbidden(
        f"only the staff of {center.name} or an administrator import its inventory",
        zh=f"只有{center.name}的工作人员或系统管理员才能导入该中心的库存",
    )


_OUTCOME_ZH = {
    RowOutcome.MATCHED: "自动入库",
    RowOutcome.REVIEW: "待核对",
    RowOutcome.RESOLVED: "人工匹配",
    RowOutcome.DISMISSED: "排除",
}


def _clean_file_name(name: str) -> str:
    # A multipart file name is whatever the client sent: no control characters, bounded.
    return "".join(c for c in name if c.isprintable()).strip()[:MAX_FILE_NAME]


def import_inventory(
    session: Session, *, actor: Principal, center: Organisation, data: bytes, file_name: str
) -> tuple[InventoryImport, bool]:
    """Import a yard export into ``center``: (the import, True), or (the first import, False) for a file
    imported before. A file that is not a Towbook export is refused (422) and nothing is stored."""
    imp, export = begin_import(session, actor=actor, center=center, data=data, file_name=file_name)
    if export is None:
        return imp, False
    import_rows(session, actor, imp, export.rows)
    finish_import(session, actor, imp)
    session.refresh(imp)
    return imp, True


def begin_import(
    session: Session, *, actor: Principal, center: Organisation, data: bytes, file_name: str
) -> tuple[InventoryImport, TowbookExport | None]:
    """The import of a file, its rows still to come: (the new import, its parsed export), or (the first
    import of the same file, None). A file that is not a Towbook export is refused before anything is
    stored."""
    _may_import(actor, center)
    digest = hashlib.sha256(data).hexdigest()
    earlier = _import_by_digest(session, center.id, digest)
    if earlier is not None:
        return earlier, None
    export = parse_towbook(data)  # refuses a file that is not an export, before anything is stored
    values = {
        "center_id": center.id,
        "file_digest": digest,
        "file_name": _clean_file_name(file_name),
        "file_ref": evidence.store(data, suffix="csv"),
        "metadata_lines": export.metadata_lines,
        "imported_at": clock.now(),
        "imported_by": actor.label,
    }
    # One statement: a concurrent upload of the same file waits on the unique index, then finds this one.
    imp = insert_once(session, InventoryImport, values, ["center_id", "file_digest"])
    if imp is None:
        earlier = _import_by_digest(session, center.id, digest)
        assert earlier is not None
        return earlier, None
    return imp, export


def import_rows(
    session: Session, actor: Principal, imp: InventoryImport, rows: Sequence[TowbookRow]
) -> list[InventoryRow]:
    """Match these rows of the file (those not imported yet: a step run again after a crash skips the
    rows it got through)."""
    session.execute(select(InventoryImport.id).where(InventoryImport.id == imp.id).with_for_update())
    present = set(session.scalars(select(InventoryRow.line).where(InventoryRow.import_id == imp.id)))
    return [_import_row(session, actor, imp, parsed) for parsed in rows if parsed.line not in present]


def finish_import(session: Session, actor: Principal, imp: InventoryImport) -> Counts:
    """Every row is in: the import goes on the record with its counts."""
    rows = list(session.scalars(select(InventoryRow).where(InventoryRow.import_id == imp.id)))
    counts = {o.value: sum(1 for r in rows if r.outcome == o) for o in RowOutcome}
    events.record(
        session,
        actor,
        DomainEvent(
            kind="inventory.imported",
            subject=f"inventory_import:{imp.id}",
            case_id=None,
            data={
                "import_id": imp.id,
                "center_id": imp.center_id,
                "file_name": imp.file_name,
                "file_ref": imp.file_ref,
                "rows": len(rows),
                **counts,
            },
        ),
    )
    return Counts(**counts)


def _import_by_digest(session: Session, center_id: int, digest: str) -> InventoryImport | None:
    return session.scalar(
        select(InventoryImport).where(
            InventoryImport.center_id == center_id, InventoryImport.file_digest == digest
        )
    )


def _import_row(session: Session, actor: Principal, imp: InventoryImport, parsed: TowbookRow) -> InventoryRow:
    row = InventoryRow(
        import_id=imp.id,
        line=parsed.line,
        stock_number=parsed.stock_number,
        plate=parsed.plate,
        vin=parsed.vin,
        outcome=RowOutcome.REVIEW,
        reason="",
        values=parsed.values(),
        raw=parsed.raw,
    )
    session.add(row)
    session.flush()
    problems = list(parsed.problems)
    if parsed.impound_at is not None and parsed.impound_at > clock.now():
        problems.append(f"line {parsed.line}, Impound Date: {_local(parsed.impound_at)} is in the future")
    if problems:
        row.reason = "; ".join(problems)
        return row
    found = _identify(session, parsed.plate, parsed.vin)
    if isinstance(found, Unidentified):
        row.reason = found.detail
        return row
    try:
        # A savepoint per car: a car that cannot be taken in leaves nothing behind, the others go on.
        with session.begin_nested():
            custody = _take_in(session, actor=actor, row=row, center_id=imp.center_id, vehicle=found)
    except Conflict as exc:
        row.reason = exc.detail
        return row
    _decide(row, actor, RowOutcome.MATCHED, found, custody)
    return row


def _decide(
    row: InventoryRow, actor: Principal, outcome: RowOutcome, vehicle: Vehicle | None, custody: Custody | None
) -> None:
    row.outcome = outcome
    row.vehicle_id = vehicle.id if vehicle else None
    row.custody_id = custody.id if custody else None
    row.decided_at, row.decided_by = clock.now(), actor.label


@dataclass(frozen=True, slots=True)
class Unidentified:
    """Why a row's car cannot be told for certain: for the row's record, and in Chinese for a reviewer."""

    detail: str
    zh: str


def _identify(session: Session, plate: str | None, vin: str | None) -> Vehicle | Unidentified:
    """The platform vehicle the row names, or why it cannot be told for certain.

    The VIN is the car's own identity; the plate is checked against it, because a yard that typed a plate
    wrong, or a debtor who swapped plates, would otherwise put the wrong car in a court's custody. A plate
    alone must be unique: the export says nothing of its colour.
    """
    if plate is None and vin is None:
        return Unidentified(
            "no plate and no VIN: the car cannot be identified; match it by hand",
            "没有号牌也没有车架号，无法识别车辆，请人工匹配",
        )
    by_vin = session.scalar(select(Vehicle).where(Vehicle.vin == vin)) if vin else None
    by_plate = list(session.scalars(select(Vehicle).where(Vehicle.plate == plate))) if plate else []
    if by_vin is not None:
        if plate is None or by_vin.plate == plate:
            return by_vin
        if by_plate:
            ids = ", ".join(str(v.id) for v in by_plate)
            return Unidentified(
                f"plate {plate} and VIN {vin} name different vehicles on the platform "
                f"(vehicle {ids} by plate, vehicle {by_vin.id} by VIN)",
                f"号牌{plate}与车架号{vin}在平台上对应的不是同一辆车，请核对",
            )
        return Unidentified(
            f"VIN {vin} is on the platform with plate {by_vin.plate} (vehicle {by_vin.id}), but the export "
            f"says plate {plate}; check the car's plates",
            f"车架号{vin}在平台上登记的号牌是{by_vin.plate}，导出文件中却是{plate}，请核对车辆号牌",
        )
    if not by_plate:
        if plate and vin:
            return Unidentified(
                f"neither plate {plate} nor VIN {vin} is on the platform",
                f"平台上没有号牌为{plate}或车架号为{vin}的车辆",
            )
        return Unidentified(
            f"{f'plate {plate}' if plate else f'VIN {vin}'} is not on the platform",
            f"平台上没有{f'号牌为{plate}' if plate else f'车架号为{vin}'}的车辆",
        )
    if len(by_plate) > 1:
        colours = ", ".join(sorted(v.plate_colour for v in by_plate))
        return Unidentified(
            f"{len(by_plate)} vehicles carry plate {plate} ({colours}); match it by hand",
            f"平台上有 {len(by_plate)} 辆车的号牌都是{plate}（号牌颜色不同），请人工匹配",
        )
    vehicle = by_plate[0]
    if vin is not None and vehicle.vin is not None:
        return Unidentified(
            f"plate {plate} is on the platform with VIN {vehicle.vin} (vehicle {vehicle.id}), but the export "
            f"says VIN {vin}; plate and VIN name different vehicles",
            f"号牌{plate}在平台上登记的车架号是{vehicle.vin}，导出文件中却是{vin}，号牌与车架号不是同一辆车",
        )
    return vehicle


def _take_in(
    session: Session, *, actor: Principal, row: InventoryRow, center_id: int, vehicle: Vehicle
) -> Custody:
    """Take the row's car into custody for the court holding it; Conflict, with the reason, if it cannot."""
    values = row.values
    now = clock.now()
    impound_at = datetime.fromisoformat(values["impound_at"]) if values.get("impound_at") else None
    taken_in_at = impound_at if impound_at is not None and impound_at <= now else now
    stock = values.get("stock_number") or "—"
    notes = [f"自原系统导入（库存号 {stock}）"]
    if values.get("towed_from"):
        notes.append(f"拖自：{values['towed_from']}")
    if values.get("have_keys") is None:
        notes.append("原系统未记录是否有钥匙")
    custody, watch = take_in_found(
        session,
        actor=actor,
        vehicle=vehicle,
        center_id=center_id,
        taken_in_at=taken_in_at,
        # The export's own storage charges cover the days before; the platform's accrual starts today.
        storage_from=clock.today_local(),
        details=IntakeDetails(
            bay=values.get("storage_lot") or "",
            keys_received=1 if values.get("have_keys") else 0,
            custodian_name=actor.label,
            condition_notes="；".join(notes),
        ),
        why=f"车辆已在辅助中心库内（库存导入 {row.import_id}，第 {row.line} 行）",
    )
    charged = _post_carried_over(session, actor=actor, custody=custody, row=row)
    events.record(
        session,
        actor,
        DomainEvent(
            kind="custody.imported",
            subject=f"custody:{custody.id}",
            case_id=custody.case_id,
            data={
                "custody_id": custody.id,
                "import_id": row.import_id,
                "line": row.line,
                "stock_number": row.stock_number,
                "plate": vehicle.plate,
                "center_id": center_id,
                "bay": custody.bay,
                "taken_in_at": taken_in_at,
                "watch_id": watch.id,
                "carried_over_fen": charged,
            },
            parties=(custody.court_id, center_id),
            notices=(
                Notice(
                    OFFICER,
                    watch.id,
                    f"车辆{vehicle.plate}已在{custody.center.name}库内（库位{custody.bay or '未记录'}），"
                    "已转入平台保管，待检测、询价后依法处置。",
                    f"custody-imported:{custody.id}",
                ),
            ),
        ),
    )
    return custody


def _post_carried_over(session: Session, *, actor: Principal, custody: Custody, row: InventoryRow) -> int:
    """Post the export's own charges (the parts, never the totals: see towbook._check_sums) once each."""
    total = 0
    for cell in row.values.get("money", []):
        kind = CHARGE_KINDS.get(cell["role"])
        if kind is None or cell["fen"] <= 0:
            continue
        column = str(cell["column"])
        costs.post_charge(
            session,
            actor=actor,
            custody=custody,
            kind=kind,
            amount_fen=int(cell["fen"]),
            description=f"原系统结转：{column}"[:200],
            basis={
                "import_id": row.import_id,
                "line": row.line,
                "stock_number": row.stock_number,
                "column": column,
                "as_written": row.raw.get(column, ""),
            },
            dedupe_key=f"import:{row.import_id}:{column}"[:160],
        )
        total += int(cell["fen"])
    return total


def _local(instant: datetime) -> str:
    return f"{clock.local(instant):%Y-%m-%d %H:%M}"


# --- reading and deciding -------------------------------------------------------------------------


# Who sees an import: the staff of the center whose yard it lists.
IMPORTS = Scope(
    InventoryImport,
    "inventory import",
    {Role.CENTER_STAFF: [own(InventoryImport.center_id)]},
    noun_zh="存量导入",
)


def visible_import(session: Session, actor: Principal, import_id: int) -> InventoryImport:
    """The import if the caller works at its center (or is an admin); NotFound otherwise."""
    return IMPORTS.load(session, actor, import_id)


def row_at(session: Session, imp: InventoryImport, line: int) -> InventoryRow:
    row = session.scalar(
        select(InventoryRow).where(InventoryRow.import_id == imp.id, InventoryRow.line == line)
    )
    if row is None:
        raise NotFound(
            f"inventory import {imp.id} has no row on line {line}", zh=f"此次库存导入没有第 {line} 行"
        )
    return row


@dataclass(frozen=True, slots=True)
class Counts:
    matched: int
    review: int
    resolved: int
    dismissed: int


def counts_of(imp: InventoryImport) -> Counts:
    by = {o: sum(1 for r in imp.rows if r.outcome == o) for o in RowOutcome}
    return Counts(
        by[RowOutcome.MATCHED], by[RowOutcome.REVIEW], by[RowOutcome.RESOLVED], by[RowOutcome.DISMISSED]
    )


def _lock_undecided(session: Session, row: InventoryRow) -> None:
    # Two reviewers deciding the same row: the second waits, then finds it decided.
    session.refresh(row, with_for_update=True)
    if row.outcome != RowOutcome.REVIEW:
        by = f"由{row.decided_by}" if row.decided_by else ""
        when = f"于{zh.minute(row.decided_at)}" if row.decided_at else ""
        raise Conflict(
            f"line {row.line} was {row.outcome} already"
            + (f" by {row.decided_by}" if row.decided_by else "")
            + (f" on {_local(row.decided_at)}" if row.decided_at else ""),
            zh=f"第 {row.line} 行已{by}{when}处理（{_OUTCOME_ZH[RowOutcome(row.outcome)]}），无需再处理",
        )


def resolve_row(
    session: Session, *, actor: Principal, row: InventoryRow, vehicle_id: int, post_charges: bool = True
) -> InventoryRow:
    """A reviewer names the vehicle of a review row; the car is taken in as an automatic match would be.

    ``post_charges`` False leaves the export's charges unposted, for a row whose figures the reviewer
    does not trust (a payment recorded by the yard): the center posts what is owed by hand.
    """
    imp = session.get(InventoryImport, row.import_id)
    assert imp is not None
    center = session.get(Organisation, imp.center_id)
    assert center is not None
    _may_import(actor, center)
    _lock_undecided(session, row)
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(f"vehicle {vehicle_id} does not exist", zh="平台上没有这辆车")
    if not post_charges:
        row.values = {**row.values, "money_not_posted": row.values.get("money", []), "money": []}
    custody = _take_in(session, actor=actor, row=row, center_id=imp.center_id, vehicle=vehicle)
    _decide(row, actor, RowOutcome.RESOLVED, vehicle, custody)
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="inventory.row_resolved",
            subject=f"inventory_import:{imp.id}",
            case_id=None,
            data={
                "import_id": imp.id,
                "line": row.line,
                "vehicle_id": vehicle.id,
                "custody_id": custody.id,
                "review_reason": row.reason,
                "charges_posted": post_charges,
            },
        ),
    )
    return row


def identify_for_review(session: Session, plate: str, vin: str) -> Vehicle:
    """The vehicle a reviewer names by its plate or VIN (a person does not know the platform's ids), by
    the same rules an automatic match follows; InvalidInput saying why it is not certain otherwise."""
    normal_plate = normalise_plate(plate) if plate.strip() else None
    normal_vin = vin.strip().upper() or None
    found = _identify(session, normal_plate, normal_vin)
    if isinstance(found, Unidentified):
        raise InvalidInput("plate" if normal_plate else "vin", found.detail, zh=found.zh)
    return found


def imports_of(session: Session, actor: Principal, limit: int = 20) -> list[InventoryImport]:
    """The latest imports the caller may see (its center's), newest first."""
    return list(session.scalars(IMPORTS.select(actor).order_by(InventoryImport.id.desc()).limit(limit)))


def dismiss_row(session: Session, *, actor: Principal, row: InventoryRow, reason: str) -> InventoryRow:
    """A reviewer decides the row is not the platform's business (a car no court holds, a duplicate line)."""
    imp = session.get(InventoryImport, row.import_id)
    assert imp is not None
    center = session.get(Organisation, imp.center_id)
    assert center is not None
    _may_import(actor, center)
    why = reason.strip()
    if not why:
        raise InvalidInput("reason", "is empty: say why the row is dismissed", zh="请填写排除的理由")
    if len(why) > MAX_DISMISS_REASON:
        raise InvalidInput(
            "reason",
            f"is longer than {MAX_DISMISS_REASON} characters",
            zh=f"理由不能超过 {MAX_DISMISS_REASON} 个字",
        )
    _lock_undecided(session, row)
    # The review reason stays on the row; the reviewer's own reason is kept beside it.
    row.values = {**row.values, "dismissal_reason": why}
    _decide(row, actor, RowOutcome.DISMISSED, None, None)
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="inventory.row_dismissed",
            subject=f"inventory_import:{imp.id}",
            case_id=None,
            reason=why,
            data={"import_id": imp.id, "line": row.line, "review_reason": row.reason},
        ),
    )
    return row


def rows_of(session: Session, imp: InventoryImport, outcome: RowOutcome | None = None) -> list[InventoryRow]:
    """The import's rows: review rows first (they need a person), then the others, each by line."""
    rows = [r for r in imp.rows if outcome is None or r.outcome == outcome]
    return sorted(rows, key=lambda r: (r.outcome != RowOutcome.REVIEW, r.line))


def dismissal_reason(row: InventoryRow) -> str | None:
    value: Any = row.values.get("dismissal_reason")
    return str(value) if value else None
