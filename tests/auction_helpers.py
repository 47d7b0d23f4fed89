"""Builders for the auction tests: a priced car in custody, a lot with its first round announced, buyers
registered with their deposits held — the same state the HTTP steps make, built through the services."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pypdf
from sqlalchemy import select
from sqlalchemy.orm import Session

from auction import bidders, bidding, closing, lots, rounds, rules
from auction.models import AuctionBidder, AuctionRound, Deposit
from auction.settlement.models import Settlement
from car_enforce.cases.id_numbers import resident_id_check_char
from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.db import Database
from car_enforce.core.identity.models import Organisation, OrgKind, Role, User
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import create_organisation, create_user, principal_of_user
from car_enforce.custody.models import Custody
from tests import factories
from tests.custody_helpers import in_custody
from valuation.reference_price.service import CarFacts, open_pricing, record_agreed_price

YUAN = 100
REFERENCE_FEN = 100_000 * YUAN
START_FEN = 70_000 * YUAN  # 70% of the reference price: the lowest lawful start (网拍规定 Art. 10)
DEPOSIT_FEN = 7_000 * YUAN  # 10% of it
INCREMENT_FEN = 500 * YUAN  # the default table's band for 50,000–100,000 yuan
SYSTEM = Principal.system("tests")
# The clock's START is Monday 23 November 2026, 09:00; the notices went out on the Wednesday before, so the
# announcement may go out that Monday (Art. 16), and bidding may start 15 days later (Art. 12).
NOTICED_ON = date(2026, 11, 18)
BIDDING_STARTS = datetime(2026, 12, 9, 10, 0, tzinfo=SHANGHAI)
BIDDING_ENDS = datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)


def sh(y: int, m: int, d: int, h: int = 10, mi: int = 0, s: int = 0, ms: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, ms * 1000, tzinfo=SHANGHAI)


def user(session: Session, username: str) -> Principal:
    found = session.scalar(select(User).where(User.username == username))
    assert found is not None, username
    return principal_of_user(found)


@dataclass(frozen=True)
class Priced:
    custody_id: int
    pricing_id: int
    case_id: int


def priced_car(db: Database, world: factories.World, centers: factories.Centers) -> Priced:
    """The 平阳 court's car, captured, taken in at the 平阳 center and priced by the parties' agreement at
    100,000 yuan (参考价规定 Art. 4)."""
    car = in_custody(db, world.pingyang_key, centers.pingyang, tariff_from=date(2026, 11, 23), intake={})
    with db.unit_of_work() as s:
        officer = user(s, "py.officer")
        custody = s.get(Custody, int(car.custody["id"]))
        assert custody is not None
        pricing = open_pricing(
            s,
            actor=officer,
            custody=custody,
            facts=CarFacts("大众 帕萨特 2.0T", date(2020, 5, 10)),
        )
        record_agreed_price(
            s, actor=officer, pricing=pricing, price_fen=REFERENCE_FEN, document="议价笔录（2026）"
        )
        return Priced(custody.id, pricing.id, custody.case_id)


def plan(**changes: object) -> rounds.RoundPlan:
    values: dict[str, object] = {
        "starting_price_fen": START_FEN,
        "deposit_fen": DEPOSIT_FEN,
        "announced_at": sh(2026, 11, 23, 9),
        "starts_at": BIDDING_STARTS,
        "ends_at": BIDDING_ENDS,
    }
    values.update(changes)
    return rounds.RoundPlan(**values)  # type: ignore[arg-type]


def notify_all(db: Database, round_id: int, on: date = NOTICED_ON) -> None:
    with db.unit_of_work() as s:
        officer = user(s, "py.officer")
        rnd = s.get(AuctionRound, round_id)
        assert rnd is not None
        for name in rnd.lot.to_notify:
            rounds.record_notice(s, actor=officer, rnd=rnd, to=name, way=rules.NoticeWay.SERVED, on=on)


@dataclass(frozen=True)
class Listed:
    lot_id: int
    round_id: int
    priced: Priced


def listed_lot(db: Database, priced: Priced, *, announce: bool = True, **changes: object) -> Listed:
    """A lot of the priced car with its first round drafted, the parties told, and announced."""
    with db.unit_of_work() as s:
        officer = user(s, "py.officer")
        custody = s.get(Custody, priced.custody_id)
        assert custody is not None
        lot = lots.open_lot(s, actor=officer, custody=custody)
        rnd = rounds.draft_round(s, actor=officer, lot=lot, plan=plan(**changes))
        ids = (lot.id, rnd.id)
    notify_all(db, ids[1])
    if announce:
        with db.unit_of_work() as s:
            rnd = s.get(AuctionRound, ids[1])
            assert rnd is not None
            rounds.announce(s, actor=user(s, "py.officer"), rnd=rnd)
    return Listed(ids[0], ids[1], priced)


def buyer(db: Database, username: str, phone: str = "13700000001") -> Principal:
    """A member of the public with a buyer's account."""
    with db.unit_of_work() as s:
        public = s.scalar(select(Organisation).where(Organisation.kind == OrgKind.PUBLIC))
        if public is None:
            public = create_organisation(s, actor=SYSTEM, kind=OrgKind.PUBLIC, name="社会公众", code="PUBLIC")
        create_user(
            s,
            actor=SYSTEM,
            organisation_id=public.id,
            username=username,
            password=factories.PASSWORD,
            role=Role.BUYER,
            display_name=username,
            phone=phone,
        )
        return user(s, username)


