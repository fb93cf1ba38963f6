"""The operator's first hour: ``init`` writes a starting configuration, ``discover`` lists the
ids the credentials can see, so nobody opens API URLs in a browser to find a gid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    TableFormatOption,
    app,
    fail,
    load_config_or_exit,
)

SIGN_IN_KEYS = (
    "tenant_id", "client_id", "client_secret", "certificate_path", "token", "base_url",
    "environment",
)  # fmt: skip
"""What ``discover`` reads of a section: its sign-in, never the ids it is there to find."""


@app.command()
def init(
    connector: Annotated[
        list[str] | None,
        typer.Option(
            "--connector",
            help="A connector type to configure (asana, planner, planner_premium, "
            "sharepoint_files, files); repeat it for several.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file to write; never overwritten.")
    ] = DEFAULT_CONFIG,
) -> None:
    """Write a commented starting configuration for the chosen connectors.

    Tokens and ids are ${VAR} references: set them (or write ids in their place), then
    `pmosync check` validates the file and `pmosync discover NAME` lists the ids."""
    from pmosync.config.starter import starter_config, starter_variables

    try:
        text = starter_config(connector or [])
    except ValueError as error:
        fail(f"--connector: {error}", EXIT_USAGE)
    try:
        with output.open("x", encoding="utf-8") as file:  # "x": an existing file is kept
            file.write(text)
    except FileExistsError:
        fail(f"{output}: already exists; pmosync init never overwrites a file "
             "(choose another with -o)", EXIT_USAGE)  # fmt: skip
    except OSError as error:
        fail(f"{output}: cannot write it ({error.strerror or error})", EXIT_FAILED)
    typer.echo(f"wrote {output}")
    typer.echo(
        f"set these variables (or a .env file beside it): {', '.join(starter_variables(text))}"
    )
    typer.echo(f"then: pmosync discover NAME -c {output}   (lists the ids to fill in)")
    typer.echo(f"      pmosync check -c {output}")


@app.command()
def discover(
    name: Annotated[
        str,
        typer.Argument(
            metavar="CONNECTOR",
            help="A connector of the config (or 'microsoft' for the top-level block).",
            show_default=False,
        ),
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    format: TableFormatOption = "table",
) -> None:
    """List what a connector's credentials can see, with the ids its YAML keys take: Asana
    workspaces, teams, portfolios and projects; Microsoft 365 groups, plans, Teams channels
    and SharePoint sites; a Dataverse environment's premium plans. Needs only the sign-in
    variables, not the ids."""
    from pmosync.cli.ledger import print_json, print_table
    from pmosync.config import AsanaConnector, MicrosoftAuth, PlannerPremiumConnector
    from pmosync.config.errors import did_you_mean
    from pmosync.config.unset import unset_keys
    from pmosync.connectors.errors import ConnectorError
    from pmosync.sync.sources import PROBE_POLICY

    loaded = load_config_or_exit(config, defer_unset=True)
    section = loaded.connectors.get(name)
    if section is None and name == "microsoft":
        section = loaded.microsoft
    if section is None:
        known = ", ".join(loaded.connectors) or "none"
        hint = did_you_mean(name, loaded.connectors)
        fail(f"{config}: no connector named {name} (configured: {known}){hint}", EXIT_USAGE)
    if not isinstance(section, AsanaConnector | MicrosoftAuth | PlannerPremiumConnector):
        fail(f"{name}: discover lists what a tool's credentials can see; a files connector "
             "reads a folder, which needs none", EXIT_USAGE)  # fmt: skip
    unset = unset_keys(section, SIGN_IN_KEYS)
    if unset:
        fail(unset, EXIT_USAGE)
    try:
        if isinstance(section, AsanaConnector):
            from pmosync.connectors.asana.discover import discover_asana

            found = discover_asana(section, PROBE_POLICY)
        elif isinstance(section, PlannerPremiumConnector):
            from pmosync.connectors.dataverse.discover import discover_premium

            found = discover_premium(section, PROBE_POLICY)
        else:
            from pmosync.connectors.microsoft.discover import discover_microsoft

            found = discover_microsoft(section, PROBE_POLICY)
    except ConnectorError as error:
        fail(f"{name}: {error}", EXIT_FAILED)
    if format == "json":
        print_json({"found": [_json(item) for item in found.found],
                    "unreadable": found.unreadable})  # fmt: skip
        return
    from rich.table import Table

    table = Table(
        title=f"What {name} can see",
        caption="write an id under its YAML key in the connector's section",
    )
    for column in ("kind", "id", "name", "in", "YAML key"):
        table.add_column(column, overflow="fold")
    for item in found.found:
        table.add_row(item.kind, item.id, item.name, item.within or "-", item.key)
    print_table(table)
    for line in found.unreadable:
        typer.echo(f"{name}: could not list {line}", err=True)


def _json(item: object) -> dict[str, str]:
    from dataclasses import asdict

    return asdict(item)  # type: ignore[call-overload]
