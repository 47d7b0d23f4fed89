"""The simulated registry's pure rules: why a transfer is refused (登记规定 Art. 25, 26, 29) and when one is
done (Art. 26: one working day; Art. 92: working days), without a database or a server."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from api.simulators.registry.rules import FileFacts, completion_due, new_plate, refusals
from car_enforce.core.calendar.service import PrcCalendar
from car_enforce.core.clock import SHANGHAI

VIN = "LSVAU218XN2183294"
CLEAN = FileFacts(
    vin=VIN, violations=0, inspection_valid_until=date(2027, 6, 30), scrapping_on=None, stolen=False
)
TODAY = date(2026, 11, 23)
CALENDAR = PrcCalendar()


def codes(facts: FileFacts = CLEAN, *, vin: str = VIN, blocking: int = 0, exempt: bool = False) -> list[str]:
    return [
        r.code
        for r in refusals(facts, vin=vin, today=TODAY, blocking_seizures=blocking, exempt_violations=exempt)
    ]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_a_clean_car_is_not_refused() -> None:
    assert codes() == []


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (FileFacts(VIN, 0, date(2027, 6, 30), None, True), "stolen"),
        (FileFacts(VIN, 2, date(2027, 6, 30), None, False), "uncleared_violations"),
        (FileFacts(VIN, 0, date(2026, 11, 22), None, False), "inspection_overdue"),
        (FileFacts(VIN, 0, date(2027, 6, 30), date(2027, 11, 23), False), "scrapping_within_year"),
        (FileFacts(VIN, 0, date(2027, 6, 30), date(2026, 11, 23), False), "scrapping_reached"),
    ],
)
def test_each_fact_of_the_file_refuses_the_transfer_with_its_code(facts: FileFacts, code: str) -> None:
    assert codes(facts) == [code]


def test_a_car_a_day_more_than_a_year_from_scrapping_and_inspected_until_today_is_not_refused() -> None:
    assert codes(FileFacts(VIN, 0, TODAY, date(2027, 11, 24), False)) == []


def test_a_vin_other_than_the_files_and_a_seizure_not_ended_refuse_it() -> None:
    assert codes(vin="LFV2A21K8G4012345", blocking=1) == ["vin_mismatch", "under_seizure"]


def test_every_reason_is_given_at_once_each_citing_its_article_in_chinese() -> None:
    found = refusals(
        FileFacts(VIN, 3, date(2026, 1, 1), None, False),
        vin=VIN,
        today=TODAY,
        blocking_seizures=2,
        exempt_violations=False,
    )
    assert [r.code for r in found] == ["under_seizure", "uncleared_violations", "inspection_overdue"]
    assert "第二十九条第四项" in found[0].zh and "2项查封" in found[0].zh
    assert "第二十五条第二款" in found[1].zh and "3起" in found[1].zh
    assert "第二十六条第一款第六项" in found[2].zh


def test_a_court_sale_exempt_by_the_setting_is_not_refused_for_violations() -> None:
    assert codes(FileFacts(VIN, 2, date(2027, 6, 30), None, False), exempt=True) == []


def test_a_transfer_asked_on_a_monday_morning_is_done_after_the_processing_time() -> None:
    due = completion_due(at("2026-11-23T10:00:00"), timedelta(hours=2), CALENDAR)
    assert due == at("2026-11-23T12:00:00")


def test_processing_time_runs_on_working_days_only_across_a_weekend() -> None:
    # Friday 20:00, eight hours: four on Friday, then Saturday and Sunday skipped, four on Monday.
    due = completion_due(at("2026-11-27T20:00:00"), timedelta(hours=8), CALENDAR)
    assert due == at("2026-11-30T04:00:00")


def test_a_transfer_asked_on_a_saturday_is_taken_up_when_the_office_opens_on_monday() -> None:
    due = completion_due(at("2026-11-28T15:00:00"), timedelta(hours=2), CALENDAR)
    assert due == at("2026-11-30T11:00:00")


def test_a_transfer_asked_before_national_day_is_done_after_the_holiday() -> None:
    # 30 September 2026 is a Wednesday; 1 to 7 October are rest days; 8 October is the next working day.
    due = completion_due(at("2026-09-30T22:00:00"), timedelta(hours=5), CALENDAR)
    assert due == at("2026-10-08T03:00:00")


def test_however_long_the_processing_it_ends_with_the_next_working_day() -> None:
    due = completion_due(at("2026-11-27T10:00:00"), timedelta(hours=60), CALENDAR)
    assert due == at("2026-12-01T00:00:00")  # the end of Monday 30 November, the next working day


def test_out_of_area_it_ends_with_the_third_working_day() -> None:
    due = completion_due(at("2026-11-27T10:00:00"), timedelta(days=10), CALENDAR, working_days=3)
    assert due == at("2026-12-03T00:00:00")  # the end of Wednesday 2 December


def test_a_new_plate_keeps_the_authority_and_its_shape() -> None:
    plate = new_plate("浙C12345", lambda _p: False)
    assert plate.startswith("浙C") and len(plate) == 7 and plate != "浙C12345"
    assert not set(plate[2:]) & set("IO")
    assert len(new_plate("浙CD12345", lambda _p: False)) == 8
