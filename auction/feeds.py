"""The public side of the sales: which rounds anyone may see, and each one shaped for the listing, the lot
page, the JSON API and the feeds, with no personal data (网拍规定 Art. 13, 14; RULES: public pages never show
a debtor's name, ID number or phone; bidders appear by their number only).

Every text that leaves here goes through the lot's ``Scrubber``: the announcement's items are generated with
names already masked, but some are typed by people (the defects, a court's own wording) and the lot's title
carries the plate.

The plate: a lot's title names the car by its plate as written (``大众 帕萨特 浙C12345``), and a plate
identifies its owner, here a judgment debtor, to anyone who knows the car. The announcement must let a
buyer find and view the car (Art. 13: its condition, photos, viewing at the center), which the brand, the
model, the first registration, the inspection and the photos do; the full plate adds nothing a buyer needs
before viewing, while in a feed it becomes searchable text that tells the world whose car was seized for
debt. So the public side shows the plate masked, keeping the issuing area (``浙C·***45``, ``zh.mask_plate``),
and never the VIN. The photos are the car's own (intake and inspection), which the law asks for; the
police's capture photos are not shown, they may show people and places.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from auction import rules
from auction.models import (
    AuctionLot,
    AuctionRound,
    Confirmation,
    PriorityBuyer,
    RoundKind,
    RoundStatus,
)
from auction.room_state import room_of
from car_enforce.cases.models import EnforcementCase
from car_enforce.core import clock, zh
from car_enforce.core.errors import InvalidInput, NotFound
from car_enforce.core.files.photos import photo_at
from car_enforce.core.identity.models import Organisation
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.custody.models import Custody, CustodyPhoto
from car_enforce.vehicles.models import Vehicle
from valuation.inspection import report, service
from valuation.inspection.checklist import checklist
from valuation.inspection.grading import grade_name
from valuation.inspection.models import Inspection

FEED_SIZE = 50  # the feeds carry the newest rounds; the JSON list pages through the rest
PAGE_SIZE = 20
NOT_PUBLIC_ZH = "没有找到此拍卖标的"

# Rounds the public sees: every round once announced. A withdrawn round is shown only if it was announced
# (a draft can be withdrawn with its lot, and a draft was never public).
SHOWN = (
    RoundStatus.ANNOUNCED,
    RoundStatus.SUSPENDED,
    RoundStatus.SOLD,
    RoundStatus.UNSOLD,
    RoundStatus.DEFAULTED,
)


class PublicStatus(StrEnum):
    UPCOMING = "upcoming"
    BIDDING = "bidding"
    SUSPENDED = "suspended"
    ENDED = "ended"  # past its effective end, the close not yet recorded (the scheduler's next sweep)
    SOLD = "sold"
    UNSOLD = "unsold"
    DEFAULTED = "defaulted"
    WITHDRAWN = "withdrawn"


STATUS_NAMES_ZH: dict[PublicStatus, str] = {
    PublicStatus.UPCOMING: "即将开始",
    PublicStatus.BIDDING: "竞价中",
    PublicStatus.SUSPENDED: "已暂缓",
    PublicStatus.ENDED: "竞价结束",
    PublicStatus.SOLD: "已成交",
    PublicStatus.UNSOLD: "已流拍",
    PublicStatus.DEFAULTED: "买受人悔拍",
    PublicStatus.WITHDRAWN: "已撤回",
}


def public_status(rnd: AuctionRound, now: datetime) -> PublicStatus:
    closed = {
        RoundStatus.SOLD: PublicStatus.SOLD,
        RoundStatus.UNSOLD: PublicStatus.UNSOLD,
        RoundStatus.DEFAULTED: PublicStatus.DEFAULTED,
        RoundStatus.WITHDRAWN: PublicStatus.WITHDRAWN,
        RoundStatus.SUSPENDED: PublicStatus.SUSPENDED,
    }
    if rnd.status in closed:
        return closed[RoundStatus(rnd.status)]
    if now < rnd.starts_at:
        return PublicStatus.UPCOMING
    return PublicStatus.BIDDING if now < rnd.effective_end_at else PublicStatus.ENDED


def kind_zh(rnd: AuctionRound) -> str:
    if rnd.kind == RoundKind.SALE:
        return "变卖"
    if rnd.resale:
        return "重新拍卖"
    return "第一次拍卖" if rnd.number == 1 else "第二次拍卖"


def _span(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    return f"{hours}小时{mins}分" if hours else f"{mins}分钟"


def countdown_zh(status: PublicStatus, starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    """The card's line under the price: how long until the bidding starts or ends, or how it ended."""
    if status == PublicStatus.UPCOMING:
        return f"距开始还有{_span(starts_at - now)}（{zh.minute(starts_at)}开始）"
    if status == PublicStatus.BIDDING:
        return f"距结束还有{_span(ends_at - now)}（{zh.minute(ends_at)}结束，遇出价可能延时）"
    if status == PublicStatus.SUSPENDED:
        return "竞价已暂缓，恢复后另行公告"
    return f"已于{zh.minute(ends_at)}结束" if status != PublicStatus.WITHDRAWN else "拍卖已撤回"


