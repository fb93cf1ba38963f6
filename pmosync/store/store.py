"""The store: the canonical model in SQL (SQLite by default, PostgreSQL for teams).

``Store`` is the only thing the rest of pmosync holds: it opens the database, keeps its schema
current, and hands out ``Writer`` transactions (the one way in), checkpoints and the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, exc, select, text

from pmosync.canonical.types import Record
from pmosync.store import migrate
from pmosync.store.engine import (
    DatabaseFault,
    create_store_engine,
    describe_db_error,
    display_url,
    parse_store_url,
    write_transaction,
)
from pmosync.store.errors import StoreError
from pmosync.store.ledger import Ledger
from pmosync.store.schema import checkpoints
from pmosync.store.write_ledger import WriteLedger
from pmosync.store.writer import StreamRun, WriteCounts, Writer

SchemaMode = Literal["create", "require", "upgrade"]

_TAKE_WRITER_TURN = text("SELECT pg_advisory_xact_lock(7370323535)")
"""A transaction-scoped advisory lock, released at commit or rollback; the number is pmosync's
own (``pmos`` + ``5``), shared by every pmosync store in the database."""


class Store:
    """An open store. Build it with ``Store.open``; close it when done."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.display_url = display_url(engine.url)
        self.ledger = Ledger(engine)
        self.writes = WriteLedger(engine)

    @classmethod
    def open(
        cls, url: str, *, base_dir: Path | None = None, schema: SchemaMode = "create"
    ) -> Store:
        """Open the store at ``url``.

        ``schema`` says what to do about the database's schema: ``create`` it in an empty
        database (and refuse an outdated one), only ``require`` it to be current (read-only
        commands, which must not create a database by looking at it), or ``upgrade`` it.
        """
        parsed = parse_store_url(url, base_dir)
        display = display_url(parsed)
        if schema == "require" and parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not Path(database).exists():
                raise StoreError(f"store {display}: no such database file yet; run `pmosync sync`")
        engine = create_store_engine(parsed)
        try:
            if schema == "upgrade":
                migrate.upgrade(engine)
            else:
                migrate.ensure_current(engine, display, create=schema == "create")
        except (DatabaseFault, exc.DBAPIError, exc.ArgumentError, OSError) as error:
            engine.dispose()
            raise StoreError(describe_db_error(parsed, error)) from None
        except StoreError:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def writer(self, stream: StreamRun | None = None) -> Iterator[Writer]:
        """One transaction: what is written through the writer commits together, or not at all.

        Bound to a ``StreamRun``, the writer also advances that stream's ledger counters and
        names the connector and stream for checkpoints and quarantine. A database that fails
        (full, read-only, gone) raises ``StoreError`` in one line (see ``engine``).

        Writers take turns, on PostgreSQL as on SQLite (whose ``BEGIN IMMEDIATE`` already
        does): two transactions upserting the same record at once (a manual sync beside the
        daemon's) would otherwise collide on the second of its two unique keys, which
        ``ON CONFLICT`` does not arbitrate, or deadlock. Pages are short; fetching, which is
        where a sync spends its time, stays parallel.
        """
        with write_transaction(self.engine) as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(_TAKE_WRITER_TURN)
            writer = Writer(connection, stream)
            yield writer
            writer.flush_ledger()

    def upsert(self, records: Iterable[Record]) -> WriteCounts:
        """Upsert one batch in its own transaction (a shorthand for ``writer().upsert``)."""
        with self.writer() as writer:
            return writer.upsert(records)

    def checkpoint(self, connector: str, stream: str) -> dict[str, Any] | None:
        """The state a stream saved with its last committed page, or None before its first."""
        query = select(checkpoints.c.state).where(
            checkpoints.c.connector == connector, checkpoints.c.stream == stream
        )
        with self.engine.connect() as connection:
            return connection.scalar(query)
