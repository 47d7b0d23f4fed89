"""The one window (一窗受理): the buyer hands in identity and papers once, in one place; the ruling's service,
the registry's transfer and the handover at the center all take what they need from here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from auction.lots import manages
from auction.settlement import service
from auction.settlement.models import Settlement, SettlementStatus, TransferStatus
from auction.settlement.rules import RULE_ONE_WINDOW
from auction.settlement.schemas import PapersIn
from car_enforce.cases.id_numbers import check_credit_code, check_resident_id
from car_enforce.core import clock
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.security import sha256_hex
from car_enforce.core.zh import mask_id_number, mask_phone


def _identity(raw: str) -> str:
    try:
        return check_resident_id(raw, "id_number")
    except InvalidInput as as_person:
        try:
            return check_credit_code(raw, "id_number")
        except InvalidInput:
            raise as_person from None


def submit(session: Session, *, who: Principal, settlement: Settlement, data: PapersIn) -> Settlement:
    """The buyer's papers, taken once: the ID must be the buyer's the 确认书 names (papers for another buyer
    are refused, nothing stored). The same papers again change nothing; changed papers replace them until
    the registry has the transfer. The court's staff may take them at the counter for the buyer."""
    at_counter = manages(who, settlement.court_id)
    if not at_counter and (settlement.buyer_user_id is None or settlement.buyer_user_id != who.user_id):
        raise NotFound(f"settlement {settlement.id} does not exist", zh="没有找到此成交记录")
    settlement = service.lock(session, settlement.id)
    if settlement.status in (SettlementStatus.DEFAULTED, SettlementStatus.DONE):
        raise Conflict(
            f"settlement {settlement.id} is {settlement.status}: no papers are taken",
            zh="此成交已结束，无需再交材料",
        )
    id_number = _identity(data.id_number)
    if not settlement.buyer_id_digest or sha256_hex(id_number) != settlement.buyer_id_digest:
        raise Forbidden(
            "these papers are not the buyer's: the ID number is not the one the confirmation names "
            f"({settlement.buyer_id_masked})",
            rule=RULE_ONE_WINDOW,
            zh=f"证件号码与成交确认书载明的买受人（{settlement.buyer_id_masked}）不符，材料不予受理",
            field="id_number",
        )
    if settlement.transfer_status not in (TransferStatus.NOT_STARTED, TransferStatus.REFUSED):
        raise Conflict(
            "the registry already has the transfer with the papers handed in",
            zh="车辆管理所已在办理过户，材料不能再更改",
        )
    papers = {
        "id_number": id_number,
        "phone": data.phone.strip(),
        "address": data.address.strip(),
        "electronic_service": data.electronic_service,
        "transfer_area": data.transfer_area,
        "agent_name": data.agent_name.strip(),
    }
    if settlement.papers is not None and {k: v for k, v in settlement.papers.items() if k != "by"} == papers:
        return settlement  # handed in before: nothing is asked, or done, twice
    settlement.papers = {**papers, "by": "counter" if at_counter else "buyer"}
    settlement.papers_at = clock.now()
    session.flush()
    service.tell(
        session,
        who,
        settlement,
        "auction.papers_received",
        {
            "id_masked": mask_id_number(id_number),
            "phone": mask_phone(data.phone.strip()),
            "electronic_service": data.electronic_service,
            "transfer_area": data.transfer_area,
            "at_counter": at_counter,
        },
        reason=RULE_ONE_WINDOW,
    )
    return settlement