# --- personal data ------------------------------------------------------------------------------------

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@dataclass(frozen=True, slots=True)
class Scrubber:
    """Replaces a lot's known personal data in free text by its masked form, the longest first (so that a
    name inside a longer one goes with it); then any resident ID or mobile number left in the text. The
    court's own phone numbers stay: they are how the public reaches it (Art. 13)."""

    pairs: tuple[tuple[str, str], ...]
    keep: frozenset[str] = frozenset()

    def __call__(self, text: str) -> str:
        for secret, masked in self.pairs:
            text = text.replace(secret, masked)
        text = _ID_NUMBER.sub(lambda m: zh.mask_id_number(m.group()), text)
        return _MOBILE.sub(lambda m: m.group() if m.group() in self.keep else zh.mask_phone(m.group()), text)


def _scrubber(
    vehicle: Vehicle | None,
    parties: Iterable[tuple[str, str, str]],
    names: Iterable[str],
    keep: Iterable[str],
) -> Scrubber:
    found: dict[str, str] = {}
    if vehicle is not None:
        for plate in (vehicle.plate, vehicle.plate_as_written):
            if plate.strip():
                found[plate.strip()] = zh.mask_plate(plate)
        if vehicle.vin:
            found[vehicle.vin] = vehicle.vin[:3] + zh.MASK * (len(vehicle.vin) - 3)
    for name, id_number, phone in parties:
        found[name.strip()] = zh.mask_name(name)
        if id_number.strip():
            found[id_number.strip()] = zh.mask_id_number(id_number)
        if phone.strip():
            found[phone.strip()] = zh.mask_phone(phone)
    for name in names:
        if name.strip():
            found[name.strip()] = zh.mask_name(name)
    pairs = sorted(((k, v) for k, v in found.items() if k and k != v), key=lambda kv: -len(kv[0]))
    return Scrubber(tuple(pairs), frozenset(p for p in keep if p))


def _scrubbers(session: Session, lots: Sequence[AuctionLot]) -> dict[int, Scrubber]:
    """Each lot's scrubber, in four queries whatever the number of lots."""
    if not lots:
        return {}
    vehicles = {
        v.id: v
        for v in session.scalars(select(Vehicle).where(Vehicle.id.in_({lot.vehicle_id for lot in lots})))
    }
    cases = {
        c.id: c
        for c in session.scalars(
            select(EnforcementCase).where(EnforcementCase.id.in_({lot.case_id for lot in lots}))
        )
    }
    buyers: dict[int, list[str]] = {}
    for lot_id, name in session.execute(
        select(PriorityBuyer.lot_id, PriorityBuyer.name).where(PriorityBuyer.lot_id.in_({x.id for x in lots}))
    ):
        buyers.setdefault(lot_id, []).append(name)
    out = {}
    for lot in lots:
        case = cases.get(lot.case_id)
        parties = [(p.name, p.id_number, p.phone) for p in case.parties] if case is not None else []
        keep = [case.court.contact_phone or ""] if case is not None else []
        names = [*lot.to_notify, *buyers.get(lot.id, [])]
        out[lot.id] = _scrubber(vehicles.get(lot.vehicle_id), parties, names, keep)
    return out


def scrubber_of(session: Session, lot: AuctionLot) -> Scrubber:
    """The lot's scrubber: what it publishes anywhere (its pages, its feeds, an outside platform) goes
    through it."""
    return _scrubbers(session, [lot])[lot.id]


# --- what the public sees -----------------------------------------------------------------------------


class PublicSale(BaseModel):
    """A sold round's result as the public sees it: the 成交确认书 is published with the buyer's real
    identity (Art. 22) on its own page, never in the listing or the feeds; here only its number."""

    confirmation_number: str
    price_fen: int
    buyer_number: str = Field(description="the buyer's bidder number (竞买号)")
    closed_at: datetime


