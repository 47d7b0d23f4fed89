"""A simulated vehicle registry (车管所): the protocol ``car_enforce.registry`` speaks.

A court's 协助执行通知书 registers a seizure on a car's file, in effect or queued behind an earlier one
(查封规定 Art. 26); a release notice ends it and the earliest queued one takes effect (Art. 26, 28); after a
court sale the ruling and its notice transfer the car to the buyer (登记规定 Art. 90), refused for the
reasons of Art. 25, 26 and 29, done within one working day (Art. 26, 92), the papers and plates not handed
over voided and issued anew (Art. 30), and every seizure the sale ends lapses (查封规定 Art. 27).

Every POST of the platform needs ``Authorization: Bearer <registry_key>`` and an ``Idempotency-Key``: the
same key with the same body gets the first answer and acts once, with another body it is a 409. What
happens is told in signed callbacks (``delivery.py``) sent after the commit. A transfer is done when the
clock (``car_enforce.core.clock``) passes its due time, judged at every request, so a moved clock in a test
completes it. Everything is kept in the database, so every server process answers alike; the files and the
failures a test stages (``/control/...``, ``/failure-mode``) are kept there too.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.simulators import failure_modes
from api.simulators.common import (
    ErrorOut,
    IdempotencyKey,
    RawBody,
    SettingsDep,
    bearer_guard,
    parse_body,
    service_app,
)
from api.simulators.failure_modes import StoredFaults
from api.simulators.idempotency import Answer, KeyedRequests
from api.simulators.models import (
    SimRegistryRequest,
    SimRegistrySeizure,
    SimRegistryTransfer,
    SimRegistryVehicle,
)
from api.simulators.registry import rules
from api.simulators.registry.delivery import OUTBOX, SIMULATOR, sending
from car_enforce.core import clock, zh
from car_enforce.core.calendar.service import load_calendar
from car_enforce.core.db import Database, get_database
from car_enforce.core.errors import Conflict, InvalidInput, NotFound
from car_enforce.core.identity.security import sha256_hex
from car_enforce.core.settings import Settings, get_settings
from car_enforce.vehicles.plates import normalise_plate

PREFIX: Final = "/sim/registry"
URL_PATTERN: Final = r"^https?://\S+$"
VIN_PATTERN: Final = r"^[0-9A-HJ-NPR-Z]{17}$"
ID_PATTERN: Final = r"^[0-9A-Z]{15,20}$"  # a resident ID number or a unified social credit code
LIVE: Final = ("active", "queued")  # a seizure that still binds the car
RESIDENT_ID: Final = re.compile(r"^\d{17}[\dX]$")
Url = Annotated[str, Field(max_length=500, pattern=URL_PATTERN)]
Text64 = Annotated[str, Field(min_length=1, max_length=64)]
Number = Annotated[str, Field(min_length=1, max_length=80)]
FAULTS: Final = StoredFaults(SIMULATOR, "simulated registry failure", "模拟的车管所系统故障")
KEYED: Final = KeyedRequests(SimRegistryRequest, FAULTS)


class VinMismatch(Conflict):
    """The notice names a car whose VIN differs from the file of its plate."""


# --- what the platform sends --------------------------------------------------------------------------


class SeizureIn(BaseModel):
    """A court's 协助执行通知书 to register a seizure (查封规定 Art. 1, 7)."""

    court: Text64
    case_number: Text64
    document_number: Number  # the 协助执行通知书's number
    plate: str = Field(min_length=1, max_length=32)
    vin: str | None = Field(default=None, pattern=VIN_PATTERN)
    reference: str = Field(default="", max_length=128)
    notify_url: Url | None = None


class ReleaseIn(BaseModel):
    """A 协助执行通知书 to release a seizure (查封规定 Art. 28, last paragraph)."""

    court: Text64
    notice_number: Number


class BuyerIn(BaseModel):
    name: Text64
    id_number: str = Field(pattern=ID_PATTERN)


