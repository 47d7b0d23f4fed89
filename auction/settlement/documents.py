"""The court's documents for a sale: the sale ruling (成交裁定书, 拍卖变卖规定 Art. 20) and the 协助执行通知书
to the vehicle registry (民诉法 Art. 262; 查封规定 Art. 28; 登记规定 Art. 30, 90). Each is numbered and kept
as issued (its content and the content's digest, sealed into the case's timeline); the PDF is printed from
the kept content, so it never changes. The ruling is served on the buyer in the one window they consented
to electronic service in; ownership passes on service (民诉法解释 Art. 491)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.closing import confirmation_of
from auction.models import BUILTIN_PLATFORM, AuctionLot, AuctionRound, RoundKind
from auction.settlement import service
from auction.settlement.models import DocumentKind, SaleDocument, Settlement, SettlementStatus
from auction.settlement.rules import RULE_OWNERSHIP, RULE_RULING
from auction.settlement.transitions import SETTLEMENT
from car_enforce.cases.models import EnforcementCase, PartyRole
from car_enforce.cases.numbering import next_number, numeral
from car_enforce.core import clock, zh
from car_enforce.core.errors import Conflict, InvalidInput
from car_enforce.core.identity.models import Organisation, OrgKind
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.models import Custody, ReleaseOrder
from car_enforce.custody.schemas import PaperKind
from car_enforce.registry.models import RegistryRequest
from car_enforce.vehicles.models import Vehicle, colour_zh
from car_enforce.watches.models import Watch, WatchRenewal

SYSTEM = Principal.system("sale-documents")
# What the registry voids and reissues when the court could not get it (登记规定 Art. 30).
REISSUED = {
    PaperKind.REGISTRATION_BOOK: "机动车登记证书",
    PaperKind.REGISTRATION_CERTIFICATE: "机动车行驶证",
}


@dataclass(frozen=True, slots=True)
class RulingContent:
    """A sale ruling as issued: every text it prints (hashable, so the same content prints once)."""

    number: str
    court: str
    case_number: str
    applicants: str
    debtor: str
    vehicle: str
    plate: str
    vin: str
    sale: str  # 第1次拍卖, 变卖
    platform: str
    closed: str
    confirmation: str
    price_fen: int
    buyer_name: str
    buyer_id_masked: str
    paid_on: str
    issued_on: str


@dataclass(frozen=True, slots=True)
class NoticeContent:
    """A 协助执行通知书 to the registry: what it asks, and which papers the court could not get."""

    number: str
    ruling_number: str
    court: str
    registry: str
    case_number: str
    applicants: str
    debtor: str
    vehicle: str
    plate: str
    vin: str
    buyer_name: str
    buyer_id_masked: str
    not_obtained: tuple[str, ...]  # 机动车登记证书, 机动车行驶证, 号牌 the court could not get
    issued_on: str


def _digest(content: object) -> str:
    body = json.dumps(asdict(content), ensure_ascii=False, sort_keys=True)  # type: ignore[call-overload]
    return hashlib.sha256(body.encode()).hexdigest()


def _next_number(session: Session, case: EnforcementCase) -> str:
    """The sale ruling's number: the case's next, after the seizure rulings its watches rest on, their
    renewals', the notices sent to the registry, the documents the center's release orders rest on and the
    sale documents issued before."""
    watches = select(Watch.id).where(Watch.case_id == case.id)
    held = select(Custody.id).where(Custody.case_id == case.id)
    used = [
        *session.scalars(select(ReleaseOrder.document_number).where(ReleaseOrder.custody_id.in_(held))),
        *session.scalars(select(Watch.ruling_number).where(Watch.case_id == case.id)),
        *session.scalars(select(WatchRenewal.ruling_number).where(WatchRenewal.watch_id.in_(watches))),
        *session.scalars(select(RegistryRequest.ruling_number).where(RegistryRequest.case_id == case.id)),
        *session.scalars(select(RegistryRequest.notice_number).where(RegistryRequest.case_id == case.id)),
        *session.scalars(
            select(SaleDocument.number)
            .join(Settlement, Settlement.id == SaleDocument.settlement_id)
            .where(Settlement.case_id == case.id)
        ),
    ]
    return next_number(case.case_number, used)


def _names(case: EnforcementCase, role: PartyRole) -> str:
    return "、".join(p.name for p in case.parties if p.role == role) or "（未登记）"


def _registry(session: Session) -> str:
    name = session.scalar(
        select(Organisation.name)
        .where(Organisation.kind == OrgKind.VEHICLE_REGISTRY)
        .order_by(Organisation.id)
    )
    return name or "车辆管理所"


def not_obtained(custody: Custody | None) -> tuple[str, ...]:
    """The papers and plates the court could not hand over with the car (登记规定 Art. 30)."""
    papers = set(custody.papers) if custody is not None else set()
    missing = [name for kind, name in REISSUED.items() if kind not in papers]
    # The car came in on its plates unless the intake said otherwise: no plate paper kind exists.
    return tuple(missing)


def issue(
    session: Session, settlement: Settlement, *, actor: Principal = SYSTEM
) -> tuple[SaleDocument, SaleDocument]:
    """Issue the ruling and the notice once the price is paid in full; issued before, they are returned."""
    existing = {
        d.kind: d
        for d in session.scalars(select(SaleDocument).where(SaleDocument.settlement_id == settlement.id))
    }
    if DocumentKind.RULING in existing and DocumentKind.REGISTRY_NOTICE in existing:
        return existing[DocumentKind.RULING], existing[DocumentKind.REGISTRY_NOTICE]
    if settlement.status != SettlementStatus.PAID:
        raise SETTLEMENT.conflict(
            f"settlement {settlement.id} is {settlement.status}: the ruling follows full payment",
            zh="价款付清后才能出具成交裁定",
        )
    lot = session.get(AuctionLot, settlement.lot_id)
    rnd = session.get(AuctionRound, settlement.round_id)
    case = session.get(EnforcementCase, settlement.case_id)
    assert lot is not None and rnd is not None and case is not None and settlement.paid_at is not None
    vehicle = session.get(Vehicle, lot.vehicle_id)
    custody = session.get(Custody, lot.custody_id)
    assert vehicle is not None
    now = clock.now()
    number = _next_number(session, case)
    vehicle_text = f"{vehicle.description or '机动车'}（{colour_zh(vehicle.plate_colour)}）"
    confirmed = confirmation_of(session, rnd.id)
    ruling = RulingContent(
        number=number,
        court=case.court.name,
        case_number=case.case_number,
        applicants=_names(case, PartyRole.APPLICANT),
        debtor=_names(case, PartyRole.DEBTOR),
        vehicle=vehicle_text,
        plate=vehicle.plate_as_written,
        vin=vehicle.vin or "（未登记）",
        sale="变卖" if rnd.kind == RoundKind.SALE else f"第{numeral(rnd.number)}次拍卖",
        platform="本平台网络竞价室" if rnd.platform == BUILTIN_PLATFORM else rnd.platform,
        closed=zh.minute(settlement.sold_at),
        confirmation=confirmed.number if confirmed is not None else "",
        price_fen=settlement.price_fen,
        buyer_name=settlement.buyer_name,
        buyer_id_masked=settlement.buyer_id_masked,
        paid_on=zh.day(settlement.paid_at),
        issued_on=zh.day(now),
    )
    notice = NoticeContent(
        number=number,
        ruling_number=number,
        court=case.court.name,
        registry=_registry(session),
        case_number=case.case_number,
        applicants=ruling.applicants,
        debtor=ruling.debtor,
        vehicle=vehicle_text,
        plate=vehicle.plate_as_written,
        vin=ruling.vin,
        buyer_name=settlement.buyer_name,
        buyer_id_masked=settlement.buyer_id_masked,
        not_obtained=not_obtained(custody),
        issued_on=ruling.issued_on,
    )
    documents = []
    for kind, content in ((DocumentKind.RULING, ruling), (DocumentKind.REGISTRY_NOTICE, notice)):
        document = SaleDocument(
            settlement_id=settlement.id,
            kind=kind,
            number=number,
            content=asdict(content),
            digest=_digest(content),
            issued_at=now,
            issued_by=actor.label,
        )
        session.add(document)
        documents.append(document)
    settlement.ruling_number = settlement.notice_number = number
    settlement.ruled_at = now
    session.flush()
    service.tell(
        session,
        actor,
        settlement,
        "auction.ruling_issued",
        {
            "number": number,
            "ruling_digest": documents[0].digest,
            "notice_digest": documents[1].digest,
            "not_obtained": list(notice.not_obtained),
        },
        reason=RULE_RULING,
        text=f"的成交裁定（{number}）已作出，将送达买受人，并向车辆管理所发出协助执行通知书。",
    )
    return documents[0], documents[1]


def ruling_content(document: SaleDocument) -> RulingContent:
    return RulingContent(**document.content)


def notice_content(document: SaleDocument) -> NoticeContent:
    content = dict(document.content)
    content["not_obtained"] = tuple(content.get("not_obtained", ()))
    return NoticeContent(**content)


def documents_of(session: Session, settlement: Settlement) -> dict[DocumentKind, SaleDocument]:
    rows = session.scalars(
        select(SaleDocument).where(SaleDocument.settlement_id == settlement.id).order_by(SaleDocument.id)
    )
    return {d.kind: d for d in rows}


def serve(
    session: Session, settlement: Settlement, *, how: str, at: datetime, actor: Principal
) -> Settlement:
    """The ruling served on the buyer: ownership passes (民诉法解释 Art. 491); the handover is due within 15
    days (拍卖变卖规定 Art. 27). ``how``: electronically in the one window, or as the officer records it."""
    if not settlement.ruling_number:
        raise Conflict("the ruling is not issued yet", zh="成交裁定尚未作出，不能送达")
    how = how.strip()
    if not how:
        raise InvalidInput("how", "say how the ruling was served", zh="请写明送达方式")
    if at > clock.now() + timedelta(minutes=1):
        raise InvalidInput("at", "is in the future", zh="送达时间不能晚于现在")
    if settlement.ruled_at is not None and at < settlement.ruled_at:
        raise InvalidInput("at", "is before the ruling was made", zh="送达时间不能早于裁定作出的时间")
    SETTLEMENT.move(settlement, "serve")
    settlement.served_at, settlement.served_how = at, how[:64]
    session.flush()
    service.tell(
        session,
        actor,
        settlement,
        "auction.ruling_served",
        {"number": settlement.ruling_number, "served_at": at, "how": settlement.served_how},
        reason=RULE_OWNERSHIP,
        text=f"的成交裁定已于{zh.minute(at)}送达买受人，车辆所有权转移，过户与交付随即办理。",
    )
    return settlement
