"""Engine and session set-up, SQLite pragmas, and the declarative base."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import MetaData, bindparam, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base of every model; its naming convention names constraints stably for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We emit BEGIN ourselves (see _sqlite_begin), as SQLAlchemy's docs advise.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """A writer starts with BEGIN IMMEDIATE: it takes the write lock before it reads,
    so in WAL mode its snapshot can never go stale (no SQLITE_BUSY_SNAPSHOT) and
    writers queue on busy_timeout instead of failing."""
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    if mode is None:  # one statement on its own (``Prepared.first(alone=True)``)
        return
    # Straight to the driver: this runs at the start of every transaction, and
    # SQLAlchemy's statement machinery would cost more than the BEGIN itself.
    conn.connection.driver_connection.execute(f"BEGIN {mode}")


def begin_write(session: Session) -> None:
    """Start the session's next transaction as a writer.

    Called at the top of every service method that writes, before it reads what
    it will change. Reads done before (none carry pending changes) are ended.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


class Prepared:
    """A read-only SELECT compiled once per dialect and run straight on the driver.

    For the one statement on every read request's path (an entry's head by id),
    SQLAlchemy's per-execution bookkeeping costs several times the query itself.
    This runs the compiled text with the driver's own ``execute`` on the session's
    connection (same transaction, same snapshot). Only for statements whose
    columns need no result processing (strings and integers) and plain bound
    parameters (no expanding IN).
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def _compile(self, dialect: Any) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        compiled = self.statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup) if compiled.positional else None
        # Values the statement carries itself (``id == 1`` becomes a parameter too).
        fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        self._compiled[dialect.name] = (compiled.string, names, fixed)
        return self._compiled[dialect.name]

    def _sql(self, dialect: Any, params: dict[str, Any]) -> tuple[str, Any]:
        sql, names, fixed = self._compiled.get(dialect.name) or self._compile(dialect)
        values = {**fixed, **params} if fixed else params
        return sql, (tuple(values[n] for n in names) if names is not None else values)

    def first(
        self, session: Session, params: dict[str, Any], *, alone: bool = False
    ) -> tuple[Any, ...] | None:
        """The first row; ``alone``: as a statement of its own (see ``statement_alone``),
        on SQLite on a connection borrowed straight from the pool."""
        # The ignores (union-attr): our sessions are bound to an Engine, never a Connection
        # (``make_session_factory``); a pooled connection always holds its driver's.
        engine = session.get_bind()
        if alone and engine.dialect.name == "sqlite" and not session.in_transaction():
            raw = engine.raw_connection()  # type: ignore[union-attr]
            try:  # no BEGIN: the connection is in autocommit mode (``_sqlite_pragmas``)
                row = raw.driver_connection.execute(*self._sql(engine.dialect, params)).fetchone()  # type: ignore[union-attr]
            finally:
                raw.close()
        else:
            with statement_alone(session) if alone else nullcontext(session.connection()) as connection:
                driver = connection.connection.driver_connection
                row = driver.execute(*self._sql(connection.dialect, params)).fetchone()  # type: ignore[union-attr]  # as above
        return tuple(row) if row is not None else None


class PreparedInsert:
    """An INSERT of many rows into one table, compiled once per dialect and run with
    the driver's own ``executemany`` on the session's connection (same transaction).

    Each value goes through its column type's bind processor, exactly as SQLAlchemy
    would send it (JSON serialised, timestamps as ``UtcDateTime`` stores them), so
    the rows stored are the same; only SQLAlchemy's per-row bookkeeping is skipped,
    which in the audit writer's profile cost more than the insert itself (bench/README.md,
    "The audited list, round 7"). Every row gives every column (no defaults are applied).
    """

    def __init__(self, table: Any) -> None:
        self.table = table
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, list[tuple[str, Any]]]] = {}

    def _compile(self, dialect: Any) -> tuple[str, tuple[str, ...] | None, list[tuple[str, Any]]]:
        columns = list(self.table.columns)
        compiled = self.table.insert().compile(dialect=dialect)  # every column, by its name
        names = tuple(compiled.positiontup) if compiled.positional else None
        processors = [
            (c.name, processor)
            for c in columns
            if (processor := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]
        self._compiled[dialect.name] = (compiled.string, names, processors)
        return self._compiled[dialect.name]

    def many(self, session: Session, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` (each a value for every column) in the session's transaction."""
        if not rows:
            return
        connection = session.connection()
        dialect = connection.dialect
        sql, names, processors = self._compiled.get(dialect.name) or self._compile(dialect)
        values: list[Any] = []
        for row in rows:
            sent = dict(row)
            for name, processor in processors:
                sent[name] = processor(sent[name])
            values.append(tuple(sent[n] for n in names) if names is not None else sent)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]  # as Prepared
        try:
            cursor.executemany(sql, values)
        finally:
            cursor.close()


