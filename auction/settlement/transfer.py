"""The transfer of registration (过户): once the ruling is served and the papers are in, the registry gets the
ruling and the 协助执行通知书 (登记规定 Art. 90), the court's seizure and every other one ending with the sale
(查封规定 Art. 27); papers or plates the court could not get are voided and issued anew (登记规定 Art. 30).
The registry's answer, by callback or by the sweep's polling, fills in the new registration or the refusal
with its reason; once its cause is cleared the transfer is applied for again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.lots import manages
from auction.models import AuctionLot
from auction.settlement import service
from auction.settlement.models import Settlement, SettlementStatus, TransferStatus
from auction.settlement.rules import RULE_ONE_WINDOW
from car_enforce.core import clock
from car_enforce.core.errors import Conflict, NotFound
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody
from car_enforce.custody.schemas import PaperKind
from car_enforce.registry import service as registry
from car_enforce.registry.client import HandedOver

SYSTEM = Principal.system("sale-transfer")
# What a completed transfer's news keeps on the settlement: the new title as the buyer and the court see it.
REGISTRATION_FIELDS = (
    "owner",
    "certificate_number",
    "certificate_reissued",
    "plate",
    "previous_plate",
    "plate_changed",
    "voided",
    "temporary_plate",
    "temporary_plate_valid_until",
    "completed_at",
)


def request_transfer(session: Session, settlement: Settlement, *, actor: Principal = SYSTEM) -> None:
    """Apply to the registry for the buyer's registration, with what the one window took."""
    papers: dict[str, Any] = settlement.papers or {}
    lot = session.get(AuctionLot, settlement.lot_id)
    assert lot is not None
    custody = session.get(Custody, lot.custody_id)
    held = set(custody.papers) if custody is not None else set()
    settlement.transfer_applications += 1
    settlement.transfer_status, settlement.transfer_refusal = TransferStatus.REQUESTED, ""
    session.flush()
    request = registry.queue_transfer(
        session,
        actor=actor,
        case_id=settlement.case_id,
        vehicle_id=lot.vehicle_id,
        ruling_number=settlement.ruling_number,
        notice_number=settlement.notice_number,
        buyer=registry.Buyer(settlement.buyer_name, str(papers["id_number"])),
        handed_over=HandedOver(
            certificate=PaperKind.REGISTRATION_BOOK in held,
            licence=PaperKind.REGISTRATION_CERTIFICATE in held,
            plates=True,  # the car came in on its plates
        ),
        out_of_area=papers.get("transfer_area") == "out_of_area",
        application=settlement.transfer_applications,
    )
    settlement.registry_request_id = request.id


def apply_again(session: Session, *, who: Principal, settlement: Settlement) -> Settlement:
    """The registry refused (uncleared violations, an overdue inspection…); its cause cleared, the buyer or
    the court applies again with the same ruling and notice."""
    if not manages(who, settlement.court_id) and who.user_id != settlement.buyer_user_id:
        raise NotFound(f"settlement {settlement.id} does not exist", zh="没有找到此成交记录")
    settlement = service.lock(session, settlement.id)
    if settlement.status != SettlementStatus.RULED or settlement.transfer_status != TransferStatus.REFUSED:
        raise Conflict(
            "only a transfer the registry refused is applied for again",
            zh="只有被车管所退回的过户申请才能重新申请",
        )
    request_transfer(session, settlement, actor=who)
    session.flush()
    service.tell(
        session,
        who,
        settlement,
        "auction.transfer_applied_again",
        {"application": settlement.transfer_applications},
        reason=RULE_ONE_WINDOW,
    )
    return settlement


def heard(session: Session, settlement: Settlement, kind: str, data: Mapping[str, Any]) -> bool:
    """The registry's answer on the settlement: the new registration, or the refusal with its reason. False
    for news that is not an answer."""
    if kind == "registry.transfer_completed":
        settlement.transfer_status = TransferStatus.REGISTERED
        settlement.registration = {k: data[k] for k in REGISTRATION_FIELDS if k in data}
        settlement.registered_at = _instant(data.get("completed_at"))
    elif kind in ("registry.transfer_refused", "registry.request_failed"):
        settlement.transfer_status = TransferStatus.REFUSED
        settlement.transfer_refusal = str(data.get("zh") or data.get("error") or "车管所未予办理")
    else:
        return False
    session.flush()
    return True


def of_request(session: Session, request_id: object) -> Settlement | None:
    if not isinstance(request_id, int):
        return None
    return session.scalar(
        select(Settlement).where(Settlement.registry_request_id == request_id).with_for_update()
    )


def _instant(value: object) -> datetime:
    if isinstance(value, datetime):
        return clock.as_utc(value)
    if isinstance(value, str):
        return clock.as_utc(datetime.fromisoformat(value))
    return clock.now()
