"""The demo region: Wenzhou's courts, traffic-police brigades, two auxiliary centers, and a few cases.

Boundaries are schematic (Voronoi cells of the county seats, see api/demo/boundaries.py); names, court
codes and the seats are public facts. Demo passwords and keys are fixed so that the README can print them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.demo import region
from api.demo.auction import seed_auction, seed_sold
from api.demo.boundaries import seed_demo_jurisdictions
from api.demo.cameras import CAMERAS as DEMO_CAMERAS
from api.demo.cameras import seed_cameras
from api.demo.custody import seed_custody
from api.simulators import auction_platform as auction_sims
from api.simulators import registry as registry_sim
from api.simulators.inquiry import demo_platforms
from auction.platforms.registry import add_platform as add_auction_platform
from car_enforce.cases.models import EnforcementCase, Party, PartyKind
from car_enforce.cases.schemas import CaseCreate, PartyIn
from car_enforce.cases.service import link_applicant, open_case
from car_enforce.core import clock
from car_enforce.core.identity.models import Organisation, OrgKind, Role, User
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import (
    create_api_key,
    create_organisation,
    create_user,
    principal_of_key,
    principal_of_user,
)
from car_enforce.core.settings import get_settings
from car_enforce.custody.schemas import TariffIn
from car_enforce.custody.tariffs import set_tariff
from car_enforce.sightings.viid.schemas import ViidAccountIn
from car_enforce.sightings.viid.service import create_account as create_viid_account
from car_enforce.vehicles.models import CaseVehicle, PlateColour, Vehicle
from car_enforce.vehicles.schemas import VehicleCreate
from car_enforce.vehicles.service import register_vehicle
from car_enforce.watches.schemas import WatchCreate
from car_enforce.watches.service import issue_watch
from valuation.inquiry.platforms import add_platform, use_platform

DEMO_PASSWORD = region.PASSWORD
SEED = Principal.system("seed-demo")
LOGINS = region.LOGINS
KEYS = region.KEYS
VIID_ACCOUNT = region.VIID_ACCOUNT
DEMO_TARIFF = region.TARIFF
DEMO_CAMERA_UNITS = sorted({camera.login for camera in DEMO_CAMERAS})


def is_seeded(session: Session) -> bool:
    """Whether the database holds anything at all (the seed goes only into an empty one)."""
    return bool(session.scalar(select(func.count()).select_from(Organisation)))


def is_demo(session: Session) -> bool:
    """Whether this database is the demo's: its logins are there (a deployment has its own people)."""
    first = select(User.id).where(User.username == region.LOGINS[0].username)
    return session.scalar(first) is not None


