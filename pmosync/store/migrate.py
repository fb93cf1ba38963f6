"""Schema migrations: users upgrade a store in place with ``pmosync db upgrade``.

A brand-new, empty database is brought to the current schema on first open, so ``make demo``
and a first sync need no extra step. A store at an older revision is never upgraded behind the
user's back: a daemon that silently migrated a shared PostgreSQL store could break an older
pmosync still reading it. Such a store is refused with the command that upgrades it.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from pmosync.store.engine import write_transaction
from pmosync.store.errors import StoreError

_UPGRADE_LOCK_KEY = 0x706D6F73  # "pmos": PostgreSQL advisory lock serialising upgrades


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("pmosync.store") / "migrations"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The schema revision this version of pmosync is written for."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def current_revision(connection: Connection) -> str | None:
    """The schema revision the database is at, or None for a database pmosync never touched."""
    return MigrationContext.configure(connection).get_current_revision()


def _lock_for_upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK_KEY})


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the head revision; returns (revision before, revision after)."""
    with write_transaction(engine) as connection:
        _lock_for_upgrade(connection)
        before = current_revision(connection)
        command.upgrade(_config(connection), "head")
    return before, head_revision()


def ensure_current(engine: Engine, display: str, *, create: bool = True) -> None:
    """Create the schema in an empty database (if ``create``); refuse any other revision."""
    head = head_revision()
    with engine.connect() as connection:
        revision = current_revision(connection)
        if revision is None and inspect(connection).get_table_names():
            raise StoreError(
                f"store {display} already holds tables that pmosync did not create; "
                "point the store at an empty database"
            )
    if revision == head:
        return
    if revision is None:
        if not create:
            raise StoreError(f"store {display} has no pmosync schema yet; run `pmosync sync`")
        upgrade(engine)
        return
    known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
    if revision in known:
        raise StoreError(
            f"store {display} is at schema revision {revision}, this pmosync needs {head}: "
            "run `pmosync db upgrade`"
        )
    raise StoreError(
        f"store {display} is at schema revision {revision}, which this pmosync does not know: "
        "it was written by a newer pmosync; upgrade pmosync"
    )
