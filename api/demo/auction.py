"""The demo's auctions: a third Pingyang car sold on the built-in room, its bidding running as the demo
starts, with a buyer registered and the deposit paid, so `make run` shows a live room (README, "Auctions");
and a fourth the same buyer won the day before, its settlement waiting for the balance and the papers.

The law wants the parties told 3 days before the announcement and the announcement 15 days before the
bidding (网拍规定 Art. 12, 16), so a lawful round that bids now was made weeks ago. The seed makes it
through the services with the process clock set back (a ``MovableClock``), moved forward step by step, then
restored: every record is one the services would have written on those days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from api.demo.custody import seed_custody
from api.demo.region import TARIFF
from auction import bidders, bidding, closing, lots, rules
from auction import rounds as auction_rounds
from auction.models import AuctionRound
from car_enforce.cases.models import PartyKind
from car_enforce.cases.schemas import CaseCreate, PartyIn
from car_enforce.cases.service import open_case
from car_enforce.core import clock
from car_enforce.core.clock import MovableClock
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.custody.schemas import TariffIn
from car_enforce.custody.tariffs import set_tariff
from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.schemas import VehicleCreate
from car_enforce.vehicles.service import register_vehicle
from car_enforce.watches.schemas import WatchCreate
from car_enforce.watches.service import issue_watch
from valuation.reference_price.service import CarFacts, open_pricing, record_agreed_price

CASE_NUMBER = "(2026)浙0326执1301号"
PLATE = "浙C7A8B9"
REFERENCE_FEN = 12_000_000  # 120,000 yuan, agreed by the parties (参考价规定 Art. 4)
# Margins wide enough that a holiday moving a court period's last day never makes the round unlawful.
NOTICED_BEFORE = timedelta(days=32)
ANNOUNCED_BEFORE = timedelta(days=24)
STARTED_BEFORE = timedelta(hours=1)
RUNS = timedelta(days=1)
SOLD_BEFORE = timedelta(days=1)  # the sold lot's bidding ended a day before the seed
GATEWAY = Principal.system("demo-payments")  # the deposit as the payment gateway would report it


@dataclass(frozen=True, slots=True)
class DemoCar:
    case_number: str
    plate: str
    vin: str
    description: str
    facts: CarFacts
    report_number: str
    applicant: tuple[str, str, str]  # name, ID number, phone
    debtor: tuple[str, str, str]


LIVE = DemoCar(
    CASE_NUMBER,
    PLATE,
    "LVGBE40K6KG123456",
    "银色丰田凯美瑞轿车",
    CarFacts("丰田 凯美瑞 2.5L", date(2019, 8, 20)),
    "PY-DEMO-0002",
    ("陈某某", "330326197705050023", "13900000011"),
    ("周某某", "330326198212120032", "13900000012"),
)
SOLD = DemoCar(
    "(2026)浙0326执1302号",
    "浙C5D6E7",
    "LSVNV2182M2012343",
    "黑色大众迈腾轿车",
    CarFacts("大众 迈腾 2.0T", date(2021, 3, 15)),
    "PY-DEMO-0003",
    ("吴某某", "330326197906060025", "13900000013"),
    ("郑某某", "330326198503030037", "13900000014"),
)
BUYER_IDENTITY = bidders.Registration(real_name="赵演示", id_number="33030219900101123X", phone="13700000000")


def _round_of(
    session: Session,
    car: DemoCar,
    *,
    officer: Principal,
    brigade: Principal,
    staff: Principal,
    moved: MovableClock,
    announced_at: datetime,
    starts_at: datetime,
) -> AuctionRound:
    """The car's case, watch, capture, custody, agreed price, lot and first round, announced."""

    def party(who: tuple[str, str, str]) -> PartyIn:
        return PartyIn(kind=PartyKind.PERSON, name=who[0], id_number=who[1], phone=who[2])

    case = open_case(
        session,
        actor=officer,
        data=CaseCreate(
            case_number=car.case_number,
            amount_owed_fen=15_600_000,
            applicants=[party(car.applicant)],
            debtors=[party(car.debtor)],
        ),
    )
    debtor = next(p for p in case.parties if p.role == "debtor")
    link = register_vehicle(
        session,
        actor=officer,
        case=case,
        data=VehicleCreate(
            plate=car.plate,
            plate_colour=PlateColour.BLUE,
            plate_type="02",
            vin=car.vin,
            description=car.description,
            vehicle_type="小型轿车",
            owner_party_id=debtor.id,
        ),
    )
    issue_watch(
        session,
        actor=officer,
        case=case,
        data=WatchCreate(
            vehicle_id=link.vehicle_id, ruling_number=f"{car.case_number}之一", scope_code="330326"
        ),
    )
    center = session.get(Organisation, staff.organisation_id)
    assert center is not None
    for vehicle_class, prices in TARIFF.items():  # the center's prices were in force then too
        set_tariff(
            session,
            actor=staff,
            center=center,
            data=TariffIn(vehicle_class=vehicle_class, effective_from=clock.today_local(), **prices),
        )
    custody = seed_custody(
        session, brigade=brigade, staff=staff, plate=car.plate, report_number=car.report_number, inspect=False
    )
    pricing = open_pricing(session, actor=officer, custody=custody, facts=car.facts)
    record_agreed_price(
        session, actor=officer, pricing=pricing, price_fen=REFERENCE_FEN, document="议价笔录（演示）"
    )
    lot = lots.open_lot(session, actor=officer, custody=custody)
    start = rules.min_starting_price(REFERENCE_FEN)
    rnd = auction_rounds.draft_round(
        session,
        actor=officer,
        lot=lot,
        plan=auction_rounds.RoundPlan(
            starting_price_fen=start,
            deposit_fen=rules.deposit_range(start)[0],
            announced_at=announced_at,
            starts_at=_on_the_minute(starts_at),
            ends_at=_on_the_minute(starts_at) + RUNS,
        ),
    )
    for name in lot.to_notify:
        auction_rounds.record_notice(
            session, actor=officer, rnd=rnd, to=name, way=rules.NoticeWay.SERVED, on=clock.today_local()
        )
    moved.set(announced_at)
    auction_rounds.announce(session, actor=officer, rnd=rnd)
    return rnd


