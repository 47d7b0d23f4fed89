"""Identity verbs: organisations, users, logins, and machine keys."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from car_enforce.core import clock, events
from car_enforce.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from car_enforce.core.events import DomainEvent
from car_enforce.core.geo.models import Jurisdiction
from car_enforce.core.identity import security
from car_enforce.core.identity.models import (
    ORG_KIND_NAMES_ZH,
    PAID_ORG_KINDS,
    ROLE_ORG_KINDS,
    ApiKey,
    AuthToken,
    Organisation,
    OrgKind,
    Role,
    User,
)
from car_enforce.core.identity.principal import Principal
from car_enforce.core.identity.schemas import BankAccountIn, OrganisationCreate, masked_account


def principal_of_user(user: User) -> Principal:
    org = user.organisation
    return Principal(
        kind="user",
        id=user.id,
        label=f"user:{user.username}",
        role=user.role,
        organisation_id=org.id,
        organisation_kind=org.kind,
        jurisdiction_id=org.jurisdiction_id,
    )


def principal_of_key(key: ApiKey) -> Principal:
    org = key.organisation
    return Principal(
        kind="api_key",
        id=key.id,
        label=f"api_key:{key.prefix}",
        role=key.role,
        organisation_id=org.id,
        organisation_kind=org.kind,
        jurisdiction_id=org.jurisdiction_id,
    )


def create_organisation(
    session: Session,
    *,
    actor: Principal,
    kind: OrgKind,
    name: str,
    code: str | None = None,
    jurisdiction_id: int | None = None,
    contact_phone: str = "",
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
) -> Organisation:
    if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise Conflict(f"an organisation named {name!r} exists already", field="name", zh="已有同名机构")
    if code and session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
        raise Conflict(f"another organisation has the code {code!r}", field="code", zh="已有机构使用这个代码")
    org = Organisation(
        kind=kind,
        name=name,
        code=code,
        jurisdiction_id=jurisdiction_id,
        contact_phone=contact_phone,
        address=address,
        lon=lon,
        lat=lat,
    )
    session.add(org)
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="organisation.created",
            subject=f"organisation:{org.id}",
            case_id=None,
            data={"name": org.name, "kind": org.kind},
        ),
    )
    return org


def add_organisation(session: Session, *, actor: Principal, data: OrganisationCreate) -> Organisation:
    """An organisation as an administrator describes it, its jurisdiction named by code."""
    jurisdiction_id = None
    if data.jurisdiction_code:
        code = data.jurisdiction_code
        jurisdiction_id = session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == code))
        if jurisdiction_id is None:
            raise NotFound(
                f"jurisdiction {code} does not exist", field="jurisdiction_code", zh="没有这个行政区划代码"
            )
    return create_organisation(
        session,
        actor=actor,
        kind=data.kind,
        name=data.name,
        code=data.code or None,
        jurisdiction_id=jurisdiction_id,
        contact_phone=data.contact_phone,
        address=data.address,
        lon=data.lon,
        lat=data.lat,
    )


def set_bank_account(
    session: Session, *, actor: Principal, organisation_id: int, data: BankAccountIn
) -> Organisation:
    """Where money owed to the organisation is paid from now on (a center's costs, a platform's fee, a
    court's designated account); the change is on the timeline with the last four digits only. The same
    account again changes nothing."""
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"organisation {organisation_id} does not exist", zh="没有这个机构")
    if org.kind not in PAID_ORG_KINDS:
        raise Conflict(
            f"a {org.kind} is paid nothing through the platform: it has no account here",
            zh="该类机构不经本平台收款，无需登记收款账户",
        )
    if (org.bank_name, org.bank_account) == (data.bank_name, data.bank_account):
        return org
    previous = org.bank_account
    org.bank_name, org.bank_account = data.bank_name, data.bank_account
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="organisation.bank_account_set",
            subject=f"organisation:{org.id}",
            case_id=None,
            data={
                "bank_name": org.bank_name,
                "account": masked_account(data.bank_account),
                "previous": masked_account(previous) if previous else None,
            },
        ),
    )
    return org


def list_organisations(session: Session) -> list[Organisation]:
    # A jurisdiction's boundary can run to megabytes: the list needs its code and name only.
    query = select(Organisation).options(
        joinedload(Organisation.jurisdiction).defer(Jurisdiction.boundary_wkt)
    )
    return list(session.scalars(query.order_by(Organisation.id)))


_KIND_NAMES = {OrgKind.AUX_CENTER: "center"}
DISABLED_ZH = "此账号已停用"


def organisation_of(session: Session, org_id: int, kind: OrgKind) -> Organisation:
    """The organisation of that kind; NotFound for any other id, whatever organisation it names."""
    org = session.get(Organisation, org_id)
    if org is None or org.kind != kind:
        raise NotFound(
            f"{_KIND_NAMES.get(kind, kind.replace('_', ' '))} {org_id} does not exist",
            zh=f"没有这个{ORG_KIND_NAMES_ZH.get(kind, '机构')}",
        )
    return org


def _check_role_fits(role: Role, org: Organisation) -> None:
    if org.kind not in ROLE_ORG_KINDS[role]:
        raise InvalidInput(
            "role", f"a {role} cannot belong to a {org.kind} organisation", zh="这个角色不能属于这类机构"
        )


def create_user(
    session: Session,
    *,
    actor: Principal,
    organisation_id: int,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    phone: str = "",
) -> User:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(
            f"organisation {organisation_id} does not exist", field="organisation_id", zh="没有这个机构"
        )
    _check_role_fits(role, org)
    if len(password) < 10:
        raise InvalidInput("password", "at least 10 characters are required", zh="至少 10 个字符")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username {username!r} is taken", field="username", zh="这个用户名已被使用")
    user = User(
        organisation_id=org.id,
        username=username,
        display_name=display_name,
        role=role,
        password_hash=security.hash_password(password),
        phone=phone,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="user.created",
            subject=f"user:{user.id}",
            case_id=None,
            data={"username": user.username, "role": user.role, "organisation_id": user.organisation_id},
        ),
    )
    return user


def list_users(session: Session) -> list[User]:
    """Every account, by organisation then username (the administrator's list)."""
    query = select(User).options(
        joinedload(User.organisation).joinedload(Organisation.jurisdiction).defer(Jurisdiction.boundary_wkt)
    )
    return list(session.scalars(query.order_by(User.organisation_id, User.username)))


def login(session: Session, *, username: str, password: str, ttl_hours: int) -> tuple[str, AuthToken]:
    """Check a password and issue a bearer token; the same answer for an unknown user and a wrong password."""
    user = session.scalar(select(User).where(User.username == username))
    if not security.verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthenticated("wrong username or password", zh="用户名或密码错误")
    if not user.active:
        raise Unauthenticated("this account is disabled", zh=DISABLED_ZH)
    token = security.new_token()
    now = clock.now()
    row = AuthToken(
        user_id=user.id,
        token_hash=security.sha256_hex(token),
        created_at=now,
        expires_at=now + timedelta(hours=ttl_hours),
    )
    session.add(row)
    session.flush()
    return token, row


def logout(session: Session, token: str) -> None:
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == security.sha256_hex(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


# Every request loads its caller's organisation and jurisdiction: never the jurisdiction's boundary,
# which can run to megabytes and is not needed to know who is asking.
_CALLER_OF_TOKEN = (
    joinedload(AuthToken.user)
    .joinedload(User.organisation)
    .joinedload(Organisation.jurisdiction)
    .defer(Jurisdiction.boundary_wkt)
)
_CALLER_OF_KEY = (
    joinedload(ApiKey.organisation).joinedload(Organisation.jurisdiction).defer(Jurisdiction.boundary_wkt)
)


def authenticate_token(session: Session, token: str) -> Principal:
    (found,) = authenticate_tokens(session, [token])
    if isinstance(found, Unauthenticated):
        raise found
    return found


def authenticate_tokens(session: Session, tokens: Sequence[str]) -> list[Principal | Unauthenticated]:
    """The callers of several login tokens at once, in one statement (the bids of one batch): for each, the
    principal, or the refusal of a token unknown, expired or revoked, or of a disabled account."""
    hashes = [security.sha256_hex(t) for t in tokens]
    rows = {
        row.token_hash: row
        for row in session.scalars(
            select(AuthToken).where(AuthToken.token_hash.in_(set(hashes))).options(_CALLER_OF_TOKEN)
        ).unique()
    }
    now = clock.now()
    found: list[Principal | Unauthenticated] = []
    for token_hash in hashes:
        row = rows.get(token_hash)
        if row is None or row.revoked_at is not None or clock.as_utc(row.expires_at) <= now:
            found.append(
                Unauthenticated(
                    "the token is unknown, expired or revoked; log in again", zh="登录已失效，请重新登录"
                )
            )
        elif not row.user.active:
            found.append(Unauthenticated("this account is disabled", zh=DISABLED_ZH))
        else:
            found.append(principal_of_user(row.user))
    return found


def authenticate_api_key(session: Session, api_key: str) -> Principal:
    prefix = security.prefix_of(api_key)
    key = (
        session.scalar(select(ApiKey).where(ApiKey.prefix == prefix).options(_CALLER_OF_KEY))
        if prefix
        else None
    )
    if key is None or not hmac.compare_digest(key.secret_hash, security.sha256_hex(api_key)):
        raise Unauthenticated("unknown API key", zh="接口密钥无效")
    if key.revoked_at is not None:
        raise Forbidden(f"API key {key.prefix} was revoked", zh=f"接口密钥 {key.prefix} 已被吊销")
    return principal_of_key(key)


def create_api_key(
    session: Session,
    *,
    organisation_id: int,
    name: str,
    role: Role,
    actor: Principal,
    fixed_secret: str | None = None,
) -> tuple[ApiKey, str]:
    """Issue a machine key; the secret is returned here once and only its hash is kept.

    ``fixed_secret`` is for the demo seed only, whose keys the README prints.
    """
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(
            f"organisation {organisation_id} does not exist", field="organisation_id", zh="没有这个机构"
        )
    _check_role_fits(role, org)
    prefix, secret = security.new_api_key()
    if fixed_secret is not None:
        fixed_prefix = security.prefix_of(fixed_secret)
        if fixed_prefix is None:
            raise InvalidInput(
                "secret", "a key looks like ck_<8 hex>_<secret>", zh="密钥格式应为 ck_<8 位十六进制>_<密文>"
            )
        prefix, secret = fixed_prefix, fixed_secret
    key = ApiKey(
        organisation_id=org.id,
        name=name,
        role=role,
        prefix=prefix,
        secret_hash=security.sha256_hex(secret),
        created_at=clock.now(),
        created_by_id=actor.user_id,
    )
    session.add(key)
    session.flush()
    events.record(
        session,
        actor,
        DomainEvent(
            kind="api_key.created",
            subject=f"api_key:{key.id}",
            case_id=None,
            data={"prefix": prefix, "organisation_id": org.id, "role": role, "name": name},
        ),
    )
    return key, secret


def revoke_api_key(session: Session, *, key_id: int, actor: Principal) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} does not exist", zh="没有这个接口密钥")
    if key.revoked_at is None:  # revoking twice is a no-op, not an error: a retry must succeed
        key.revoked_at = clock.now()
        events.record(
            session,
            actor,
            DomainEvent(
                kind="api_key.revoked", subject=f"api_key:{key.id}", case_id=None, data={"prefix": key.prefix}
            ),
        )
    return key


def list_api_keys(session: Session, organisation_id: int | None = None) -> list[ApiKey]:
    query = (
        select(ApiKey)
        .options(
            joinedload(ApiKey.organisation)
            .joinedload(Organisation.jurisdiction)
            .defer(Jurisdiction.boundary_wkt)
        )
        .order_by(ApiKey.id)
    )
    if organisation_id is not None:
        query = query.where(ApiKey.organisation_id == organisation_id)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class Actor:
    """Whom a timeline's actor label names: a user (name and organisation), a machine key (its
    organisation), or one of the platform's own jobs (``name`` is the job)."""

    kind: str  # "user", "api_key", "system", or "unknown" for a label no longer on record
    name: str
    organisation: str


def actors_of(session: Session, labels: Iterable[str]) -> dict[str, Actor]:
    """Each actor label (``user:py.officer``, ``api_key:ck_…``, ``system:watch-sweep``) as a person reads
    it."""
    wanted = set(labels)
    usernames = {label.split(":", 1)[1] for label in wanted if label.startswith("user:")}
    prefixes = {label.split(":", 1)[1] for label in wanted if label.startswith("api_key:")}
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(usernames)))}
    keys = {k.prefix: k for k in session.scalars(select(ApiKey).where(ApiKey.prefix.in_(prefixes)))}
    found: dict[str, Actor] = {}
    for label in wanted:
        kind, _, name = label.partition(":")
        if kind == "user" and name in users:
            found[label] = Actor("user", users[name].display_name, users[name].organisation.name)
        elif kind == "api_key" and name in keys:
            found[label] = Actor("api_key", name, keys[name].organisation.name)
        elif kind == "system":
            found[label] = Actor("system", name, "")
        else:
            found[label] = Actor("unknown", label, "")
    return found
