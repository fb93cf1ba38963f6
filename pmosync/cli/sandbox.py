"""``pmosync sandbox``: the Asana, Microsoft Graph and Dataverse emulators, until stopped."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pmosync.cli.app import EXIT_USAGE, app, fail


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
    """Run the Asana, Microsoft Graph and Dataverse (Planner premium plans) sandboxes on
    127.0.0.1 until Ctrl-C or SIGTERM.

    All serve the same generated people. Prints one JSON line with each sandbox's base URL
    and token (and the Asana workspace, the Microsoft 365 groups, the Dataverse environment
    a planner_premium connector's environment: takes), for a config to point at."""
    import signal
    import threading

    from pmosync.sandbox import asana, dataverse, graph

    try:
        running = asana.serve(
            size, seed, requests_per_minute=rpm, latency_s=latency_ms / 1000, free=free,
            token=token,
        )  # fmt: skip
    except ValueError as error:
        fail(f"sandbox: {error}", EXIT_USAGE)
    people = [(person.name, person.email) for person in running.org.people.values()]
    page_size = 100  # Planner's server-side page size, fixed like the real service's
    microsoft = graph.serve(
        size, seed, people=people, page_size=page_size, requests_per_minute=rpm,
        latency_s=latency_ms / 1000,
    )  # fmt: skip
    premium = dataverse.serve(
        size, seed, people=people, tenant=microsoft.tenant, latency_s=latency_ms / 1000
    )
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
        "dataverse": {"environment": premium.environment_url, "token": premium.token},
    }
    typer.echo(json.dumps(line), nl=True)
    try:
        stop.wait()
    finally:
        running.stop()
        microsoft.stop()
        premium.stop()