def _registered(session: Session, rnd: AuctionRound, buyer: Principal, at: datetime) -> None:
    bidder = bidders.register(session, who=buyer, rnd=rnd, data=BUYER_IDENTITY)
    assert bidder.deposit is not None
    bidders.deposit_paid(
        session, actor=GATEWAY, deposit=bidder.deposit, order_id=f"DEMO-DEPOSIT-{rnd.id}", at=at
    )


def seed_auction(
    session: Session, *, officer: Principal, brigade: Principal, staff: Principal, buyer: Principal
) -> int:
    """The lot, its first round bidding now, ``buyer`` registered with the deposit paid; the round id."""
    real = clock.now()
    moved = MovableClock(real - NOTICED_BEFORE)
    previous = clock.set_clock(moved)
    try:
        rnd = _round_of(
            session,
            LIVE,
            officer=officer,
            brigade=brigade,
            staff=staff,
            moved=moved,
            announced_at=real - ANNOUNCED_BEFORE,
            starts_at=real - STARTED_BEFORE,
        )
    finally:
        clock.set_clock(previous)
    _registered(session, rnd, buyer, real)
    return rnd.id


def seed_sold(
    session: Session, *, officer: Principal, brigade: Principal, staff: Principal, buyer: Principal
) -> int:
    """A lot ``buyer`` won yesterday: the round closed, its settlement waiting for the balance and the papers
    (the one window); the round id."""
    real = clock.now()
    moved = MovableClock(real - NOTICED_BEFORE - SOLD_BEFORE)
    previous = clock.set_clock(moved)
    try:
        starts_at = real - SOLD_BEFORE - RUNS
        rnd = _round_of(
            session,
            SOLD,
            officer=officer,
            brigade=brigade,
            staff=staff,
            moved=moved,
            announced_at=real - ANNOUNCED_BEFORE - SOLD_BEFORE,
            starts_at=starts_at,
        )
        moved.set(real - ANNOUNCED_BEFORE - SOLD_BEFORE + timedelta(days=1))
        _registered(session, rnd, buyer, moved.now())
        moved.set(rnd.starts_at + timedelta(hours=1))
        bidding.place_bid(session, who=buyer, round_id=rnd.id, amount_fen=rnd.starting_price_fen)
        moved.set(rnd.ends_at + timedelta(minutes=1))
        closing.close_round(session, rnd.id)
    finally:
        clock.set_clock(previous)
    return rnd.id


def _on_the_minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)
