"""Database foundations: the declarative base, engines for SQLite and PostgreSQL, the unit of work.

Conventions (DESIGN §4): one transaction owner (``unit_of_work`` or the request dependency) commits or
rolls back; services only ``flush()``. Instants are stored in UTC and always read back timezone-aware.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar, cast

from pydantic import Field
from sqlalchemy import DateTime, Engine, MetaData, String, Table, create_engine, event, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.sql import bindparam
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Primary keys are INTEGER: 32 bits on PostgreSQL. A larger (or a non-positive) id in a request names no
# row; RowId rejects it as malformed instead of letting it overflow the driver or the column (a 500).
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored in UTC on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is needed")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the platform's settings: SQLite in WAL with foreign keys and real transactions.

    A statement's values are left out of the errors it raises: an error is logged, and the values are a
    debtor's name or ID number as often as not.
    """
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so that BEGIN is explicit (below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.close()

    # Writers of this process queue on a lock before BEGIN IMMEDIATE. SQLite itself makes a second writer
    # poll: its busy handler sleeps 1, 2, 5 … up to 100 ms between tries, which turns a 1 ms wait into
    # tens of milliseconds of latency under load. Handing the turn over through a lock costs nothing.
    # (Other processes still meet SQLite's own lock and busy timeout.)
    write_turn = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock at BEGIN (IMMEDIATE): it never has to upgrade a read snapshot,
        # which in WAL mode fails at once with SQLITE_BUSY instead of waiting. Readers BEGIN deferred
        # and get a consistent snapshot for the whole transaction.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode == "IMMEDIATE":
            if not write_turn.acquire(timeout=SQLITE_BUSY_TIMEOUT_S):
                raise TimeoutError(f"no write turn on {engine.url} within {SQLITE_BUSY_TIMEOUT_S} s")
            conn.info["write_turn"] = True
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            _end_turn(conn)
            raise

    def _end_turn(conn: Connection) -> None:
        if conn.info.pop("write_turn", False):
            write_turn.release()

    event.listen(engine, "commit", _end_turn)
    event.listen(engine, "rollback", _end_turn)


class Database:
    """Engines and session factories for one database URL."""

    def __init__(self, url: str, *, engine: Engine | None = None, **engine_kwargs: Any) -> None:
        """``engine``: an engine made for ``url`` earlier, whose connections and compiled statements this
        database shares (give it ``engine.execution_options()``: a distinct engine object, so the caches a
        process keeps per engine start empty). The tests make one per test on one engine per backend."""
        self.url = url
        self.engine = engine if engine is not None else make_engine(url, **engine_kwargs)
        self.sqlite = is_sqlite(url)
        self._writer = sessionmaker(bind=self.engine, expire_on_commit=False)
        reader_bind = (
            self.engine.execution_options(sqlite_begin="DEFERRED")
            if self.sqlite
            else self.engine.execution_options(isolation_level="REPEATABLE READ")
        )
        self._reader = sessionmaker(bind=reader_bind, expire_on_commit=False)

    def session(self, *, read_only: bool = False) -> Session:
        return (self._reader if read_only else self._writer)()

    @contextmanager
    def unit_of_work(self, *, read_only: bool = False) -> Iterator[Session]:
        """The transaction owner for jobs and commands: commit on success, roll back on error."""
        session = self.session(read_only=read_only)
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

    def dispose(self) -> None:
        self.engine.dispose()


_database: Database | None = None


def get_database() -> Database:
    """The process-wide database, built from settings on first use."""
    global _database
    if _database is None:
        from car_enforce.core.settings import get_settings

        _database = Database(get_settings().database_url)
    return _database


def set_database(database: Database | None) -> None:
    global _database
    _database = database


# --- after the commit -------------------------------------------------------------------------------

_ON_COMMIT = "carenforce_on_commit"


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction has committed; never if it rolls back.

    For what must only count what was stored (a metric of reads taken): the transaction owner commits,
    not the service that knows what to count. Inside a savepoint the callback goes with it: dropped if the
    savepoint rolls back, run only when the whole transaction commits.
    """
    session.info.setdefault(_ON_COMMIT, []).append((session.get_nested_transaction(), callback))


def _enclosing_savepoint(transaction: SessionTransaction) -> SessionTransaction | None:
    parent = transaction.parent
    while parent is not None and not parent.nested:
        parent = parent.parent
    return parent


@event.listens_for(Session, "after_commit")
def _run_on_commit(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is not None:  # a savepoint released: its callbacks now wait with the one around it
        outer = _enclosing_savepoint(savepoint)
        pending = session.info.get(_ON_COMMIT, [])
        pending[:] = [(outer if tx is savepoint else tx, callback) for tx, callback in pending]
        return
    for _tx, callback in session.info.pop(_ON_COMMIT, ()):
        try:
            callback()
        except Exception:  # what is stored is stored: a failing callback must not turn it into an error
            log.exception("a callback after the commit failed")


@event.listens_for(Session, "after_rollback")
def _forget_on_commit(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is None:
        session.info.pop(_ON_COMMIT, None)
        return
    pending = session.info.get(_ON_COMMIT, [])
    pending[:] = [(tx, callback) for tx, callback in pending if not _within(tx, savepoint)]


def _within(transaction: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is savepoint:
            return True
        transaction = transaction.parent
    return False


M = TypeVar("M", bound=Base)


def insert_once(session: Session, model: type[M], values: dict[str, Any], unique: list[str]) -> M | None:
    """Insert a row unless one with the same ``unique`` columns exists (then None), in one statement.

    ON CONFLICT DO NOTHING confines a collision with a concurrent transaction to this one row: the
    caller's other changes stay in the outer transaction and still commit.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=unique).returning(model)
    return session.scalars(statement).one_or_none()


def insert_missing(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]], unique: list[str]
) -> None:
    """Insert the rows whose ``unique`` columns are not taken yet, a row whose values are taken left as it
    stands, in one executemany (ON CONFLICT DO NOTHING). The caller counts what it added if it must.

    It needs no look-up first, which on a table just filled in bulk can cost more than the insert: the
    planner, with no statistics yet, filters every row of the table through a long IN list.
    """
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(cast(Table, model.__table__)).on_conflict_do_nothing(index_elements=unique), rows)


def refresh_statistics(session: Session, *models: type[Base]) -> None:
    """Have PostgreSQL's planner count the rows just written in bulk (ANALYZE, within the transaction: it
    counts the transaction's own rows). Autovacuum may take minutes to get there, and until it does the
    planner takes a table of a hundred thousand rows for an empty one and scans it for every look-up of the
    sweep that follows. SQLite plans by its indexes and needs nothing."""
    if session.get_bind().dialect.name != "postgresql":
        return
    names = ", ".join(str(cast(Table, model.__table__).name) for model in models)
    session.execute(text(f"ANALYZE {names}"))


def among(session: Session, query: Any, column: Any, values: Sequence[str]) -> Any:
    """``query`` narrowed to the rows whose ``column`` is one of ``values``: ``IN`` on SQLite, which answers
    it through its indexes; on PostgreSQL a join with the values as a set (``unnest``). PostgreSQL does not
    hash a long ``IN`` list of bound values: on a table its statistics have not caught up with, the planner
    can scan every row through the list (seconds for each look-up of 1,000 keys in 300,000 rows); joined as
    a set, each value is one probe of the index."""
    if session.get_bind().dialect.name != "postgresql":
        return query.where(column.in_(values))
    array = bindparam(None, list(values), type_=postgresql.ARRAY(String))
    wanted = func.unnest(array).table_valued("value").render_derived(name="wanted")
    return query.join(wanted, column == wanted.c.value)
