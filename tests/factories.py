"""Small typed factories with explicit values: a province, a city, two counties, a court, police units."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.demo import region as demo_region
from car_enforce.core.clock import SHANGHAI
from car_enforce.core.db import Database
from car_enforce.core.geo.models import Jurisdiction, JurisdictionLevel
from car_enforce.core.identity.models import Organisation, OrgKind, Role
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.service import create_api_key, create_organisation, create_user

# The shared directory beside the project (real boundary files, laws); CARENFORCE_SHARED_DIR moves it.
SHARED = Path(os.environ.get("CARENFORCE_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
# A missing shared file skips the tests that read it, or fails them where they are required (CI).
REQUIRE_SHARED = os.environ.get("CARENFORCE_REQUIRE_SHARED") == "1"
START = datetime(
    2026, 11, 23, 9, 0, tzinfo=SHANGHAI
)  # the tests' clock starts on a Monday morning in Wenzhou
PASSWORD = "correct-horse-battery"
SYSTEM = Principal.system("test")


def box(lon0: float, lat0: float, lon1: float, lat1: float) -> str:
    return f"MULTIPOLYGON((({lon0} {lat0}, {lon1} {lat0}, {lon1} {lat1}, {lon0} {lat1}, {lon0} {lat0})))"


def jurisdiction(
    session: Session, code: str, name: str, level: JurisdictionLevel, parent: Jurisdiction | None, wkt: str
) -> Jurisdiction:
    row = Jurisdiction(
        code=code,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "/") + f"{code}/",
        boundary_wkt=wkt,
        source="test",
    )
    session.add(row)
    session.flush()
    return row


@dataclass
class Region:
    province: int
    city: int
    pingyang: int
    yueqing: int
    other_city: int


def region(session: Session) -> Region:
    """浙江 > 温州 > {平阳, 乐清}, and 杭州 beside 温州 (rough boxes, WGS84)."""
    zj = jurisdiction(
        session, "330000", "浙江省", JurisdictionLevel.PROVINCE, None, box(118.0, 27.0, 123.0, 31.2)
    )
    wz = jurisdiction(session, "330300", "温州市", JurisdictionLevel.CITY, zj, box(119.6, 27.0, 121.3, 28.6))
    py = jurisdiction(
        session, "330326", "平阳县", JurisdictionLevel.COUNTY, wz, box(120.2, 27.5, 120.7, 27.8)
    )
    yq = jurisdiction(
        session, "330382", "乐清市", JurisdictionLevel.COUNTY, wz, box(120.8, 28.0, 121.3, 28.5)
    )
    hz = jurisdiction(session, "330100", "杭州市", JurisdictionLevel.CITY, zj, box(118.3, 29.2, 120.7, 30.6))
    return Region(province=zj.id, city=wz.id, pingyang=py.id, yueqing=yq.id, other_city=hz.id)


def court(session: Session, name: str, code: str, jurisdiction_id: int) -> Organisation:
    return create_organisation(
        session,
        actor=SYSTEM,
        kind=OrgKind.COURT,
        name=name,
        code=code,
        jurisdiction_id=jurisdiction_id,
        contact_phone="0577-63600000",
    )


def officer(session: Session, org: Organisation, username: str, phone: str = "13800000326") -> int:
    return create_user(
        session,
        actor=SYSTEM,
        organisation_id=org.id,
        username=username,
        password=PASSWORD,
        role=Role.OFFICER,
        display_name=username,
        phone=phone,
    ).id


def admin(session: Session, username: str = "root.admin") -> int:
    ops = create_organisation(session, actor=SYSTEM, kind=OrgKind.PLATFORM_OPERATOR, name="运营", code="OPS")
    return create_user(
        session,
        actor=SYSTEM,
        organisation_id=ops.id,
        username=username,
        password=PASSWORD,
        role=Role.ADMIN,
        display_name="admin",
    ).id


def police_key(session: Session, name: str, jurisdiction_id: int) -> str:
    """A police unit with a machine key; returns the key's secret."""
    unit = create_organisation(
        session, actor=SYSTEM, kind=OrgKind.POLICE_UNIT, name=name, jurisdiction_id=jurisdiction_id
    )
    _, secret = create_api_key(
        session,
        organisation_id=unit.id,
        name="adapter",
        role=Role.POLICE_ADAPTER,
        actor=SYSTEM,
    )
    return secret


