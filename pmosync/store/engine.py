"""Opening a database from a store URL, the same way for every command.

SQLite gets WAL (readers such as ``pmosync status`` never block the daemon's writes), a busy
timeout, and explicit ``BEGIN`` so a write transaction really is one transaction; SQLite's Python
driver otherwise opens transactions lazily and behind SQLAlchemy's back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url

from pmosync.store.errors import StoreUrlError

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
            return engine
        return create_engine(url, pool_pre_ping=True)
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
    """One line saying why ``url`` failed, with the password scrubbed from the driver's text."""
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split()) or type(original).__name__
    if url.password:
        text = text.replace(str(url.password), "***")
    return f"store {display_url(url)} cannot be opened: {text}"
