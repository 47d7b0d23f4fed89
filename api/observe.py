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
from typing import Any

from fastapi.routing import iter_route_contexts
from prometheus_client import Histogram
from starlette.datastructures import MutableHeaders
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


def _template_table(app: Any) -> dict[int, str]:
    """Each route of the app (by identity) and its full template, prefixes of included routers and all."""
    table = _templates.get(app)
    if table is None:
        table = {}
        for context in iter_route_contexts(getattr(app, "routes", [])):
            template = context.path_format or context.path
            if template:
                table[id(context.original_route)] = template
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
