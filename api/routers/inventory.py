"""Inventory imports: a center hands over its yard's export (Towbook-shaped CSV); its staff review the rows
that could not be matched to a court's car."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import (
    MAX_UPLOAD_BYTES,
    Allow,
    MultipartForm,
    RawBody,
    SessionDep,
    created_or_replayed,
    file_or_body,
)
from api.errors import responses
from car_enforce.core.db import RowId
from car_enforce.core.errors import InvalidInput
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import tariffs
from car_enforce.inventory import service
from car_enforce.inventory.models import RowOutcome
from car_enforce.inventory.schemas import DismissIn, InventoryImportOut, InventoryRowOut, ResolveIn

router = APIRouter(tags=["inventory"], responses=responses(401, 403))
Staff = Annotated[Principal, Depends(Allow(Role.CENTER_STAFF, Role.ADMIN))]
Line = Annotated[
    int, Path(ge=1, le=10_000_000, description="The row's line in the file, as a spreadsheet shows it")
]


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
    body: RawBody,
    form: MultipartForm,
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
    name, data = file_or_body(body, form, "the CSV export")
    name = name or file_name
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            "file",
            f"is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB",
            zh=f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
        )
    center = tariffs.center_of(session, center_id)
    imp, created = service.import_inventory(session, actor=who, center=center, data=data, file_name=name)
    created_or_replayed(response, created)
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
