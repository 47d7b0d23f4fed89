"""The vehicle registry's (车管所) client: a court's seizure, its release, a transfer after a court sale.

Each POST carries the Idempotency-Key its caller chose for the act (the outbox row's key), so every try of
it, now or after a crash, acts at most once at the registry. An answer is checked against what was asked: a
2xx that is not the promised object, or that describes another car, notice or reference, is an
``OutboundError`` like any failure, never a success.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

import httpx

from car_enforce.core.outbound.answers import (
    answer_about,
    answer_check,
    choice,
    count,
    day,
    flag,
    ids,
    instant,
    nested,
    text,
)
from car_enforce.core.outbound.client import MalformedResponse
from car_enforce.core.outbound.service_client import ServiceAccount, ServiceClient, path_segment
from car_enforce.core.settings import Settings

A = TypeVar("A")  # an answer as a call's check reads it

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


def seizure_of(document: dict[str, Any]) -> Seizure:
    """A seizure as the registry describes it, or ``MalformedResponse``."""
    seizure = Seizure(
        id=text(document, "id"),
        status=choice(document, "status", SeizureStatus),
        plate=text(document, "plate"),
        court=text(document, "court"),
        document_number=text(document, "document_number"),
        reference=text(document, "reference", empty=True),
        ahead=count(document, "ahead", optional=True),
        effective_at=instant(document, "effective_at", optional=True),
        ended_at=instant(document, "ended_at", optional=True),
        ended_by=text(document, "ended_by", empty=True) if document.get("ended_by") is not None else "",
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
        code=text(value, "code"),
        detail=text(value, "detail", empty=True),
        zh=text(value, "zh"),
        article=text(value, "rule", empty=True),
    )


def _result_of(value: dict[str, Any]) -> TransferResult:
    owner = nested(value, "owner")
    voided = ids(value, "voided")
    if any(v not in PAPERS for v in voided):
        raise MalformedResponse(f"voided names something other than {', '.join(PAPERS)}")
    temporary = value.get("temporary_plate")
    if temporary is not None and not isinstance(temporary, dict):
        raise MalformedResponse("temporary_plate is neither null nor an object")
    completed_at = instant(value, "completed_at")
    return TransferResult(
        owner_name=text(owner, "name"),
        owner_id_number=text(owner, "id_number"),
        certificate_number=text(value, "certificate_number"),
        certificate_reissued=flag(value, "certificate_reissued"),
        plate=text(value, "plate"),
        previous_plate=text(value, "previous_plate"),
        voided=voided,
        completed_at=completed_at,
        temporary_plate=text(temporary, "number") if temporary else None,
        temporary_plate_valid_until=day(temporary, "valid_until") if temporary else None,
    )


def transfer_of(document: dict[str, Any]) -> Transfer:
    """A transfer as the registry describes it, or ``MalformedResponse``."""
    refusals = document.get("refusals", [])
    if not isinstance(refusals, list):
        raise MalformedResponse("refusals is not a list")
    result = document.get("result")
    if result is not None and not isinstance(result, dict):
        raise MalformedResponse("result is neither null nor an object")
    due_at = instant(document, "due_at")
    transfer = Transfer(
        id=text(document, "id"),
        status=choice(document, "status", TransferStatus),
        plate=text(document, "plate"),
        notice_number=text(document, "notice_number"),
        reference=text(document, "reference", empty=True),
        due_at=due_at,
        refusals=tuple(_refusal_of(r) for r in refusals),
        result=_result_of(result) if result is not None else None,
        ends_seizures=ids(document, "ends_seizures"),
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
    violations = count(document, "violations")
    return VehicleFile(
        plate=text(document, "plate"),
        vin=text(document, "vin"),
        violations=violations,
        stolen=flag(document, "stolen"),
        inspection_valid_until=day(document, "inspection_valid_until"),
        scrapping_on=day(document, "scrapping_on"),
        seizures=tuple(seizure_of(s) for s in seizures),
    )


# --- the client ---------------------------------------------------------------------------------------


class RegistryClient(ServiceClient):
    """Calls the vehicle registry named in the settings (by default the built-in simulator)."""

    def _account(self, settings: Settings) -> ServiceAccount:
        return ServiceAccount(
            SERVICE_NAME, settings.registry_api_url, settings.registry_key, settings.registry_attempts
        )

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
        }
        check = answer_check(
            seizure_of, "seizure", lambda s: s.document_number == document_number and s.court == court
        )
        return self._ask("/seizures", key, body, check)

    def release(self, key: str, seizure_id: str, *, court: str, notice_number: str) -> Seizure:
        """Release a seizure by the court's notice (查封规定 Art. 28, last paragraph)."""
        about = answer_about(seizure_of, "seizure", seizure_id)

        def check(response: httpx.Response) -> Seizure:
            seizure = about(response)
            if seizure.status is not SeizureStatus.RELEASED:
                raise MalformedResponse(
                    "a release answered with a seizure that is not released", permanent=True
                )
            return seizure

        return self._client.post(
            f"/seizures/{path_segment(seizure_id)}/release",
            idempotency_key=key,
            json={"court": court, "notice_number": notice_number},
            check=check,
        )

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
        }
        check = answer_check(
            transfer_of, "transfer", lambda t: t.notice_number == notice_number and t.reference == reference
        )
        return self._ask("/transfers", key, body, check)

    def _ask(self, path: str, key: str, body: dict[str, Any], check: Callable[[httpx.Response], A]) -> A:
        """POST an act the registry tells us the outcome of later: at our callback URL, added to ``body``."""
        notified = {**body, "notify_url": self.settings.registry_callback_url}
        return self._client.post(path, idempotency_key=key, json=notified, check=check)

    def get_transfer(self, transfer_id: str) -> Transfer:
        about = answer_about(transfer_of, "transfer", transfer_id)
        return self._client.get(f"/transfers/{path_segment(transfer_id)}", check=about)

    def get_seizure(self, seizure_id: str) -> Seizure:
        about = answer_about(seizure_of, "seizure", seizure_id)
        return self._client.get(f"/seizures/{path_segment(seizure_id)}", check=about)

    def vehicle(self, plate: str) -> VehicleFile:
        """A car's file by its plate (normal form)."""
        check = answer_check(vehicle_file_of, "car", lambda found: found.plate == plate)
        return self._client.get("/vehicles", params={"plate": plate}, check=check)