class PublicLot(BaseModel):
    """One round of one lot, as the listing, the JSON API and the feeds show it."""

    round_id: int
    lot_id: int
    url: str = Field(description="the lot page, a path of this site")
    title: str = Field(description="the car, its plate masked: 大众 帕萨特 浙C·***45")
    court: str
    kind: str = Field(description="auction or sale (变卖)")
    kind_zh: str = Field(description="第一次拍卖, 第二次拍卖, 重新拍卖 or 变卖")
    status: PublicStatus
    status_zh: str
    countdown_zh: str
    platform: str
    starting_price_fen: int
    deposit_fen: int
    increment_fen: int
    price_fen: int | None = Field(description="the standing bid, none before the first")
    next_min_fen: int | None = Field(description="the least the next bid may be, while bidding is open")
    bids: int
    announced_at: datetime
    starts_at: datetime
    ends_at: datetime = Field(description="the scheduled end")
    effective_end_at: datetime = Field(description="the end after the extensions of late bids (Art. 20)")
    updated_at: datetime
    suspend_reason: str = ""
    sale: PublicSale | None = None
    cover_url: str | None = Field(default=None, description="the car's first intake photo")


class PublicLotList(BaseModel):
    items: list[PublicLot]
    next_before: int | None = Field(description="pass as ?before= for the next (older) page; none at the end")


class PublicItem(BaseModel):
    """One item of the announcement (Art. 13, 14), by its name in the rules."""

    key: str
    name_zh: str
    text: str


class PublicPhoto(BaseModel):
    url: str
    caption: str


class PublicDefect(BaseModel):
    label: str
    notes: str
    photos: list[PublicPhoto]


class PublicInspection(BaseModel):
    inspection_id: int
    inspected_on: str
    grade: int
    grade_zh: str
    score: int
    accident: bool
    flood_damage: bool
    fire_damage: bool
    odometer_km: int | None
    summary: str
    report_url: str
    defects: list[PublicDefect]


class PublicRound(BaseModel):
    """Another round of the same lot, for the lot's history."""

    round_id: int
    kind_zh: str
    status_zh: str
    starting_price_fen: int
    starts_at: datetime
    url: str


class PublicLotPage(PublicLot):
    """The lot page: the round, the announcement's items in their order, the car's photos and inspection."""

    items: list[PublicItem]
    photos: list[PublicPhoto] = Field(description="the photos taken at intake, at the center")
    inspection: PublicInspection | None
    history: list[PublicRound] = Field(description="the lot's other public rounds, the first first")


def _announced_event() -> ColumnElement[bool]:
    subject = literal("auction_lot:").concat(cast(AuctionRound.lot_id, String))
    return exists(
        select(TimelineEvent.id).where(
            TimelineEvent.kind == "auction.announced",
            TimelineEvent.subject == subject,
            TimelineEvent.data["round_id"].as_integer() == AuctionRound.id,
        )
    )


def _is_public() -> ColumnElement[bool]:
    return or_(
        AuctionRound.status.in_(SHOWN),
        and_(AuctionRound.status == RoundStatus.WITHDRAWN, _announced_event()),
    )


def public_round(session: Session, round_id: int) -> AuctionRound:
    """A round anyone may see; NotFound for a draft, as for a round that does not exist."""
    rnd = session.scalar(select(AuctionRound).where(AuctionRound.id == round_id, _is_public()))
    if rnd is None:
        raise NotFound(f"round {round_id} is not public", zh=NOT_PUBLIC_ZH)
    return rnd


def _rounds(session: Session, *, before: int | None, limit: int) -> list[AuctionRound]:
    query = select(AuctionRound).where(_is_public())
    if before is not None:
        anchor = session.scalar(select(AuctionRound).where(AuctionRound.id == before, _is_public()))
        if anchor is None:
            raise InvalidInput("before", f"round {before} is not a public round", zh="翻页位置不是公开的拍卖")
        query = query.where(
            or_(
                AuctionRound.announced_at < anchor.announced_at,
                and_(AuctionRound.announced_at == anchor.announced_at, AuctionRound.id < anchor.id),
            )
        )
    query = query.order_by(AuctionRound.announced_at.desc(), AuctionRound.id.desc()).limit(limit)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class _Context:
    now: datetime
    courts: dict[int, str]
    scrub: dict[int, Scrubber]
    sales: dict[int, Confirmation]
    touched: dict[int, datetime]  # the lot's latest recorded event
    covers: dict[int, int]  # the custody's first photo's position


