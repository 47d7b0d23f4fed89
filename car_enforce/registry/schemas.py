"""The registry requests as the officer sees them: the payload (with the buyer's ID number) is left out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from car_enforce.registry.models import RegistryRequest


class RegistryRequestOut(BaseModel):
    id: int
    kind: str
    case_id: int
    vehicle_id: int
    ruling_number: str
    notice_number: str
    status: str
    registry_id: str | None
    registry_status: str
    attempts: int
    last_error: str
    # The registry's word: a seizure's state, a transfer's result or its refusals (code and zh text).
    result: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, request: RegistryRequest) -> RegistryRequestOut:
        return cls(
            id=request.id,
            kind=request.kind,
            case_id=request.case_id,
            vehicle_id=request.vehicle_id,
            ruling_number=request.ruling_number,
            notice_number=request.notice_number,
            status=request.status,
            registry_id=request.registry_id,
            registry_status=request.registry_status,
            attempts=request.attempts,
            last_error=request.last_error,
            result=dict(request.result or {}),
            created_at=request.created_at,
            finished_at=request.finished_at,
        )
