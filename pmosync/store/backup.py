"""A consistent copy of a SQLite store while the daemon keeps writing to it.

Copying the file (``cp``) while a daemon writes can catch a page half-updated, and misses what
still sits in the ``-wal`` file. SQLite's online backup API copies the database as one read
transaction sees it: in WAL mode readers do not block the writer, so the daemon goes on, and
the copy holds every transaction committed before the backup began and none after. The copy
is written beside the destination under a temporary name, checked, made a self-contained file
(rollback journal, no ``-wal``), and only then renamed into place: a backup that is there is
whole.

A PostgreSQL store is backed up with ``pg_dump``, which already does this on the server side.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL

from pmosync.store.engine import SQLITE_BUSY_TIMEOUT_S, display_url
from pmosync.store.errors import StoreError, StoreUrlError


@dataclass(frozen=True)
class Backup:
    """What one backup wrote."""

    source: str  # the store's URL as it may be shown
    path: Path
    size: int
    pages: int


def backup_store(url: URL, destination: Path) -> Backup:
    """Copy the SQLite store at ``url`` (already parsed, its path absolute) to ``destination``.

    ``destination`` is a new file, or an existing folder that receives
    ``<store name>-<UTC time>.db``. An existing file is never overwritten. Raises
    ``StoreUrlError`` for a store that is not a SQLite file, ``StoreError`` for anything else
    the user can fix, with one line each.
    """
    shown = display_url(url)
    if url.get_backend_name() != "sqlite":
        raise StoreUrlError(
            f"store {shown} is not SQLite: pmosync db backup copies SQLite stores; back up "
            "PostgreSQL with pg_dump --format=custom (docs/deploy.md, Backups)"
        )
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise StoreError(f"store {shown} is not a database file that can be backed up")
    source = Path(database)
    if not source.is_file():
        raise StoreError(f"store {shown}: no such database file")
    target = _target(source, destination)
    partial = target.with_name(f".{target.name}.partial")
    try:
        pages = _copy(source, partial)
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise StoreError(f"store {shown} cannot be backed up: {error}") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise StoreError(f"cannot write the backup {target}: {reason}") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    return Backup(shown, target, target.stat().st_size, pages)


def _target(source: Path, destination: Path) -> Path:
    if destination.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        destination = destination / f"{source.stem}-{stamp}.db"
    if destination.exists():
        raise StoreError(f"{destination} already exists; pmosync never overwrites a backup")
    if destination.resolve() == source.resolve():
        raise StoreError(f"{destination} is the store itself")
    if not destination.parent.is_dir():
        raise StoreError(f"cannot write the backup {destination}: no such folder")
    return destination


def _copy(source: Path, partial: Path) -> int:
    """Copy in one step: a stepwise copy restarts whenever the daemon commits, so under a
    steady write load it might never end; one step is one read transaction, which in WAL mode
    the writer does not wait for."""
    with contextlib.closing(
        sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_S)
    ) as reader, contextlib.closing(sqlite3.connect(partial)) as copy:
        reader.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError(f"the copy fails its integrity check ({problems[0]})")
        return int(copy.execute("PRAGMA page_count").fetchone()[0])
