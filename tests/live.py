"""Run an ASGI app under a real uvicorn server on loopback, for tests that need real HTTP and sockets."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import uvicorn

HOST = "127.0.0.1"
TICK_S = 0.1  # how often uvicorn's main loop looks at its exit flag, and refreshes its Date header


class _PromptServer(uvicorn.Server):
    """uvicorn's server, woken as soon as it is told to stop: its own main loop sleeps a tick between looks at
    the exit flag, which every test with a live server waited out at its end (half a tick on average)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken = asyncio.Event()

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), TICK_S)

    def stop(self) -> None:
        self.should_exit = True
        loop = self._loop
        if loop is not None:
            with suppress(RuntimeError):  # the loop has closed already: the server has stopped
                loop.call_soon_threadsafe(self._woken.set)


@contextmanager
def serve(
    app: Any,
    *,
    host: str = HOST,
    startup_timeout_s: float = 10.0,
    shutdown_timeout_s: float = 10.0,
    log_level: str = "warning",
    log_config: dict[str, Any] | None = uvicorn.config.LOGGING_CONFIG,
) -> Iterator[str]:
    """Serve ``app`` in a background thread; yield its base URL once it accepts connections.

    ``log_config=None`` leaves logging as the test set it up (``carenforce serve`` runs uvicorn so).
    """
    # Bind first and hand uvicorn the socket: asking the OS for port 0 and passing the number on would
    # race with other tests grabbing the same free port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=log_config,
        lifespan="auto",
        timeout_graceful_shutdown=max(1, int(shutdown_timeout_s / 2)),
    )
    server = _PromptServer(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the test thread below, not lost in this one
            failure.append(exc)

    # uvicorn only installs signal handlers on the main thread, so running it here leaves pytest's alone.
    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout_s
        while not server.started:
            if failure or not thread.is_alive():
                cause = failure[0] if failure else None
                raise RuntimeError(f"uvicorn did not start on {host}:{port}") from cause
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {host}:{port} within {startup_timeout_s} s")
            time.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        thread.join(shutdown_timeout_s)
        if thread.is_alive():
            # Requests still open past the graceful period (a slow simulator): cut them off.
            server.force_exit = True
            thread.join(shutdown_timeout_s)
        sock.close()
        # Not while an exception is propagating: it, not the stuck server, is what the test must show.
        if thread.is_alive() and sys.exc_info()[0] is None:
            raise RuntimeError(f"uvicorn on {host}:{port} did not stop")
