"""Every request observed: an id, its fields on every log line written while it runs, and its latency.

Pure ASGI middleware, outside the body limit, so a refused upload is observed too. The latency histogram is
labelled by the route's template (``/api/captures/{capture_id}``), never the path itself: the ids in a
path would make a series per record and put them on a metrics page.
"""

from __future__ import annotations

import re
import time
import uuid
import weakref
from collections.abc import Iterator
from typing import Any

from prometheus_client import Histogram
from starlette.datastructures import MutableHeaders
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from car_enforce.core import logs

REQUEST_SECONDS = Histogram(
    "carenforce_http_request_duration_seconds",
    "HTTP requests by method, route template and status class, from the first byte in to the last out",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
# A request no route took: a 404, or a body refused before routing (413).
UNROUTED = "unrouted"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_ID_HEADER = "X-Request-Id"
# A caller's own request id is kept when it is a plain token (a gateway's trace id); anything else is
# replaced, so that a header cannot write what it likes into the logs.
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_templates: weakref.WeakKeyDictionary[Any, dict[int, str]] = weakref.WeakKeyDictionary()


def _templates_of(routes: Any, prefix: str = "") -> Iterator[tuple[int, str]]:
    """Each route (by identity) and its full template, read from the routes as they were included.

    FastAPI builds an included router's routes on the first request that reaches it (a pydantic adapter
    for each parameter and response, about 9 ms a route); asking it for the built routes
    (``iter_route_contexts``) would build every route of the app on its first request, about 0.4 s. An
    included router keeps its own router and the prefix it was included with, which is all a template
    needs: the prefixes joined, and compiled as Starlette compiles a route's path (``{id:int}`` -> ``{id}``).
    """
    for route in routes:
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if included is not None and context is not None:
            yield from _templates_of(included.routes, prefix + context.prefix)
            continue
        path = getattr(route, "path", None)
        if not path:
            continue
        if prefix:
            yield id(route), compile_path(prefix + path)[1]
        else:
            yield id(route), getattr(route, "path_format", None) or path


def _template_table(app: Any) -> dict[int, str]:
    """Each route of the app (by identity) and its full template, prefixes of included routers and all."""
    table = _templates.get(app)
    if table is None:
        table = dict(_templates_of(getattr(app, "routes", [])))
        _templates[app] = table
    return table


def route_template(scope: Scope) -> str:
    """The template of the route that took the request, or UNROUTED."""
    route = scope.get("route")
    if route is None:
        return UNROUTED
    app = scope.get("app")
    template = _template_table(app).get(id(route)) if app is not None else None
    return template or getattr(route, "path_format", None) or getattr(route, "path", None) or UNROUTED


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if _GOOD_REQUEST_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope['path']}?{query}" if query else str(scope["path"])


class RequestObserver:
    """Gives each request an id (``X-Request-Id``, the caller's if it sent a plain one), binds its fields
    to the log lines written while it runs (uvicorn's access line among them), and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"] if scope["method"] in METHODS else "other"
        request_id = _request_id(scope)
        status = 500  # unless a response starts: an error that escaped the app is answered 500 outside it

        with logs.bound(
            request_id=request_id, method=scope["method"], path=logs.scrub_target(_target(scope))
        ) as fields:

            async def observed_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
                    # Seen by what logs the response (uvicorn writes its access line as it starts).
                    fields.update(
                        route=route_template(scope),
                        status=status,
                        duration_ms=round((time.perf_counter() - started) * 1000, 1),
                    )
                await send(message)

            try:
                await self.app(scope, receive, observed_send)
            finally:
                REQUEST_SECONDS.labels(method, route_template(scope), f"{status // 100}xx").observe(
                    time.perf_counter() - started
                )
