"""The ``pmosync`` command.

Exit codes: 0 success, 1 a job failed (including a store that cannot be reached), 2 a usage or
configuration error. A problem the user can fix prints one line per problem on stderr, starting
with where it is; tracebacks are reserved for bugs.

Everything beyond typer is imported inside the command that needs it, so ``pmosync --help``
starts in a fraction of a second and never loads SQLAlchemy, the SDKs or matplotlib.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from pmosync import __version__

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
app.add_typer(db_app, name="db")

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
DEFAULT_CONFIG = Path("pmosync.yaml")


def _fail(lines: list[str] | str, code: int) -> NoReturn:
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def _load_config(path: Path) -> PmosyncConfig:
    from pmosync.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as error:
        _fail(error.problems, EXIT_USAGE)


def _open_store(config_path: Path, store_url: str | None, schema: SchemaMode) -> Store:
    """Open the store named by ``--store``, else by the config file."""
    if store_url is None:
        config = _load_config(config_path)
        return _open_url(config.store, config.config_path.parent, schema)
    return _open_url(store_url, None, schema)


def _open_url(store_url: str, base_dir: Path | None, schema: SchemaMode) -> Store:
    """Open a store URL (a relative SQLite path lives in ``base_dir``), failing in one line."""
    from pmosync.store import Store, StoreError, StoreUrlError

    try:
        return Store.open(store_url, base_dir=base_dir, schema=schema)
    except StoreUrlError as error:
        _fail(str(error), EXIT_USAGE)
    except StoreError as error:
        _fail(str(error), EXIT_FAILED)


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


@app.command()
def check(
    config: ConfigOption = DEFAULT_CONFIG,
    offline: Annotated[
        bool, typer.Option("--offline", help="Only validate the file; contact no service.")
    ] = False,
) -> None:
    """Validate a configuration file, say what it configures, and test each connector's
    credentials and permissions with a few small requests."""
    from pmosync.store import StoreUrlError
    from pmosync.store.engine import create_store_engine, display_url, parse_store_url

    loaded = _load_config(config)
    try:  # the URL and its driver, without connecting: the database may not exist yet
        create_store_engine(parse_store_url(loaded.store, loaded.config_path.parent)).dispose()
    except StoreUrlError as error:
        _fail(f"{config}: store: {error}", EXIT_USAGE)
    connectors = ", ".join(f"{name} ({c.type})" for name, c in loaded.connectors.items())
    reports = ", ".join(f"{name} ({r.kind})" for name, r in loaded.reports.items())
    typer.echo(f"{config}: valid")
    typer.echo(f"  store:      {display_url(loaded.store)}")
    typer.echo(f"  connectors: {connectors or 'none'}")
    typer.echo(f"  reports:    {reports or 'none'}")
    if not offline and not _check_connectors(loaded):
        raise typer.Exit(EXIT_FAILED)


def _check_connectors(config: PmosyncConfig) -> bool:
    """Probe every connector that can be probed; True when none reported an error."""
    from pmosync.sync.sources import probe_source

    healthy = True
    for name, connector in config.connectors.items():
        results = probe_source(name, connector, config.config_path.parent)
        for result in results:
            line = f"  {name}: {result.level}: {result.message}"
            typer.echo(line, err=result.level == "error")
        healthy = healthy and all(result.level != "error" for result in results)
    return healthy


@app.command()
def sync(
    connectors: Annotated[
        list[str] | None, typer.Argument(help="Connectors to sync (default: all).")
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    full: Annotated[
        bool, typer.Option("--full", help="Re-read everything instead of what changed.")
    ] = False,
) -> None:
    """Sync the configured connectors into the store."""
    import logging

    from pmosync.store import StoreError
    from pmosync.sync.run import run_sync

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    loaded = _load_config(config)
    unknown = [name for name in connectors or () if name not in loaded.connectors]
    if unknown:
        known = ", ".join(loaded.connectors) or "none"
        _fail(f"{config}: no connector named {', '.join(unknown)} (configured: {known})",
              EXIT_USAGE)  # fmt: skip
    store = _open_url(loaded.store, loaded.config_path.parent, "create")
    try:
        results = run_sync(loaded, store, connectors or (), full=full)
    except StoreError as error:
        _fail(str(error), EXIT_FAILED)
    finally:
        store.close()
    for result in results:
        for warning in result.warnings:
            typer.echo(f"{result.name}: warning: {warning}", err=True)
        if result.error:
            typer.echo(f"{result.name}: failed: {result.error}", err=True)
        for stream in result.streams:
            counts = stream.counts
            line = (
                f"{result.name}/{stream.name}: {stream.status}, {counts.inserted} new, "
                f"{counts.updated} updated, {counts.unchanged} unchanged, {counts.deleted} "
                f"deleted, {counts.quarantined} quarantined, {counts.requests} requests"
            )
            typer.echo(line + (f" ({stream.error})" if stream.error else ""))
    if any(result.failed for result in results):
        raise typer.Exit(EXIT_FAILED)


@config_app.command("schema")
def config_schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of the configuration, for editor autocompletion."""
    from pmosync.config import config_json_schema

    text = json.dumps(config_json_schema(), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = DEFAULT_CONFIG, store: StoreOption = None) -> None:
    """Create or upgrade the store's schema in place."""
    from pmosync.store.migrate import current_revision

    with _open_store(config, store, "upgrade") as opened, opened.engine.connect() as connection:
        revision = current_revision(connection)
    typer.echo(f"store {opened.display_url} is at schema revision {revision} (current)")