def seed(session: Session) -> None:
    """Create the demo region in an empty database (the caller owns the transaction)."""
    places = seed_demo_jurisdictions(session)
    city = places["330300"]

    operator = create_organisation(
        session, actor=SEED, kind=OrgKind.PLATFORM_OPERATOR, name=region.OPERATOR[0], code=region.OPERATOR[1]
    )
    name, code, phone = region.CITY_COURT
    intermediate = create_organisation(
        session,
        actor=SEED,
        kind=OrgKind.COURT,
        name=name,
        code=code,
        jurisdiction_id=city.id,
        contact_phone=phone,
    )
    name, code, phone = region.CITY_POLICE
    create_organisation(
        session,
        actor=SEED,
        kind=OrgKind.POLICE_UNIT,
        name=name,
        code=code,
        jurisdiction_id=city.id,
        contact_phone=phone,
    )
    public = create_organisation(session, actor=SEED, kind=OrgKind.PUBLIC, name="社会公众", code="PUBLIC")
    owners: dict[str, Organisation] = {"operator": operator, "city": intermediate, "public": public}
    for county in region.COUNTIES:
        place = places[county.code]
        owners[county.code] = create_organisation(
            session,
            actor=SEED,
            kind=OrgKind.COURT,
            name=county.court,
            code=county.court_code,
            jurisdiction_id=place.id,
            contact_phone=county.court_phone,
        )
        owners[f"JJ{county.code}"] = create_organisation(
            session,
            actor=SEED,
            kind=OrgKind.POLICE_UNIT,
            name=county.brigade,
            code=f"JJ{county.code}",
            jurisdiction_id=place.id,
            contact_phone=county.brigade_phone,
        )
    centers = []
    for c in region.CENTERS:
        owners[c.code] = create_organisation(
            session,
            actor=SEED,
            kind=OrgKind.AUX_CENTER,
            name=c.name,
            code=c.code,
            jurisdiction_id=places[c.county].id,
            contact_phone=c.phone,
            address=c.address,
            lon=c.lon,
            lat=c.lat,
        )
        centers.append(owners[c.code])
    name, code, phone = region.REGISTRY
    create_organisation(
        session,
        actor=SEED,
        kind=OrgKind.VEHICLE_REGISTRY,
        name=name,
        code=code,
        jurisdiction_id=city.id,
        contact_phone=phone,
    )
    create_organisation(
        session,
        actor=SEED,
        kind=OrgKind.AUCTION_PLATFORM,
        name=region.AUCTION_PLATFORM[0],
        code=region.AUCTION_PLATFORM[1],
    )
    users = {
        login.username: create_user(
            session,
            actor=SEED,
            organisation_id=owners[login.organisation].id,
            username=login.username,
            password=DEMO_PASSWORD,
            role=login.role,
            display_name=login.display_name,
            phone=login.phone,
        )
        for login in region.LOGINS
    }
    admin = users["admin"]

    orgs_by_name = {o.name: o for o in session.scalars(select(Organisation))}
    brigades: dict[str, Principal] = {}
    for key in KEYS:
        row, _ = create_api_key(
            session,
            organisation_id=orgs_by_name[key.organisation].id,
            name="demo key",
            role=Role.POLICE_ADAPTER,
            actor=SEED,
            fixed_secret=key.secret,
        )
        brigades[key.organisation] = principal_of_key(row)
        if key.organisation == VIID_ACCOUNT.organisation:
            create_viid_account(
                session,
                unit=principal_of_key(row),
                secret=key.secret,
                data=ViidAccountIn(username=VIID_ACCOUNT.username, colour_table="gat1400"),
            )
    session.flush()
    for center in centers:
        for vehicle_class, prices in DEMO_TARIFF.items():
            set_tariff(
                session,
                actor=principal_of_user(admin),
                center=center,
                data=TariffIn(vehicle_class=vehicle_class, effective_from=clock.today_local(), **prices),
            )
    officers = {name: principal_of_user(u) for name, u in users.items() if u.role == Role.OFFICER}
    _seed_cases(session, officers)
    _link_applicant(session, officers["pingyang.officer"], users["pingyang.applicant"].id)
    _seed_valuation(session, [org for org in owners.values() if org.kind == OrgKind.COURT])
    _seed_auction_platform(session)
    seed_custody(
        session,
        brigade=brigades[VIID_ACCOUNT.organisation],
        staff=principal_of_user(users["pingyang.center"]),
    )
    seed_auction(
        session,
        officer=officers["pingyang.officer"],
        brigade=brigades[VIID_ACCOUNT.organisation],
        staff=principal_of_user(users["pingyang.center"]),
        buyer=principal_of_user(users["demo.buyer"]),
    )
    seed_sold(
        session,
        officer=officers["pingyang.officer"],
        brigade=brigades[VIID_ACCOUNT.organisation],
        staff=principal_of_user(users["pingyang.center"]),
        buyer=principal_of_user(users["demo.buyer"]),
    )
    seed_cameras(session, {login: principal_of_user(users[login]) for login in DEMO_CAMERA_UNITS})
    if get_settings().registry_simulator:
        _seed_registry(session)


def _seed_registry(session: Session) -> None:
    """A file at the simulated registry (车管所) for every demo car, in its debtor's name, clean: inspected,
    no violations, far from scrapping. A car the officer registered without a VIN gets one made up."""
    session.flush()
    owners = session.execute(
        select(Vehicle, Party)
        .join(CaseVehicle, CaseVehicle.vehicle_id == Vehicle.id)
        .join(Party, Party.id == CaseVehicle.owner_party_id)
        .order_by(Vehicle.id, CaseVehicle.id)
    )
    filed: set[int] = set()
    for vehicle, owner in owners:
        if vehicle.id in filed:
            continue
        filed.add(vehicle.id)
        vin = vehicle.vin or "LDEM" + hashlib.sha256(vehicle.plate.encode()).hexdigest()[:13].upper()
        registry_sim.file_car(
            session,
            registry_sim.FileIn(
                plate=vehicle.plate,
                vin=vin,
                owner_name=owner.name,
                owner_id_number=owner.id_number,
                inspection_valid_until=clock.today_local().replace(day=1) + timedelta(days=730),
            ),
        )


INQUIRY_SIM_PREFIX = "/sim/inquiry"  # where `carenforce serve` mounts the simulated platforms
# Appraisal firms for the lot (参考价规定 Art. 16); invented names for the demo.
DEMO_APPRAISAL_FIRMS = (
    "温州甲信资产评估有限公司",
    "温州乙正资产评估有限公司",
    "浙江丙诚资产评估有限公司",
    "浙江丁衡资产评估有限公司",
)


def _link_applicant(session: Session, officer: Principal, user_id: int) -> None:
    """The Pingyang case's creditor follows its case with its own login."""
    case = session.scalars(
        select(EnforcementCase).where(EnforcementCase.case_number.like("%浙0326执1234号"))
    ).one()
    creditor = next(p for p in case.parties if p.role == "applicant")
    link_applicant(session, actor=officer, case=case, party_id=creditor.id, user_id=user_id)


