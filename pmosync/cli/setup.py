"""Commands that set pmosync up: ``check``, ``config schema`` and ``reference``, ``db upgrade``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    StoreOption,
    app,
    config_app,
    db_app,
    fail,
    load_config_or_exit,
    open_store,
)

if TYPE_CHECKING:
    from pydantic import SecretStr

    from pmosync.config import PmosyncConfig
    from pmosync.connectors.base import CheckResult


@app.command()
def check(
    config: ConfigOption = DEFAULT_CONFIG,
    offline: Annotated[
        bool, typer.Option("--offline", help="Only validate the file; contact no service.")
    ] = False,
) -> None:
    """Validate a configuration file, say what it configures, and test each connector's
    credentials and permissions with a few small requests (with a writeback block: that the
    configured writes are permitted, writing nothing), and each delivery target: the mail
    server's login, writing in each SharePoint folder, each Teams webhook's host."""
    from pmosync.store import StoreUrlError
    from pmosync.store.engine import create_store_engine, display_url, parse_store_url

    loaded = load_config_or_exit(config)
    try:  # the URL and its driver, without connecting: the database may not exist yet
        create_store_engine(parse_store_url(loaded.store, loaded.config_path.parent)).dispose()
    except StoreUrlError as error:
        fail(f"{config}: store: {error}", EXIT_USAGE)
    connectors = ", ".join(f"{name} ({c.type})" for name, c in loaded.connectors.items())
    reports = ", ".join(f"{name} ({r.kind})" for name, r in loaded.reports.items())
    typer.echo(f"{config}: valid")
    typer.echo(f"  store:      {display_url(loaded.store)}")
    typer.echo(f"  connectors: {connectors or 'none'}")
    typer.echo(f"  reports:    {reports or 'none'}")
    advice = _advice(loaded)
    if offline:
        for name, result in advice:
            typer.echo(f"  {name}: {result.level}: {result.message}")
        return
    healthy = _check_connectors(loaded, advice)
    healthy = _check_writeback(loaded) and healthy
    healthy = _check_deliveries(loaded) and healthy
    if not _check_engine(loaded) or not healthy:
        raise typer.Exit(EXIT_FAILED)


def _check_engine(config: PmosyncConfig) -> bool:
    """The quota store, and with ``engine: temporal`` the cluster; True when no error."""
    from pmosync.connectors.base import CheckResult

    results: list[tuple[str, CheckResult]] = []
    if config.sync.quota_store is not None:
        results.append(("quota store", _probe_quota_store(config.sync.quota_store)))
    if config.engine == "temporal":
        try:
            import asyncio

            from pmosync.orchestration.temporal.connect import Target
            from pmosync.orchestration.temporal.probe import probe_engine
        except ImportError:
            from pmosync.cli.temporal import MISSING_EXTRA

            results.append(("temporal", CheckResult("error", MISSING_EXTRA)))
        else:
            probed = asyncio.run(probe_engine(config, Target.of(config)))
            results += [("temporal", result) for result in probed]
        if config.sync.quota_store is None and len(config.connectors) > 1:
            why = (
                "sync.quota_store is not set: workers syncing connectors that share a token "
                "each spend its whole quota"
            )
            results.append(("temporal", CheckResult("warning", why)))
    for where, result in results:
        typer.echo(f"  {where}: {result.level}: {result.message}", err=result.level == "error")
    return all(result.level != "error" for _, result in results)


def _probe_quota_store(url: SecretStr) -> CheckResult:
    """Open the quota store as a sync would (``limiter.open_quota_store``)."""
    from pmosync.connectors.base import CheckResult
    from pmosync.connectors.errors import ConnectorError
    from pmosync.connectors.limiter import open_quota_store

    try:
        store = open_quota_store(url.get_secret_value())
    except ConnectorError as error:
        return CheckResult("error", str(error))
    return CheckResult("ok", f"{store.where} answers")


def _check_deliveries(config: PmosyncConfig) -> bool:
    """Probe every distinct delivery target; True when none reported an error."""
    from pmosync.reports.delivery.probe import probe_deliveries
    from pmosync.sync.sources import PROBE_POLICY

    probed = probe_deliveries(config, PROBE_POLICY)
    for item in probed:
        line = f"  {item.target}: {item.result.level}: {item.result.message}"
        typer.echo(line, err=item.result.level == "error")
    return all(item.result.level != "error" for item in probed)


PREMIUM_UNSEEN = (
    "premium plans (formerly Project for the web) are not in Graph's Planner API and this "
    "connector cannot see them; sync them with a planner_premium connector "
    "(docs/connect-microsoft.md)"
)


def _advice(config: PmosyncConfig) -> list[tuple[str, CheckResult]]:
    """Warnings the configuration alone calls for, by connector: a planner connector with no
    planner_premium beside it misses every premium plan of the tenant without a word (Graph
    lists basic plans only), so the operator hears it once."""
    from pmosync.connectors.base import CheckResult

    types = {connector.type for connector in config.connectors.values()}
    if "planner_premium" in types:
        return []
    return [
        (name, CheckResult("warning", PREMIUM_UNSEEN))
        for name, connector in config.connectors.items()
        if connector.type == "planner"
    ]


def _check_connectors(config: PmosyncConfig, advice: list[tuple[str, CheckResult]]) -> bool:
    """Probe every connector that can be probed, each followed by the configuration's advice
    for it; True when none reported an error."""
    from pmosync.sync.sources import probe_source

    healthy = True
    for name, connector in config.connectors.items():
        results = probe_source(name, connector, config.config_path.parent)
        results = [*results, *(result for named, result in advice if named == name)]
        for result in results:
            line = f"  {name}: {result.level}: {result.message}"
            typer.echo(line, err=result.level == "error")
        healthy = healthy and all(result.level != "error" for result in results)
    return healthy


def _check_writeback(config: PmosyncConfig) -> bool:
    """Ask each write-back target whether the credentials permit the configured writes (it
    writes nothing); True when every configured write is permitted."""
    from pmosync.connectors.errors import ConnectorError
    from pmosync.writeback.run import open_target, writeback_connectors

    healthy = True
    for name in writeback_connectors(config):
        try:
            target = open_target(config, name, None)
        except ConnectorError as error:
            typer.echo(f"  {name}: error: write-back: {error}", err=True)
            healthy = False
            continue
        try:
            problems = target.probe()
        except ConnectorError as error:
            problems = [str(error)]
        finally:
            target.close()
        for problem in problems:
            shown = problem.removeprefix(f"{name}: ")
            typer.echo(f"  {name}: error: write-back: {shown}", err=True)
        if not problems:
            typer.echo(f"  {name}: ok: write-back: {_writes_of(config, name)} permitted")
        healthy = healthy and not problems
    return healthy


def _writes_of(config: PmosyncConfig, name: str) -> str:
    """The writes a connector's writeback block configures, in words."""
    spec = getattr(config.connectors[name], "writeback", None)
    keys = {
        "status_updates": "status updates",
        "rag_field": "the RAG field",
        "nudges": "nudge comments",
        "label": "the plan label",
        "status_task": "the PMO status task",
    }
    named = [words for key, words in keys.items() if getattr(spec, key, None) is not None]
    return ", ".join(named) or "writes"


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