@app.command()
def status(config: ConfigOption = DEFAULT_CONFIG, store: StoreOption = None) -> None:
    """Show the last run of every connector and stream, from the run ledger."""
    from rich.console import Console
    from rich.table import Table

    with _open_store(config, store, "require") as opened:
        latest = opened.ledger.latest_streams()
    if not latest:
        typer.echo(f"store {opened.display_url}: no runs yet")
        return
    table = Table(
        title=f"Last runs in {opened.display_url}",
        caption="records: +new ~changed -deleted (unchanged records are not rewritten)",
    )
    for column in ("connector", "stream", "started (UTC)", "took", "status"):
        table.add_column(column)
    table.add_column("records", justify="right")
    table.add_column("quarantined", justify="right")
    table.add_column("requests", justify="right")
    errors = []
    for row in latest:
        ended = row["ended_at"]
        table.add_row(
            row["connector"],
            row["stream"],
            row["started_at"].strftime("%Y-%m-%d %H:%M"),
            f"{(ended - row['started_at']).total_seconds():.1f}s" if ended else "-",
            row["status"],
            f"+{row['inserted']} ~{row['updated']} -{row['deleted']}",
            str(row["quarantined"]),
            str(row["requests"]),
        )
        if row["error"]:
            errors.append(f"{row['connector']}/{row['stream']}: {row['error']}")
    console = Console()
    if not console.is_terminal:  # a log file or a pipe: rich would squeeze it into 80 columns
        console.width = 140
    console.print(table)
    for line in errors:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command()
def sandbox(
    size: Annotated[str, typer.Option(help="Organisation size: XS, S or M.")] = "S",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic organisation.")] = 1,
    rpm: Annotated[
        int | None, typer.Option("--rpm", help="Requests per minute before a 429.")
    ] = None,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every response.")] = 0,
    free: Annotated[bool, typer.Option("--free", help="Act as a free (non-premium) plan.")] = False,
    token: Annotated[str, typer.Option(help="The bearer token the sandbox accepts.")] = (
        "sandbox-token"
    ),
) -> None:
    """Run the Asana and Microsoft Graph sandboxes on 127.0.0.1 until Ctrl-C or SIGTERM.

    Both serve the same generated people. Prints one JSON line with each sandbox's base URL
    and token (and the Asana workspace, the Microsoft 365 groups), for a config to point at."""
    import signal
    import threading

    from pmosync.sandbox import asana, graph

    try:
        running = asana.serve(
            size, seed, requests_per_minute=rpm, latency_s=latency_ms / 1000, free=free,
            token=token,
        )  # fmt: skip
    except ValueError as error:
        _fail(f"sandbox: {error}", EXIT_USAGE)
    people = [(person.name, person.email) for person in running.org.people.values()]
    page_size = 100  # Planner's server-side page size, fixed like the real service's
    microsoft = graph.serve(
        size, seed, people=people, page_size=page_size, requests_per_minute=rpm,
        latency_s=latency_ms / 1000,
    )  # fmt: skip
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    line = {
        "asana": {
            "base_url": running.base_url,
            "token": running.token,
            "workspace": running.org.workspace.gid,
        },
        "graph": {
            "base_url": microsoft.base_url,
            "token": microsoft.token,
            "groups": sorted(microsoft.tenant.groups),
            "page_size": page_size,
        },
    }
    typer.echo(json.dumps(line), nl=True)
    try:
        stop.wait()
    finally:
        running.stop()
        microsoft.stop()


@app.command()
def demo() -> None:
    """Run the tour on a built-in sandbox organisation (no credentials, no network)."""
    typer.echo(
        "pmosync demo: the guided tour is not built yet. It will start the Asana and Microsoft "
        "Graph sandboxes on 127.0.0.1, sync a generated organisation into demo/pmosync.db, and "
        "render every report into demo/out/. Until then, `pmosync check -c "
        "examples/pmosync.yaml` shows what a configuration looks like."
    )


def main() -> None:
    """Console-script entry point."""
    app()
