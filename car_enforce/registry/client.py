"""The vehicle registry's (车管所) client: a court's seizure, its release, a transfer after a court sale.

Each POST carries the Idempotency-Key its caller chose for the act (the outbox row's key), so every try of
it, now or after a crash, acts at most once at the registry. An answer is checked against what was asked: a
2xx that is not the promised object, or that describes another car, notice or reference, is an
``OutboundError`` like any failure, never a success.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import httpx

from car_enforce.core.clock import Clock
from car_enforce.core.outbound.client import (
    MalformedResponse,
    OutboundClient,
    RetryPolicy,
    Service,
    json_object,
)
from car_enforce.core.settings import Settings, get_settings

SERVICE_NAME = "registry"
PAPERS = ("certificate", "licence", "plates")  # 机动车登记证书, 行驶证, 号牌


class SeizureStatus(StrEnum):
    ACTIVE = "active"  # in effect: no transfer, mortgage or deregistration of the car
    QUEUED = "queued"  # 轮候: takes effect when those before it end (查封规定 Art. 26)
    RELEASED = "released"
    LAPSED = "lapsed"  # ended by a sale (查封规定 Art. 27)


class TransferStatus(StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class HandedOver:
    """Which papers and plates the buyer received from the former owner (登记规定 Art. 30)."""

    certificate: bool  # 机动车登记证书
    licence: bool  # 行驶证
    plates: bool  # 号牌

    def as_json(self) -> dict[str, bool]:
        return {"certificate": self.certificate, "licence": self.licence, "plates": self.plates}


@dataclass(frozen=True, slots=True)
class Seizure:
    """A court's seizure on a car's file, as the registry holds it."""

    id: str
    status: SeizureStatus
    plate: str
    court: str
    document_number: str
    reference: str
    ahead: int | None = None  # queued: how many seizures come before it
    effective_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str = ""  # lapsed: the transfer (the sale) that ended it


@dataclass(frozen=True, slots=True)
class Refusal:
    """One reason the registry refuses a transfer: its code, the article it rests on, the words to show."""

    code: str
    detail: str
    zh: str
    article: str  # the registry's citation (its "rule")


@dataclass(frozen=True, slots=True)
class TransferResult:
    """A completed transfer: the car's new owner and papers."""

    owner_name: str  # masked
    owner_id_number: str  # masked
    certificate_number: str
    certificate_reissued: bool
    plate: str
    previous_plate: str
    voided: tuple[str, ...]  # of PAPERS: not handed over, voided by public notice (Art. 30)
    completed_at: datetime
    temporary_plate: str | None = None  # a buyer registering it elsewhere drives on it (Art. 27)
    temporary_plate_valid_until: date | None = None

    @property
    def plate_changed(self) -> bool:
        return self.plate != self.previous_plate


@dataclass(frozen=True, slots=True)
class Transfer:
    """A transfer after a court sale, as the registry holds it."""

    id: str
    status: TransferStatus
    plate: str
    notice_number: str
    reference: str
    due_at: datetime
    refusals: tuple[Refusal, ...] = ()
    result: TransferResult | None = None
    ends_seizures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VehicleFile:
    """A car's file: what a transfer is judged on, and the seizures on it."""

    plate: str
    vin: str
    violations: int
    stolen: bool
    inspection_valid_until: date | None
    scrapping_on: date | None
    seizures: tuple[Seizure, ...] = field(default=())

    def live_seizures(self) -> list[str]:
        """The seizures that still bind the car (in effect or queued): what a sale must end."""
        return [s.id for s in self.seizures if s.status in (SeizureStatus.ACTIVE, SeizureStatus.QUEUED)]


# --- reading the answers ------------------------------------------------------------------------------


def _text(document: dict[str, Any], name: str, *, empty: bool = False) -> str:
    value = document.get(name)
    if not isinstance(value, str) or (not empty and not value):
        raise MalformedResponse(f"{name} is not a non-empty string")
    return value


def _choice(document: dict[str, Any], name: str, kind: type[StrEnum]) -> Any:
    value = document.get(name)
    try:
        if not isinstance(value, str):
            raise ValueError(name)
        return kind(value)
    except ValueError:
        raise MalformedResponse(f"{name} is not one of {', '.join(kind)}") from None


def _instant(document: dict[str, Any], name: str, *, optional: bool = False) -> datetime | None:
    value = document.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise MalformedResponse(f"{name} is not an instant")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedResponse(f"{name} is not an ISO 8601 instant") from None
    if at.tzinfo is None:
        raise MalformedResponse(f"{name} has no offset")
    return at.astimezone(UTC)


def _day(document: dict[str, Any], name: str) -> date | None:
    value = document.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        raise MalformedResponse(f"{name} is not a date") from None


def _count(document: dict[str, Any], name: str, *, optional: bool = False) -> int | None:
    value = document.get(name)
    if value is None and optional:
        return None
    # bool is an int in Python; JSON true is no count.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise MalformedResponse(f"{name} is not a count")
    return value


