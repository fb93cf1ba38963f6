"""The lease: one row in the store says which daemon schedules jobs, and until when.

A row rather than a PostgreSQL advisory lock, because it works the same on SQLite and on
PostgreSQL, survives a connection drop without silently changing hands, and can be read by
``/healthz`` to say who holds it. The holder renews it well before it expires; a daemon that
dies stops renewing, and a standby takes it once it has expired. Every change is a
compare-and-set inside one write transaction (``SELECT ... FOR UPDATE`` on PostgreSQL, the
write lock on SQLite), so two daemons can never both believe they took it.

Expiry is judged by the database's clock on PostgreSQL, so two hosts whose clocks disagree still
agree on when a lease ran out; SQLite lives on one host, whose clock everyone shares.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, exc, insert, select, text, update

from pmosync.store.engine import write_transaction
from pmosync.store.schema import daemon_lease

LEASE_NAME = "daemon"


def new_holder_id() -> str:
    """``host:pid:random``: names the process in logs, stays unique across restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def database_now(connection: Connection) -> datetime:
    """Now, by the clock every daemon of this store shares."""
    if connection.dialect.name == "postgresql":
        return connection.scalar(text("SELECT clock_timestamp()"))
    return datetime.now(UTC)


@dataclass(frozen=True)
class LeaseState:
    """Who holds the lease (None: nobody) and until when, as read at ``now``."""

    holder: str | None
    expires_at: datetime | None
    now: datetime
    mine: bool
    previous: str | None = None
    """When this read took the lease over from an expired holder: that holder."""

    def seconds_left(self) -> float:
        if self.expires_at is None:
            return 0.0
        return (self.expires_at - self.now).total_seconds()


class Lease:
    """The lease named ``name`` in the store, as seen by the daemon ``holder``."""

    def __init__(self, engine: Engine, holder: str, seconds: float, name: str = LEASE_NAME) -> None:
        self.engine = engine
        self.holder = holder
        self.seconds = seconds
        self.name = name

    def _row(self, connection: Connection, *, lock: bool):
        query = select(daemon_lease.c.holder, daemon_lease.c.expires_at).where(
            daemon_lease.c.name == self.name
        )
        return connection.execute(query.with_for_update() if lock else query).first()

    def acquire(self) -> LeaseState:
        """Take the lease if nobody holds it, it expired, or it is already ours (then renew).

        Raises SQLAlchemy's errors when the store cannot be reached; the caller stays standby.
        """
        try:
            with write_transaction(self.engine) as connection:
                now = database_now(connection)
                row = self._row(connection, lock=True)
                expires = now + timedelta(seconds=self.seconds)
                if row is None:
                    connection.execute(
                        insert(daemon_lease).values(
                            name=self.name, holder=self.holder, acquired_at=now, expires_at=expires
                        )
                    )
                    return LeaseState(self.holder, expires, now, True)
                if row.holder != self.holder and row.expires_at > now:
                    return LeaseState(row.holder, row.expires_at, now, False)
                values = {"holder": self.holder, "expires_at": expires}
                if row.holder != self.holder:
                    values["acquired_at"] = now
                connection.execute(
                    update(daemon_lease)
                    .where(
                        daemon_lease.c.name == self.name,
                        daemon_lease.c.holder == row.holder,
                        daemon_lease.c.expires_at == row.expires_at,
                    )
                    .values(**values)
                )
                previous = None if row.holder == self.holder else row.holder
                return LeaseState(self.holder, expires, now, True, previous)
        except exc.IntegrityError:
            # Another daemon inserted the first row at the same moment: it holds the lease.
            return self.read()

    def renew(self) -> bool:
        """Extend our lease; False when it is no longer ours (expired or taken)."""
        with write_transaction(self.engine) as connection:
            now = database_now(connection)
            result = connection.execute(
                update(daemon_lease)
                .where(
                    daemon_lease.c.name == self.name,
                    daemon_lease.c.holder == self.holder,
                    daemon_lease.c.expires_at > now,
                )
                .values(expires_at=now + timedelta(seconds=self.seconds))
            )
            return result.rowcount == 1

    def release(self) -> bool:
        """Give the lease up (a clean shutdown), so a standby takes over at once."""
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                delete(daemon_lease).where(
                    daemon_lease.c.name == self.name, daemon_lease.c.holder == self.holder
                )
            )
            return result.rowcount == 1

    def read(self) -> LeaseState:
        """Who holds the lease now, without changing it (``/healthz``)."""
        with self.engine.connect() as connection:
            now = database_now(connection)
            row = self._row(connection, lock=False)
        if row is None:
            return LeaseState(None, None, now, False)
        live = row.expires_at > now
        return LeaseState(row.holder, row.expires_at, now, live and row.holder == self.holder)

    def is_held_by_me(self, connection: Connection) -> bool:
        """Inside the caller's transaction: we hold the lease and it has not expired. Locks
        the row on PostgreSQL, so the lease cannot change hands before that transaction ends."""
        row = self._row(connection, lock=True)
        return (
            row is not None
            and row.holder == self.holder
            and row.expires_at > database_now(connection)
        )
