"""``pmosync db backup``: a consistent copy of a SQLite store, safe while the daemon writes.

The store holds what the sources cannot give back (report snapshots, delivery records, the
quarantine and the run ledger), so it deserves a backup that a running daemon cannot spoil.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    StoreOption,
    db_app,
    fail,
    load_config_or_exit,
)


@db_app.command("backup")
def db_backup(
    dest: Annotated[
        Path,
        typer.Argument(
            help="The backup file to create, or a folder to create <store>-<UTC time>.db in.",
            metavar="DEST",
            show_default=False,
        ),
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
) -> None:
    """Copy a SQLite store with SQLite's online backup (consistent while the daemon writes).

    For a PostgreSQL store, use pg_dump.
    """
    from pmosync.store import StoreError, StoreUrlError
    from pmosync.store.backup import backup_store
    from pmosync.store.engine import parse_store_url

    try:
        if store is None:  # a relative SQLite path is the config's (or its state folder's)
            loaded = load_config_or_exit(config, defer_unset=True)  # no secret is needed
            url = parse_store_url(loaded.store, loaded.config_path.parent)
        else:  # like every command's --store: a relative SQLite path is the working directory's
            url = parse_store_url(store, Path.cwd())
        done = backup_store(url, dest)
    except StoreUrlError as error:
        fail(str(error), EXIT_USAGE)
    except StoreError as error:
        fail(str(error), EXIT_FAILED)
    megabytes = done.size / 1_000_000
    typer.echo(f"backed up store {done.source} to {done.path} ({megabytes:.1f} MB, integrity ok)")
