"""Stage clocks through the HTTP API and the sweep, on SQLite and PostgreSQL, under a moved clock.

Conftest's START is Monday 23 November 2026, 09:00 in Wenzhou; the report says the car was captured at
08:40 that day. With the default targets intake is due Tuesday 24, inspection Thursday 26, the reference
price Friday 27 and the listing Monday 30 November. The law wants the reference-price procedure started
by Wednesday 23 December (30 days, 参考价规定 Art. 1), and disposal 10 days after the price (Art. 30).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce import notices
from car_enforce.captures.models import Capture, CaptureStatus
from car_enforce.core import events
from car_enforce.core.clock import SHANGHAI, MovableClock
from car_enforce.core.db import Database
from car_enforce.core.events import DomainEvent, Handlers
from car_enforce.core.notify import service as notify
from car_enforce.core.notify.handlers import tell_parties
from car_enforce.core.notify.models import Channel, Notification
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.stages import figures
from car_enforce.stages import handlers as stage_handlers
from car_enforce.stages import service as stages
from car_enforce.stages.jobs import sweep_stage_clocks
from car_enforce.stages.models import LegalDeadline, Stage, StageReached, StageTarget, StageWarning
from car_enforce.stages.timing import STAGE_ORDER
from car_enforce.watches.models import Watch
from tests import factories
from tests.api_helpers import login
from tests.capture_helpers import CENTER_STAFF_PHONE, OFFICER_PHONE, police, report, watched_car

# Every test here runs with the two centers of the region (the app starts after them).
pytestmark = pytest.mark.usefixtures("centers")

INSPECTION_WARNING = "【云执车】偏离预警：扣押车辆浙C12345应于11月26日前完成检测，现已超期1个工作日。"


def at(clock: MovableClock, instant: str) -> None:
    clock.set(datetime.fromisoformat(instant).replace(tzinfo=SHANGHAI))


def captured(client: TestClient, world: factories.World) -> int:
    """A watched car captured in Pingyang at 08:40 on Monday 23 November; the capture's id."""
    watched_car(client)
    r = client.post("/api/police/captures", json=report(), headers=police(world.pingyang_key))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def reach(db: Database, capture_id: int, stage: Stage, instant: str) -> None:
    # The stage verbs (intake, inspection…) call this; the clocks only need the instant recorded.
    with db.unit_of_work() as s:
        assert stages.reach(
            s,
            capture_id=capture_id,
            stage=stage,
            at=datetime.fromisoformat(instant).replace(tzinfo=SHANGHAI),
        )


def happened(db: Database, capture_id: int, kind: str, data: dict[str, Any]) -> None:
    """An event of the reference price or the auction as the stage clocks hear it: the capture in the
    context, as the inspection does. Only the clocks' handlers (and the texts and webhooks) hear it: these
    tests make no procedure for the reference price's own handlers to serve; its tests fix real prices."""
    clocks = Handlers()
    clocks.on("*", tell_parties)
    clocks.on("*", notices.deliver)
    for reached_by in stage_handlers.REACHED_BY:
        clocks.on(reached_by, stage_handlers.reach_stage)
    previous = events.install(clocks)
    try:
        _record(db, capture_id, kind, data)
    finally:
        events.install(previous)


def _record(db: Database, capture_id: int, kind: str, data: dict[str, Any]) -> None:
    with db.unit_of_work() as s:
        capture = s.get(Capture, capture_id)
        assert capture is not None
        events.record(
            s,
            factories.SYSTEM,
            DomainEvent(
                kind=kind,
                subject=f"capture:{capture_id}",
                case_id=capture.case_id,
                data=data,
                context={"capture_id": capture_id},
            ),
        )


def subscribe(db: Database, organisation_id: int) -> None:
    with db.unit_of_work() as s:
        notify.create_subscription(
            s,
            organisation_id=organisation_id,
            url="https://hooks.example.com/stages",
            event_kinds=["stage.deviation"],
            actor=factories.SYSTEM,
        )


