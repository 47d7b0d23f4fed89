"""The FastAPI application: routers, the error renderer, and who may call each route in the docs."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from api import errors, limits, metrics, observe
from api.demo.seed import INQUIRY_SIM_PREFIX
from api.deps import reject_unstorable_text, roles_of_route
from api.routers import (
    admin,
    alerts,
    auction_bidding,
    auction_feeds,
    auction_lots,
    auction_platforms,
    auction_settlements,
    auth,
    cases,
    directory,
    health,
    police,
    reads,
    watches,
)
from api.routers import captures as captures_router
from api.routers import case_money as case_money_router
from api.routers import custody as custody_router
from api.routers import inspections as inspections_router
from api.routers import inventory as inventory_router
from api.routers import metrics as metrics_router
from api.routers import payments as payments_router
from api.routers import reference_prices as reference_prices_router
from api.routers import registry as registry_router
from api.routers import stages as stages_router
from api.routers import viid as viid_router
from api.simulators import auction_platform as auction_sims
from api.simulators import inquiry as inquiry_sims
from api.simulators import payments as payments_sim
from api.simulators import registry as registry_sim
from api.simulators import sms
from api.web import console
from api.wiring import install_clock, install_handlers
from car_enforce.core import logs
from car_enforce.core.db import Database, get_database, set_database
from car_enforce.core.settings import get_settings
from car_enforce.sightings.index import warm_index

# No user login. /metrics is for a Prometheus scraper: open, or behind a token of its own (see its router).
# The inquiry platforms' callback proves itself by its signature (the secret shared with that platform), a
# party's objection by the code texted to it with the notice. The public lots and their feeds are for anyone:
# they carry no personal data (auction.feeds).
WEB_STATIC = Path(__file__).resolve().parent / "web" / "static"
PUBLIC_ROUTES = frozenset(
    {
        "/api/auth/login",
        "/healthz",
        "/readyz",
        "/docs",
        "/metrics",
        "/api/inquiry-platforms/{code}/reports",
        "/api/auction/platforms/{code}/events",
        "/api/reference-price-objections",
        # A member of the public signs up to bid; anyone watches a room; the 确认书 is published (Art. 22).
        "/api/buyers",
        "/api/auction/rounds/{round_id}/room",
        "/api/auction/rounds/{round_id}/bids",
        "/api/auction/rounds/{round_id}/live",
        "/api/auction/rounds/{round_id}/confirmation.pdf",
        # Signed by the payment gateway (Standard Webhooks), not by a login.
        "/api/payments/notifications",
        # Signed by the vehicle registry (Standard Webhooks), not by a login.
        "/api/registry/notifications",
        "/api/public/lots",
        "/api/public/lots/{round_id}",
        "/feeds/lots.rss",
        "/feeds/lots.atom",
        "/feeds/lots.json",
    }
)
SIMULATOR_PREFIX = "/sim/"

DESCRIPTION = """
Follows a judgment debtor's car from the court's watch request (布控) to the buyer's new registration.

