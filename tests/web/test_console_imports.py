"""Long work from the console: a center's inventory import and an administrator's boundary import, each
checked while the person waits, run in the background with its progress on a page that survives a
reload, and taken up again after a crash without doing anything twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.errors import Conflict
from car_enforce.core.geo.models import Jurisdiction
from car_enforce.core.timeline.models import TimelineEvent
from car_enforce.core.work import runner
from car_enforce.core.work.models import WorkItem, WorkStatus
from car_enforce.inventory import service as inventory_service
from car_enforce.inventory.models import InventoryImport, InventoryRow
from tests.inventory_helpers import FIXTURE, PLATE_A, PLATE_B, VIN_A, VIN_B, court_with_cars
from tests.web.console_helpers import log_in

pytestmark = pytest.mark.usefixtures("centers")
GEO = Path(__file__).resolve().parents[1] / "fixtures" / "geo"


def count(db: Database, model: type, *where: Any) -> int:
    with db.unit_of_work(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def upload_inventory(client: TestClient, csrf: str, data: bytes, name: str = "yard.csv") -> Any:
    return client.post(
        "/center/inventory",
        data={"csrf": csrf},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


def test_an_inventory_import_runs_in_the_background_and_its_progress_survives_a_reload(
    client: TestClient, db: Database
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    client.cookies.clear()
    csrf = log_in(client, "py.center")
    r = upload_inventory(client, csrf, FIXTURE.read_bytes())
    assert r.status_code == 303 and r.headers["location"].startswith("/work/")
    work_url = r.headers["location"]
    # Queued: a reload shows the same state from the database; nothing is matched yet.
    queued = client.get(f"{work_url}/state").json()
    assert (queued["status"], queued["done"], queued["total"]) == ("queued", 0, 8)
    assert "排队中" in client.get(work_url).text
    assert count(db, InventoryRow) == 0

    assert len(runner.run_due(db)) == 1
    state = client.get(f"{work_url}/state").json()
    assert state["status"] == "done" and state["done"] == state["total"] == 8 and state["percent"] == 100
    assert state["url"].startswith("/center/inventory/")
    page = client.get(state["url"]).text
    assert "自动入库</dt><dd>2 辆" in page and "待核对</dt><dd>6 行" in page
    assert count(db, TimelineEvent, TimelineEvent.kind == "inventory.imported") == 1

    # The same file again is the first import: no new work, and the page says so.
    again = upload_inventory(client, csrf, FIXTURE.read_bytes())
    assert again.status_code == 303 and again.headers["location"] == f"{state['url']}?again=1"
    assert count(db, WorkItem) == 1
    assert "此前已导入过" in client.get(again.headers["location"]).text


def test_a_file_that_is_not_an_export_is_refused_beside_the_field_and_nothing_is_kept(
    client: TestClient, db: Database
) -> None:
    csrf = log_in(client, "py.center")
    r = upload_inventory(client, csrf, b"name,colour\nbike,red\n", "notes.csv")
    assert r.status_code == 422
    assert 'class="error" role="alert"' in r.text
    assert count(db, InventoryImport) == 0 and count(db, WorkItem) == 0


def test_another_centers_clerk_is_not_told_the_work_or_the_import_exists(
    client: TestClient, db: Database
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A))
    client.cookies.clear()
    work_url = upload_inventory(client, log_in(client, "py.center"), FIXTURE.read_bytes()).headers["location"]
    runner.run_due(db)
    import_url = client.get(f"{work_url}/state").json()["url"]
    client.cookies.clear()
    log_in(client, "hz.center")
    for url in (work_url, f"{work_url}/state", import_url):
        assert client.get(url).status_code == 404, url


def test_a_review_row_is_matched_by_plate_or_dismissed_with_a_reason_on_the_page(
    client: TestClient, db: Database
) -> None:
    court = court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    client.cookies.clear()
    csrf = log_in(client, "py.center")
    work_url = upload_inventory(client, csrf, FIXTURE.read_bytes()).headers["location"]
    runner.run_due(db)
    import_url = client.get(f"{work_url}/state").json()["url"]
    with db.unit_of_work(read_only=True) as s:
        review = [r.line for r in s.scalars(select(InventoryRow).where(InventoryRow.outcome == "review"))]
    line = review[0]

    empty = client.post(f"{import_url}/rows/{line}/dismiss", data={"csrf": csrf, "reason": " "})
    assert empty.status_code == 422 and "请填写排除的理由" in empty.text
    unknown = client.post(f"{import_url}/rows/{line}/resolve", data={"csrf": csrf, "plate": "浙A99999"})
    assert unknown.status_code == 422 and "平台上没有号牌为浙A99999的车辆" in unknown.text
    no_token = client.post(f"{import_url}/rows/{line}/dismiss", data={"reason": "重复行"})
    assert no_token.status_code == 403

    done = client.post(
        f"{import_url}/rows/{line}/dismiss",
        data={"csrf": csrf, "reason": "非法院查封车辆"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "排除理由：非法院查封车辆" in client.get(import_url).text
    assert court.case["id"]  # the court's case is untouched by a dismissal


def test_a_crashed_step_is_taken_up_again_without_doing_anything_twice(
    client: TestClient, db: Database, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    client.cookies.clear()
    work_url = upload_inventory(client, log_in(client, "py.center"), FIXTURE.read_bytes()).headers["location"]
    monkeypatch.setattr("car_enforce.inventory.background.ROWS_PER_STEP", 3)
    finish = inventory_service.finish_import

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the worker died")

    monkeypatch.setattr(inventory_service, "finish_import", crash)
    runner.run_due(db)
    state = client.get(f"{work_url}/state").json()
    assert state["status"] == "queued" and state["done"] == 6  # two steps went through before the last one
    assert count(db, InventoryRow) == 6

    monkeypatch.setattr(inventory_service, "finish_import", finish)
    runner.run_due(db)
    assert client.get(f"{work_url}/state").json()["status"] == "done"
    assert count(db, InventoryRow) == 8  # the first six were not imported again
    assert count(db, TimelineEvent, TimelineEvent.kind == "inventory.imported") == 1


def test_a_runner_that_died_holding_the_work_is_replaced_once_its_claim_runs_out(
    client: TestClient, db: Database, clock: MovableClock
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A))
    client.cookies.clear()
    work_url = upload_inventory(client, log_in(client, "py.center"), FIXTURE.read_bytes()).headers["location"]
    work_id = int(work_url.rsplit("/", 1)[1])
    with db.unit_of_work() as s:
        assert runner._claim(s, work_id) is not None  # claimed, then the process died
    assert runner.run_due(db) == []  # still held
    clock.advance(runner.CLAIM * 2)
    assert runner.run_due(db) == [work_id]
    with db.unit_of_work(read_only=True) as s:
        item = s.get(WorkItem, work_id)
        assert item is not None and item.status == WorkStatus.DONE and item.attempts == 2


def upload_boundaries(client: TestClient, csrf: str, name: str, **fields: str) -> Any:
    return client.post(
        "/admin/boundaries",
        data={"csrf": csrf, "datum": "GCJ02", "source": "fixture", **fields},
        files={"file": (name, (GEO / name).read_bytes(), "application/geo+json")},
        follow_redirects=False,
    )


def test_a_boundary_file_is_previewed_on_the_map_then_imported_in_the_background(
    client: TestClient, db: Database
) -> None:
    csrf = log_in(client, "root.admin")
    r = upload_boundaries(client, csrf, "fixture_990000_province.geojson", level="province")
    assert r.status_code == 303
    preview = client.get(r.headers["location"])
    assert "测试省" in preview.text and "新增" in preview.text and "<svg" in preview.text
    assert (
        count(db, Jurisdiction, Jurisdiction.code == "990000") == 0
    )  # nothing written before the confirmation

    confirmed = client.post(f"{r.headers['location']}/confirm", data={"csrf": csrf}, follow_redirects=False)
    work_url = confirmed.headers["location"]
    assert client.get(f"{work_url}/state").json()["status"] == "queued"
    runner.run_due(db)
    assert client.get(f"{work_url}/state").json()["status"] == "done"
    assert count(db, Jurisdiction, Jurisdiction.code == "990000") == 1
    assert count(db, TimelineEvent, TimelineEvent.kind == "jurisdictions.imported") == 1
    # A confirmed draft cannot be confirmed again: its page is its progress now.
    assert client.get(r.headers["location"], follow_redirects=False).headers["location"] == work_url
    twice = client.post(f"{r.headers['location']}/confirm", data={"csrf": csrf})
    assert twice.status_code == 409


def test_a_boundary_file_the_import_would_refuse_is_refused_beside_its_field(
    client: TestClient, db: Database
) -> None:
    csrf = log_in(client, "root.admin")
    # Counties whose city is not on the platform: said beside the parent code, before any preview.
    r = upload_boundaries(client, csrf, "fixture_990300_counties.geojson", level="county")
    assert r.status_code == 422
    assert "的上级区划 990300 不存在" in r.text
    bad = client.post(
        "/admin/boundaries",
        data={"csrf": csrf, "datum": "GCJ02", "level": "county"},
        files={"file": ("x.geojson", b"{not json", "application/json")},
    )
    assert bad.status_code == 422 and "文件不是有效的 JSON" in bad.text
    assert count(db, WorkItem) == 0


def test_a_draft_thrown_away_is_never_imported(client: TestClient, db: Database) -> None:
    csrf = log_in(client, "root.admin")
    r = upload_boundaries(client, csrf, "fixture_990000_province.geojson", level="province")
    assert (
        client.post(
            f"{r.headers['location']}/cancel", data={"csrf": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    assert runner.run_due(db) == []
    assert count(db, Jurisdiction, Jurisdiction.code == "990000") == 0
    assert "已取消" in client.get("/admin/boundaries").text


def test_a_failed_import_is_taken_up_again_when_its_file_is_uploaded_again(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A), (PLATE_B, VIN_B))
    client.cookies.clear()
    csrf = log_in(client, "py.center")
    first = upload_inventory(client, csrf, FIXTURE.read_bytes()).headers["location"]
    monkeypatch.setattr("car_enforce.inventory.background.ROWS_PER_STEP", 3)
    finish = inventory_service.finish_import

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Conflict("the import cannot be recorded now", zh="暂时无法记录")

    monkeypatch.setattr(inventory_service, "finish_import", refuse)
    runner.run_due(db)
    assert client.get(f"{first}/state").json()["status"] == "failed"
    assert count(db, InventoryRow) == 6  # two steps went in; the last one, which records the import, did not

    monkeypatch.setattr(inventory_service, "finish_import", finish)
    again = upload_inventory(client, csrf, FIXTURE.read_bytes())
    assert again.headers["location"].startswith("/work/") and again.headers["location"] != first
    runner.run_due(db)
    assert client.get(f"{again.headers['location']}/state").json()["status"] == "done"
    assert count(db, InventoryRow) == 8  # nothing imported twice
    assert count(db, TimelineEvent, TimelineEvent.kind == "inventory.imported") == 1


def test_work_whose_runner_dies_every_time_is_not_taken_a_fourth_time(
    client: TestClient, db: Database, clock: MovableClock
) -> None:
    court_with_cars(client, (PLATE_A, VIN_A))
    client.cookies.clear()
    work_url = upload_inventory(client, log_in(client, "py.center"), FIXTURE.read_bytes()).headers["location"]
    work_id = int(work_url.rsplit("/", 1)[1])
    for _ in range(runner.MAX_ATTEMPTS):  # claimed, then the process died, each time
        with db.unit_of_work() as s:
            assert runner._claim(s, work_id) is not None
        clock.advance(runner.CLAIM * 2)
    assert runner.run_due(db) == []
    state = client.get(f"{work_url}/state").json()
    assert state["status"] == "failed" and "多次中断" in state["error"]
    assert count(db, InventoryRow) == 0
