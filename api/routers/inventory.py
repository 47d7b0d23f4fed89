"""Inventory imports: a center hands over its yard's export (Towbook-shaped CSV); its staff review the rows
that could not be matched to a court's car."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from api.deps import Allow, SessionDep, _request_body
from api.errors import responses
from car_enforce.custody import tariffs
from car_enforce.db import RowId
from car_enforce.errors import InvalidInput
from car_enforce.identity.models import Role
from car_enforce.identity.principal import Principal
from car_enforce.inventory import service
from car_enforce.inventory.models import InventoryImport, InventoryRow, RowOutcome

router = APIRouter(tags=["inventory"], responses=responses(401, 403))
Staff = Annotated[Principal, Depends(Allow(Role.CENTER_STAFF, Role.ADMIN))]
Body = Annotated[bytes, Depends(_request_body)]
Line = Annotated[
    int, Path(ge=1, le=10_000_000, description="The row's line in the file, as a spreadsheet shows it")
]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


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


async def _uploaded(request: Request) -> tuple[bytes, str] | None:
    """The multipart form's ``file`` part (its bytes and name), or None when the body is the CSV itself."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return None
    try:
        form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
    except Exception as exc:  # Starlette raises its own MultiPartException for a broken form
        raise InvalidInput("body", f"is not a valid multipart form: {exc}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("file", "the multipart form needs a 'file' part holding the CSV export")
    return await upload.read(), upload.filename or ""


Upload = Annotated[tuple[bytes, str] | None, Depends(_uploaded)]
_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/api/centers/{center_id}/inventory-imports",
    status_code=201,
    response_model=InventoryImportOut,
    responses={
        200: {"model": InventoryImportOut, "description": "The same file again: the first import"},
        **responses(404, 422),
    },
    openapi_extra=_CSV_BODY,
)
def import_inventory(
    center_id: RowId,
    session: SessionDep,
    who: Staff,
    body: Body,
    upload: Upload,
    response: Response,
    file_name: Annotated[str, Query(max_length=200, description="The file's name, for a raw body")] = "",
) -> InventoryImportOut:
    """Import the yard's current inventory: a Towbook impound export (UTF-8 CSV, metadata rows, then a
    header naming Stock #, Plate, VIN, Impound Date, Storage Lot, Have Keys, Towed From …), as the body
    (`text/csv`) or a multipart `file`.

    Each car a court holds (an active, queued or fulfilled watch) is taken into custody with the export's
    carried-over charges; every other row is listed for review with its reason. The same file again
    returns the first import (200) and changes nothing. A file that is not such an export is a 422.
    """
    data, name = upload if upload is not None else (body, file_name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("file", f"is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
    center = tariffs.center_of(session, center_id)
    imp, created = service.import_inventory(session, actor=who, center=center, data=data, file_name=name)
    if not created:
        response.status_code = 200
    return InventoryImportOut.of(imp, service.rows_of(session, imp))


@router.get("/api/inventory-imports/{import_id}", response_model=InventoryImportOut, responses=responses(404))
def get_import(
    import_id: RowId,
    session: SessionDep,
    who: Staff,
    outcome: Annotated[RowOutcome | None, Query(description="Only the rows with this outcome")] = None,
) -> InventoryImportOut:
    """An import and its rows, review rows first (or only the rows of one `outcome`)."""
    imp = service.visible_import(session, who, import_id)
    return InventoryImportOut.of(imp, service.rows_of(session, imp, outcome))


@router.post(
    "/api/inventory-imports/{import_id}/rows/{line}/resolve",
    response_model=InventoryRowOut,
    responses=responses(404, 409, 422),
)
def resolve_row(
    import_id: RowId, line: Line, body: ResolveIn, session: SessionDep, who: Staff
) -> InventoryRowOut:
    """Match a review row to a vehicle by hand: the car is taken into custody for the court that holds it.

    A row decided already, a car no court holds or one in custody already is a 409."""
    imp = service.visible_import(session, who, import_id)
    row = service.row_at(session, imp, line)
    resolved = service.resolve_row(
        session, actor=who, row=row, vehicle_id=body.vehicle_id, post_charges=body.post_charges
    )
    return InventoryRowOut.of(resolved)


@router.post(
    "/api/inventory-imports/{import_id}/rows/{line}/dismiss",
    response_model=InventoryRowOut,
    responses=responses(404, 409, 422),
)
def dismiss_row(
    import_id: RowId, line: Line, body: DismissIn, session: SessionDep, who: Staff
) -> InventoryRowOut:
    """Dismiss a review row: the car is not the platform's business. A row decided already is a 409."""
    imp = service.visible_import(session, who, import_id)
    row = service.row_at(session, imp, line)
    return InventoryRowOut.of(service.dismiss_row(session, actor=who, row=row, reason=body.reason))
