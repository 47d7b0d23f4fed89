"""Request dependencies: the transaction owner, who is calling, role guards and idempotency."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from car_enforce.core import idempotency
from car_enforce.core.db import get_database
from car_enforce.core.errors import DomainError, Forbidden, InvalidInput, Unauthenticated
from car_enforce.core.idempotency import Claim
from car_enforce.core.identity import service as identity
from car_enforce.core.identity.models import ROLE_NAMES_ZH, Role
from car_enforce.core.identity.principal import Principal

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """The request's one transaction: committed when the handler succeeds, rolled back on any error."""
    read_only = request.method in _READ_METHODS
    session = get_database().session(read_only=read_only)
    try:
        yield session
        if read_only:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# "function" scope: the commit happens before the response leaves, so a 2xx means it is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

bearer_scheme = HTTPBearer(auto_error=False, description="A token from POST /api/auth/login")
api_key_scheme = APIKeyHeader(name="X-Api-Key", auto_error=False, description="A machine client's API key")


def get_principal(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    if api_key:
        return identity.authenticate_api_key(session, api_key)
    if bearer is not None:
        credential = bearer.credentials
        if credential.startswith("ck_"):  # machine clients may send their key as a bearer token
            return identity.authenticate_api_key(session, credential)
        return identity.authenticate_token(session, credential)
    raise _no_credentials()


def _no_credentials() -> Unauthenticated:
    return Unauthenticated(
        "send 'Authorization: Bearer <token>' or 'X-Api-Key: <key>'",
        zh="请先登录（Authorization: Bearer <令牌>），或提供接口密钥（X-Api-Key）",
    )


class Allow:
    """A guard: the caller must hold one of these roles. The roles are listed in the OpenAPI document."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        # async: a pure check, so FastAPI need not hand it to the thread pool (a hop on every request)
        return self.check(principal)

    def check(self, principal: Principal) -> Principal:
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(self.roles))
            allowed_zh = "、".join(ROLE_NAMES_ZH.get(r, r) for r in sorted(self.roles))
            raise Forbidden(
                f"this needs one of the roles: {allowed}; you act as {principal.role}",
                zh=f"此操作需由{allowed_zh}办理",
            )
        return principal

    def __repr__(self) -> str:
        return f"Allow({', '.join(sorted(self.roles))})"


def get_principal_outside_transaction(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The caller, read in a short read-only transaction of its own, so that no transaction is open while
    the route calls an outside service that may write to the same database (the built-in simulators do on
    one machine; SQLite has one writer at a time)."""
    with get_database().unit_of_work(read_only=True) as session:
        return get_principal(session, bearer, api_key)


class AllowOutsideTransaction(Allow):
    """``Allow`` for a route that opens its own transactions around an outside call."""

    async def __call__(
        self, principal: Annotated[Principal, Depends(get_principal_outside_transaction)]
    ) -> Principal:
        return self.check(principal)


class Credentials:
    """A caller's credentials as sent, to be proven inside a transaction the route opens later."""

    def __init__(
        self, guard: Allow, bearer: HTTPAuthorizationCredentials | None, api_key: str | None
    ) -> None:
        self.guard, self.bearer, self.api_key = guard, bearer, api_key

    @property
    def token(self) -> str | None:
        """The login token, when that is the credential (a machine's key may come as a bearer token too)."""
        if self.api_key or self.bearer is None or self.bearer.credentials.startswith("ck_"):
            return None
        return self.bearer.credentials


def prove(session: Session, callers: Sequence[Credentials]) -> list[Principal | DomainError]:
    """Several callers at once: each the principal holding one of its guard's roles, or the refusal. The
    login tokens among them are read in one statement."""
    tokens = [c.token for c in callers if c.token is not None]
    by_token = dict(zip(tokens, identity.authenticate_tokens(session, tokens), strict=True)) if tokens else {}
    proven: list[Principal | DomainError] = []
    for caller in callers:
        try:
            token = caller.token
            found = (
                by_token[token]
                if token is not None
                else get_principal(session, caller.bearer, caller.api_key)
            )
            if isinstance(found, DomainError):
                raise found
            proven.append(caller.guard.check(found))
        except DomainError as refused:
            proven.append(refused)
    return proven


class AllowInOwnTransaction(Allow):
    """``Allow`` for a route whose work joins others' in one transaction (bids, api.bid_turn): credentials
    that are missing are refused here; the rest are proven in that transaction, with no read of its own."""

    async def __call__(  # type: ignore[override]
        self,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        api_key: Annotated[str | None, Depends(api_key_scheme)],
    ) -> Credentials:
        if bearer is None and not api_key:
            raise _no_credentials()
        return Credentials(self, bearer, api_key)


AnyUser = Annotated[Principal, Depends(Allow(*Role))]
Officer = Annotated[Principal, Depends(Allow(Role.OFFICER))]
Admin = Annotated[Principal, Depends(Allow(Role.ADMIN))]
PoliceAdapter = Annotated[Principal, Depends(Allow(Role.POLICE_ADAPTER))]


# A NUL, or half of a surrogate pair (JSON can escape one alone): no field means either, and neither
# database can store it (PostgreSQL refuses NUL; the drivers cannot encode a lone surrogate), which would
# otherwise surface as a 500 wherever the text reaches a query.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
NUL_ZH = "不能含有空字符（NUL）或无效的 Unicode 代理字符"


def _unstorable_at(document: Any) -> str | None:
    """Where in a parsed JSON body a string holds an unstorable character: "debtors[0].name", or None."""
    stack: list[tuple[Any, str]] = [(document, "")]  # a stack, not recursion: the body may nest deeply
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return where or "body"
        elif isinstance(value, dict):
            for key, item in value.items():
                stack += [(key, where), (item, f"{where}.{key}" if where else key)]
        elif isinstance(value, list):
            stack += [(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return None


async def reject_unstorable_text(request: Request) -> None:
    """Refuse a request whose path, query or JSON body has text with a NUL or a lone surrogate (422)."""
    texts = [("path", request.url.path), *request.query_params.multi_items()]
    for name, value in texts:
        if _UNSTORABLE.search(name) or _UNSTORABLE.search(value):
            raise InvalidInput(name, "must not contain a NUL character or an unpaired surrogate", zh=NUL_ZH)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # A console form: the route has parsed it already (its body is gone), and its fields are text.
        for field, entry in (await request.form()).multi_items():
            if isinstance(entry, str) and _UNSTORABLE.search(entry):
                raise InvalidInput(
                    field, "must not contain a NUL character or an unpaired surrogate", zh=NUL_ZH
                )
        return
    body = await request.body()
    # A JSON string can only hold NUL or a lone surrogate as a \u escape (a raw NUL byte is not JSON, and
    # valid UTF-8 cannot encode a surrogate): without such an escape in the bytes there is nothing to look
    # for, and a 5,000-read batch is not walked value by value.
    if body and _SUSPECT_ESCAPE.search(body):
        try:
            document = await request.json()  # parsed once: FastAPI has read the body into this request
        except (ValueError, RecursionError):
            return  # not JSON: the route rejects or ignores it by itself
        found = _unstorable_at(document)
        if found:
            raise InvalidInput(found, "must not contain a NUL character or an unpaired surrogate", zh=NUL_ZH)


M = TypeVar("M", bound=BaseModel)


class Idempotency:
    """The request's claim on its ``Idempotency-Key`` (``car_enforce.core.idempotency``): ``run`` produces
    the answer once and replays it for a retry."""

    def __init__(self, claimed: Claim) -> None:
        self.claimed = claimed

    def run(self, produce: Callable[[], M], status_code: int = 201) -> M | JSONResponse:
        """Return the stored answer of an earlier identical request, or produce and remember a new one."""
        replay = self.claimed.replay
        if replay is not None:
            return JSONResponse(
                replay.body, status_code=replay.status_code, headers={"Idempotent-Replay": "true"}
            )
        result = produce()
        self.claimed.remember(status_code, result.model_dump(mode="json"))
        return result


def created_or_replayed(response: Response, created: bool) -> None:
    """A POST identified by a natural key: 201 when it created the record, 200 when it found the first."""
    if not created:
        response.status_code = 200


async def request_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(request_body)]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


async def multipart_form(request: Request) -> dict[str, Any]:
    """The multipart form's fields: text as str, files as [(filename, bytes)] read here, in the event
    loop; empty when the body is not a multipart form."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return {}
    try:
        form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
    except Exception as exc:  # Starlette raises its own MultiPartException for a broken form
        raise InvalidInput(
            "body", f"is not a valid multipart form: {exc}", zh="不是有效的 multipart 表单"
        ) from None
    fields: dict[str, Any] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            fields.setdefault(name, []).append((value.filename or "", await value.read()))
        else:
            fields[name] = value
    return fields


MultipartForm = Annotated[dict[str, Any], Depends(multipart_form)]


def file_or_body(body: bytes, form: dict[str, Any], what: str) -> tuple[str, bytes]:
    """(file name, bytes) of the form's ``file`` part, or ("", the body) when the body is the file."""
    if not form:
        return "", body
    files = form.get("file")
    if not files or not isinstance(files, list):
        raise InvalidInput(
            "file",
            f"the multipart form needs a 'file' part holding {what}",
            zh="表单中缺少上传的文件（file）",
        )
    name, data = files[0]
    return str(name), bytes(data)


def get_idempotency(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(get_principal)],
    body: RawBody,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", description="Makes a retry return the first result")
    ] = None,
) -> Idempotency:
    return Idempotency(
        idempotency.claim(
            session,
            principal=principal.label,
            key=idempotency_key,
            method=request.method,
            path=request.url.path,
            body=body,
        )
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


def roles_of_route(dependant: Any) -> set[Role] | None:
    """The roles the route's guards allow (None when the route has no guard: a public route)."""
    found: set[Role] | None = None
    for dep in dependant.dependencies:
        if isinstance(dep.call, Allow):
            found = (found or set()) | set(dep.call.roles)
        inner = roles_of_route(dep)
        if inner is not None:
            found = (found or set()) | inner
    return found