def warnings(db: Database, capture_id: int) -> dict[str, int]:
    with db.unit_of_work(read_only=True) as s:
        rows = s.execute(
            select(StageWarning.stage, func.count())
            .where(StageWarning.capture_id == capture_id)
            .group_by(StageWarning.stage)
        )
        return {stage: n for stage, n in rows}


def deviation_events(db: Database) -> list[dict[str, Any]]:
    with db.unit_of_work(read_only=True) as s:
        events = s.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == "stage.deviation").order_by(TimelineEvent.id)
        )
        return [{"subject": e.subject, "case_id": e.case_id, **e.data} for e in events]


def messages(db: Database, channel: Channel, recipient: str | None = None) -> list[str]:
    with db.unit_of_work(read_only=True) as s:
        query = select(Notification.body).where(Notification.channel == channel)
        if recipient is not None:
            query = query.where(Notification.recipient == recipient)
        return list(s.scalars(query.order_by(Notification.id)))


def targets(response: Any) -> dict[str, tuple[int, bool]]:
    return {t["stage"]: (t["working_days"], t["is_default"]) for t in response.json()["stages"]}


# --- Court targets ---------------------------------------------------------------------------------


def test_a_court_without_targets_of_its_own_has_the_defaults(
    client: TestClient, world: factories.World
) -> None:
    r = client.get(f"/api/courts/{world.pingyang_court}/stage-targets", headers=login(client, "py.officer"))
    assert r.status_code == 200, r.text
    assert r.json()["court_id"] == world.pingyang_court
    assert targets(r) == {
        "intake": (1, True),
        "inspection": (3, True),
        "reference_price": (4, True),
        "listing": (5, True),
    }
    assert all(t["updated_by"] is None for t in r.json()["stages"])


def test_an_officer_sets_the_courts_targets_once_however_often_sent(
    client: TestClient, world: factories.World, db: Database
) -> None:
    officer = login(client, "py.officer")
    url = f"/api/courts/{world.pingyang_court}/stage-targets"
    body = {"intake": 2, "inspection": 2, "reference_price": 6, "listing": 8}
    r = client.put(url, json=body, headers=officer)
    assert r.status_code == 200, r.text
    assert targets(r) == {
        "intake": (2, False),
        "inspection": (2, False),
        "reference_price": (6, False),
        "listing": (8, False),
    }
    first = r.json()
    assert {t["updated_by"] for t in first["stages"]} == {"user:py.officer"}
    assert {t["updated_at"] for t in first["stages"]} == {"2026-11-23T01:00:00Z"}
    assert client.get(url, headers=officer).json() == first

    with db.unit_of_work(read_only=True) as s:
        [event] = s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "stages.targets_set"))
        assert event.case_id is None and event.subject == f"court:{world.pingyang_court}"
        assert event.data["targets"] == body

    assert client.put(url, json=body, headers=officer).json() == first  # the same PUT changes nothing
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).where(TimelineEvent.kind == "stages.targets_set")) == 1

    back = client.put(url, json={"listing": 8}, headers=officer)  # the others follow the default again
    assert back.status_code == 200, back.text
    assert targets(back) == {
        "intake": (1, True),
        "inspection": (3, True),
        "reference_price": (4, True),
        "listing": (8, False),
    }
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(StageTarget)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inspection": 0}, "inspection"),
        ({"listing": 61}, "listing"),
        ({"listing": 5.5}, "listing"),
        ({"intake": "2"}, "intake"),
        ({"intake": True}, "intake"),
        ({"intake": 4}, "inspection"),  # 4 > the default 3 of inspection: inspection would come sooner
        ({"intake": 2, "inspection": 5, "reference_price": 4, "listing": 9}, "reference_price"),
        ({"listing": 2}, "listing"),
        ({"inspectoin": 3}, "inspectoin"),
    ],
)
def test_bad_targets_are_refused_naming_the_field(
    client: TestClient, world: factories.World, db: Database, body: dict[str, Any], field: str
) -> None:
    r = client.put(
        f"/api/courts/{world.pingyang_court}/stage-targets", json=body, headers=login(client, "py.officer")
    )
    assert r.status_code == 422, r.text
    assert r.json()["fields"] == [field]
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(StageTarget)) == 0


