"""The logs of a real server, as ``carenforce serve`` sets them up (uvicorn's access log through the same
handler), after a flow that handles a debtor's name, ID number and phone: every line is one JSON object,
and none shows them, in any spelling."""

from __future__ import annotations

import io
import json
import logging
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from api import cli, scheduler
from api.scheduler import guarded
from car_enforce.core import logs
from car_enforce.core.db import Database
from car_enforce.core.settings import get_settings
from tests import factories
from tests.api_helpers import DEBTOR_ID, case_body, login
from tests.live import serve

NAME, PHONE = "林某某", "13900000002"  # the debtor of case_body()
PERSONAL = (NAME, DEBTOR_ID, PHONE)


@pytest.fixture
def captured(restored_logging: None) -> io.StringIO:
    buffer = io.StringIO()
    logs.configure("json", level="INFO", stream=buffer)
    return buffer


def test_a_flow_with_a_debtors_details_logs_none_of_them(
    app: FastAPI, db: Database, world: factories.World, captured: io.StringIO
) -> None:
    with (
        serve(app, log_level="info", log_config=None) as base,
        httpx.Client(base_url=base, timeout=10) as http,
    ):
        officer = login(http, "py.officer")
        r = http.post("/api/cases", json=case_body(), headers=officer)
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        assert http.get(f"/api/cases/{case_id}", headers=officer).status_code == 200
        # A caller that puts the debtor in the query, or in the path: the request is logged all the same.
        found = http.get(
            "/api/cases", params={"debtor": NAME, "id_number": DEBTOR_ID, "phone": PHONE}, headers=officer
        )
        assert found.status_code == 200
        assert http.get(f"/api/cases/{DEBTOR_ID}", headers=officer).status_code == 422
        assert http.get(f"/api/parties/{quote(NAME)}/{PHONE}").status_code == 404

    def failing_job() -> None:
        raise LookupError(f"no notice for {NAME}: {DEBTOR_ID}, {PHONE}")

    guarded(db, "test-holder", "send-notices", failing_job)()  # the scheduler logs the failure

    text = captured.getvalue()
    entries = [json.loads(line) for line in text.splitlines()]  # each line one JSON object
    assert len(entries) >= 6
    for value in PERSONAL:
        for spelling in (value, quote(value), quote(value).lower(), json.dumps(value)[1:-1]):
            assert spelling not in text, f"{spelling} in the logs"

    access = [e for e in entries if e["logger"] == "uvicorn.access"]
    assert len(access) == 6  # the login, the case opened and read, the search, the two bad paths
    for entry in access:
        assert {"request_id", "method", "path", "route", "status", "duration_ms", "client"} <= set(entry)
    by_route: dict[Any, list[dict[str, Any]]] = {}
    for entry in access:
        by_route.setdefault(entry["route"], []).append(entry)
    assert [e["status"] for e in by_route["/api/cases/{case_id}"]] == [200, 422]
    search = next(e for e in by_route["/api/cases"] if e["method"] == "GET")
    assert search["path"] == "/api/cases?debtor=林*某&id_number=3303**********0019&phone=139****0002"
    assert by_route["unrouted"][0]["path"] == "/api/parties/林*某/139****0002"

    (failure,) = [e for e in entries if e["logger"] == "api.scheduler"]
    assert failure["job"] == "send-notices" and failure["level"] == "ERROR"
    assert "LookupError: no notice for 林*某: 3303**********0019, 139****0002" in failure["exception"]


@pytest.mark.parametrize(("format", "formatter"), [(None, logs.JsonFormatter), ("text", logs.TextFormatter)])
def test_serve_and_the_scheduler_write_their_logs_through_the_scrubbing_handler(
    format: str | None,
    formatter: type,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    restored_logging: None,
) -> None:
    if format is not None:
        monkeypatch.setenv("CARENFORCE_LOG_FORMAT", format)
    get_settings.cache_clear()
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
    monkeypatch.setattr(scheduler, "run_forever", lambda database: None)
    try:
        for command in (["serve", "--no-scheduler"], ["scheduler"]):
            result = CliRunner().invoke(cli.app, command)
            assert result.exit_code == 0, result.output
            (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == logs.HANDLER_NAME]
            assert type(handler.formatter) is formatter
    finally:
        get_settings.cache_clear()
    # uvicorn leaves logging alone, so its loggers, the access log among them, reach that handler.
    assert served[0]["log_config"] is None and served[0]["log_level"] == "info"
    assert logging.getLogger("uvicorn.access").propagate is True