class HandedOverIn(BaseModel):
    """Which of the car's papers and plates the buyer received from the former owner (登记规定 Art. 30)."""

    certificate: bool  # 机动车登记证书
    licence: bool  # 行驶证
    plates: bool  # 号牌


class TransferIn(BaseModel):
    """A transfer after a court sale: ruling and 协助执行通知书 prove the origin (登记规定 Art. 90)."""

    court: Text64
    ruling_number: Number
    notice_number: Number
    plate: str = Field(min_length=1, max_length=32)
    vin: str | None = Field(default=None, pattern=VIN_PATTERN)
    buyer: BuyerIn
    handed_over: HandedOverIn
    ends_seizures: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=50
    )
    out_of_area: bool = False  # the buyer lives outside this registry's area (Art. 27)
    reference: str = Field(default="", max_length=128)
    notify_url: Url | None = None


class FileIn(BaseModel):
    """A car's file, as a test or the demo sets it up."""

    plate: str = Field(min_length=1, max_length=32)
    vin: str = Field(pattern=VIN_PATTERN)
    owner_name: Text64
    owner_id_number: str = Field(pattern=ID_PATTERN)
    certificate_number: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    violations: int = Field(default=0, ge=0, le=10_000)
    inspection_valid_until: date | None = None
    scrapping_on: date | None = None
    stolen: bool = False


class FileChange(BaseModel):
    """What a test changes on a file; a field left out stays as it is, a date set to null is cleared."""

    violations: int | None = Field(default=None, ge=0, le=10_000)
    inspection_valid_until: date | None = None
    scrapping_on: date | None = None
    stolen: bool | None = None


class FailureModeIn(failure_modes.FailureModeIn):
    mode: Literal["ok", "error500", "slow", "malformed", "bad_signature"]


_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong key"},
    404: {"model": ErrorOut, "description": "No such file, seizure or transfer"},
    409: {"model": ErrorOut, "description": "The state forbids it, or the key was used for another body"},
    422: {"model": ErrorOut, "description": "Malformed payload, or no Idempotency-Key"},
    500: {"model": ErrorOut, "description": "A staged failure"},
}


# --- plumbing -----------------------------------------------------------------------------------------


def _keyed(
    request: Request, raw: bytes, key: str | None, settings: Settings, work: Callable[[Registrar], Answer]
) -> Response:
    """Run ``work`` once per Idempotency-Key (``KeyedRequests.answer``), the due transfers settled first."""
    return KEYED.answer(
        request,
        raw,
        key,
        lambda session, database: work(Registrar(session, settings, database)),
        prepare=lambda database: catch_up(database, settings),
    )


def _read(settings: Settings, read: Callable[[Session], dict[str, Any]]) -> Response:
    return FAULTS.read(read, prepare=lambda database: catch_up(database, settings))


# --- the documents ------------------------------------------------------------------------------------


def _instant(value: Any) -> str | None:
    return None if value is None else clock.as_utc(value).isoformat()


def _seizure_out(session: Session, seizure: SimRegistrySeizure) -> dict[str, Any]:
    vehicle = session.get(SimRegistryVehicle, seizure.vehicle_id)
    assert vehicle is not None
    ahead = None
    if seizure.status == "queued":
        ahead = len(
            session.scalars(
                select(SimRegistrySeizure.id).where(
                    SimRegistrySeizure.vehicle_id == seizure.vehicle_id,
                    SimRegistrySeizure.status.in_(LIVE),
                    SimRegistrySeizure.id < seizure.id,
                )
            ).all()
        )
    return {
        "id": seizure.seizure_id,
        "status": seizure.status,
        "plate": vehicle.plate,
        "vin": vehicle.vin,
        "court": seizure.court,
        "case_number": seizure.case_number,
        "document_number": seizure.document_number,
        "reference": seizure.reference,
        "ahead": ahead,  # queued: the seizures before it
        "received_at": _instant(seizure.received_at),
        "effective_at": _instant(seizure.effective_at),
        "ended_at": _instant(seizure.ended_at),
        "release_notice_number": seizure.release_notice_number,
        "ended_by": seizure.ended_by,
    }


