"""The demo's live auction: a third Pingyang car sold on the built-in room, its bidding running as the demo
starts, with a buyer registered and the deposit paid, so `make run` shows a live room (README, "Auctions").

The law wants the parties told 3 days before the announcement and the announcement 15 days before the
bidding (网拍规定 Art. 12, 16), so a lawful round that bids now was made weeks ago. The seed makes it
through the services with the process clock set back (a ``MovableClock``), moved forward step by step, then
restored: every record is one the services would have written on those days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from api.demo.custody import seed_custody
from api.demo.region import TARIFF
from auction import bidders, lots, rules
from auction import rounds as auction_rounds
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
GATEWAY = Principal.system("demo-payments")  # the deposit as the payment gateway would report it


def seed_auction(
    session: Session, *, officer: Principal, brigade: Principal, staff: Principal, buyer: Principal
) -> int:
    """The lot, its first round bidding now, ``buyer`` registered with the deposit paid; the round id."""
    real = clock.now()
    moved = MovableClock(real - NOTICED_BEFORE)
    previous = clock.set_clock(moved)
    try:
        case = open_case(
            session,
            actor=officer,
            data=CaseCreate(
                case_number=CASE_NUMBER,
                amount_owed_fen=15_600_000,
                applicants=[
                    PartyIn(
                        kind=PartyKind.PERSON,
                        name="陈某某",
                        id_number="330326197705050023",
                        phone="13900000011",
                    )
                ],
                debtors=[
                    PartyIn(
                        kind=PartyKind.PERSON,
                        name="周某某",
                        id_number="330326198212120032",
                        phone="13900000012",
                    )
                ],
            ),
        )
        debtor = next(p for p in case.parties if p.role == "debtor")
        link = register_vehicle(
            session,
            actor=officer,
            case=case,
            data=VehicleCreate(
                plate=PLATE,
                plate_colour=PlateColour.BLUE,
                plate_type="02",
                vin="LVGBE40K6KG123456",
                description="银色丰田凯美瑞轿车",
                vehicle_type="小型轿车",
                owner_party_id=debtor.id,
            ),
        )
        issue_watch(
            session,
            actor=officer,
            case=case,
            data=WatchCreate(
                vehicle_id=link.vehicle_id, ruling_number=f"{CASE_NUMBER}之一", scope_code="330326"
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
            session, brigade=brigade, staff=staff, plate=PLATE, report_number="PY-DEMO-0002", inspect=False
        )
        pricing = open_pricing(
            session, actor=officer, custody=custody, facts=CarFacts("丰田 凯美瑞 2.5L", date(2019, 8, 20))
        )
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
                announced_at=real - ANNOUNCED_BEFORE,
                starts_at=_on_the_minute(real - STARTED_BEFORE),
                ends_at=_on_the_minute(real - STARTED_BEFORE) + RUNS,
            ),
        )
        for name in lot.to_notify:
            auction_rounds.record_notice(
                session, actor=officer, rnd=rnd, to=name, way=rules.NoticeWay.SERVED, on=clock.today_local()
            )
        moved.set(real - ANNOUNCED_BEFORE)
        auction_rounds.announce(session, actor=officer, rnd=rnd)
    finally:
        clock.set_clock(previous)
    bidder = bidders.register(
        session,
        who=buyer,
        rnd=rnd,
        data=bidders.Registration(real_name="赵演示", id_number="33030219900101123X", phone="13700000000"),
    )
    assert bidder.deposit is not None
    bidders.deposit_paid(session, actor=GATEWAY, deposit=bidder.deposit, order_id="DEMO-DEPOSIT-1", at=real)
    return rnd.id


def _on_the_minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)