def _context(session: Session, rounds: Sequence[AuctionRound]) -> _Context:
    lots = list({r.lot_id: r.lot for r in rounds}.values())
    courts = {
        o.id: o.name
        for o in session.scalars(select(Organisation).where(Organisation.id.in_({x.court_id for x in lots})))
    }
    sales = {
        c.round_id: c
        for c in session.scalars(
            select(Confirmation).where(Confirmation.round_id.in_([r.id for r in rounds]))
        )
    }
    subjects = {f"auction_lot:{x.id}": x.id for x in lots}
    touched = {
        subjects[subject]: at
        for subject, at in session.execute(
            select(TimelineEvent.subject, func.max(TimelineEvent.at))
            .where(TimelineEvent.subject.in_(list(subjects)))
            .group_by(TimelineEvent.subject)
        )
    }
    covers = {
        custody_id: position
        for custody_id, position in session.execute(
            select(CustodyPhoto.custody_id, func.min(CustodyPhoto.position))
            .where(CustodyPhoto.custody_id.in_({x.custody_id for x in lots}))
            .group_by(CustodyPhoto.custody_id)
        )
    }
    return _Context(clock.now(), courts, _scrubbers(session, lots), sales, touched, covers)


def _shape(rnd: AuctionRound, ctx: _Context) -> PublicLot:
    lot, scrub, now = rnd.lot, ctx.scrub[rnd.lot_id], ctx.now
    status = public_status(rnd, now)
    sale = ctx.sales.get(rnd.id)
    # What happened last: the announcement, a bid, a stop, the close, or the start and end passing.
    instants = [rnd.announced_at, rnd.leader_at, rnd.suspended_at, rnd.closed_at, ctx.touched.get(lot.id)]
    instants += [t for t in (rnd.starts_at, rnd.effective_end_at) if t <= now]
    if sale is not None:
        instants.append(sale.issued_at)
    updated = max((t for t in instants if t is not None and t <= now), default=rnd.announced_at)
    return PublicLot(
        round_id=rnd.id,
        lot_id=lot.id,
        url=f"/auctions/{rnd.id}",
        title=scrub(lot.title),
        court=ctx.courts.get(lot.court_id, ""),
        kind=rnd.kind,
        kind_zh=kind_zh(rnd),
        status=status,
        status_zh=STATUS_NAMES_ZH[status],
        countdown_zh=countdown_zh(status, rnd.starts_at, rnd.effective_end_at, now),
        platform=rnd.platform,
        starting_price_fen=rnd.starting_price_fen,
        deposit_fen=rnd.deposit_fen,
        increment_fen=rnd.increment_fen,
        price_fen=rnd.price_fen,
        next_min_fen=room_of(rnd).next_min_fen
        if status in (PublicStatus.UPCOMING, PublicStatus.BIDDING)
        else None,
        bids=rnd.bids,
        announced_at=rnd.announced_at,
        starts_at=rnd.starts_at,
        ends_at=rnd.ends_at,
        effective_end_at=rnd.effective_end_at,
        updated_at=updated,
        suspend_reason=scrub(rnd.suspend_reason) if status == PublicStatus.SUSPENDED else "",
        sale=PublicSale(
            confirmation_number=sale.number,
            price_fen=sale.price_fen,
            buyer_number=sale.buyer_number,
            closed_at=sale.closed_at,
        )
        if sale is not None
        else None,
        cover_url=f"/auctions/{rnd.id}/photos/{cover}"
        if (cover := ctx.covers.get(lot.custody_id)) is not None
        else None,
    )


def public_lots(session: Session, *, before: int | None = None, limit: int = PAGE_SIZE) -> PublicLotList:
    """The public rounds, the latest announced first, ``limit`` a page; ``before`` a round of the previous
    page's end (a cursor, so a round announced meanwhile does not shift the pages)."""
    rounds = _rounds(session, before=before, limit=limit + 1)
    page = rounds[:limit]
    ctx = _context(session, page)
    return PublicLotList(
        items=[_shape(r, ctx) for r in page], next_before=page[-1].id if len(rounds) > limit else None
    )


# --- the lot page -------------------------------------------------------------------------------------


def _custody(session: Session, rnd: AuctionRound) -> Custody:
    custody = session.get(Custody, rnd.lot.custody_id)
    assert custody is not None
    return custody


def _inspection(session: Session, rnd: AuctionRound, scrub: Scrubber) -> PublicInspection | None:
    found = service.latest_inspection(session, rnd.lot.custody_id)
    if found is None:
        return None
    data = checklist()
    return PublicInspection(
        inspection_id=found.id,
        inspected_on=zh.day(found.inspected_at),
        grade=found.grade,
        grade_zh=grade_name(found.grade),
        score=found.score,
        accident=found.accident,
        flood_damage=found.flood_damage,
        fire_damage=found.fire_damage,
        odometer_km=found.odometer_km,
        summary=scrub(found.summary),
        report_url=f"/auctions/{rnd.id}/inspection",
        defects=[
            PublicDefect(
                label=report.defect_label(d, data),
                notes=scrub(d.notes),
                photos=[
                    PublicPhoto(
                        url=f"/auctions/{rnd.id}/defects/{d.id}/photos/{p.position}", caption=scrub(p.caption)
                    )
                    for p in d.photos
                ],
            )
            for d in found.defects
        ],
    )


