"""Opening a database from a store URL, the same way for every command.

SQLite gets WAL (readers such as ``pmosync status`` never block the daemon's writes), a busy
timeout, and explicit ``BEGIN`` so a write transaction really is one transaction; SQLite's Python
driver otherwise opens transactions lazily and behind SQLAlchemy's back.

Every engine turns the database failures a user must fix (a disk full, a read-only file, a
server restarted or unreachable) into ``DatabaseFault``, a ``StoreError`` of one line naming the
store and what to do, wherever they happen: the sync engine, the ledger and the daemon then need
one ``except StoreError`` each instead of knowing two drivers' exceptions. A lost PostgreSQL
connection is also dropped from the pool, so the next transaction reconnects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url

from pmosync.store.errors import StoreError, StoreUrlError

SQLITE_BUSY_TIMEOUT_S = 30
_IMMEDIATE = "pmosync_immediate"
"""Execution option: begin a SQLite transaction with ``BEGIN IMMEDIATE`` (take the write lock
up front, so a transaction that reads before it writes cannot fail half-way on a lock upgrade)."""


_USERINFO_PASSWORD = re.compile(r"(://[^/@:]*:)[^@/]*@")


def display_url(url: URL | str) -> str:
    """The URL as it may be shown to a person or written to a log: password masked."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except exc.ArgumentError:
            return _USERINFO_PASSWORD.sub(r"\1***@", url)
    return url.render_as_string(hide_password=True)


def store_identity(url: str, base_dir: Path | None = None) -> str:
    """The store ``url`` names, as a text that compares equal for the same database: a
    relative SQLite path anchored in ``base_dir``, the password masked; the URL as written
    when it does not parse. What tells a daemon's reloaded config from its first, and what
    the Temporal engine keys its ids on."""
    try:
        return parse_store_url(url, base_dir).render_as_string()
    except StoreUrlError:
        return url


def parse_store_url(url: str, base_dir: Path | None = None) -> URL:
    """Parse ``url``, choosing psycopg 3 for PostgreSQL and anchoring a relative SQLite path.

    A relative SQLite path is taken from ``base_dir`` (the config file's folder) so the daemon
    finds the same database whatever directory a service manager starts it in.
    """
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise StoreUrlError(
            f"store URL {display_url(url)!r} is not a database URL "
            "(expected e.g. sqlite:///pmosync.db or postgresql://user@host/db)"
        ) from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database not in ("", ":memory:") and not database.startswith("file:"):
            path = Path(database).expanduser()
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            parsed = parsed.set(database=str(path))
    return parsed


class DatabaseFault(StoreError, exc.OperationalError):
    """The database failed in a way the user must fix; ``problem`` says how, without the
    store's name (``Store.open`` words it as the store that cannot be opened).

    It is also SQLAlchemy's ``OperationalError`` (with the driver's error as ``orig``), so code
    that catches SQLAlchemy's exceptions, such as the daemon's lease keeping, still catches it.
    """

    def __init__(self, display: str, verb: str, problem: str, original: BaseException) -> None:
        exc.OperationalError.__init__(self, None, None, original)
        self.line = f"store {display} {verb}: {problem}"
        self.problem = problem

    def __str__(self) -> str:
        return self.line


_SQLITE_FAULTS = (
    (
        "database or disk is full",
        "cannot be written",
        "the disk is full ({error}); free space on its disk, then run again",
    ),
    (
        "disk i/o error",
        "cannot be written",
        "the disk refused a write ({error}): it may be full, or the file at a size limit; "
        "free space or lift the limit, then run again",
    ),
    (
        "readonly database",
        "cannot be written",
        "the database file is read-only ({error}); let the user running pmosync write the "
        "file and its folder",
    ),
    (
        "unable to open database file",
        "cannot be opened",
        "{error}; check that its folder exists and that the user running pmosync may read and "
        "write both the file and the folder",
    ),
    (
        "file is not a database",
        "cannot be opened",
        "{error}: the file is not a SQLite database; point the store at a pmosync database",
    ),
    (
        "database disk image is malformed",
        "cannot be read",
        "{error}: the file is damaged; restore it from a backup",
    ),
    (
        "database is locked",
        "is locked",
        f"{{error}} for {SQLITE_BUSY_TIMEOUT_S} s: another process holds its write lock; "
        "run again when it is done",
    ),
)

