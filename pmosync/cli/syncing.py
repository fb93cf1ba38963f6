"""Commands that sync: ``sync``."""

from __future__ import annotations

from typing import Annotated

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    app,
    fail,
    load_config_or_exit,
    open_url,
)


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
    loaded = load_config_or_exit(config)
    unknown = [name for name in connectors or () if name not in loaded.connectors]
    if unknown:
        known = ", ".join(loaded.connectors) or "none"
        fail(f"{config}: no connector named {', '.join(unknown)} (configured: {known})",
              EXIT_USAGE)  # fmt: skip
    store = open_url(loaded.store, loaded.config_path.parent, "create")
    try:
        results = run_sync(loaded, store, connectors or (), full=full)
    except StoreError as error:
        fail(str(error), EXIT_FAILED)
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