def _flag(document: dict[str, Any], name: str) -> bool:
    value = document.get(name)
    if not isinstance(value, bool):
        raise MalformedResponse(f"{name} is not true or false")
    return value


def _object(document: dict[str, Any], name: str) -> dict[str, Any]:
    value = document.get(name)
    if not isinstance(value, dict):
        raise MalformedResponse(f"{name} is not an object")
    return value


def _ids(document: dict[str, Any], name: str) -> tuple[str, ...]:
    value = document.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise MalformedResponse(f"{name} is not a list of ids")
    return tuple(value)


def seizure_of(document: dict[str, Any]) -> Seizure:
    """A seizure as the registry describes it, or ``MalformedResponse``."""
    seizure = Seizure(
        id=_text(document, "id"),
        status=_choice(document, "status", SeizureStatus),
        plate=_text(document, "plate"),
        court=_text(document, "court"),
        document_number=_text(document, "document_number"),
        reference=_text(document, "reference", empty=True),
        ahead=_count(document, "ahead", optional=True),
        effective_at=_instant(document, "effective_at", optional=True),
        ended_at=_instant(document, "ended_at", optional=True),
        ended_by=_text(document, "ended_by", empty=True) if document.get("ended_by") is not None else "",
    )
    if seizure.status is SeizureStatus.ACTIVE and seizure.effective_at is None:
        raise MalformedResponse("a seizure in effect without the time it took effect")
    if seizure.status in (SeizureStatus.RELEASED, SeizureStatus.LAPSED) and seizure.ended_at is None:
        raise MalformedResponse("an ended seizure without the time it ended")
    return seizure


def _refusal_of(value: Any) -> Refusal:
    if not isinstance(value, dict):
        raise MalformedResponse("a refusal is not an object")
    return Refusal(
        code=_text(value, "code"),
        detail=_text(value, "detail", empty=True),
        zh=_text(value, "zh"),
        article=_text(value, "rule", empty=True),
    )


def _result_of(value: dict[str, Any]) -> TransferResult:
    owner = _object(value, "owner")
    voided = _ids(value, "voided")
    if any(v not in PAPERS for v in voided):
        raise MalformedResponse(f"voided names something other than {', '.join(PAPERS)}")
    temporary = value.get("temporary_plate")
    if temporary is not None and not isinstance(temporary, dict):
        raise MalformedResponse("temporary_plate is neither null nor an object")
    completed_at = _instant(value, "completed_at")
    assert completed_at is not None
    return TransferResult(
        owner_name=_text(owner, "name"),
        owner_id_number=_text(owner, "id_number"),
        certificate_number=_text(value, "certificate_number"),
        certificate_reissued=_flag(value, "certificate_reissued"),
        plate=_text(value, "plate"),
        previous_plate=_text(value, "previous_plate"),
        voided=voided,
        completed_at=completed_at,
        temporary_plate=_text(temporary, "number") if temporary else None,
        temporary_plate_valid_until=_day(temporary, "valid_until") if temporary else None,
    )


def transfer_of(document: dict[str, Any]) -> Transfer:
    """A transfer as the registry describes it, or ``MalformedResponse``."""
    refusals = document.get("refusals", [])
    if not isinstance(refusals, list):
        raise MalformedResponse("refusals is not a list")
    result = document.get("result")
    if result is not None and not isinstance(result, dict):
        raise MalformedResponse("result is neither null nor an object")
    due_at = _instant(document, "due_at")
    assert due_at is not None
    transfer = Transfer(
        id=_text(document, "id"),
        status=_choice(document, "status", TransferStatus),
        plate=_text(document, "plate"),
        notice_number=_text(document, "notice_number"),
        reference=_text(document, "reference", empty=True),
        due_at=due_at,
        refusals=tuple(_refusal_of(r) for r in refusals),
        result=_result_of(result) if result is not None else None,
        ends_seizures=_ids(document, "ends_seizures"),
    )
    # The status and what comes with it agree: a refusal says why, a completion says what came of it.
    if (transfer.status is TransferStatus.REFUSED) != bool(transfer.refusals):
        raise MalformedResponse("a refused transfer gives its reasons, and only a refused one")
    if (transfer.status is TransferStatus.COMPLETED) != (transfer.result is not None):
        raise MalformedResponse("a completed transfer gives its result, and only a completed one")
    return transfer


def vehicle_file_of(document: dict[str, Any]) -> VehicleFile:
    """A car's file as the registry describes it, or ``MalformedResponse``."""
    seizures = document.get("seizures", [])
    if not isinstance(seizures, list) or not all(isinstance(s, dict) for s in seizures):
        raise MalformedResponse("seizures is not a list of objects")
    violations = _count(document, "violations")
    assert violations is not None
    return VehicleFile(
        plate=_text(document, "plate"),
        vin=_text(document, "vin"),
        violations=violations,
        stolen=_flag(document, "stolen"),
        inspection_valid_until=_day(document, "inspection_valid_until"),
        scrapping_on=_day(document, "scrapping_on"),
        seizures=tuple(seizure_of(s) for s in seizures),
    )


