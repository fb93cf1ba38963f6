"""The ``pmosync`` application and what its commands share: options, exit codes, one-line failures.

The commands live beside this module, one module per group (``setup``, ``syncing``,
``ledger``, ``data``, ``daemon``, ``sandbox``, ``writeback``); ``pmosync.cli`` imports them all.

Exit codes: 0 success, 1 a job failed (including a store that cannot be reached), 2 a usage or
configuration error. A problem the user can fix prints one line per problem on stderr, starting
with where it is; tracebacks are reserved for bugs.

Everything beyond typer is imported inside the command that needs it, so ``pmosync --help``
starts in a fraction of a second and never loads SQLAlchemy, the SDKs or matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import typer

from pmosync import __version__
from pmosync.cli.logs import LogFormat

if TYPE_CHECKING:
    from pmosync.config import PmosyncConfig
    from pmosync.store import Store
    from pmosync.store.store import SchemaMode

EXIT_FAILED = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="pmosync",
    help="Collect project data from Asana, Microsoft Planner and timesheet workbooks into one "
    "store, and report portfolio status to the PMO.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Work with the YAML configuration.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the store's database.", no_args_is_help=True)
app.add_typer(config_app, name="config")
writeback_app = typer.Typer(
    help="Write the PMO's computed view back into each team's tool (docs/writeback.md).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(writeback_app, name="writeback")

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar="PMOSYNC_CONFIG",
        help="The YAML configuration file.",
        show_default=True,
    ),
]
StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="A store URL; overrides the config file's `store`."),
]
LogFormatOption = Annotated[
    LogFormat,
    typer.Option(
        "--log-format",
        help="text: plain lines (progress bars on a terminal); json: one JSON object per line "
        "on stderr, for log shippers.",
    ),
]
TableFormatOption = Annotated[
    Literal["table", "json"],
    typer.Option("--format", help="table for people, json for scripts."),
]
"""``--format`` of the commands that list things."""
DEFAULT_CONFIG = Path("pmosync.yaml")


def fail(lines: list[str] | str, code: int) -> NoReturn:
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def as_of_day(text: str | None) -> date | None:
    """An ``--as-of YYYY-MM-DD`` option's day (None when not given); a usage error otherwise."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--as-of {text!r} is not a date; write YYYY-MM-DD", EXIT_USAGE)


def load_config_or_exit(path: Path, *, defer_unset: bool = False) -> PmosyncConfig:
    """The config at ``path``, or its problems on stderr and exit 2.

    ``defer_unset`` for commands that may use no connector: an unset ``${VAR}`` of a
    connector, the mail server or a delivery waits until ``require_variables`` asks for it.
    """
    from pmosync.config import ConfigError, load_config

    try:
        return load_config(path, defer_unset=defer_unset)
    except ConfigError as error:
        fail(error.problems, EXIT_USAGE)


def require_variables(
    config: PmosyncConfig, connectors: Sequence[str] = (), reports: Sequence[str] = ()
) -> None:
    """Exit 2 with one line per unset variable that ``connectors`` or the deliveries of
    ``reports`` need, before anything is fetched or sent."""
    from pmosync.config.unset import unset_problems

    lines = unset_problems(config, connectors, reports)
    if lines:
        fail(lines, EXIT_USAGE)


def open_store(config_path: Path, store_url: str | None, schema: SchemaMode) -> Store:
    """Open the store named by ``--store``, else by the config file (whose connector secrets
    this needs not: they may be unset)."""
    if store_url is None:
        config = load_config_or_exit(config_path, defer_unset=True)
        return open_url(config.store, config.config_path.parent, schema)
    return open_url(store_url, None, schema)


def open_config_store(config: PmosyncConfig, store_url: str | None, schema: SchemaMode) -> Store:
    """Open ``--store`` when given (a relative SQLite path is the working directory's, as for
    every command), else the loaded config's store."""
    if store_url is None:
        return open_url(config.store, config.config_path.parent, schema)
    return open_url(store_url, None, schema)


def open_url(store_url: str, base_dir: Path | None, schema: SchemaMode) -> Store:
    """Open a store URL (a relative SQLite path lives in ``base_dir``), failing in one line."""
    from pmosync.store import Store, StoreError, StoreUrlError

    try:
        return Store.open(store_url, base_dir=base_dir, schema=schema)
    except StoreUrlError as error:
        fail(str(error), EXIT_USAGE)
    except StoreError as error:
        fail(str(error), EXIT_FAILED)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pmosync {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """pmosync: one consolidated, trustworthy picture of every project, in every tool."""
