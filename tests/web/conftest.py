"""The console's browser fixtures: Debian's Chromium for a module, and the demo region on a live server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, sync_playwright

from api.demo import seed as demo
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.settings import get_settings
from tests.live import serve
from tests.web.browser_helpers import chromium_or_skip


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium per test process: each test opens its own page (a fresh context, no shared cookies)."""
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def demo_site(
    app: FastAPI, db: Database, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The demo region on this server: its simulated platforms are addressed at this server's URL."""
    with serve(app) as base:
        monkeypatch.setenv("CARENFORCE_PUBLIC_BASE_URL", base)
        get_settings.cache_clear()
        try:
            with db.unit_of_work() as s:
                demo.seed(s)
        finally:
            monkeypatch.delenv("CARENFORCE_PUBLIC_BASE_URL")
            get_settings.cache_clear()
        yield base


@pytest.fixture(autouse=True)
def _close_pages(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test's pages close with it: their scripts stop polling a server that is gone."""
    yield
    if "browser" in request.fixturenames:
        for context in request.getfixturevalue("browser").contexts:
            context.close()
