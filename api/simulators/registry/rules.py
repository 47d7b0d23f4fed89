"""What the simulated registry decides, without a database: why a transfer is refused, when it is done, and
the numbers it issues (登记规定, MPS Order 164)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from car_enforce.core import zh
from car_enforce.core.calendar.service import PrcCalendar
from car_enforce.core.clock import SHANGHAI, as_utc

# When a transfer asked on a rest day is taken up: the office opening hour of the next working day.
# Unconfirmed (registries' hours differ); only where in that day the working time starts depends on it.
OFFICE_OPENS: Final = time(9, 0)
# 登记规定 Art. 26: within one working day of acceptance; Art. 27: three for a buyer living elsewhere.
WORKING_DAYS: Final = 1
OUT_OF_AREA_WORKING_DAYS: Final = 3
TEMPORARY_PLATE_DAYS: Final = 30  # Art. 27; calendar days (Art. 92, second paragraph)
SERIAL_LETTERS: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # never I or O (GA 36)


@dataclass(frozen=True, slots=True)
class Refusal:
    """One reason the registry will not transfer the car: a code, the rule in English, and in Chinese."""

    code: str
    detail: str
    zh: str
    rule: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail, "zh": self.zh, "rule": self.rule}


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What of a car's file a transfer is judged on."""

    vin: str
    violations: int
    inspection_valid_until: date | None
    scrapping_on: date | None
    stolen: bool


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return date(day.year - 1, 2, 28)


def refusals(
    facts: FileFacts,
    *,
    vin: str,
    today: date,
    blocking_seizures: int,
    exempt_violations: bool,
) -> list[Refusal]:
    """Every reason to refuse the transfer, most fundamental first; empty when it may go ahead.

    ``blocking_seizures``: seizures in effect or queued on the car that the court's notice does not end.
    """
    found: list[Refusal] = []
    if vin != facts.vin:
        found.append(
            Refusal(
                "vin_mismatch",
                "the VIN in the notice differs from the car's file",
                "协助执行通知书载明的车辆识别代号与该车档案记载不一致，不予办理转让登记"
                "（《机动车登记规定》第二十九条第一项）",
                "登记规定 Art. 29(1)",
            )
        )
    if facts.stolen:
        found.append(
            Refusal(
                "stolen",
                "the car is registered as stolen or robbed",
                "该车登记为被盗抢骗机动车，不予办理转让登记（《机动车登记规定》第二十九条第四项、第十五条第九项）",
                "登记规定 Art. 29(4), Art. 15(9)",
            )
        )
    if facts.scrapping_on is not None and today >= facts.scrapping_on:
        found.append(
            Refusal(
                "scrapping_reached",
                f"the car reached its compulsory scrapping date ({facts.scrapping_on.isoformat()})",
                f"该车已于{zh.day(facts.scrapping_on)}达到国家规定的强制报废标准，不予办理转让登记"
                "（《机动车登记规定》第二十九条第四项、第十五条第七项）",
                "登记规定 Art. 29(4), Art. 15(7)",
            )
        )
    elif facts.scrapping_on is not None and today >= _year_before(facts.scrapping_on):
        found.append(
            Refusal(
                "scrapping_within_year",
                f"the car is within a year of its compulsory scrapping date ({facts.scrapping_on})",
                f"该车距强制报废标准规定的使用年限已不足一年（{zh.day(facts.scrapping_on)}），不予办理转让登记"
                "（《机动车登记规定》第二十九条第三项）",
                "登记规定 Art. 29(3)",
            )
        )
    if blocking_seizures:
        found.append(
            Refusal(
                "under_seizure",
                f"{blocking_seizures} seizure(s) on the car are not ended by the notice",
                f"该车尚有{blocking_seizures}项查封（含轮候查封）未经本次协助执行通知书解除，不予办理转让登记"
                "（《机动车登记规定》第二十九条第四项、第十五条第八项）",
                "登记规定 Art. 29(4), Art. 15(8)",
            )
        )
    if facts.violations > 0 and not exempt_violations:
        found.append(
            Refusal(
                "uncleared_violations",
                f"{facts.violations} traffic violation(s) or accident(s) of the car are not dealt with",
                f"该车尚有{facts.violations}起道路交通安全违法行为或交通事故未处理完毕，"
                "处理完毕后方可申请转让登记（《机动车登记规定》第二十五条第二款）",
                "登记规定 Art. 25",
            )
        )
    if facts.inspection_valid_until is not None and today > facts.inspection_valid_until:
        found.append(
            Refusal(
                "inspection_overdue",
                f"the car's inspection ran out on {facts.inspection_valid_until.isoformat()}",
                f"该车检验有效期已于{zh.day(facts.inspection_valid_until)}届满，须先取得机动车安全技术检验合格证明"
                "和交通事故责任强制保险凭证（《机动车登记规定》第二十六条第一款第六项）",
                "登记规定 Art. 26(1)(6)",
            )
        )
    return found


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def completion_due(
    accepted_at: datetime, processing: timedelta, calendar: PrcCalendar, *, working_days: int = WORKING_DAYS
) -> datetime:
    """When a transfer accepted at ``accepted_at`` is done (登记规定 Art. 26, 27; Art. 92: working days).

    The processing time runs on working days only; a transfer asked on a rest day is taken up when the
    office opens on the next working day. Whatever the processing time, the transfer is done by the end of
    the ``working_days``-th working day after the day it was taken up.
    """
    local = as_utc(accepted_at).astimezone(SHANGHAI)
    start = local
    if not calendar.is_workday(local.date()):
        start = datetime.combine(calendar.roll_to_workday(local.date()).on, OFFICE_OPENS, tzinfo=SHANGHAI)
    last_day = calendar.add_working_days(start.date(), working_days).on
    cap = _local_midnight(last_day + timedelta(days=1))
    left, cursor = processing, start
    while cursor < cap:
        day_end = _local_midnight(cursor.date() + timedelta(days=1))
        if calendar.is_workday(cursor.date()):
            if cursor + left <= day_end:
                return as_utc(cursor + left)
            left -= day_end - cursor
        cursor = day_end
    return as_utc(cap)


def new_plate(current: str, taken: Any) -> str:
    """A new plate number of the same authority (登记规定 Art. 26: determined at the transfer); ``taken`` says
    whether a candidate is already in use."""
    prefix = current[:2]  # the province character and the authority letter
    new_energy = len(current) == 8
    for _ in range(100):
        if new_energy:  # small new-energy: D or F, a letter or digit, four digits (GA 36)
            serial = secrets.choice("DF") + secrets.choice(SERIAL_LETTERS + "0123456789")
            serial += f"{secrets.randbelow(10_000):04d}"
        else:
            serial = secrets.choice(SERIAL_LETTERS) + f"{secrets.randbelow(10_000):04d}"
        plate = prefix + serial
        if plate != current and not taken(plate):
            return plate
    raise RuntimeError("no free plate number found")


def certificate_number() -> str:
    """A 机动车登记证书 number: twelve digits."""
    return f"{secrets.randbelow(10**12):012d}"


def temporary_plate(current: str) -> str:
    """A 临时行驶车号牌 for a buyer who registers the car elsewhere (Art. 27)."""
    return f"{current[:1]}临{current[1:2]}{secrets.randbelow(100_000):05d}"