def _transfer_out(transfer: SimRegistryTransfer) -> dict[str, Any]:
    return {
        "id": transfer.transfer_id,
        "status": transfer.status,
        "plate": transfer.plate,
        "court": transfer.court,
        "ruling_number": transfer.ruling_number,
        "notice_number": transfer.notice_number,
        "reference": transfer.reference,
        "buyer": {"name": transfer.buyer_name, "id_number": transfer.buyer_id_masked},
        "handed_over": transfer.handed_over,
        "ends_seizures": transfer.ends_seizures,
        "out_of_area": transfer.out_of_area,
        "refusals": transfer.refusals,
        "accepted_at": _instant(transfer.accepted_at),
        "due_at": _instant(transfer.due_at),
        "decided_at": _instant(transfer.decided_at),
        "result": transfer.result,
    }


def _vehicle_out(session: Session, vehicle: SimRegistryVehicle) -> dict[str, Any]:
    seizures = session.scalars(
        select(SimRegistrySeizure)
        .where(SimRegistrySeizure.vehicle_id == vehicle.id)
        .order_by(SimRegistrySeizure.id)
    )
    return {
        "plate": vehicle.plate,
        "vin": vehicle.vin,
        "owner": {"name": vehicle.owner_name, "id_number": vehicle.owner_id_masked},
        "certificate_number": vehicle.certificate_number,
        "violations": vehicle.violations,
        "inspection_valid_until": vehicle.inspection_valid_until.isoformat()
        if vehicle.inspection_valid_until
        else None,
        "scrapping_on": vehicle.scrapping_on.isoformat() if vehicle.scrapping_on else None,
        "stolen": vehicle.stolen,
        "seizures": [_seizure_out(session, s) for s in seizures],
    }


def _file(session: Session, plate: str, *, lock: bool = False) -> SimRegistryVehicle:
    query = select(SimRegistryVehicle).where(SimRegistryVehicle.plate == normalise_plate(plate))
    vehicle = session.scalar(query.with_for_update() if lock else query)
    if vehicle is None:
        raise NotFound(f"no file for plate {plate!r}", zh="车管所没有该号牌的机动车档案")
    return vehicle


def _file_by_vin(session: Session, vin: str) -> SimRegistryVehicle:
    vehicle = session.scalar(
        select(SimRegistryVehicle).where(SimRegistryVehicle.vin == vin).with_for_update()
    )
    if vehicle is None:
        raise NotFound(f"no file for VIN {vin!r}", zh="车管所没有该车辆识别代号的机动车档案")
    return vehicle


def _seizure(session: Session, seizure_id: str, *, lock: bool = False) -> SimRegistrySeizure:
    query = select(SimRegistrySeizure).where(SimRegistrySeizure.seizure_id == seizure_id)
    seizure = session.scalar(query.with_for_update() if lock else query)
    if seizure is None:
        raise NotFound(f"no seizure {seizure_id!r}", zh="车管所没有这项查封登记")
    return seizure


def _transfer(session: Session, transfer_id: str) -> SimRegistryTransfer:
    transfer = session.scalar(
        select(SimRegistryTransfer).where(SimRegistryTransfer.transfer_id == transfer_id)
    )
    if transfer is None:
        raise NotFound(f"no transfer {transfer_id!r}", zh="车管所没有这项转让登记申请")
    return transfer


def _masked_name(name: str, id_number: str) -> str:
    # A company (a unified social credit code, not a resident ID number) is named in full.
    return zh.mask_name(name, company=RESIDENT_ID.fullmatch(id_number) is None)