def test_only_the_courts_officers_and_admins_see_and_set_its_targets(
    client: TestClient, world: factories.World, centers: factories.Centers, db: Database
) -> None:
    url = f"/api/courts/{world.pingyang_court}/stage-targets"
    other = login(client, "lc.officer")
    assert client.get(url, headers=other).status_code == 403
    assert client.put(url, json={"listing": 9}, headers=other).status_code == 403
    assert client.get(url, headers=login(client, "py.center")).status_code == 403
    assert client.get(url, headers=police(world.pingyang_key)).status_code == 403
    admin = login(client, "root.admin")
    r = client.put(url, json={"listing": 9}, headers=admin)
    assert r.status_code == 200, r.text
    assert targets(r)["listing"] == (9, False)
    assert client.get(url, headers=admin).json()["stages"][3]["updated_by"] == "user:root.admin"
    # Not a court: a center's id, and an id nobody has.
    assert client.get(f"/api/courts/{centers.pingyang}/stage-targets", headers=admin).status_code == 404
    assert client.put("/api/courts/99999/stage-targets", json={}, headers=admin).status_code == 404
    with db.unit_of_work(read_only=True) as s:
        assert s.scalar(select(func.count()).select_from(StageTarget)) == 1


# --- The sweep -------------------------------------------------------------------------------------


def test_an_uninspected_car_is_warned_once_per_stage_however_often_the_sweep_runs(
    client: TestClient,
    world: factories.World,
    centers: factories.Centers,
    db: Database,
    clock: MovableClock,
) -> None:
    subscribe(db, world.pingyang_court)
    subscribe(db, centers.pingyang)
    capture_id = captured(client, world)
    reach(db, capture_id, Stage.INTAKE, "2026-11-24T10:00:00")  # in time: never warned

    for moment in ("2026-11-23T18:00:00", "2026-11-25T09:00:00", "2026-11-26T23:59:00"):
        at(clock, moment)
        assert sweep_stage_clocks(db) == []  # nothing is late up to the end of the due day
    at(clock, "2026-11-27T00:05:00")
    assert sweep_stage_clocks(db) == [(capture_id, Stage.INSPECTION)]
    assert sweep_stage_clocks(db) == []
    at(clock, "2026-11-27T15:00:00")
    assert sweep_stage_clocks(db) == []
    at(clock, "2026-11-28T08:00:00")  # a Saturday: the reference price was due on Friday
    assert sweep_stage_clocks(db) == [(capture_id, Stage.REFERENCE_PRICE)]
    at(clock, "2026-12-01T08:00:00")
    assert sweep_stage_clocks(db) == [(capture_id, Stage.LISTING)]
    at(clock, "2026-12-15T08:00:00")
    assert sweep_stage_clocks(db) == []
    assert sweep_stage_clocks(db) == []

    assert warnings(db, capture_id) == {Stage.INSPECTION: 1, Stage.REFERENCE_PRICE: 1, Stage.LISTING: 1}
    events = deviation_events(db)
    assert [e["stage"] for e in events] == ["inspection", "reference_price", "listing"]
    inspection = events[0]
    assert inspection["subject"] == f"capture:{capture_id}" and inspection["case_id"] is not None
    assert inspection["due_on"] == "2026-11-26" and inspection["provisional"] is False
    assert inspection["target_working_days"] == 3
    assert inspection["working_days_elapsed"] == 4  # 24, 25, 26, 27 November
    assert inspection["working_days_late"] == 1

    to_officer = [t for t in messages(db, Channel.SMS, OFFICER_PHONE) if "偏离预警" in t]
    assert to_officer[0] == INSPECTION_WARNING
    assert len(to_officer) == 3 and sum("检测" in t for t in to_officer) == 1
    assert "11月27日前完成参考价确定，现已超期" in to_officer[1]  # Saturday: no working day late yet
    to_center = [t for t in messages(db, Channel.SMS, CENTER_STAFF_PHONE) if "偏离预警" in t]
    assert to_center == to_officer
    # Hangzhou's staff have nothing to do with this car.
    assert not [t for t in messages(db, Channel.SMS, "13800000571") if "偏离预警" in t]
    hooks = messages(db, Channel.WEBHOOK)
    assert len(hooks) == 6 and all('"kind":"stage.deviation"' in h for h in hooks)  # court and center