def _expect(what: str, condition: bool) -> None:
    # The registry answered about something other than what was asked: trying again gets the same answer.
    if not condition:
        raise MalformedResponse(f"the answer is about another {what}", permanent=True)


def _segment(value: str) -> str:
    # An id goes into the path as one segment, whatever it holds.
    if not value:
        raise ValueError("an empty id")
    return quote(value, safe="")


# --- the client ---------------------------------------------------------------------------------------


class RegistryClient:
    """Calls the vehicle registry named in the settings (by default the built-in simulator)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        service = Service(
            name=SERVICE_NAME,
            base_url=self.settings.registry_api_url,
            connect_timeout_s=self.settings.http_connect_timeout_s,
            read_timeout_s=self.settings.http_timeout_s,
            retry=retry
            or RetryPolicy(attempts=self.settings.registry_attempts, base_delay_s=0.5, max_delay_s=5.0),
            headers={"Authorization": f"Bearer {self.settings.registry_key}"},
        )
        self._client = OutboundClient(service, http=http, clock=clock, sleep=sleep, rng=rng)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def seize(
        self,
        key: str,
        *,
        court: str,
        case_number: str,
        document_number: str,
        plate: str,
        vin: str | None,
        reference: str,
    ) -> Seizure:
        """Register a court's seizure by its 协助执行通知书 (查封规定 Art. 7): active or queued (Art. 26)."""
        body = {
            "court": court,
            "case_number": case_number,
            "document_number": document_number,
            "plate": plate,
            "vin": vin,
            "reference": reference,
            "notify_url": self.settings.registry_callback_url,
        }

        def check(response: httpx.Response) -> Seizure:
            seizure = seizure_of(json_object(response))
            _expect("seizure", seizure.document_number == document_number and seizure.court == court)
            return seizure

        result: Seizure = self._client.post("/seizures", idempotency_key=key, json=body, check=check)
        return result

    def release(self, key: str, seizure_id: str, *, court: str, notice_number: str) -> Seizure:
        """Release a seizure by the court's notice (查封规定 Art. 28, last paragraph)."""

        def check(response: httpx.Response) -> Seizure:
            seizure = seizure_of(json_object(response))
            _expect("seizure", seizure.id == seizure_id)
            if seizure.status is not SeizureStatus.RELEASED:
                raise MalformedResponse(
                    "a release answered with a seizure that is not released", permanent=True
                )
            return seizure

        result: Seizure = self._client.post(
            f"/seizures/{_segment(seizure_id)}/release",
            idempotency_key=key,
            json={"court": court, "notice_number": notice_number},
            check=check,
        )
        return result

    def transfer(
        self,
        key: str,
        *,
        court: str,
        ruling_number: str,
        notice_number: str,
        plate: str,
        vin: str | None,
        buyer_name: str,
        buyer_id_number: str,
        handed_over: HandedOver,
        ends_seizures: Sequence[str],
        out_of_area: bool = False,
        reference: str,
    ) -> Transfer:
        """Ask for the transfer to a court sale's buyer; the ruling and its notice are the proof (登记规定
        Art. 90). The answer is ``processing`` or ``refused`` with every reason."""
        body = {
            "court": court,
            "ruling_number": ruling_number,
            "notice_number": notice_number,
            "plate": plate,
            "vin": vin,
            "buyer": {"name": buyer_name, "id_number": buyer_id_number},
            "handed_over": handed_over.as_json(),
            "ends_seizures": list(ends_seizures),
            "out_of_area": out_of_area,
            "reference": reference,
            "notify_url": self.settings.registry_callback_url,
        }

        def check(response: httpx.Response) -> Transfer:
            transfer = transfer_of(json_object(response))
            _expect("transfer", transfer.notice_number == notice_number and transfer.reference == reference)
            return transfer

        result: Transfer = self._client.post("/transfers", idempotency_key=key, json=body, check=check)
        return result

    def get_transfer(self, transfer_id: str) -> Transfer:
        def check(response: httpx.Response) -> Transfer:
            transfer = transfer_of(json_object(response))
            _expect("transfer", transfer.id == transfer_id)
            return transfer

        result: Transfer = self._client.get(f"/transfers/{_segment(transfer_id)}", check=check)
        return result

    def get_seizure(self, seizure_id: str) -> Seizure:
        def check(response: httpx.Response) -> Seizure:
            seizure = seizure_of(json_object(response))
            _expect("seizure", seizure.id == seizure_id)
            return seizure

        result: Seizure = self._client.get(f"/seizures/{_segment(seizure_id)}", check=check)
        return result

    def vehicle(self, plate: str) -> VehicleFile:
        """A car's file by its plate (normal form)."""

        def check(response: httpx.Response) -> VehicleFile:
            found = vehicle_file_of(json_object(response))
            _expect("car", found.plate == plate)
            return found

        result: VehicleFile = self._client.get("/vehicles", params={"plate": plate}, check=check)
        return result