def _facts(vehicle: SimRegistryVehicle) -> rules.FileFacts:
    return rules.FileFacts(
        vin=vehicle.vin,
        violations=vehicle.violations,
        inspection_valid_until=vehicle.inspection_valid_until,
        scrapping_on=vehicle.scrapping_on,
        stolen=vehicle.stolen,
    )


# --- the verbs ----------------------------------------------------------------------------------------


class Registrar:
    """The registry's verbs over one session; the routes are thin over them."""

    def __init__(self, session: Session, settings: Settings, database: Database) -> None:
        self.session = session
        self.settings = settings
        self.database = database

    def notify(self, type_: str, url: str, data: dict[str, Any]) -> None:
        OUTBOX.queue(self.session, self.database, sending(self.settings), type_=type_, url=url, data=data)

    def seize(self, body: SeizureIn) -> tuple[int, dict[str, Any]]:
        vehicle = _file(self.session, body.plate, lock=True)
        if body.vin is not None and body.vin != vehicle.vin:
            raise VinMismatch(
                "the notice's VIN differs from the file of this plate",
                zh="协助执行通知书载明的车辆识别代号与该号牌的机动车档案不一致",
            )
        same = self.session.scalar(
            select(SimRegistrySeizure).where(
                SimRegistrySeizure.court == body.court,
                SimRegistrySeizure.document_number == body.document_number,
            )
        )
        if same is not None:  # the same notice again, under another key: registered once
            if same.vehicle_id != vehicle.id:
                raise Conflict(
                    "this notice number was registered for another car",
                    zh="该协助执行通知书文号已用于另一辆车的查封登记",
                )
            return 200, _seizure_out(self.session, same)
        live = self.session.scalar(
            select(SimRegistrySeizure.id).where(
                SimRegistrySeizure.vehicle_id == vehicle.id, SimRegistrySeizure.status == "active"
            )
        )
        now = clock.now()
        seizure = SimRegistrySeizure(
            seizure_id=f"sz_{secrets.token_hex(12)}",
            vehicle_id=vehicle.id,
            court=body.court,
            case_number=body.case_number,
            document_number=body.document_number,
            reference=body.reference,
            status="queued" if live is not None else "active",  # 查封规定 Art. 26: 轮候
            release_notice_number="",
            ended_by="",
            notify_url=body.notify_url or self.settings.registry_callback_url,
            received_at=now,
            effective_at=None if live is not None else now,
            ended_at=None,
        )
        self.session.add(seizure)
        self.session.flush()
        document = _seizure_out(self.session, seizure)
        if seizure.status == "active":
            self.notify("seizure.effective", seizure.notify_url, document)
        return 201, document

    def release(self, seizure_id: str, body: ReleaseIn) -> tuple[int, dict[str, Any]]:
        seizure = _seizure(self.session, seizure_id)
        # The file's lock first, as every change to the car's seizures takes it.
        _file_by_vin(self.session, self._vin_of(seizure))
        self.session.refresh(seizure)
        if seizure.court != body.court:
            raise Conflict(
                "only the court that seized the car releases its seizure",
                zh="只有作出查封的人民法院才能解除该查封（《查封规定》第二十八条）",
            )
        if seizure.status == "released" and seizure.release_notice_number == body.notice_number:
            return 200, _seizure_out(self.session, seizure)  # the same notice again: released once
        if seizure.status not in LIVE:
            raise Conflict(
                f"the seizure is {seizure.status}: nothing to release",
                zh="该查封已解除或已因拍卖、变卖而失效，无需再解除",
            )
        was_active = seizure.status == "active"
        seizure.status, seizure.release_notice_number, seizure.ended_at = (
            "released",
            body.notice_number,
            clock.now(),
        )
        self.session.flush()
        document = _seizure_out(self.session, seizure)
        self.notify("seizure.released", seizure.notify_url, document)
        if was_active:
            self._promote(seizure.vehicle_id)
        return 200, document

    def _vin_of(self, seizure: SimRegistrySeizure) -> str:
        vehicle = self.session.get(SimRegistryVehicle, seizure.vehicle_id)
        assert vehicle is not None
        return vehicle.vin

    def _promote(self, vehicle_id: int) -> None:
        """The earliest queued seizure takes effect (查封规定 Art. 26)."""
        following = self.session.scalar(
            select(SimRegistrySeizure)
            .where(SimRegistrySeizure.vehicle_id == vehicle_id, SimRegistrySeizure.status == "queued")
            .order_by(SimRegistrySeizure.id)
            .limit(1)
        )
        if following is None:
            return
        following.status, following.effective_at = "active", clock.now()
        self.session.flush()
        self.notify("seizure.effective", following.notify_url, _seizure_out(self.session, following))

    def _blocking(self, vehicle_id: int, ends: list[str]) -> int:
        live = self.session.scalars(
            select(SimRegistrySeizure.seizure_id).where(
                SimRegistrySeizure.vehicle_id == vehicle_id, SimRegistrySeizure.status.in_(LIVE)
            )
        )
        return sum(1 for seizure_id in live if seizure_id not in ends)

    def _refusals(self, vehicle: SimRegistryVehicle, vin: str | None, ends: list[str]) -> list[rules.Refusal]:
        return rules.refusals(
            _facts(vehicle),
            vin=vin or vehicle.vin,
            today=clock.today_local(),
            blocking_seizures=self._blocking(vehicle.id, ends),
            exempt_violations=self.settings.registry_court_sale_exempts_violations,
        )

    def transfer(self, body: TransferIn) -> tuple[int, dict[str, Any]]:
        vehicle = _file(self.session, body.plate, lock=True)
        for seizure_id in body.ends_seizures:
            seizure = _seizure(self.session, seizure_id)
            if seizure.vehicle_id != vehicle.id:
                raise Conflict(
                    f"seizure {seizure_id} is not on this car", zh="通知书所列的查封不是对该车的查封"
                )
        now = clock.now()
        refused = self._refusals(vehicle, body.vin, body.ends_seizures)
        days = rules.OUT_OF_AREA_WORKING_DAYS if body.out_of_area else rules.WORKING_DAYS
        due = rules.completion_due(
            now,
            timedelta(minutes=self.settings.registry_transfer_processing_minutes),
            load_calendar(self.session),
            working_days=days,
        )
        transfer = SimRegistryTransfer(
            transfer_id=f"tf_{secrets.token_hex(12)}",
            vehicle_id=vehicle.id,
            status="refused" if refused else "processing",
            plate=vehicle.plate,
            court=body.court,
            ruling_number=body.ruling_number,
            notice_number=body.notice_number,
            reference=body.reference,
            vin=body.vin or "",
            buyer_name=_masked_name(body.buyer.name, body.buyer.id_number),
            buyer_id_masked=zh.mask_id_number(body.buyer.id_number),
            buyer_id_digest=sha256_hex(body.buyer.id_number),
            handed_over=body.handed_over.model_dump(),
            ends_seizures=list(body.ends_seizures),
            out_of_area=body.out_of_area,
            refusals=[r.as_json() for r in refused],
            result=None,
            notify_url=body.notify_url or self.settings.registry_callback_url,
            accepted_at=now,
            due_at=now if refused else due,
            decided_at=now if refused else None,
        )
        self.session.add(transfer)
        self.session.flush()
        if refused:
            self.notify("transfer.refused", transfer.notify_url, _transfer_out(transfer))
        return 201, _transfer_out(transfer)

    def settle(self, transfer: SimRegistryTransfer) -> None:
        """A processing transfer past its due time: done, or refused if the car changed meanwhile (a seizure
        registered since, say)."""
        vehicle = self.session.get(SimRegistryVehicle, transfer.vehicle_id, with_for_update=True)
        assert vehicle is not None
        self.session.refresh(transfer)
        if transfer.status != "processing":
            return  # settled by a request that got here first
        now = clock.now()
        refused = self._refusals(vehicle, transfer.vin or None, list(transfer.ends_seizures))
        transfer.decided_at = now
        if refused:
            transfer.status, transfer.refusals = "refused", [r.as_json() for r in refused]
            self.session.flush()
            self.notify("transfer.refused", transfer.notify_url, _transfer_out(transfer))
            return
        self.session.flush()
        transfer.result = self._transfer_car(vehicle, transfer)
        transfer.status = "completed"
        self.session.flush()
        self.notify("transfer.completed", transfer.notify_url, _transfer_out(transfer))

    def _transfer_car(self, vehicle: SimRegistryVehicle, transfer: SimRegistryTransfer) -> dict[str, Any]:
        handed = transfer.handed_over
        # Art. 30: what the buyer did not receive is voided by public notice; Art. 26: plates and 行驶证 are
        # issued anew at every transfer, the certificate endorsed, or reissued where it was voided.
        voided = [name for name in ("certificate", "licence", "plates") if not handed.get(name)]
        previous_plate = vehicle.plate
        temporary = None
        if transfer.out_of_area:  # Art. 27: plates taken back, a 30-day temporary plate to drive it home
            temporary = {
                "number": rules.temporary_plate(previous_plate),
                "valid_until": (clock.today_local() + timedelta(days=rules.TEMPORARY_PLATE_DAYS)).isoformat(),
            }
        elif not self.settings.registry_transfer_keeps_plate or not handed.get("plates"):
            vehicle.plate = rules.new_plate(previous_plate, self._plate_taken)
        reissued = not handed.get("certificate")
        if reissued:
            vehicle.certificate_number = rules.certificate_number()
        vehicle.owner_name = transfer.buyer_name
        vehicle.owner_id_masked = transfer.buyer_id_masked
        vehicle.owner_id_digest = transfer.buyer_id_digest
        vehicle.updated_at = clock.now()
        for seizure_id in transfer.ends_seizures:
            self._lapse(seizure_id, transfer.transfer_id)
        return {
            "owner": {"name": transfer.buyer_name, "id_number": transfer.buyer_id_masked},
            "certificate_number": vehicle.certificate_number,
            "certificate_reissued": reissued,
            "previous_plate": previous_plate,
            "plate": vehicle.plate,
            "plate_changed": vehicle.plate != previous_plate,
            "voided": voided,
            "temporary_plate": temporary,
            "completed_at": _instant(transfer.decided_at),
        }

    def _plate_taken(self, plate: str) -> bool:
        return (
            self.session.scalar(select(SimRegistryVehicle.id).where(SimRegistryVehicle.plate == plate))
            is not None
        )

    def _lapse(self, seizure_id: str, transfer_id: str) -> None:
        """The sale ends the seizure (查封规定 Art. 27)."""
        seizure = _seizure(self.session, seizure_id, lock=True)
        if seizure.status not in LIVE:
            return
        seizure.status, seizure.ended_by, seizure.ended_at = "lapsed", transfer_id, clock.now()
        self.session.flush()
        self.notify("seizure.lapsed", seizure.notify_url, _seizure_out(self.session, seizure))

    # --- what a test or the demo sets up --------------------------------------------------------------

    def put_file(self, body: FileIn) -> SimRegistryVehicle:
        plate = normalise_plate(body.plate)
        vehicle = self.session.scalar(
            select(SimRegistryVehicle).where(SimRegistryVehicle.vin == body.vin).with_for_update()
        )
        other = self.session.scalar(select(SimRegistryVehicle).where(SimRegistryVehicle.plate == plate))
        if other is not None and (vehicle is None or other.id != vehicle.id):
            raise Conflict(f"plate {plate} is on another car's file", zh="该号牌已登记在另一辆车的档案上")
        if vehicle is None:
            vehicle = SimRegistryVehicle(vin=body.vin)
            self.session.add(vehicle)
        vehicle.plate = plate
        vehicle.owner_name = _masked_name(body.owner_name, body.owner_id_number)
        vehicle.owner_id_masked = zh.mask_id_number(body.owner_id_number)
        vehicle.owner_id_digest = sha256_hex(body.owner_id_number)
        vehicle.certificate_number = body.certificate_number or rules.certificate_number()
        vehicle.violations = body.violations
        vehicle.inspection_valid_until = body.inspection_valid_until
        vehicle.scrapping_on = body.scrapping_on
        vehicle.stolen = body.stolen
        vehicle.updated_at = clock.now()
        self.session.flush()
        return vehicle