def test_a_stage_reached_in_time_is_not_warned(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    capture_id = captured(client, world)
    reach(db, capture_id, Stage.INTAKE, "2026-11-23T15:00:00")
    reach(db, capture_id, Stage.INSPECTION, "2026-11-26T17:30:00")  # on its due day
    at(clock, "2026-11-27T09:00:00")
    assert sweep_stage_clocks(db) == []
    at(clock, "2026-11-30T09:00:00")
    assert sweep_stage_clocks(db) == [(capture_id, Stage.REFERENCE_PRICE)]
    assert warnings(db, capture_id) == {Stage.REFERENCE_PRICE: 1}
    assert [e["stage"] for e in deviation_events(db)] == ["reference_price"]


def test_a_later_stage_is_warned_even_when_an_earlier_one_is_not_reached(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    capture_id = captured(client, world)
    at(clock, "2026-12-02T09:00:00")  # the sweep did not run for a week: every stage is late at once
    assert sweep_stage_clocks(db) == [(capture_id, stage) for stage in Stage]
    assert sweep_stage_clocks(db) == []
    assert warnings(db, capture_id) == dict.fromkeys(Stage, 1)
    texts = [t for t in messages(db, Channel.SMS, OFFICER_PHONE) if "偏离预警" in t]
    assert len(texts) == 4 and "现已超期6个工作日" in texts[0]  # intake due 24 November


def test_the_courts_own_targets_move_the_due_days(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    officer = login(client, "py.officer")
    body = {"intake": 5, "inspection": 6, "reference_price": 6, "listing": 10}
    r = client.put(f"/api/courts/{world.pingyang_court}/stage-targets", json=body, headers=officer)
    assert r.status_code == 200, r.text
    capture_id = captured(client, world)
    at(clock, "2026-11-30T09:00:00")  # every default would be late by now; none of the court's is
    assert sweep_stage_clocks(db) == []
    at(clock, "2026-12-01T09:00:00")
    assert sweep_stage_clocks(db) == [(capture_id, Stage.INTAKE)]
    with db.unit_of_work(read_only=True) as s:
        warning = s.scalars(select(StageWarning)).one()
        assert warning.target_working_days == 5 and str(warning.due_on) == "2026-11-30"


def test_a_released_capture_is_not_warned(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    capture_id = captured(client, world)
    with db.unit_of_work() as s:
        # The release verb belongs to custody; the sweep only looks at the capture's status.
        capture = s.get(Capture, capture_id)
        assert capture is not None
        capture.status = CaptureStatus.RELEASED
    at(clock, "2026-12-15T09:00:00")
    assert sweep_stage_clocks(db) == []
    assert warnings(db, capture_id) == {}
    assert deviation_events(db) == []
    view = client.get(f"/api/captures/{capture_id}/stages", headers=login(client, "py.officer")).json()
    assert view["running"] is False


def test_two_sweeps_at_once_raise_one_warning_each(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    capture_id = captured(client, world)
    at(clock, "2026-11-27T09:00:00")
    results: list[list[tuple[int, Stage]]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            results.append(sweep_stage_clocks(db))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results, key=len) == [[], [(capture_id, Stage.INTAKE), (capture_id, Stage.INSPECTION)]]
    assert warnings(db, capture_id) == {Stage.INTAKE: 1, Stage.INSPECTION: 1}
    assert len(deviation_events(db)) == 2
    assert len([t for t in messages(db, Channel.SMS, OFFICER_PHONE) if "偏离预警" in t]) == 2


# --- The clock view --------------------------------------------------------------------------------


def test_the_clock_of_a_capture_shows_the_numbers(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    capture_id = captured(client, world)
    reach(db, capture_id, Stage.INTAKE, "2026-11-25T10:00:00")  # a day late
    at(clock, "2026-11-27T09:00:00")
    sweep_stage_clocks(db)
    at(clock, "2026-11-27T10:00:00")
    r = client.get(f"/api/captures/{capture_id}/stages", headers=login(client, "py.officer"))
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["captured_on"] == "2026-11-23" and view["as_of"] == "2026-11-27" and view["running"]
    assert view["plate"] == "浙C12345"
    rows = {s["stage"]: s for s in view["stages"]}
    assert list(rows) == ["intake", "inspection", "reference_price", "listing"]

    intake = rows["intake"]
    assert intake["status"] == "reached_late" and intake["due_on"] == "2026-11-24"
    assert intake["reached_at"] == "2026-11-25T02:00:00Z"
    assert (intake["working_days_used"], intake["working_days_late"]) == (2, 1)
    assert intake["warning_raised_at"] is None  # reached before the sweep saw it late

    inspection = rows["inspection"]
    assert inspection["status"] == "late" and inspection["due_on"] == "2026-11-26"
    assert inspection["target_working_days"] == 3 and inspection["target_is_default"] is True
    assert inspection["due_provisional"] is False and inspection["reached_at"] is None
    assert (inspection["working_days_used"], inspection["working_days_late"]) == (4, 1)
    assert inspection["warning_raised_at"] == "2026-11-27T01:00:00Z"

    assert rows["reference_price"]["status"] == "pending"  # due today
    assert rows["reference_price"]["warning_raised_at"] is None
    assert rows["listing"]["due_on"] == "2026-11-30" and rows["listing"]["status"] == "pending"


def test_the_clock_is_seen_by_those_who_see_the_capture(
    client: TestClient, world: factories.World, db: Database
) -> None:
    capture_id = captured(client, world)
    url = f"/api/captures/{capture_id}/stages"
    assert client.get(url, headers=login(client, "py.center")).status_code == 200
    assert client.get(url, headers=police(world.pingyang_key)).status_code == 200
    assert client.get(url, headers=login(client, "root.admin")).status_code == 200
    assert client.get(url, headers=login(client, "lc.officer")).status_code == 404
    assert client.get(url, headers=login(client, "hz.center")).status_code == 404
    assert client.get(url, headers=police(world.yueqing_key)).status_code == 404
    assert client.get("/api/captures/99999/stages", headers=login(client, "py.officer")).status_code == 404


# --- The law's deadlines ---------------------------------------------------------------------------

INQUIRY_WARNING = (
    "【云执车】偏离预警：扣押车辆浙C12345应于2026年12月23日前启动确定财产处置参考价程序（《参考价规定》第一条），"
    "现已逾期3日。"
)


def legal_deadlines(client: TestClient, capture_id: int) -> dict[str, dict[str, Any]]:
    r = client.get(f"/api/captures/{capture_id}/stages", headers=login(client, "py.officer"))
    assert r.status_code == 200, r.text
    return {d["deadline"]: d for d in r.json()["legal_deadlines"]}


def test_an_inquiry_not_started_in_30_days_is_warned_once_to_the_court(
    client: TestClient,
    world: factories.World,
    centers: factories.Centers,
    db: Database,
    clock: MovableClock,
) -> None:
    subscribe(db, world.pingyang_court)
    subscribe(db, centers.pingyang)
    capture_id = captured(client, world)
    at(clock, "2026-12-01T09:00:00")
    assert sweep_stage_clocks(db) == [(capture_id, stage) for stage in STAGE_ORDER]
    at(clock, "2026-12-23T23:59:00")  # the due day itself is still in time
    assert sweep_stage_clocks(db) == []
    at(clock, "2026-12-26T09:00:00")  # a Saturday: calendar days count
    assert sweep_stage_clocks(db) == [(capture_id, LegalDeadline.INQUIRY_STARTED)]
    assert sweep_stage_clocks(db) == []

    assert warnings(db, capture_id)["inquiry_started"] == 1
    event = deviation_events(db)[-1]
    assert event["stage"] == "inquiry_started" and event["article"] == "《参考价规定》第一条"
    assert (event["starts_on"], event["due_on"], event["provisional"]) == ("2026-11-23", "2026-12-23", False)
    assert (event["period_days"], event["days_late"]) == (30, 3)
    assert [t for t in messages(db, Channel.SMS, OFFICER_PHONE) if "参考价规定" in t] == [INQUIRY_WARNING]
    # Starting the inquiry is the court's duty: the center's staff and its webhook hear nothing of it.
    assert not [t for t in messages(db, Channel.SMS, CENTER_STAFF_PHONE) if "参考价规定" in t]
    hooks = [h for h in messages(db, Channel.WEBHOOK) if "inquiry_started" in h]
    assert len(hooks) == 1
    with db.unit_of_work(read_only=True) as s:
        warning = s.scalars(select(StageWarning).where(StageWarning.stage == "inquiry_started")).one()
        assert (str(warning.due_on), warning.target_working_days) == ("2026-12-23", 30)


def test_an_inquiry_started_in_time_is_not_warned_and_shows_as_met(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    capture_id = captured(client, world)
    at(clock, "2026-12-23T17:00:00")
    happened(db, capture_id, "reference_price.opened", {"opened_at": "2026-12-23T16:30:00+08:00"})
    at(clock, "2027-01-10T09:00:00")
    assert (capture_id, LegalDeadline.INQUIRY_STARTED) not in sweep_stage_clocks(db)
    assert "inquiry_started" not in warnings(db, capture_id)
    inquiry = legal_deadlines(client, capture_id)["inquiry_started"]
    assert inquiry["status"] == "on_time" and inquiry["met_at"] == "2026-12-23T08:30:00Z"
    assert inquiry["days_late"] == 0 and inquiry["warning_raised_at"] is None


def test_the_price_fixed_reaches_the_reference_price_stage(
    client: TestClient, world: factories.World, db: Database
) -> None:
    capture_id = captured(client, world)
    fixed_at = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
    happened(db, capture_id, "reference_price.fixed", {"fixed_at": fixed_at})
    happened(db, capture_id, "reference_price.fixed", {"fixed_at": "2026-11-30T10:00:00+08:00"})  # once
    with db.unit_of_work(read_only=True) as s:
        [reached] = s.scalars(select(StageReached).where(StageReached.capture_id == capture_id))
        assert reached.stage == Stage.REFERENCE_PRICE and reached.reached_at == fixed_at
    view = client.get(f"/api/captures/{capture_id}/stages", headers=login(client, "py.officer")).json()
    assert {s["stage"]: s["status"] for s in view["stages"]}["reference_price"] == "on_time"


def test_the_disposal_clock_starts_when_the_price_is_fixed(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    capture_id = captured(client, world)
    assert list(legal_deadlines(client, capture_id)) == ["inquiry_started"]
    at(clock, "2026-12-02T15:00:00")
    happened(db, capture_id, "reference_price.fixed", {"fixed_at": "2026-12-02T14:00:00+08:00"})
    disposal = legal_deadlines(client, capture_id)["disposal_started"]
    assert disposal == {
        "deadline": "disposal_started",
        "article": "《参考价规定》第三十条",
        "period_days": 10,
        "starts_on": "2026-12-02",
        "due_on": "2026-12-14",  # 12 December is a Saturday: the next working day
        "due_provisional": False,
        "met_at": None,
        "days_late": 0,
        "status": "pending",
        "warning_raised_at": None,
    }


def test_a_disposal_started_late_is_warned_once_and_shown_late(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    capture_id = captured(client, world)
    happened(db, capture_id, "reference_price.opened", {"opened_at": "2026-11-25T10:00:00+08:00"})
    happened(db, capture_id, "reference_price.fixed", {"fixed_at": "2026-12-02T14:00:00+08:00"})
    at(clock, "2026-12-14T23:59:00")
    assert LegalDeadline.DISPOSAL_STARTED not in {m for _, m in sweep_stage_clocks(db)}
    at(clock, "2026-12-15T00:10:00")
    assert sweep_stage_clocks(db) == [(capture_id, LegalDeadline.DISPOSAL_STARTED)]
    assert sweep_stage_clocks(db) == []
    text = [t for t in messages(db, Channel.SMS, OFFICER_PHONE) if "参考价规定" in t]
    assert text == [
        "【云执车】偏离预警：扣押车辆浙C12345应于2026年12月14日前启动财产变价程序（《参考价规定》第三十条），"
        "现已逾期1日。"
    ]

    at(clock, "2026-12-16T09:00:00")
    happened(db, capture_id, "disposal.started", {"started_at": "2026-12-16T08:30:00+08:00"})
    at(clock, "2026-12-31T09:00:00")
    assert sweep_stage_clocks(db) == []
    assert warnings(db, capture_id)["disposal_started"] == 1
    deadlines = legal_deadlines(client, capture_id)
    assert deadlines["inquiry_started"]["status"] == "on_time"
    disposal = deadlines["disposal_started"]
    assert (disposal["status"], disposal["days_late"]) == ("reached_late", 2)
    assert disposal["met_at"] == "2026-12-16T00:30:00Z"
    assert disposal["warning_raised_at"] == "2026-12-14T16:10:00Z"


def test_a_disposal_started_in_time_is_not_warned(
    client: TestClient, world: factories.World, db: Database, clock: MovableClock
) -> None:
    capture_id = captured(client, world)
    happened(db, capture_id, "reference_price.fixed", {"fixed_at": "2026-12-02T14:00:00+08:00"})
    happened(db, capture_id, "disposal.started", {"started_at": "2026-12-14T17:00:00+08:00"})
    at(clock, "2026-12-20T09:00:00")
    assert LegalDeadline.DISPOSAL_STARTED not in {m for _, m in sweep_stage_clocks(db)}
    assert legal_deadlines(client, capture_id)["disposal_started"]["status"] == "on_time"


def test_the_command_centers_figures_are_the_captures_durations(
    client: TestClient, world: factories.World, db: Database
) -> None:
    # The database works the durations out (julianday on SQLite, EXTRACT(EPOCH) on PostgreSQL): they
    # must be what the instants say, the chain of stages must stop at the first one not reached, and the
    # working days to the price must skip nothing but rest days.
    capture_id = captured(client, world)  # 08:40 on Monday 23 November
    reach(db, capture_id, Stage.INSPECTION, "2026-11-24T14:40:00")

    def of(court_id: int) -> figures.Figures:
        with db.unit_of_work(read_only=True) as s:
            found = figures.figures(s, court_id)
            s.expunge_all()  # the recent captures stay readable after the session
            return found

    def days(found: figures.Figures) -> dict[Stage, tuple[int, float | None]]:
        return {stage: (spread.count, spread.median) for stage, spread in found.stage_days.items()}

    # Inspected but never taken in: no stage counts, as an inspection has no start to count from.
    assert days(of(world.pingyang_court)) == {stage: (0, None) for stage in days(of(world.pingyang_court))}
    reach(db, capture_id, Stage.INTAKE, "2026-11-23T14:40:00")  # 6 hours after the capture
    reach(db, capture_id, Stage.REFERENCE_PRICE, "2026-11-30T02:40:00")  # Monday: 5 working days on
    found = of(world.pingyang_court)
    with db.unit_of_work(read_only=True) as s:
        capture = s.get(Capture, capture_id)
        watch = s.get(Watch, capture.watch_id) if capture is not None else None
        assert capture is not None and watch is not None
        waited = (capture.captured_at - watch.issued_at).total_seconds() / 86_400
    assert found.watch_to_capture_days.count == 1
    assert found.watch_to_capture_days.median == pytest.approx(waited, abs=1e-6)
    assert days(found) == {
        Stage.INTAKE: (1, pytest.approx(0.25, abs=1e-6)),
        Stage.INSPECTION: (1, pytest.approx(1, abs=1e-6)),
        Stage.REFERENCE_PRICE: (1, pytest.approx(5.5, abs=1e-6)),
    }
    assert (found.seizure_to_price_working_days.count, found.seizure_to_price_working_days.median) == (1, 5)
    assert [c.id for c in found.captures] == [capture_id]
    other = of(world.lucheng_court)
    assert (other.watch_to_capture_days.count, other.captures) == (0, [])