def _seed_auction_platform(session: Session) -> None:
    """The simulated outside auction platform a demo round may run on (served by ``carenforce serve`` at
    /sim/auction/<code>), beside the built-in room."""
    settings = get_settings()
    sim = auction_sims.demo_platform(settings)
    add_auction_platform(
        session,
        code=sim.code,
        name=sim.name,
        base_url=f"{settings.public_base_url.rstrip('/')}{auction_sims.PREFIX}/{sim.code}",
        api_key=sim.api_key,
        webhook_secret=sim.webhook_secret,
    )


# What the demo's platforms charge for the inquiry closest to the sale price: a demo figure (the fee is set by
# each platform's agreement; there is no national one).
DEMO_INQUIRY_FEE_FEN = 30_000


def _seed_valuation(session: Session, courts: list[Organisation]) -> None:
    """The three simulated inquiry platforms every demo court asks (served by ``carenforce serve`` at
    /sim/inquiry/<code>), and four appraisal firms."""
    settings = get_settings()
    for sim in demo_platforms(settings.inquiry_sim_secret):
        platform = add_platform(
            session,
            actor=SEED,
            name=sim.name,
            code=sim.code,
            base_url=f"{settings.public_base_url.rstrip('/')}{INQUIRY_SIM_PREFIX}/{sim.code}",
            secret=sim.secret,
            fee_fen=DEMO_INQUIRY_FEE_FEN,
        )
        for court in courts:
            use_platform(session, actor=SEED, court_id=court.id, platform_id=platform.organisation_id)
    for name in DEMO_APPRAISAL_FIRMS:
        create_organisation(session, actor=SEED, kind=OrgKind.APPRAISAL_FIRM, name=name)


@dataclass(frozen=True)
class DemoCar:
    plate: str
    colour: PlateColour
    type_code: str
    vin: str | None
    description: str
    scope: str
    vehicle_type: str  # 车辆类型 as on the registration (GA 802)


@dataclass(frozen=True)
class DemoCase:
    officer: str
    number: str
    amount_owed_fen: int
    applicant: PartyIn
    debtor: PartyIn
    cars: tuple[DemoCar, ...]


CASES = [
    DemoCase(
        "pingyang.officer",
        "(2026)浙0326执1234号",
        38_650_000,
        PartyIn(
            kind=PartyKind.COMPANY,
            name="温州某某小额贷款股份有限公司",
            id_number="91330300MA2874XX86",
            phone="13900000001",
        ),
        PartyIn(kind=PartyKind.PERSON, name="林某某", id_number="330326198808080019", phone="13900000002"),
        (
            DemoCar(
                "浙C12345",
                PlateColour.BLUE,
                "02",
                "LSVAU218XN2183294",
                "白色大众帕萨特轿车",
                "330326",
                "小型轿车",
            ),
            DemoCar(
                "浙CD12345", PlateColour.GREEN, "52", None, "蓝色比亚迪汉新能源轿车", "330300", "小型轿车"
            ),
        ),
    ),
    DemoCase(
        "lucheng.officer",
        "(2026)浙0302执567号",
        12_800_000,
        PartyIn(kind=PartyKind.PERSON, name="王某", id_number="330302199001011235", phone="13900000003"),
        PartyIn(
            kind=PartyKind.COMPANY,
            name="温州某某贸易有限公司",
            id_number="91330326MA2AB1234R",
            phone="057788000000",
        ),
        (
            DemoCar(
                "浙C8Y9Z1",
                PlateColour.YELLOW,
                "01",
                "LFV2A21K8G4012345",
                "黄色重型厢式货车",
                "330000",
                "重型厢式货车",
            ),
        ),
    ),
]


def _seed_cases(session: Session, officers: dict[str, Principal]) -> None:
    for demo_case in CASES:
        officer = officers[demo_case.officer]
        case = open_case(
            session,
            actor=officer,
            data=CaseCreate(
                case_number=demo_case.number,
                amount_owed_fen=demo_case.amount_owed_fen,
                applicants=[demo_case.applicant],
                debtors=[demo_case.debtor],
            ),
        )
        for car in demo_case.cars:
            _vehicle_and_watch(session, officer, case, car)


def _vehicle_and_watch(
    session: Session,
    officer: Principal,
    case: EnforcementCase,
    car: DemoCar,
) -> None:
    debtor = next(p for p in case.parties if p.role == "debtor")
    link = register_vehicle(
        session,
        actor=officer,
        case=case,
        data=VehicleCreate(
            plate=car.plate,
            plate_colour=car.colour,
            plate_type=car.type_code,
            vin=car.vin,
            description=car.description,
            vehicle_type=car.vehicle_type,
            owner_party_id=debtor.id,
        ),
    )
    issue_watch(
        session,
        actor=officer,
        case=case,
        data=WatchCreate(
            vehicle_id=link.vehicle_id, ruling_number=f"{case.case_number}之一", scope_code=car.scope
        ),
    )
