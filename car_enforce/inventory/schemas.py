"""Request and response shapes of inventory imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from car_enforce.core.db import RowId
from car_enforce.inventory import service
from car_enforce.inventory.models import InventoryImport, InventoryRow, RowOutcome


class InventoryRowOut(BaseModel):
    line: int
    stock_number: str
    plate: str | None
    vin: str | None
    outcome: RowOutcome
    reason: str = Field(description="Why the row needed review, in plain words; empty for a match")
    dismissal_reason: str | None
    vehicle_id: int | None
    custody_id: int | None
    values: dict[str, Any] = Field(description="The parsed row: impound_at (UTC), money in fen, keys …")
    raw: dict[str, str] = Field(description="The row's non-empty cells as written, by column")
    decided_at: datetime | None
    decided_by: str | None

    @classmethod
    def of(cls, row: InventoryRow) -> InventoryRowOut:
        return cls(
            line=row.line,
            stock_number=row.stock_number,
            plate=row.plate,
            vin=row.vin,
            outcome=row.outcome,
            reason=row.reason,
            dismissal_reason=service.dismissal_reason(row),
            vehicle_id=row.vehicle_id,
            custody_id=row.custody_id,
            values=row.values,
            raw=row.raw,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
        )


class CountsOut(BaseModel):
    matched: int
    review: int
    resolved: int
    dismissed: int


class InventoryImportOut(BaseModel):
    id: int
    center_id: int
    file_name: str
    file_digest: str
    file_ref: str
    metadata_lines: list[str]
    imported_at: datetime
    imported_by: str
    counts: CountsOut
    rows: list[InventoryRowOut] = Field(description="Review rows first, then the others, each by line")

    @classmethod
    def of(cls, imp: InventoryImport, rows: list[InventoryRow]) -> InventoryImportOut:
        counts = service.counts_of(imp)
        return cls(
            id=imp.id,
            center_id=imp.center_id,
            file_name=imp.file_name,
            file_digest=imp.file_digest,
            file_ref=imp.file_ref,
            metadata_lines=imp.metadata_lines,
            imported_at=imp.imported_at,
            imported_by=imp.imported_by,
            counts=CountsOut(
                matched=counts.matched,
                review=counts.review,
                resolved=counts.resolved,
                dismissed=counts.dismissed,
            ),
            rows=[InventoryRowOut.of(r) for r in rows],
        )


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vehicle_id: RowId
    post_charges: bool = Field(
        True,
        description="Post the export's carried-over charges; false when the reviewer does not trust them "
        "(the center then posts what is owed at POST /api/custody/{id}/charges)",
    )


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=service.MAX_DISMISS_REASON)