def file_car(session: Session, body: FileIn, settings: Settings | None = None) -> None:
    """Open (or replace) a car's file in the caller's transaction: the demo's seed files its cars so."""
    Registrar(session, settings or get_settings(), get_database()).put_file(body)


def catch_up(database: Database, settings: Settings) -> int:
    """Settle every processing transfer whose due time the clock has passed; how many were settled."""
    now = clock.now()
    with database.unit_of_work(read_only=True) as session:
        due = list(
            session.scalars(
                select(SimRegistryTransfer.id)
                .where(SimRegistryTransfer.status == "processing", SimRegistryTransfer.due_at <= now)
                .order_by(SimRegistryTransfer.due_at, SimRegistryTransfer.id)
            )
        )
    for transfer_id in due:
        with database.unit_of_work() as session:
            transfer = session.get(SimRegistryTransfer, transfer_id)
            if transfer is not None:
                Registrar(session, settings, database).settle(transfer)
    return len(due)


# --- the routes ---------------------------------------------------------------------------------------

platform = APIRouter(
    dependencies=[Depends(bearer_guard(lambda settings: settings.registry_key))],
    responses={401: _ERRORS[401]},
)


@platform.post("/seizures", status_code=201, responses={k: _ERRORS[k] for k in (404, 409, 422, 500)})
def seize(raw: RawBody, request: Request, settings: SettingsDep, key: IdempotencyKey = None) -> Response:
    """Register a court's seizure on a car's file: ``active``, or ``queued`` behind one in effect (查封规定
    Art. 26). 404 for a plate without a file, 409 for a VIN that differs from the file."""
    body = parse_body(SeizureIn, raw)
    return _keyed(request, raw, key, settings, lambda r: r.seize(body))