@config_app.command("reference")
def config_reference(
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            help="Replace what follows the generated-reference marker line in this Markdown "
            "file (docs/config.md) instead of printing.",
        ),
    ] = None,
) -> None:
    """Print the Markdown reference of every configuration key (docs/config.md's lower part).

    It is generated from the JSON Schema, so it lists exactly the keys `pmosync check` accepts.
    """
    from pmosync.config.reference import MissingDescription, config_reference, replace_generated

    try:
        text = config_reference()
    except MissingDescription as error:
        fail(str(error), EXIT_FAILED)
    if write is None:
        typer.echo(text, nl=False)
        return
    try:
        document = write.read_text(encoding="utf-8")
    except OSError as error:
        fail(f"{write}: cannot read it: {error.strerror}", EXIT_USAGE)
    try:
        updated = replace_generated(document, text)
    except ValueError as error:
        fail(f"{write}: {error}", EXIT_USAGE)
    if updated == document:
        typer.echo(f"{write} is up to date", err=True)
        return
    write.write_text(updated, encoding="utf-8")
    typer.echo(f"wrote {write}", err=True)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = DEFAULT_CONFIG, store: StoreOption = None) -> None:
    """Create or upgrade the store's schema in place."""
    from pmosync.store.migrate import current_revision

    with open_store(config, store, "upgrade") as opened, opened.engine.connect() as connection:
        revision = current_revision(connection)
    typer.echo(f"store {opened.display_url} is at schema revision {revision} (current)")