Authenticate with `Authorization: Bearer <token>` from `POST /api/auth/login`, or a machine client's
`X-Api-Key`. Every route says who may call it. Errors are `{"error": <name>, "detail": <text>}`.
Money is in fen; instants are UTC; plates are compared in normal form.
"""


def _document_roles(routes: Iterable[BaseRoute]) -> None:
    """Write each route's allowed roles into its OpenAPI description, from the guards it really uses.

    Called on each router before it is included: FastAPI (0.16x) keeps an included router as one entry
    of ``app.routes`` and builds its effective routes, descriptions included, from the router's own.
    """
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        roles = roles_of_route(route.dependant)
        if roles is None:
            who = "anyone (public)" if route.path in PUBLIC_ROUTES else "the simulator's API key"
        else:
            who = ", ".join(sorted(roles))
        line = f"**Who may call:** {who}."
        if line not in (route.description or ""):
            route.description = f"{route.description or ''}\n\n{line}".strip()


def _publish_components(app: FastAPI, components: dict[str, Any]) -> None:
    """Add schemas that routes refer to but FastAPI does not generate (the msgspec-decoded read batch)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            document.setdefault("components", {}).setdefault("schemas", {}).update(components)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    database: Database | None = None,
    *,
    with_scheduler: bool = False,
    server_process: bool = False,
    takes_reads: bool = True,
) -> FastAPI:
    """The app. ``server_process``: this process only serves it (``carenforce serve``), so once the watch
    index is warm, what is alive is frozen out of the garbage collector's full sweeps. ``takes_reads``:
    False for a process that a load balancer never sends plate reads (one serving pages, say): it does
    not load the watch index at start, and is ready as soon as its database answers."""
    install_handlers()
    if database is not None:
        set_database(database)
    install_clock()
    metrics.install()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The watch index loads in the background from a read snapshot, so that the first police batch
        # finds it ready instead of loading a million entries inside its own write transaction; /readyz
        # says when it is.
        stop = threading.Event()
        if takes_reads:
            threading.Thread(
                target=warm_index,
                args=(get_database(),),
                kwargs={"freeze": server_process, "stop": stop},
                name="warm-watch-index",
                daemon=True,
            ).start()
        scheduler = None
        if with_scheduler:
            from api.scheduler import start_scheduler

            scheduler = start_scheduler(get_database())
        yield
        stop.set()
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    app = FastAPI(
        title="car-enforce",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
        docs_url=None,  # served below from the packaged Swagger UI: the docs must work with no network
        dependencies=[Depends(reject_unstorable_text)],
        # Every malformed request is answered by errors.install's renderer, not in FastAPI's own shape.
        responses=errors.responses(422),
    )
    app.state.takes_reads = takes_reads
    app.state.send_inquiries = server_process  # price-inquiry requests leave at once, not at the next sweep
    app.state.run_work = server_process  # long work started from a page begins at once, too
    errors.install(app)
    app.add_middleware(limits.BodyLimit)  # oversized bodies: 413 before anything reads them
    app.add_middleware(observe.RequestObserver)  # outermost: ids, log fields and latency of every request
    # The bidding room first: a request is matched against the routes in order, and a bid storm should not
    # pay for trying some 250 others first (about 0.7 ms a request, a fifth of a bid's time in the server).
    # No path of another router matches one of the room's.
    for router in (
        auction_bidding.router,
        health.router,
        metrics_router.router,
        auth.router,
        cases.router,
        watches.router,
        police.router,
        reads.router,
        alerts.router,
        directory.router,
        admin.router,
        sms.router,
        captures_router.router,
        inventory_router.router,
        custody_router.router,
        inspections_router.router,
        stages_router.router,
        viid_router.router,
        reference_prices_router.router,
        auction_lots.router,
        payments_router.router,
        case_money_router.router,
        registry_router.router,
        auction_platforms.router,
        auction_feeds.router,
        auction_settlements.router,
    ):
        _document_roles(router.routes)
        app.include_router(router)

    # The simulated inquiry platforms the demo courts ask, on loopback beside the API (INQUIRY_PROTOCOL.md).
    settings = get_settings()
    if settings.inquiry_simulators:
        inquiry_sims.mount(
            app,
            inquiry_sims.demo_platforms(settings.inquiry_sim_secret),
            control_key=settings.inquiry_sim_control_key,
            prefix=INQUIRY_SIM_PREFIX,
        )
    # The simulated payment gateway (deposits, refunds, transfers to a court, payouts), beside the API too.
    if settings.payment_simulator:
        payments_sim.mount(app, prefix=payments_sim.PREFIX)
    # The simulated vehicle registry (车管所): seizures, releases, transfers after a sale, beside the API.
    if settings.registry_simulator:
        registry_sim.mount(app, prefix=registry_sim.PREFIX)
    # The simulated outside auction platform the demo courts may publish on (AUCTION_PLATFORM_PROTOCOL.md).
    if settings.auction_simulators:
        auction_sims.mount(
            app,
            [auction_sims.demo_platform(settings)],
            control_key=settings.auction_sim_control_key,
            prefix=auction_sims.PREFIX,
        )
    for page_router in console.ROUTERS:  # the console: pages in Chinese under /
        app.include_router(page_router)
    app.mount("/static/web", StaticFiles(directory=WEB_STATIC), name="web-static")
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="car-enforce API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    _document_roles(app.router.routes)  # the app's own routes
    _publish_components(app, reads.BATCH_COMPONENTS)
    return app


def served_app() -> FastAPI:
    """The app of one worker of ``carenforce serve --workers N``, built from the settings (the command's
    options reach it through the environment), with the logs set up as the command sets up its own."""
    settings = get_settings()
    logs.configure(settings.log_format, level=settings.log_level)
    return create_app(
        with_scheduler=settings.run_scheduler, server_process=True, takes_reads=settings.takes_reads
    )
