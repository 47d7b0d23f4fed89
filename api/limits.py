"""A ceiling on request bodies, held before the app reads a byte of them: 413 in the platform's error shape.

The ceiling has to sit outside the app: every request's body is read whole by the app-wide text check,
and a camera route looks inside it for a Rekor key before it authenticates anyone, so without it an
unauthenticated sender could make the server hold as much memory as it cares to send.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorOut
from car_enforce.core.errors import PayloadTooLarge
from car_enforce.core.settings import get_settings

# The camera feeds: the canonical batch, the vendor adapters, GA/T 1400 (视图库) devices.
FEED_PREFIXES = ("/api/police/", "/VIID/")
# Under the police prefix but not a feed: a capture report carries up to twelve photos, which the
# feeds' ceiling would refuse.
PHOTO_ROUTES = ("/api/police/captures",)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


class BodyLimit:
    """Pure ASGI middleware: refuses a declared ``Content-Length`` over the limit without calling the app,
    and stops a streamed (chunked) body as soon as it grows past it.

    Limits default to the settings ``max_body_bytes`` and ``max_feed_body_bytes``.
    """

    def __init__(
        self, app: ASGIApp, *, default_bytes: int | None = None, feed_bytes: int | None = None
    ) -> None:
        settings = get_settings()
        self.app = app
        self.default_bytes = settings.max_body_bytes if default_bytes is None else default_bytes
        self.feed_bytes = settings.max_feed_body_bytes if feed_bytes is None else feed_bytes

    def limit_for(self, path: str) -> int:
        if any(path == route or path.startswith(route + "/") for route in PHOTO_ROUTES):
            return self.default_bytes
        if path.startswith(FEED_PREFIXES):
            return self.feed_bytes
        return self.default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        limit = self.limit_for(path[len(root) :] if root and path.startswith(root) else path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, _too_large(limit, f"the body is {declared} bytes"))
            return

        received = 0
        refused: PayloadTooLarge | None = None
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused is not None:
                raise refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised into whatever is reading, so that it stops; what it makes of the error is
                    # replaced by the 413 below.
                    refused = _too_large(limit, "the body grew past that while it was being sent")
                    raise refused
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None and not started:
                return  # the app's answer to a read cut short (a 400, a 500): the client gets the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if refused is None or started:
                raise
        if refused is not None and not started:
            await _refuse(scope, receive, send, refused)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself; the stream is counted anyway
    return None


def _too_large(limit: int, what: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"{what}; at most {limit} bytes ({_mib(limit)}) are accepted here: send it in smaller parts "
        "(fewer reads or records a message)",
        zh=f"请求内容过大：此处最多接收 {_mib(limit)}，请分批发送（每批少一些记录）",
    )


async def _refuse(scope: Scope, receive: Receive, send: Send, error: PayloadTooLarge) -> None:
    body = ErrorOut(error=error.name, detail=error.detail).model_dump(exclude_none=True)
    # Closing the connection ends the upload: on a kept-alive connection the server would go on reading
    # and discarding whatever the client still sends, however long it streams.
    response = JSONResponse(body, status_code=error.status_code, headers={"Connection": "close"})
    await response(scope, receive, send)
