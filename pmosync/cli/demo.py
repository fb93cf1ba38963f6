"""``pmosync demo``: the tour on a built-in organisation, with no credentials and no network."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pmosync.cli.app import EXIT_FAILED, app, fail


@app.command()
def demo(
    folder: Annotated[
        Path,
        typer.Option("--dir", help="Where the demo keeps its configuration, store and outputs."),
    ] = Path("demo"),
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="Forget the earlier runs: a new organisation, a full sync."),
    ] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Keep the sandboxes and the mail sink running after the summary, until Ctrl-C, "
            "so the written configuration can be tried with other commands.",
        ),
    ] = False,
) -> None:
    """Run the tour: sandboxes of Asana, Microsoft 365 and Dataverse (Planner premium plans)
    on 127.0.0.1 with a generated organisation, a sync into DIR/pmosync.db, every report into
    DIR/out/, delivered to the SharePoint sandbox and a local mail sink, then a summary. Run it
    again for an incremental sync after a week of (simulated) work."""
    import signal
    import threading

    from pmosync.cli.logs import configure_logging
    from pmosync.cli.progress import sync_observer
    from pmosync.demo.summary import summary_lines
    from pmosync.demo.tour import reset, run_tour, serving
    from pmosync.store import StoreError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"demo: cannot create {folder}: {error.strerror or error}", EXIT_FAILED)
    if fresh:
        reset(folder)
    configure_logging(quiet_info=True)

    def say(line: str) -> None:
        typer.echo(f"pmosync demo: {line}", err=True)

    with serving(folder) as (world, sink, config_path):
        say(f"sandboxes up on 127.0.0.1, configuration written to {config_path}")
        try:
            with sync_observer(sys.stderr.isatty()) as observer:
                result = run_tour(folder, world, sink, config_path, observer=observer, say=say)
        except StoreError as error:
            fail(f"demo: {error}", EXIT_FAILED)
        urls = (world.asana.base_url, world.graph.base_url, world.dataverse.api_url)
        typer.echo("\n".join(summary_lines(result, urls, _program())))
        if serve:
            stop = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            say(f"the sandboxes and the mail sink stay up: try `pmosync sync -c {config_path}` "
                "in another terminal; Ctrl-C stops them")  # fmt: skip
            stop.wait()
    if result.failed:
        raise typer.Exit(EXIT_FAILED)


def _program() -> str:
    """How this process was started, when that is a path to the ``pmosync`` script
    (``.venv/bin/pmosync`` from ``make demo``): the summary's commands then work as pasted."""
    started_as = Path(sys.argv[0])
    return (
        str(started_as) if started_as.name == "pmosync" and started_as.parent.parts else "pmosync"
    )
