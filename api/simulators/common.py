"""What the simulated outside services share: their error answers and the check of their control key."""

from __future__ import annotations

import hmac
from typing import Any, Final, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from car_enforce.core.errors import DomainError, Unauthenticated

CONTROL_HEADER: Final = "X-Control-Key"


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