@dataclass
class World:
    region: Region
    pingyang_court: int
    lucheng_court: int
    pingyang_key: str
    yueqing_key: str
    city_key: str
    hangzhou_key: str


def world(database: Database) -> World:
    """Two courts with an officer each, an admin, and police units at county, city and other-city level."""
    with database.unit_of_work() as s:
        r = region(s)
        pingyang, lucheng = demo_region.COUNTY["330326"], demo_region.COUNTY["330302"]
        py_court = court(s, pingyang.court, pingyang.court_code, r.pingyang)
        lc_court = court(s, lucheng.court, lucheng.court_code, r.city)
        officer(s, py_court, "py.officer")
        officer(s, lc_court, "lc.officer", phone="13800000302")
        admin(s)
        return World(
            region=r,
            pingyang_court=py_court.id,
            lucheng_court=lc_court.id,
            pingyang_key=police_key(s, pingyang.brigade, r.pingyang),
            yueqing_key=police_key(s, demo_region.COUNTY["330382"].brigade, r.yueqing),
            city_key=police_key(s, "温州市公安局交通警察支队", r.city),
            hangzhou_key=police_key(s, "杭州市公安局交通警察支队", r.other_city),
        )


def center(
    session: Session,
    name: str,
    code: str,
    jurisdiction_id: int | None,
    lon: float | None,
    lat: float | None,
    *,
    staff_username: str | None = None,
    staff_phone: str = "",
) -> Organisation:
    """An auxiliary center (WGS84 position), with one staff login when a username is given."""
    org = create_organisation(
        session,
        actor=SYSTEM,
        kind=OrgKind.AUX_CENTER,
        name=name,
        code=code,
        jurisdiction_id=jurisdiction_id,
        contact_phone="0577-63600000",
        address=f"{name}地址",
        lon=lon,
        lat=lat,
    )
    if staff_username is not None:
        create_user(
            session,
            actor=SYSTEM,
            organisation_id=org.id,
            username=staff_username,
            password=PASSWORD,
            role=Role.CENTER_STAFF,
            display_name=staff_username,
            phone=staff_phone,
        )
    return org


# The demo region's 平阳 center (api/demo/region.py): its name and position.
PINGYANG_CENTER = demo_region.PINGYANG_CENTER.name
PINGYANG_CENTER_AT = (demo_region.PINGYANG_CENTER.lon, demo_region.PINGYANG_CENTER.lat)
HANGZHOU_CENTER = "法拍车辅助事务办理中心（杭州站）"
HANGZHOU_CENTER_AT = (120.1551, 30.2741)


@dataclass
class Centers:
    pingyang: int
    hangzhou: int


def centers(database: Database, region: Region) -> Centers:
    """Two centers: Pingyang's, designated for 平阳 (staff py.center), and Hangzhou's (staff hz.center).

    乐清 has no center of its own, nor has 温州 city: a capture there goes to the nearest one.
    """
    with database.unit_of_work() as s:
        py = center(
            s,
            PINGYANG_CENTER,
            "AUX-PY",
            region.pingyang,
            *PINGYANG_CENTER_AT,
            staff_username="py.center",
            staff_phone="13800000999",
        )
        hz = center(
            s,
            HANGZHOU_CENTER,
            "AUX-HZ",
            region.other_city,
            *HANGZHOU_CENTER_AT,
            staff_username="hz.center",
            staff_phone="13800000571",
        )
        return Centers(pingyang=py.id, hangzhou=hz.id)


def shared_geo(name: str) -> Path:
    """A real boundary file from the shared directory.

    A missing file skips the test on a fresh clone and fails it under CARENFORCE_REQUIRE_SHARED=1 (CI).
    """
    path = SHARED / "geo" / name
    if not path.is_file():
        reason = (
            f"real boundary file {path} is missing: these tests read DataV boundaries from the "
            f"shared directory (set CARENFORCE_SHARED_DIR to it); they are not shipped with the "
            f"project"
        )
        if REQUIRE_SHARED:
            pytest.fail(f"{reason}, and CARENFORCE_REQUIRE_SHARED=1 requires them", pytrace=False)
        pytest.skip(f"{reason}; the [fixture] variants test the same traps on invented boundaries")
    return path