_POSTGRES_FAULTS = {
    "53100": ("cannot be written", "the server's disk is full ({error}); free space on it"),
    "25006": (
        "cannot be written",
        "the server only accepts reads ({error}); point the store at the primary server",
    ),
}


_CONNECTION_CLASSES = ("08", "57P")
"""SQLSTATE classes of a connection that failed or a server shutting down or starting up."""


def _driver_text(original: BaseException, url: URL) -> str:
    text = " ".join(str(original).split()) or type(original).__name__
    return text.replace(str(url.password), "***") if url.password else text


def _fault_of(url: URL, original: BaseException, dbapi: Any, lost: bool) -> DatabaseFault | None:
    """The ``DatabaseFault`` for a driver error a user must fix, or None: anything else (an
    integrity or programming error, SQLite's "no such table") is a bug and keeps its own
    exception and traceback."""
    text, display = _driver_text(original, url), display_url(url)
    if url.get_backend_name() == "sqlite":
        lowered = text.lower()
        for needle, verb, problem in _SQLITE_FAULTS:
            if needle in lowered:
                return DatabaseFault(display, verb, problem.format(error=text), original)
        return None
    sqlstate = getattr(original, "sqlstate", None) or ""
    if sqlstate in _POSTGRES_FAULTS:
        verb, problem = _POSTGRES_FAULTS[sqlstate]
        return DatabaseFault(display, verb, problem.format(error=text), original)
    connection_lost = lost or sqlstate.startswith(_CONNECTION_CLASSES) or not sqlstate
    if connection_lost and isinstance(original, (dbapi.OperationalError, dbapi.InterfaceError)):
        return DatabaseFault(
            display,
            "is unreachable",
            f"{text}; check that the server is running and reachable, then run again "
            "(a sync resumes where it stopped)",
            original,
        )
    if isinstance(original, dbapi.OperationalError):  # out of memory, too many clients, ...
        return DatabaseFault(display, "failed", text, original)
    return None


def _translate_faults(engine: Engine) -> None:
    """Raise ``DatabaseFault`` in place of the driver errors a user must fix."""
    url, dbapi = engine.url, engine.dialect.loaded_dbapi

    @event.listens_for(engine, "handle_error")
    def _on_error(context: exc.ExceptionContext) -> None:
        if context.is_pre_ping:
            return  # the pool reconnects on its own; only a failed reconnect is a fault
        original = context.original_exception
        if isinstance(original, dbapi.Error):
            fault = _fault_of(url, original, dbapi, context.is_disconnect)
            if fault is not None:
                raise fault


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we say BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_store_engine(url: URL) -> Engine:
    """An engine for a parsed store URL; nothing is connected yet."""
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
            _tune_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except exc.NoSuchModuleError:
        raise StoreUrlError(
            f"store {display_url(url)}: no database driver for {url.drivername!r} "
            "(SQLite is built in; for PostgreSQL install pmosync[postgres])"
        ) from None
    except ModuleNotFoundError as missing:
        raise StoreUrlError(
            f"store {display_url(url)}: the driver module {missing.name!r} is not installed "
            "(for PostgreSQL install pmosync[postgres])"
        ) from None
    _translate_faults(engine)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that will write: committed on success, else rolled back.

    On SQLite it takes the write lock up front (``BEGIN IMMEDIATE``), waiting up to the busy
    timeout for another writer, instead of failing half-way when a read turns into a write.
    """
    with (
        engine.connect().execution_options(**{_IMMEDIATE: True}) as connection,
        connection.begin(),
    ):
        yield connection


def describe_db_error(url: URL, error: BaseException) -> str:
    """One line saying why ``url`` cannot be opened, with the password scrubbed."""
    if isinstance(error, DatabaseFault):
        return f"store {display_url(url)} cannot be opened: {error.problem}"
    original = getattr(error, "orig", None) or error
    return f"store {display_url(url)} cannot be opened: {_driver_text(original, url)}"
