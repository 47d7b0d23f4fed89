"""The demo region: Wenzhou's courts, traffic-police brigades, two auxiliary centers, and a few cases.

Boundaries are schematic (Voronoi cells of the county seats, see geo/demo_boundaries.py); names, court
codes and the seats are public facts. Demo passwords and keys are fixed so that the README can print them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from car_enforce.cases.models import EnforcementCase, PartyKind
from car_enforce.cases.schemas import CaseCreate, PartyIn
from car_enforce.cases.service import open_case
from car_enforce.core import clock
from car_enforce.core.geo.demo_boundaries import seed_demo_jurisdictions
from car_enforce.core.identity.models import Organisation, OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import (
    create_api_key,
    create_organisation,
    create_user,
    principal_of_key,
    principal_of_user,
)
from car_enforce.custody.models import VehicleClass
from car_enforce.custody.schemas import TariffIn
from car_enforce.custody.tariffs import set_tariff
from car_enforce.sightings.viid.schemas import ViidAccountIn
from car_enforce.sightings.viid.service import create_account as create_viid_account
from car_enforce.vehicles.models import PlateColour
from car_enforce.vehicles.schemas import VehicleCreate
from car_enforce.vehicles.service import register_vehicle
from car_enforce.watches.schemas import WatchCreate
from car_enforce.watches.service import issue_watch

DEMO_PASSWORD = "demo-password-2026"
SEED = Principal.system("seed-demo")

# (county code, short name, court name, court code, brigade name)
COUNTIES = [
    ("330302", "鹿城", "温州市鹿城区人民法院", "浙0302", "温州市公安局交通警察支队鹿城大队"),
    ("330303", "龙湾", "温州市龙湾区人民法院", "浙0303", "温州市公安局交通警察支队龙湾大队"),
    ("330304", "瓯海", "温州市瓯海区人民法院", "浙0304", "温州市公安局交通警察支队瓯海大队"),
    ("330305", "洞头", "温州市洞头区人民法院", "浙0305", "温州市公安局洞头区分局交通警察大队"),
    ("330324", "永嘉", "永嘉县人民法院", "浙0324", "永嘉县公安局交通警察大队"),
    ("330326", "平阳", "平阳县人民法院", "浙0326", "平阳县公安局交通警察大队"),
    ("330327", "苍南", "苍南县人民法院", "浙0327", "苍南县公安局交通警察大队"),
    ("330328", "文成", "文成县人民法院", "浙0328", "文成县公安局交通警察大队"),
    ("330329", "泰顺", "泰顺县人民法院", "浙0329", "泰顺县公安局交通警察大队"),
    ("330381", "瑞安", "瑞安市人民法院", "浙0381", "瑞安市公安局交通警察大队"),
    ("330382", "乐清", "乐清市人民法院", "浙0382", "乐清市公安局交通警察大队"),
    ("330383", "龙港", "龙港市人民法院", "浙0383", "龙港市公安局交通警察大队"),
]


@dataclass(frozen=True)
class DemoLogin:
    who: str
    username: str
    role: Role


@dataclass(frozen=True)
class DemoKey:
    organisation: str
    secret: str


LOGINS = [
    DemoLogin("平台管理员 (admin)", "admin", Role.ADMIN),
    DemoLogin("平阳县人民法院 执行干警", "pingyang.officer", Role.OFFICER),
    DemoLogin("温州市鹿城区人民法院 执行干警", "lucheng.officer", Role.OFFICER),
    DemoLogin("温州市中级人民法院 执行干警", "wenzhou.officer", Role.OFFICER),
    DemoLogin("辅助事务办理中心（温州平阳站）", "pingyang.center", Role.CENTER_STAFF),
]
# Fixed demo keys (shape ck_<8 hex>_<secret>); a real deployment issues keys through the admin API.
KEYS = [
    DemoKey("平阳县公安局交通警察大队", "ck_d0330326_demo-pingyang-brigade-key-0000000000000"),
    DemoKey("乐清市公安局交通警察大队", "ck_d0330382_demo-yueqing-brigade-key-00000000000000"),
    DemoKey("温州市公安局交通警察支队", "ck_d0330300_demo-wenzhou-detachment-key-00000000000"),
]


@dataclass(frozen=True)
class DemoViidAccount:
    organisation: str
    username: str  # its Digest password is the organisation's demo key


# A GA/T 1400 account for the Pingyang brigade's checkpoints (README: "GA/T 1400 checkpoints").
VIID_ACCOUNT = DemoViidAccount("平阳县公安局交通警察大队", "pingyang-viid")


def is_seeded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Organisation)))


def seed(session: Session) -> None:
    """Create the demo region in an empty database (the caller owns the transaction)."""
    places = seed_demo_jurisdictions(session)
    city = places["330300"]

    operator = create_organisation(
        session, actor=SEED, kind=OrgKind.PLATFORM_OPERATOR, name="云执车平台运营", code="OPS"
    )
    admin = create_user(
        session,
        actor=SEED,
        organisation_id=operator.id,
        username="admin",
        password=DEMO_PASSWORD,
        role=Role.ADMIN,
        display_name="平台管理员",
    )
    intermediate = create_organisation(
        session,
        actor=SEED,
        kind=OrgKind.COURT,
        name="温州市中级人民法院",
        code="浙03",
        jurisdiction_id=city.id,
        contact_phone="0577-88888000",
    )
    create_organisation(
        session,
        actor=SEED,
        kind=OrgKind.POLICE_UNIT,
        name="温州市公安局交通警察支队",
        code="JJ330300",
        jurisdiction_id=city.id,
        contact_phone="0577-88000122",
    )
    courts: dict[str, Organisation] = {}
    for code, _short, court_name, court_code, brigade in COUNTIES:
        county = places[code]
        courts[code] = create_organisation(
            session,
            actor=SEED,
            kind=OrgKind.COURT,
            name=court_name,
            code=court_code,
            jurisdiction_id=county.id,
            contact_phone=f"0577-6{code[-3:]}0000",
        )
        create_organisation(
            session,
            actor=SEED,
            kind=OrgKind.POLICE_UNIT,
            name=brigade,
            code=f"JJ{code}",
            jurisdiction_id=county.id,
            contact_phone=f"0577-6{code[-3:]}0122",
        )
    pingyang_center = create_organisation(
        session,
        actor=SEED,
        kind=OrgKind.AUX_CENTER,
        name="法拍车辅助事务办理中心（温州平阳站）",
        code="AUX-PY",
        jurisdiction_id=places["330326"].id,
        contact_phone="0577-63600000",
        address="温州市平阳县昆阳镇",
        lon=120.5605,
        lat=27.6715,
    )
    lucheng_center = create_organisation(
        session,
        actor=SEED,
        kind=OrgKind.AUX_CENTER,
        name="法拍车辅助事务办理中心（温州鹿城站）",
        code="AUX-LC",
        jurisdiction_id=places["330302"].id,
        contact_phone="0577-88300000",
        address="温州市鹿城区",
        lon=120.6500,
        lat=28.0100,
    )
    create_organisation(
        session,
        actor=SEED,
        kind=OrgKind.VEHICLE_REGISTRY,
        name="温州市公安局交通警察支队车辆管理所",
        code="CGS330300",
        jurisdiction_id=city.id,
        contact_phone="0577-88001111",
    )
    create_organisation(
        session, actor=SEED, kind=OrgKind.AUCTION_PLATFORM, name="司法拍卖平台（模拟）", code="AUC-SIM"
    )

    officers = {
        "pingyang.officer": (courts["330326"], "平阳执行干警", "13800000326"),
        "lucheng.officer": (courts["330302"], "鹿城执行干警", "13800000302"),
        "wenzhou.officer": (intermediate, "温州中院执行干警", "13800000300"),
    }
    users = {
        name: create_user(
            session,
            actor=SEED,
            organisation_id=org.id,
            username=name,
            password=DEMO_PASSWORD,
            role=Role.OFFICER,
            display_name=label,
            phone=phone,
        )
        for name, (org, label, phone) in officers.items()
    }
    create_user(
        session,
        actor=SEED,
        organisation_id=pingyang_center.id,
        username="pingyang.center",
        password=DEMO_PASSWORD,
        role=Role.CENTER_STAFF,
        display_name="平阳站工作人员",
        phone="13800000999",
    )

    orgs_by_name = {o.name: o for o in session.scalars(select(Organisation))}
    for key in KEYS:
        row, _ = create_api_key(
            session,
            organisation_id=orgs_by_name[key.organisation].id,
            name="demo key",
            role=Role.POLICE_ADAPTER,
            actor=SEED,
            fixed_secret=key.secret,
        )
        if key.organisation == VIID_ACCOUNT.organisation:
            create_viid_account(
                session,
                unit=principal_of_key(row),
                secret=key.secret,
                data=ViidAccountIn(username=VIID_ACCOUNT.username, colour_table="gat1400"),
            )
    session.flush()
    for center in (pingyang_center, lucheng_center):
        for vehicle_class, prices in DEMO_TARIFF.items():
            set_tariff(
                session,
                actor=principal_of_user(admin),
                center=center,
                data=TariffIn(vehicle_class=vehicle_class, effective_from=clock.today_local(), **prices),
            )
    _seed_cases(session, {name: principal_of_user(user) for name, user in users.items()})


# The demo centers' prices in fen (illustrative: each center sets its own): storage a day, a tow's base
# fee and its fee per kilometre, an inspection.
DEMO_TARIFF: dict[VehicleClass, dict[str, int]] = {
    VehicleClass.SMALL: {
        "storage_daily_fen": 3000,
        "towing_base_fen": 30000,
        "towing_per_km_fen": 800,
        "inspection_fen": 50000,
    },
    VehicleClass.LARGE: {
        "storage_daily_fen": 6000,
        "towing_base_fen": 80000,
        "towing_per_km_fen": 1500,
        "inspection_fen": 80000,
    },
    VehicleClass.OTHER: {
        "storage_daily_fen": 2000,
        "towing_base_fen": 20000,
        "towing_per_km_fen": 500,
        "inspection_fen": 30000,
    },
}


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