def json_values(name: str) -> Any:
    """The values of a JSON array given as the one parameter ``name``, as a subquery for
    ``IN`` (SQLite's ``json_each``): a statement compiled once for any count of values,
    where an expanding ``IN`` is compiled again for each count (``Prepared`` lookups)."""
    return select(func.json_each(bindparam(name)).table_valued("value").c.value)


@contextmanager
def statement_alone(session: Session) -> Iterator[Connection]:
    """A connection for one read-only statement on its own, when the session has no
    transaction yet (inside one, the statement simply joins it).

    It is borrowed from the pool past the session: taking and giving back a
    connection through the session (its transaction, its commit) costs several
    times a read. On SQLite it runs without BEGIN and ROLLBACK: one statement reads
    one snapshot anyway, and Python's sqlite3 lets go of the GIL for each of them,
    which under a threaded server costs more than the read itself.
    """
    if session.in_transaction():
        yield session.connection()
        return
    with session.get_bind().connect() as connection:  # type: ignore[union-attr]  # bound to an Engine
        yield connection.execution_options(sqlite_begin=None)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` (psycopg 3 for PostgreSQL); SQLite gets WAL, foreign keys and our own BEGIN."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def refresh_statistics(engine: Engine) -> None:
    """SQLite: gather the planner's statistics (a full ANALYZE: it reads the indexes,
    about a second per million entries).

    Without them, or with sampled ones, SQLite picks the ``type`` index for the
    visibility count and reads every row (35-55 ms at 10,000 entries) instead of
    counting from the covering index (3-5 ms). PostgreSQL's autovacuum keeps its own.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA analysis_limit=0")
        conn.exec_driver_sql("ANALYZE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep their objects loaded after commit and flush only when asked."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


# -- session events, taken off again when the app closes --------------------------------
# SQLAlchemy keeps a session factory's listeners in a process-wide registry keyed
# (weakly) by the factory's own Session subclass. Every listener we add refers to the
# app that added it (its indexer, its delivery), and the app holds the factory, which
# holds that class: the key never dies, so no app is ever freed, however it is closed.
# A process that builds many apps (the test suite: one per test) grew by ~15,000
# objects an app, and each full garbage collection took longer (10 s per PostgreSQL
# test's teardown late in a CI run). So every listener on a factory goes through
# ``listen`` and ``forget_listeners`` (``Tillit.close``) takes them off.
_LISTENERS: WeakKeyDictionary[sessionmaker[Session], list[tuple[str, Callable[..., Any]]]] = (
    WeakKeyDictionary()
)
_F = TypeVar("_F", bound=Callable[..., Any])


def listen(sessions: sessionmaker[Session], identifier: str, fn: Callable[..., Any]) -> None:
    """``event.listen(sessions, identifier, fn)``, remembered for ``forget_listeners``."""
    event.listen(sessions, identifier, fn)
    _LISTENERS.setdefault(sessions, []).append((identifier, fn))


def listens_for(sessions: sessionmaker[Session], identifier: str) -> Callable[[_F], _F]:
    """``listen`` as a decorator (as ``event.listens_for``)."""

    def decorate(fn: _F) -> _F:
        listen(sessions, identifier, fn)
        return fn

    return decorate


def forget_listeners(sessions: sessionmaker[Session]) -> None:
    """Take off every listener ``listen`` added to ``sessions``."""
    for identifier, fn in _LISTENERS.pop(sessions, []):
        event.remove(sessions, identifier, fn)


def levels_in_use(engine: Engine) -> set[str]:
    """Every level key that entries and agencies use (empty before the first migration)."""
    inspector = inspect(engine)
    if not inspector.has_table("entries"):
        return set()
    with engine.connect() as conn:
        rows = (
            conn.execute(
                text(
                    "SELECT classification FROM entries UNION SELECT listing_level FROM entries "
                    "UNION SELECT clearance FROM agencies"
                )
            )
            .scalars()
            .all()
        )
    return {str(r) for r in rows}