@platform.post("/seizures/{seizure_id}/release", responses={k: _ERRORS[k] for k in (404, 409, 422, 500)})
def release(
    seizure_id: str, raw: RawBody, request: Request, settings: SettingsDep, key: IdempotencyKey = None
) -> Response:
    """Release a seizure by the court's notice (查封规定 Art. 28); the earliest queued one takes effect."""
    body = parse_body(ReleaseIn, raw)
    return _keyed(request, raw, key, settings, lambda r: r.release(seizure_id, body))


@platform.post("/transfers", status_code=201, responses={k: _ERRORS[k] for k in (404, 409, 422, 500)})
def transfer(raw: RawBody, request: Request, settings: SettingsDep, key: IdempotencyKey = None) -> Response:
    """Transfer a car after a court sale (登记规定 Art. 90): ``refused`` at once with every reason, or
    ``processing`` until its ``due_at`` (one working day, Art. 26), then ``completed``."""
    body = parse_body(TransferIn, raw)
    return _keyed(request, raw, key, settings, lambda r: r.transfer(body))


@platform.get("/seizures/{seizure_id}", responses={k: _ERRORS[k] for k in (404, 500)})
def get_seizure(seizure_id: str, settings: SettingsDep) -> Response:
    return _read(settings, lambda s: _seizure_out(s, _seizure(s, seizure_id)))


