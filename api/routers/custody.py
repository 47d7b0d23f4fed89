"""Custody at the center (入库 … 出库): intake, the seizure record, the chain, release, tariffs, costs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from api.deps import Allow, AnyUser, IdempotencyDep, Officer, SessionDep, created_or_replayed
from api.errors import responses
from api.images import IMAGE, image
from car_enforce.captures import service as captures
from car_enforce.core.db import MAX_ROW_ID, RowId
from car_enforce.core.files.photos import PhotoPosition
from car_enforce.core.identity.models import Role
from car_enforce.core.identity.principal import Principal
from car_enforce.custody import chain, costs, release, service, tariffs
from car_enforce.custody.models import CustodyStatus
from car_enforce.custody.schemas import (
    ChargeIn,
    ChargeOut,
    CustodyEventOut,
    CustodyOut,
    IntakeIn,
    KeysIn,
    MoveIn,
    ReleaseIn,
    ReleaseOrderIn,
    ReleaseOrderOut,
    SeizureRecordOut,
    SignatureIn,
    StatementOut,
    TariffIn,
    TariffOut,
)

router = APIRouter(tags=["custody"], responses=responses(401, 403))
Staff = Annotated[Principal, Depends(Allow(Role.CENTER_STAFF))]
Follower = Annotated[Principal, Depends(Allow(Role.OFFICER, Role.CENTER_STAFF, Role.ADMIN))]
TariffSetter = Annotated[Principal, Depends(Allow(Role.CENTER_STAFF, Role.ADMIN))]


@router.post(
    "/api/captures/{capture_id}/intake",
    status_code=201,
    response_model=CustodyOut,
    responses=responses(404, 409, 422),
)
def take_in(
    capture_id: RowId, body: IntakeIn, session: SessionDep, who: Staff, idem: IdempotencyDep
) -> object:
    """Take an arrived capture into custody (入库): bay, odometer, fuel or charge, keys, papers, belongings,
    at least four photos, condition notes. Charges the towing by the center's tariff. Once per capture:
    a second intake is a 409 (an `Idempotency-Key` retry gets the first answer)."""
    capture = captures.visible_capture(session, who, capture_id)
    return idem.run(lambda: CustodyOut.of(service.take_in(session, actor=who, capture=capture, data=body)))


@router.get("/api/custody", response_model=list[CustodyOut])
def list_custody(
    session: SessionDep,
    who: Follower,
    status: CustodyStatus | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_ROW_ID),
) -> list[CustodyOut]:
    """The cars in the custody of the caller's center, or held for the caller's court; newest first."""
    return [
        CustodyOut.of(c)
        for c in service.list_custody(session, who, status=status, limit=limit, offset=offset)
    ]


@router.get("/api/custody/{custody_id}", response_model=CustodyOut, responses=responses(404))
def get_custody(custody_id: RowId, session: SessionDep, who: Follower) -> CustodyOut:
    return CustodyOut.of(service.visible_custody(session, who, custody_id))


@router.get(
    "/api/custody/{custody_id}/photos/{position}",
    response_class=Response,
    responses={**IMAGE, **responses(404)},
)
def get_intake_photo(
    custody_id: RowId, position: PhotoPosition, session: SessionDep, who: Follower
) -> Response:
    """One photo taken at intake (the `url` of each of the custody's `photos`), for whoever sees the
    custody: its court, its center; 404 past its last photo."""
    return image(service.intake_photo(session, who, custody_id, position))


@router.get(
    "/api/custody/{custody_id}/seizure-record", response_model=SeizureRecordOut, responses=responses(404)
)
def seizure_record(custody_id: RowId, session: SessionDep, who: Follower) -> SeizureRecordOut:
    """The seizure record (扣押笔录, 查封规定 Art. 18): times, place, property, custodian, signatures."""
    custody = service.visible_custody(session, who, custody_id)
    return SeizureRecordOut.model_validate(service.seizure_record(session, custody))


@router.post(
    "/api/custody/{custody_id}/signatures", response_model=SeizureRecordOut, responses=responses(404, 422)
)
def sign(custody_id: RowId, body: SignatureIn, session: SessionDep, who: Follower) -> SeizureRecordOut:
    """Sign the seizure record: the court's officer as `officer`, the center as `custodian` or `witness`."""
    custody = service.visible_custody(session, who, custody_id)
    signed = service.sign_record(session, actor=who, custody=custody, data=body)
    return SeizureRecordOut.model_validate(service.seizure_record(session, signed))


@router.get("/api/custody/{custody_id}/chain", response_model=list[CustodyEventOut], responses=responses(404))
def get_chain(custody_id: RowId, session: SessionDep, who: Follower) -> list[CustodyEventOut]:
    """The custody chain in order: intake, every move of the car, every hand the keys passed, release."""
    custody = service.visible_custody(session, who, custody_id)
    return [CustodyEventOut.of(e) for e in chain.chain_of(session, custody)]


@router.post(
    "/api/custody/{custody_id}/moves",
    status_code=201,
    response_model=CustodyEventOut,
    responses=responses(404, 409, 422),
)
def move(custody_id: RowId, body: MoveIn, session: SessionDep, who: Staff, idem: IdempotencyDep) -> object:
    """The car moves to another place in the center. An `Idempotency-Key` retry gets the first link."""
    custody = service.visible_custody(session, who, custody_id)
    return idem.run(
        lambda: CustodyEventOut.of(chain.move_car(session, actor=who, custody=custody, data=body))
    )


@router.post(
    "/api/custody/{custody_id}/keys",
    status_code=201,
    response_model=CustodyEventOut,
    responses=responses(404, 409, 422),
)
def keys(custody_id: RowId, body: KeysIn, session: SessionDep, who: Staff, idem: IdempotencyDep) -> object:
    """The keys pass to another hand. An `Idempotency-Key` retry gets the first link."""
    custody = service.visible_custody(session, who, custody_id)
    return idem.run(
        lambda: CustodyEventOut.of(chain.pass_keys(session, actor=who, custody=custody, data=body))
    )


@router.post(
    "/api/custody/{custody_id}/release-orders",
    status_code=201,
    response_model=ReleaseOrderOut,
    responses=responses(404, 409, 422),
)
def order_release(
    custody_id: RowId, body: ReleaseOrderIn, session: SessionDep, who: Officer, idem: IdempotencyDep
) -> object:
    """The court orders the car released: to the buyer (`sale_handover`) or back to the owner
    (`return_to_owner`), naming the person and their ID number, which the gate checks."""
    custody = service.visible_custody(session, who, custody_id)
    return idem.run(
        lambda: ReleaseOrderOut.of(release.issue_order(session, actor=who, custody=custody, data=body))
    )


@router.get(
    "/api/custody/{custody_id}/release-orders", response_model=list[ReleaseOrderOut], responses=responses(404)
)
def list_orders(custody_id: RowId, session: SessionDep, who: Follower) -> list[ReleaseOrderOut]:
    custody = service.visible_custody(session, who, custody_id)
    return [ReleaseOrderOut.of(o) for o in release.orders_of(session, custody)]


@router.post(
    "/api/release-orders/{order_id}/revoke", response_model=ReleaseOrderOut, responses=responses(404, 409)
)
def revoke(
    order_id: RowId,
    session: SessionDep,
    who: Officer,
    reason: Annotated[str, Body(embed=True, max_length=500)] = "",
) -> ReleaseOrderOut:
    order = release.visible_order(session, who, order_id)
    return ReleaseOrderOut.of(release.revoke_order(session, actor=who, order=order, reason=reason))


@router.post(
    "/api/custody/{custody_id}/release", response_model=CustodyOut, responses=responses(404, 409, 422)
)
def release_car(
    custody_id: RowId, body: ReleaseIn, session: SessionDep, who: Staff, idem: IdempotencyDep
) -> object:
    """The car leaves the center (出库) on the court's release order, to the person it names: without an
    issued order, or to anyone else, it stays (409 / 403)."""
    custody = service.visible_custody(session, who, custody_id)
    return idem.run(
        lambda: CustodyOut.of(release.release(session, actor=who, custody=custody, data=body)), 200
    )


@router.get("/api/custody/{custody_id}/statement", response_model=StatementOut, responses=responses(404, 409))
def statement(
    custody_id: RowId, session: SessionDep, who: Follower, as_of: date | None = None
) -> StatementOut:
    """The running cost statement: towing, storage by the day at the center's tariff, inspection and other
    charges, in fen; paid first from the proceeds (网拍规定 Art. 7). `as_of` defaults to today."""
    custody = service.visible_custody(session, who, custody_id)
    return StatementOut.of(costs.statement(session, custody, as_of), custody)


@router.post(
    "/api/custody/{custody_id}/charges",
    status_code=201,
    response_model=ChargeOut,
    responses={
        200: {"model": ChargeOut, "description": "The same charge key: the first charge"},
        **responses(404, 409, 422),
    },
)
def add_charge(
    custody_id: RowId, body: ChargeIn, session: SessionDep, who: Staff, response: Response
) -> ChargeOut:
    """A cost outside the tariff. `charge_key` is the center's reference: the same key is one charge."""
    custody = service.visible_custody(session, who, custody_id)
    charge, created = tariffs.add_charge(session, actor=who, custody=custody, data=body)
    created_or_replayed(response, created)
    return ChargeOut.of(charge)


@router.get("/api/centers/{center_id}/tariffs", response_model=list[TariffOut], responses=responses(404))
def list_tariffs(center_id: RowId, session: SessionDep, who: AnyUser) -> list[TariffOut]:
    """The center's tariffs by vehicle class, each from its effective day on."""
    return [TariffOut.of(t) for t in tariffs.tariffs_of(session, tariffs.center_of(session, center_id))]


@router.put("/api/centers/{center_id}/tariffs", response_model=TariffOut, responses=responses(404, 422))
def set_tariff(center_id: RowId, body: TariffIn, session: SessionDep, who: TariffSetter) -> TariffOut:
    """Set the center's prices for a vehicle class from a day on (today or later), in fen."""
    center = tariffs.center_of(session, center_id)
    return TariffOut.of(tariffs.set_tariff(session, actor=who, center=center, data=body))
