"""One renderer for every error: ``{"error": <name>, "detail": <text>}`` with the error's HTTP status."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from car_enforce.core.errors import DomainError

log = logging.getLogger(__name__)


class ErrorOut(BaseModel):
    error: str
    detail: str
    detail_zh: str | None = None  # the same in Chinese, where the platform words it for people
    rule: str | None = None
    rule_zh: str | None = None  # the rule's article cited the Chinese way, and the rule in Chinese
    fields: list[str] | None = None


_DESCRIPTIONS = {
    400: "A rule forbids this (the `rule` field cites it)",
    401: "Not authenticated: missing, unknown or expired token or key",
    403: "Authenticated, but this role or organisation may not do this",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state",
    422: "Malformed payload: a field is missing or not valid",
    503: "A part the platform needs is missing on this machine; the detail says which",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the errors a route can answer with."""
    return {code: {"model": ErrorOut, "description": _DESCRIPTIONS[code]} for code in codes}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        body = ErrorOut(
            error=exc.name, detail=exc.detail, detail_zh=exc.zh, rule=exc.rule, rule_zh=exc.rule_zh
        )
        body.fields = [exc.field] if exc.field else None
        return JSONResponse(
            {**body.model_dump(exclude_none=True), **exc.facts()}, status_code=exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{_field_name(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        fields = [_field_name(tuple(e["loc"])) for e in exc.errors()]
        body = ErrorOut(
            error="ValidationError", detail="; ".join(problems) or "malformed request", fields=fields
        )
        return JSONResponse(body.model_dump(exclude_none=True), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
            # FastAPI answers a JSON body it cannot even decode (not UTF-8, nested too deep) with a bare 400,
            # yet any other malformed JSON with a 422: answer this one as the malformed payload it is too.
            body = ErrorOut(error="ValidationError", detail=f"body: {exc.detail}", fields=["body"])
            return JSONResponse(body.model_dump(exclude_none=True), status_code=422)
        name = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthenticated"}.get(
            exc.status_code, "HTTPError"
        )
        return JSONResponse(
            {"error": name, "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        # The services check uniqueness first; this is the race their check cannot see: a concurrent
        # request stored the same thing a moment earlier. Nothing of this request was stored.
        log.info("integrity conflict: %s", exc.orig)
        body = ErrorOut(
            error="Conflict",
            detail="a concurrent request stored a conflicting record; read the current state and retry",
        )
        return JSONResponse(body.model_dump(exclude_none=True), status_code=409)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            {"error": "InternalError", "detail": "an unexpected error occurred"}, status_code=500
        )