@platform.get("/transfers/{transfer_id}", responses={k: _ERRORS[k] for k in (404, 500)})
def get_transfer(transfer_id: str, settings: SettingsDep) -> Response:
    return _read(settings, lambda s: _transfer_out(_transfer(s, transfer_id)))


@platform.get("/vehicles", responses={k: _ERRORS[k] for k in (404, 422, 500)})
def get_vehicle(settings: SettingsDep, plate: Annotated[str, Query(min_length=1, max_length=32)]) -> Response:
    """A car's file by its plate: owner (masked), papers, what may refuse a transfer, and its seizures."""
    return _read(settings, lambda s: _vehicle_out(s, _file(s, plate)))


@platform.post("/failure-mode", responses={422: _ERRORS[422]})
def set_failure_mode(body: FailureModeIn) -> dict[str, Any]:
    """Stage failures: the next ``count`` requests (error500, slow, malformed) or callbacks (bad_signature)
    fail so; "ok" clears it."""
    return FAULTS.stage(get_database(), body).model_dump()


@platform.post("/control/files", status_code=201, responses={409: _ERRORS[409], 422: _ERRORS[422]})
def put_file(body: FileIn, settings: SettingsDep) -> dict[str, Any]:
    """Create a car's file, or replace the one with this VIN (for tests and the demo)."""
    with get_database().unit_of_work() as session:
        return _vehicle_out(session, Registrar(session, settings, get_database()).put_file(body))


