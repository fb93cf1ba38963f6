"""Claimed ticks: before a job runs a scheduled time, the daemon records (job, time) in the store.

The primary key does the work: a second claim of the same tick fails, so a tick runs once even
when the lease changes hands around it (a holder frozen past its lease wakes up while the new
holder catches up on the same tick). The claim is also refused unless the claimer holds the
lease in the same transaction, so a daemon that lost its lease cannot start anything new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import exc, insert

from pmosync.orchestration.daemon.lease import Lease, database_now
from pmosync.store.engine import write_transaction
from pmosync.store.schema import daemon_ticks

Claim = Literal["claimed", "already_run", "not_holder"]


def claim_tick(lease: Lease, kind: str, job: str, scheduled_at: datetime) -> Claim:
    """Claim one scheduled run of a job for ``lease.holder``."""
    try:
        with write_transaction(lease.engine) as connection:
            if not lease.is_held_by_me(connection):
                return "not_holder"
            connection.execute(
                insert(daemon_ticks).values(
                    kind=kind,
                    job=job,
                    scheduled_at=scheduled_at,
                    claimed_by=lease.holder,
                    claimed_at=database_now(connection),
                )
            )
    except exc.IntegrityError:
        return "already_run"
    return "claimed"
