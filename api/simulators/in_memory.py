"""What the simulated outside platforms that keep their state in an app's memory share (the inquiry
platforms, the auction platform): the mode in force and its controls, the tasks sending in the background,
the signed messages to the court and the log of how each send went, and the app and its mounting.

Such a platform stands in for a service run by someone else, so its state lives in one process, not in the
platform's database.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, Self, TypeVar

from fastapi import FastAPI, Header, Request, params

from api.simulators import signed_delivery
from api.simulators.common import CONTROL_HEADER, check_control, compact_json, install_error_handlers
from car_enforce.core import clock

ModeT = TypeVar("ModeT", bound=str)


class Platform(Protocol):
    @property
    def code(self) -> str: ...


PlatformT = TypeVar("PlatformT", bound=Platform)
PlatformC = TypeVar("PlatformC", bound=Platform, contravariant=True)


@dataclass(frozen=True, slots=True)
class Message:
    message_id: str  # the webhook-id: the same on each try and each resend
    type: str
    url: str
    body: bytes
    secret: str  # the platform's, or a wrong one in bad_signature mode
    about: Mapping[str, str]  # what the message is about, as its log record names it


class InMemorySimulator(Generic[ModeT]):
    """One platform's mode, background sends and log of sends; a platform's own state is its subclass's.

    ``secret`` is the one the platform rightly signs its messages with; ``idle`` the mode of a fresh start.
    """

    def __init__(self, *, code: str, secret: str, control_key: str, idle: ModeT) -> None:
        if not control_key:
            raise ValueError("the simulator needs a control key")
        self.control_key = control_key
        self._code = code
        self._secret = secret
        self._idle = idle
        # The routes run on one event loop, but the lock keeps each change whole should a caller use a thread.
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._clear()

    @classmethod
    def of(cls, request: Request) -> Self:
        """The app's own simulator, mounted or not (a route's dependency)."""
        sim = request.app.state.simulator
        if not isinstance(sim, cls):
            raise TypeError(f"the app holds no {cls.__name__}")
        return sim

    def _clear(self) -> None:
        """Back to a fresh start; a subclass clears its own state too (under the lock, but at its birth)."""
        self.mode: ModeT = self._idle
        self.delay_s = 0.0
        # In every id this platform hands out: the court keeps ids across a reset or a restart of the
        # simulator, and a reused webhook-id would be taken for a retry of an earlier message.
        self._run = secrets.token_hex(3)
        self._sent: list[dict[str, Any]] = []

    def set_mode(self, mode: ModeT, delay_s: float) -> None:
        with self._lock:
            self.mode, self.delay_s = mode, delay_s

    def reset(self) -> None:
        """Forget everything and go back to the idle mode; sends under way are cancelled."""
        for task in list(self._tasks):
            task.cancel()
        with self._lock:
            self._clear()

    def _log_head(self) -> dict[str, Any]:
        # Under the lock, by the subclass's log.
        return {"platform": self._code, "mode": self.mode, "delay_s": self.delay_s}

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # a task nobody references may be collected before it runs
        task.add_done_callback(self._tasks.discard)

    def _message(
        self,
        number: int,
        type_: str,
        url: str,
        document: dict[str, Any],
        *,
        about: Mapping[str, str],
        secret: str | None = None,
    ) -> Message:
        """The ``number``-th message of this run: ``document`` signed with ``secret``, else rightly."""
        return Message(
            message_id=f"msg_{self._code}_{self._run}_{number}",
            type=type_,
            url=url,
            body=compact_json(document).encode(),
            secret=secret or self._secret,
            about=about,
        )

    async def deliver(self, message: Message) -> dict[str, Any]:
        """POST one message to the court, signed afresh at each try; network errors and 5xx are tried again
        (three tries in all), a 4xx is the court's answer and is not. What came of it, also logged."""
        sent = await signed_delivery.deliver(message.url, message.secret, message.message_id, message.body)
        record = {
            "message_id": message.message_id,
            "type": message.type,
            **message.about,
            "signed_rightly": message.secret == self._secret,
            "attempts": sent.tries,
            "status": sent.status,
            "answer": sent.answer,
            "error": sent.error,
            "sent_at": clock.now().isoformat(),
        }
        with self._lock:
            self._sent.append(record)
        return record


def control_guard(request: Request, key: Annotated[str | None, Header(alias=CONTROL_HEADER)] = None) -> None:
    """A dependency refusing a control request without the simulator's control key."""
    check_control(key, InMemorySimulator.of(request).control_key)


def platform_app(sim: InMemorySimulator[Any], *, title: str, description: str) -> FastAPI:
    """An app of its own for ``sim``, its routes still to add, to serve alone or mount."""
    app = FastAPI(title=title, description=description, version="1")
    app.state.simulator = sim
    install_error_handlers(app)
    return app


def add_reset(
    app: FastAPI,
    sim: InMemorySimulator[Any],
    *,
    dependencies: Sequence[params.Depends],
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> None:
    """The control that sets ``sim`` back to a fresh start."""

    @app.post("/control/reset", dependencies=dependencies, responses=responses)
    async def reset() -> dict[str, bool]:
        """Forget everything and go back to ok mode; sends under way are cancelled."""
        sim.reset()
        return {"ok": True}


class AppFactory(Protocol[PlatformC]):
    def __call__(self, platform: PlatformC, /, *, control_key: str) -> FastAPI: ...


def mount_each(
    app: FastAPI,
    platforms: Iterable[PlatformT],
    create_app: AppFactory[PlatformT],
    *,
    control_key: str,
    prefix: str,
    kind: str,
) -> dict[str, FastAPI]:
    """Mount each platform's app at ``{prefix}/{code}`` (its base URL); the mounted apps by code."""
    apps: dict[str, FastAPI] = {}
    for platform in platforms:
        sub = create_app(platform, control_key=control_key)
        app.mount(f"{prefix.rstrip('/')}/{platform.code}", sub, name=f"sim-{kind}-{platform.code}")
        apps[platform.code] = sub
    return apps