def lot_page(session: Session, round_id: int) -> PublicLotPage:
    """One public round with everything its page shows."""
    rnd = public_round(session, round_id)
    ctx = _context(session, [rnd])
    scrub = ctx.scrub[rnd.lot_id]
    texts = rnd.lot.disclosures
    items = [
        PublicItem(key=d.value, name_zh=rules.DISCLOSURE_NAMES_ZH[d], text=scrub(texts[d]))
        for d in rules.Disclosure
        if texts.get(d, "").strip()
    ]
    custody = _custody(session, rnd)
    others = session.scalars(
        select(AuctionRound)
        .where(AuctionRound.lot_id == rnd.lot_id, AuctionRound.id != rnd.id, _is_public())
        .order_by(AuctionRound.sequence)
    )
    return PublicLotPage(
        **_shape(rnd, ctx).model_dump(),
        items=items,
        photos=[
            PublicPhoto(url=f"/auctions/{rnd.id}/photos/{p.position}", caption=scrub(p.caption))
            for p in custody.photos
        ],
        inspection=_inspection(session, rnd, scrub),
        history=[
            PublicRound(
                round_id=r.id,
                kind_zh=kind_zh(r),
                status_zh=STATUS_NAMES_ZH[public_status(r, ctx.now)],
                starting_price_fen=r.starting_price_fen,
                starts_at=r.starts_at,
                url=f"/auctions/{r.id}",
            )
            for r in others
        ],
    )


def intake_photo(session: Session, round_id: int, position: int) -> tuple[bytes, str]:
    """An intake photo of a public round's car, and its media type."""
    rnd = public_round(session, round_id)
    return photo_at(_custody(session, rnd).photos, position, of=f"the car of round {round_id}")


def _public_inspection(session: Session, rnd: AuctionRound) -> Inspection:
    found = service.latest_inspection(session, rnd.lot.custody_id)
    if found is None:
        raise NotFound(f"the car of round {rnd.id} has no inspection", zh="此标的车辆尚无检测报告")
    return found


def defect_photo(session: Session, round_id: int, defect_id: int, position: int) -> tuple[bytes, str]:
    """A photo of a defect found by the inspection that counts for a public round's car."""
    inspection = _public_inspection(session, public_round(session, round_id))
    defect = next((d for d in inspection.defects if d.id == defect_id), None)
    if defect is None:
        raise NotFound(f"the inspection has no defect {defect_id}", zh="此检测没有这项缺陷")
    return photo_at(defect.photos, position, of=f"defect {defect_id}")


def public_report(session: Session, round_id: int) -> report.Report:
    """The inspection report of a public round's car, as the public may read it: the plate masked, no VIN,
    the inspector and the staff who corrected it named by their center only, typed notes scrubbed."""
    rnd = public_round(session, round_id)
    data = report.report_data(session, _public_inspection(session, rnd))
    scrub = _context(session, [rnd]).scrub[rnd.lot_id]
    center = _custody(session, rnd).center.name

    def correction(c: report.Correction | None) -> report.Correction | None:
        return replace(c, by=center, reason=scrub(c.reason)) if c is not None else None

    def defect(d: report.ReportDefect) -> report.ReportDefect:
        return replace(
            d, notes=scrub(d.notes), photos=tuple(replace(p, caption=scrub(p.caption)) for p in d.photos)
        )

    def section(s: report.ReportSection) -> report.ReportSection:
        return replace(s, items=tuple(replace(i, notes=scrub(i.notes)) for i in s.items))

    return replace(
        data,
        plate=zh.mask_plate(data.plate),
        vin="不公开",
        inspector=f"{center}检测人员",
        vehicle_description=scrub(data.vehicle_description),
        corrects=correction(data.corrects),
        corrected_by=correction(data.corrected_by),
        sections=tuple(section(s) for s in data.sections),
        defects=tuple(defect(d) for d in data.defects),
        summary=scrub(data.summary),
    )


__all__ = [
    "FEED_SIZE",
    "STATUS_NAMES_ZH",
    "PublicLot",
    "PublicLotList",
    "PublicLotPage",
    "PublicStatus",
    "Scrubber",
    "countdown_zh",
    "defect_photo",
    "intake_photo",
    "kind_zh",
    "lot_page",
    "public_lots",
    "public_report",
    "public_round",
    "public_status",
]
