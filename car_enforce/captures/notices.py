"""Who is told what when a car is captured: the officer, the applicants, the center, queued courts.

A capture held for its place tells only the officer (and the reporting unit, by the answer and its
webhooks); the applicants and the center hear of it once the place is confirmed.

Plain words for people (an SMS each), built from the capture; never a debtor's ID number or phone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from car_enforce.captures.destination import PlaceCheck
from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.cases.models import EnforcementCase, Party
from car_enforce.core import events, zh
from car_enforce.core.errors import Rule
from car_enforce.core.events import APPLICANTS, CENTER_STAFF, OFFICER, DomainEvent, Notice
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.vehicles.models import CaseVehicle, Vehicle
from car_enforce.vehicles.plates import plate_type_category
from car_enforce.watches.models import Watch

RULE_CAPTURE = Rule(
    "查封规定 Art. 26: a capture acts on the first court's seizure; later courts' seizures queue",
    "《查封规定》第二十六条：扣押按在先法院的查封执行；其他法院的查封、扣押为轮候查封、扣押",
)


def vehicle_type_of(vehicle: Vehicle) -> str:
    """The vehicle type as the registration says (小型轿车), else the plate type's category (小型汽车)."""
    return vehicle.vehicle_type or plate_type_category(vehicle.plate_type) or "机动车"


def debtor_name(session: Session, capture: Capture) -> str:
    owner = session.scalar(
        select(Party)
        .join(CaseVehicle, CaseVehicle.owner_party_id == Party.id)
        .where(CaseVehicle.case_id == capture.case_id, CaseVehicle.vehicle_id == capture.vehicle_id)
    )
    return owner.name if owner is not None else ""


def where_of(capture: Capture) -> str:
    return capture.address or coordinates_of(capture)


def coordinates_of(capture: Capture) -> str:
    return f"东经{capture.lon:.4f}° 北纬{capture.lat:.4f}°"


def of_hold(session: Session, capture: Capture, check: PlaceCheck) -> tuple[Notice, ...]:
    """The officer learns the car is seized but its place is in doubt, and who can settle it."""
    case = session.get(EnforcementCase, capture.case_id)
    assert case is not None
    # The coordinates, not the address: the address is usually right, the coordinates are in doubt.
    return (
        Notice(
            OFFICER,
            capture.watch_id,
            f"您布控的车辆{capture.vehicle.plate}已于{zh.month_day_time(capture.captured_at)}被{capture.reporter.name}扣押，"
            f"但报告的扣押地点（{coordinates_of(capture)}）{check.reason_zh}，疑为坐标有误。"
            "暂不计拖车里程、不通知辅助中心，请扣押单位或您确认或更正扣押地点"
            f"（扣押记录{capture.id}）。案号{case.case_number}。",
            f"capture-held:{capture.id}",
        ),
    )


def of_capture(session: Session, capture: Capture) -> tuple[Notice, ...]:
    """The officer, each applicant and the receiving center's staff, each in their own words."""
    case = session.get(EnforcementCase, capture.case_id)
    assert case is not None
    plate, center = capture.vehicle.plate, capture.destination.name
    where = where_of(capture)
    certificate = "行驶证已移交" if capture.registration_certificate else "行驶证未移交"
    eta = (
        f"预计{zh.month_day_time(capture.expected_arrival_at)}前后到达（距离约{capture.distance_km:.0f}公里）"
        if capture.expected_arrival_at is not None and capture.distance_km is not None
        else "请做好接收准备"
    )
    return (
        Notice(
            OFFICER,
            capture.watch_id,
            f"您布控的车辆{plate}已被扣押至{center}，正在运送途中。扣押时间{zh.month_day_time(capture.captured_at)}，"
            f"地点{where}，扣押单位{capture.reporter.name}；{certificate}，钥匙{capture.keys}把。"
            f"案号{case.case_number}。",
            f"capture-officer:{capture.id}",
        ),
        Notice(
            APPLICANTS,
            capture.watch_id,
            f"本院于{zh.month_day(capture.captured_at)}依法扣押被执行人{debtor_name(session, capture)}名下的"
            f"{vehicle_type_of(capture.vehicle)}，车辆送往{center}。"
            "如被执行人不履行债务，本院将依法对扣押财产进行处置变现。",
        ),
        Notice(
            CENTER_STAFF,
            capture.destination_center_id,
            f"车辆{plate}正由{capture.reporter.name}送往本中心，{eta}。扣押记录{capture.id}。",
            f"capture-center:{capture.id}",
        ),
    )


def tell_queued_court(
    session: Session, actor: Principal, capture: Capture, queued: Watch, fulfilled: Watch
) -> None:
    """A court queued behind the capture's watch learns the car is seized; its watch stays queued."""
    first_court = session.get(Organisation, fulfilled.court_id)
    assert first_court is not None
    # A held capture's center is not known until its place is confirmed.
    going = "扣押地点待核实" if capture.status == CaptureStatus.HELD else f"送往{capture.destination.name}"
    events.record(
        session,
        actor,
        DomainEvent(
            kind="watch.vehicle_captured",
            subject=f"watch:{queued.id}",
            case_id=queued.case_id,
            reason=RULE_CAPTURE,
            data={
                "watch_id": queued.id,
                "plate": capture.vehicle.plate,
                "status": queued.status,
                "capture_id": capture.id,
                "first_court": first_court.name,
            },
            parties=(queued.court_id,),
            notices=(
                Notice(
                    OFFICER,
                    queued.id,
                    f"您轮候布控的车辆{capture.vehicle.plate}已于{zh.month_day(capture.captured_at)}被{first_court.name}"
                    f"扣押，{going}；您的布控仍在轮候。",
                    f"capture-queued:{capture.id}:{queued.id}",
                ),
            ),
        ),
    )
