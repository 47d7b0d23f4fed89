"""The demo region, as data: Wenzhou's courts and traffic-police brigades, the auxiliary centers and their
tariffs, the logins and the machine keys.

Defined once and used by the demo seed (``seed.py``), the test factories (``tests/factories.py``) and
the benchmarks (``bench/world.py``); the city simulation will be the next user. Names, court codes and
county seats are public facts; positions are WGS84; prices are illustrative (each center sets its own);
passwords and keys are fixed so that the README can print them.
"""

from __future__ import annotations

from dataclasses import dataclass

from car_enforce.core.identity.models import Role
from car_enforce.custody.models import VehicleClass

PASSWORD = "demo-password-2026"


@dataclass(frozen=True)
class County:
    code: str  # GB/T 2260
    short: str
    court: str
    court_code: str  # 法院代字 (浙0326)
    brigade: str  # the county's traffic-police brigade

    @property
    def court_phone(self) -> str:
        return f"0577-6{self.code[-3:]}0000"

    @property
    def brigade_phone(self) -> str:
        return f"0577-6{self.code[-3:]}0122"


COUNTIES = (
    County("330302", "鹿城", "温州市鹿城区人民法院", "浙0302", "温州市公安局交通警察支队鹿城大队"),
    County("330303", "龙湾", "温州市龙湾区人民法院", "浙0303", "温州市公安局交通警察支队龙湾大队"),
    County("330304", "瓯海", "温州市瓯海区人民法院", "浙0304", "温州市公安局交通警察支队瓯海大队"),
    County("330305", "洞头", "温州市洞头区人民法院", "浙0305", "温州市公安局洞头区分局交通警察大队"),
    County("330324", "永嘉", "永嘉县人民法院", "浙0324", "永嘉县公安局交通警察大队"),
    County("330326", "平阳", "平阳县人民法院", "浙0326", "平阳县公安局交通警察大队"),
    County("330327", "苍南", "苍南县人民法院", "浙0327", "苍南县公安局交通警察大队"),
    County("330328", "文成", "文成县人民法院", "浙0328", "文成县公安局交通警察大队"),
    County("330329", "泰顺", "泰顺县人民法院", "浙0329", "泰顺县公安局交通警察大队"),
    County("330381", "瑞安", "瑞安市人民法院", "浙0381", "瑞安市公安局交通警察大队"),
    County("330382", "乐清", "乐清市人民法院", "浙0382", "乐清市公安局交通警察大队"),
    County("330383", "龙港", "龙港市人民法院", "浙0383", "龙港市公安局交通警察大队"),
)
COUNTY = {c.code: c for c in COUNTIES}

CITY_CODE = "330300"
CITY_COURT = ("温州市中级人民法院", "浙03", "0577-88888000")
CITY_POLICE = ("温州市公安局交通警察支队", "JJ330300", "0577-88000122")
REGISTRY = ("温州市公安局交通警察支队车辆管理所", "CGS330300", "0577-88001111")
AUCTION_PLATFORM = ("司法拍卖平台（模拟）", "AUC-SIM")
OPERATOR = ("云执车平台运营", "OPS")


@dataclass(frozen=True)
class Center:
    name: str
    code: str
    county: str
    phone: str
    address: str
    lon: float  # WGS84
    lat: float


PINGYANG_CENTER = Center(
    "法拍车辅助事务办理中心（温州平阳站）",
    "AUX-PY",
    "330326",
    "0577-63600000",
    "温州市平阳县昆阳镇",
    120.5605,
    27.6715,
)
LUCHENG_CENTER = Center(
    "法拍车辅助事务办理中心（温州鹿城站）",
    "AUX-LC",
    "330302",
    "0577-88300000",
    "温州市鹿城区",
    120.6500,
    28.0100,
)
CENTERS = (PINGYANG_CENTER, LUCHENG_CENTER)

# Each center's prices in fen: storage a day, a tow's base fee and its fee per kilometre, an inspection.
TARIFF: dict[VehicleClass, dict[str, int]] = {
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
class Login:
    who: str
    username: str
    role: Role
    # a county code (its court), "JJ" + a county code (its traffic-police brigade), "city" (the intermediate
    # court), a center's code, "operator", or "public" (people who belong to no institution)
    organisation: str
    display_name: str
    phone: str = ""


LOGINS = (
    Login(
        who="平台管理员 (admin)",
        username="admin",
        role=Role.ADMIN,
        organisation="operator",
        display_name="平台管理员",
    ),
    Login(
        "平阳县人民法院 执行干警", "pingyang.officer", Role.OFFICER, "330326", "平阳执行干警", "13800000326"
    ),
    Login(
        "温州市鹿城区人民法院 执行干警",
        "lucheng.officer",
        Role.OFFICER,
        "330302",
        "鹿城执行干警",
        "13800000302",
    ),
    Login(
        "温州市中级人民法院 执行干警",
        "wenzhou.officer",
        Role.OFFICER,
        "city",
        "温州中院执行干警",
        "13800000300",
    ),
    Login(
        "辅助事务办理中心（温州平阳站）",
        "pingyang.center",
        Role.CENTER_STAFF,
        "AUX-PY",
        "平阳站工作人员",
        "13800000999",
    ),
    Login(
        "辅助事务办理中心（温州鹿城站）",
        "lucheng.center",
        Role.CENTER_STAFF,
        "AUX-LC",
        "鹿城站工作人员",
        "13800000998",
    ),
    Login(
        "温州某某小额贷款股份有限公司（平阳案申请执行人）",
        "pingyang.applicant",
        Role.APPLICANT,
        "public",
        "平阳案申请执行人",
        "13900000001",
    ),
    Login(
        "平阳县人民法院 拍卖工作人员",
        "pingyang.auction",
        Role.AUCTION_STAFF,
        "330326",
        "平阳拍卖工作人员",
        "13800000327",
    ),
    Login("竞买人（演示）", "demo.buyer", Role.BUYER, "public", "演示竞买人", "13700000000"),
    Login(
        "平阳县公安局交通警察大队", "pingyang.police", Role.POLICE_ADAPTER, "JJ330326", "平阳交警大队值班民警"
    ),
    Login(
        "温州市公安局交通警察支队鹿城大队",
        "lucheng.police",
        Role.POLICE_ADAPTER,
        "JJ330302",
        "鹿城交警大队值班民警",
    ),
)


@dataclass(frozen=True)
class Key:
    organisation: str
    secret: str


# Fixed demo keys (shape ck_<8 hex>_<secret>); a real deployment issues keys through the admin API.
KEYS = (
    Key("平阳县公安局交通警察大队", "ck_d0330326_demo-pingyang-brigade-key-0000000000000"),
    Key("乐清市公安局交通警察大队", "ck_d0330382_demo-yueqing-brigade-key-00000000000000"),
    Key("温州市公安局交通警察支队", "ck_d0330300_demo-wenzhou-detachment-key-00000000000"),
)


@dataclass(frozen=True)
class ViidAccount:
    organisation: str
    username: str  # its Digest password is the organisation's demo key


# A GA/T 1400 account for the Pingyang brigade's checkpoints (README: "GA/T 1400 checkpoints").
VIID_ACCOUNT = ViidAccount("平阳县公安局交通警察大队", "pingyang-viid")