@platform.post("/control/files/{vin}", responses={k: _ERRORS[k] for k in (404, 422)})
def change_file(vin: str, raw: RawBody) -> dict[str, Any]:
    """Set a file's violations, inspection, scrapping date or stolen flag (for tests and the demo)."""
    body = parse_body(FileChange, raw)
    with get_database().unit_of_work() as session:
        vehicle = _file_by_vin(session, vin)
        for name in body.model_fields_set:
            value = getattr(body, name)
            if value is None and name in ("violations", "stolen"):
                raise InvalidInput(name, "may not be null", zh="不能为空")
            setattr(vehicle, name, value)
        vehicle.updated_at = clock.now()
        session.flush()
        return _vehicle_out(session, vehicle)


@platform.post("/control/files/{vin}/clear-violations", responses={404: _ERRORS[404]})
def clear_violations(vin: str) -> dict[str, Any]:
    """The owner dealt with every violation and accident (登记规定 Art. 25)."""
    with get_database().unit_of_work() as session:
        vehicle = _file_by_vin(session, vin)
        vehicle.violations, vehicle.updated_at = 0, clock.now()
        session.flush()
        return _vehicle_out(session, vehicle)


@platform.post("/control/process-due")
def process_due(settings: SettingsDep) -> dict[str, int]:
    """Settle every transfer the clock has made due now (every request does it too)."""
    return {"settled": catch_up(get_database(), settings)}


@platform.get("/messages")
def list_messages(limit: int = 100) -> list[dict[str, Any]]:
    """The latest callbacks and how their delivery went, newest last (for tests and the demo)."""
    return OUTBOX.listing(get_database(), limit)


@platform.post("/messages/{message_id}/redeliver", status_code=202, responses={404: _ERRORS[404]})
def redeliver(message_id: str, settings: SettingsDep) -> dict[str, str]:
    """Send a callback again under its id, as a registry does when it doubts it was received."""
    if not OUTBOX.redeliver(get_database(), sending(settings), message_id):
        raise NotFound(f"no callback {message_id!r}", zh="没有这条回调")
    return {"message_id": message_id}


# --- the app ------------------------------------------------------------------------------------------


def create_app(settings: Settings | None = None) -> FastAPI:
    """The simulated registry as an ASGI app of its own; ``settings`` default to the platform's."""
    return service_app(
        title="模拟车管所",
        description="A simulated vehicle registry (车管所); see car_enforce/registry.",
        settings=settings,
        routers=(platform,),
    )


def mount(app: FastAPI, *, prefix: str = PREFIX, settings: Settings | None = None) -> FastAPI:
    """Mount the simulated registry on ``app`` at ``prefix`` (its base URL); the mounted app."""
    sub = create_app(settings)
    app.mount(prefix.rstrip("/"), sub, name="sim-registry")
    return sub
