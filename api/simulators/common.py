"""What the simulated outside services share at their edge: their error answers, and the guards of their
requests (the control key, a bearer key, the Idempotency-Key header, the raw body, the app's settings)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from car_enforce.core.errors import DomainError, InvalidInput, Unauthenticated
from car_enforce.core.settings import Settings, get_settings

CONTROL_HEADER: Final = "X-Control-Key"


class ErrorOut(BaseModel):
    error: str
    detail: str


class SimulatedFailure(DomainError):
    """A failure the test asked for through the simulator's failure mode."""

    status_code = 500


def error(status: int, name: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": name, "detail": detail}, status_code=status)


def problems(errors: Any) -> str:
    # loc and msg only: the rejected input is not echoed back.
    return "; ".join(".".join(str(p) for p in e["loc"] if p != "body") + f": {e['msg']}" for e in errors)


def check_control(given: str | None, expected: str) -> None:
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthenticated(f"missing or wrong {CONTROL_HEADER}", zh=f"缺少 {CONTROL_HEADER} 或其值不对")


def install_error_handlers(app: FastAPI) -> None:
    """A domain error and a malformed request answer as the service's protocol says: error and detail."""

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return error(exc.status_code, exc.name, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(422, "ValidationError", problems(exc.errors()) or "malformed request")


_M = TypeVar("_M", bound=BaseModel)


def parse_body(model: type[_M], body: bytes) -> _M:
    """A JSON body read into ``model``; a body that does not fit is answered 422 like any other request."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def compact_json(document: Any) -> str:
    """A message's body as it is stored and signed: UTF-8 text as is, no spaces."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


# --- the guards of a request ----------------------------------------------------------------------------

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


def require_key(key: str | None, *, needs: str = "required", zh: str = "缺少此项") -> str:
    """The Idempotency-Key a request must carry; 422 without one."""
    if not key:
        raise InvalidInput("Idempotency-Key", needs, zh=zh)
    return key


def _settings(request: Request) -> Settings:
    settings: Settings | None = request.app.state.settings
    return settings or get_settings()


# The settings the simulator's app was made with (``service_app``), else the platform's.
SettingsDep = Annotated[Settings, Depends(_settings)]


def service_app(
    *, title: str, description: str, settings: Settings | None, routers: Iterable[APIRouter]
) -> FastAPI:
    """An app of its own for a simulator that keeps its state in the database, to serve alone or mount."""
    app = FastAPI(title=title, description=description, version="1")
    app.state.settings = settings
    install_error_handlers(app)  # a rejected input (a payer's name, an ID number) is never echoed back
    for router in routers:
        app.include_router(router)
    return app


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


def bearer_guard(key_of: Callable[[Settings], str]) -> Callable[..., None]:
    """A dependency refusing a request without ``Authorization: Bearer <key>``, the key ``key_of`` the
    settings (the scheme's case and the spaces around the key do not matter)."""

    def require_bearer(
        settings: SettingsDep, authorization: Annotated[str | None, Header(alias="Authorization")] = None
    ) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        expected = key_of(settings).encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
            raise Unauthenticated(
                "missing or wrong Authorization: Bearer <key>", zh="缺少 Authorization 请求头或其密钥不对"
            )

    return require_bearer