def id_number(n: int) -> str:
    """A well-formed resident ID number, distinct per ``n``."""
    return f"330326199001{n:05d}1"[:17] + "X"


def registered(
    db: Database, round_id: int, who: Principal, n: int, *, pay: bool = True, **data: object
) -> AuctionBidder:
    """``who`` registered for the round in their real name, the deposit paid when ``pay``."""
    with db.unit_of_work() as s:
        rnd = s.get(AuctionRound, round_id)
        assert rnd is not None
        reg = bidders.Registration(
            real_name=str(data.pop("real_name", f"竞买人{n}")),
            id_number=str(data.pop("id_number", id_number(n))),
            **data,  # type: ignore[arg-type]
        )
        bidder = bidders.register(s, who=who, rnd=rnd, data=reg)
        if pay and bidder.deposit is not None and bidder.deposit.status == "pending":
            deposit = s.get(Deposit, bidder.deposit.id)
            assert deposit is not None
            bidders.deposit_paid(
                s, actor=SYSTEM, deposit=deposit, order_id=f"ord-{bidder.id}", at=rnd.announced_at
            )
        s.refresh(bidder)
        return bidder


def bidders_for(db: Database, round_id: int, count: int, start: int = 1) -> list[Principal]:
    people = []
    for n in range(start, start + count):
        who = buyer(db, f"buyer{n}", phone=f"137{n:08d}")
        registered(db, round_id, who, n)
        people.append(who)
    return people


ONE_MS = timedelta(milliseconds=1)


# --- a sold round and its settlement (the buyer 王二某 won over 李一某) ------------------------------------


def valid_id(n: int) -> str:
    """A resident ID number whose check character is right (the one window checks it)."""
    first17 = f"33032619900101{n:03d}"
    return first17 + resident_id_check_char(first17)


WINNER_ID, LOSER_ID = valid_id(2), valid_id(1)
PRICE = START_FEN + INCREMENT_FEN
PAPERS = {
    "id_number": WINNER_ID,
    "phone": "13600000002",
    "address": "浙江省温州市平阳县昆阳镇某路1号",
    "electronic_service": True,
}


def sold(db: Database, clock: MovableClock, world: factories.World, centers: factories.Centers) -> Listed:
    """A lot sold to ``winner`` (王二某) over ``loser``, its round closed."""
    listed = listed_lot(db, priced_car(db, world, centers))
    registered(
        db,
        listed.round_id,
        buyer(db, "loser", phone="13600000001"),
        1,
        real_name="李一某",
        id_number=LOSER_ID,
    )
    registered(
        db,
        listed.round_id,
        buyer(db, "winner", phone="13600000002"),
        2,
        real_name="王二某",
        id_number=WINNER_ID,
    )
    clock.set(BIDDING_STARTS)
    with db.unit_of_work() as s:
        bidding.place_bid(s, who=user(s, "loser"), round_id=listed.round_id, amount_fen=START_FEN)
        bidding.place_bid(s, who=user(s, "winner"), round_id=listed.round_id, amount_fen=PRICE)
    clock.set(BIDDING_STARTS + timedelta(days=1, minutes=1))
    assert closing.close_due(db) == [listed.round_id]
    return listed


def settlement_of(db: Database, round_id: int) -> Settlement:
    with db.unit_of_work(read_only=True) as s:
        found = s.scalars(select(Settlement).where(Settlement.round_id == round_id)).one()
        s.expunge(found)
        return found


def pdf_text(data: bytes) -> str:
    """A PDF's text read back, without white space (the CJK lines break anywhere)."""
    assert data.startswith(b"%PDF-")
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return re.sub(r"\s", "", "\n".join(page.extract_text() for page in pages))
