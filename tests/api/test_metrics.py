"""GET /metrics: reads, hits and alerts by adapter and the hit-to-alert latency after real police posts, the
outbox's backlog and the sweeps' lag read from the database, HTTP latency by route template, and who may
read it. The registry is the process's, shared by every app of the test run: tests compare before/after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount

from api import observe
from api.scheduler import guarded
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database, set_database
from car_enforce.core.notify.models import Notification
from car_enforce.core.notify.service import enqueue_sms
from car_enforce.core.notify.transitions import MACHINE
from car_enforce.core.settings import get_settings
from car_enforce.sightings.jobs import sweep_read_batches
from tests import factories
from tests.adapter_messages import dahua_hit, send
from tests.api_helpers import login
from tests.read_helpers import post, read

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(r.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


# --- the plate-read path ---------------------------------------------------------------------------


def test_reads_hits_and_alerts_are_counted_by_the_adapter_they_came_through(
    client: TestClient, world: factories.World, watched: dict[str, Any]
) -> None:
    before = scrape(client)
    batch = (read("浙C12345", camera="cam-1"), read("浙A00001", camera="cam-2"), read("浙B77777"))
    result = post(client, world.pingyang_key, *batch)
    assert (result["reads"], result["hits"], len(result["alerts"])) == (3, 1, 1)
    after = scrape(client)

    assert delta(before, after, "carenforce_plate_reads_total", adapter="canonical") == 3
    assert delta(before, after, "carenforce_plate_hits_total", adapter="canonical", kind="hit") == 1
    assert delta(before, after, "carenforce_alerts_raised_total", adapter="canonical", status="open") == 1
    # The hit was dispatched: one observation of its latency, well inside the largest bucket.
    assert delta(before, after, "carenforce_hit_to_alert_seconds_count", adapter="canonical") == 1
    assert delta(before, after, "carenforce_hit_to_alert_seconds_bucket", adapter="canonical", le="30.0") == 1
    assert delta(before, after, "carenforce_plate_reads_total", adapter="dahua") == 0

    # The same body again is answered with its first result, and counted no more.
    assert post(client, world.pingyang_key, *batch)["replayed"] is True
    again = scrape(client)
    assert delta(after, again, "carenforce_plate_reads_total", adapter="canonical") == 0
    assert delta(after, again, "carenforce_hit_to_alert_seconds_count", adapter="canonical") == 0

    # A look-alike at another camera: a possible hit, an alert pending for the officer, nothing dispatched.
    post(client, world.pingyang_key, read("浙C1Z345", camera="cam-3"))
    last = scrape(client)
    assert delta(again, last, "carenforce_plate_hits_total", adapter="canonical", kind="possible") == 1
    assert delta(again, last, "carenforce_alerts_raised_total", adapter="canonical", status="pending") == 1
    assert delta(again, last, "carenforce_hit_to_alert_seconds_count", adapter="canonical") == 0


def test_a_vendor_adapters_reads_carry_its_own_label(
    client: TestClient, world: factories.World, watched: dict[str, Any]
) -> None:
    before = scrape(client)
    r = send(client, dahua_hit(world.pingyang_key))
    assert r.status_code == 200 and r.json()["hits"] == 1, r.text
    after = scrape(client)
    assert delta(before, after, "carenforce_plate_reads_total", adapter="dahua") == 1
    assert delta(before, after, "carenforce_plate_hits_total", adapter="dahua", kind="hit") == 1
    assert delta(before, after, "carenforce_alerts_raised_total", adapter="dahua", status="open") == 1
    assert delta(before, after, "carenforce_hit_to_alert_seconds_count", adapter="dahua") == 1
    assert delta(before, after, "carenforce_plate_reads_total", adapter="canonical") == 0


# --- read from the database at each scrape --------------------------------------------------------


def test_the_outbox_backlog_and_its_oldest_age_follow_the_queued_messages(
    client: TestClient, db: Database, clock: MovableClock
) -> None:
    samples = scrape(client)
    assert value(samples, "carenforce_metrics_database_up") == 1
    for channel in ("sms", "webhook"):
        for status in ("pending", "failed"):
            assert value(samples, "carenforce_outbox_messages", channel=channel, status=status) == 0
        assert value(samples, "carenforce_outbox_oldest_pending_age_seconds", channel=channel) == 0

    with db.unit_of_work() as session:
        for n in (1, 2):
            enqueue_sms(session, event=None, to="13800000326", body=f"第{n}条", dedupe_key=f"test:{n}")
    clock.advance(timedelta(seconds=90))
    with db.unit_of_work() as session:
        enqueue_sms(session, event=None, to="13800000326", body="第3条", dedupe_key="test:3")
        first = session.scalars(select(Notification).order_by(Notification.id)).first()
        assert first is not None
        MACHINE.move(first, "give_up")  # the oldest is given up: the second is now the oldest waiting
    clock.advance(timedelta(seconds=30))

    samples = scrape(client)
    assert value(samples, "carenforce_outbox_messages", channel="sms", status="pending") == 2
    assert value(samples, "carenforce_outbox_messages", channel="sms", status="failed") == 1
    assert value(samples, "carenforce_outbox_oldest_pending_age_seconds", channel="sms") == 120
    assert value(samples, "carenforce_outbox_messages", channel="webhook", status="pending") == 0

    clock.advance(timedelta(minutes=10))  # nothing delivered meanwhile: the wait grows with the clock
    samples = scrape(client)
    assert value(samples, "carenforce_outbox_oldest_pending_age_seconds", channel="sms") == 720


def test_the_sweep_lag_is_counted_from_the_last_completed_run(
    client: TestClient, db: Database, clock: MovableClock
) -> None:
    assert not [k for k in scrape(client) if k[0] == "carenforce_sweep_lag_seconds"]  # nothing ran yet

    guarded(db, "test-holder", "sweep-read-batches", lambda: sweep_read_batches(db))()
    samples = scrape(client)
    assert value(samples, "carenforce_sweep_lag_seconds", job="sweep-read-batches") == 0
    assert value(samples, "carenforce_sweep_last_run_failed", job="sweep-read-batches") == 0

    clock.advance(timedelta(minutes=10))
    samples = scrape(client)
    assert value(samples, "carenforce_sweep_lag_seconds", job="sweep-read-batches") == 600

    def broken() -> None:
        raise RuntimeError("the sweep could not read its rows")

    # A run that fails is recorded but completes nothing: the lag keeps counting from the last success.
    guarded(db, "test-holder", "sweep-read-batches", broken)()
    clock.advance(timedelta(minutes=1))
    samples = scrape(client)
    assert value(samples, "carenforce_sweep_lag_seconds", job="sweep-read-batches") == 660
    assert value(samples, "carenforce_sweep_last_run_failed", job="sweep-read-batches") == 1

    guarded(db, "test-holder", "sweep-read-batches", lambda: sweep_read_batches(db))()
    samples = scrape(client)
    assert value(samples, "carenforce_sweep_lag_seconds", job="sweep-read-batches") == 0
    assert value(samples, "carenforce_sweep_last_run_failed", job="sweep-read-batches") == 0


def test_a_scrape_without_the_database_still_answers_with_the_process_metrics(
    app: FastAPI, tmp_path: Any
) -> None:
    set_database(Database(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}"))  # a folder that is not there
    try:
        samples = scrape(TestClient(app))
    finally:
        set_database(None)
    assert value(samples, "carenforce_metrics_database_up") == 0
    assert not [k for k in samples if k[0].startswith(("carenforce_outbox", "carenforce_sweep"))]
    assert [k for k in samples if k[0] == "carenforce_http_request_duration_seconds_count"]


# --- HTTP ------------------------------------------------------------------------------------------


def test_http_latency_is_labelled_by_route_template_and_status_class(
    client: TestClient, watched: dict[str, Any]
) -> None:
    officer = login(client, "py.officer")
    case_id = watched["case_id"]
    route = "/api/cases/{case_id}"
    before = scrape(client)
    assert client.get(f"/api/cases/{case_id}", headers=officer).status_code == 200
    assert client.get("/api/cases/999999", headers=officer).status_code == 404
    assert client.get(f"/api/nowhere/{case_id}").status_code == 404
    after = scrape(client)

    name = "carenforce_http_request_duration_seconds_count"
    assert delta(before, after, name, method="GET", route=route, status="2xx") == 1
    assert delta(before, after, name, method="GET", route=route, status="4xx") == 1
    assert delta(before, after, name, method="GET", route="unrouted", status="4xx") == 1
    paths = {v for _, labels in after for k, v in labels if k == "route"}
    assert route in paths and "/metrics" in paths
    assert not [p for p in paths if any(ch.isdigit() for ch in p)]  # no id, no raw path


def test_the_route_templates_are_those_fastapi_builds_for_every_route_of_every_app(app: FastAPI) -> None:
    """The latency labels read each template from the routes as included (cheap), never from FastAPI's built
    routes (about 0.4 s an app): the two must agree on every route, of the app and of its mounted ones."""
    apps = [app, *(r.app for r in app.routes if isinstance(r, Mount) and isinstance(r.app, Starlette))]
    assert len(apps) > 1  # the simulators are mounted apps
    for each in apps:
        built = {
            id(context.original_route): context.path_format or context.path
            for context in iter_route_contexts(each.routes)
            if context.path_format or context.path
        }
        assert dict(observe._templates_of(each.routes)) == built


def test_each_answer_carries_a_request_id(client: TestClient) -> None:
    first, second = client.get("/healthz"), client.get("/healthz")
    assert (
        len(first.headers["X-Request-Id"]) == 32
        and first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    )
    assert (
        client.get("/healthz", headers={"X-Request-Id": "gw-7f3a.1"}).headers["X-Request-Id"] == "gw-7f3a.1"
    )
    forged = client.get("/healthz", headers={"X-Request-Id": "a\tb c"}).headers["X-Request-Id"]
    assert forged != "a\tb c" and len(forged) == 32  # not a plain token: replaced


# --- who may read it -------------------------------------------------------------------------------


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(client: TestClient) -> None:
    r = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    assert r.text.rstrip().endswith("# EOF")


@pytest.fixture
def metrics_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CARENFORCE_METRICS_TOKEN", "scrape-7c1d")
    get_settings.cache_clear()
    yield "scrape-7c1d"
    get_settings.cache_clear()  # the next reader sees the environment monkeypatch restores


def test_with_a_metrics_token_set_only_a_scraper_that_sends_it_may_read(
    client: TestClient, metrics_token: str
) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    officer = login(client, "py.officer")  # a user's login is not the scraper's token
    r = client.get("/metrics", headers=officer)
    assert r.status_code == 401 and r.json()["error"] == "Unauthenticated"
    assert scrape(client, Authorization=f"Bearer {metrics_token}")
