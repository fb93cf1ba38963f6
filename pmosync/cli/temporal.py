"""Commands of the Temporal engine: ``worker``, ``schedules apply`` and ``schedules list``.

They need the ``pmosync[temporal]`` extra; without it they say so in one line (exit 2). A
cluster that cannot be reached is one line naming its address and namespace (exit 1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    LogFormatOption,
    StoreOption,
    TableFormatOption,
    app,
    fail,
    load_config_or_exit,
)
from pmosync.cli.logs import LogFormat

if TYPE_CHECKING:
    from temporalio.client import Client

    from pmosync.config import PmosyncConfig
    from pmosync.orchestration.temporal.connect import Target

T = TypeVar("T")

schedules_app = typer.Typer(
    help="Temporal Schedules made from the YAML (engine: temporal).", no_args_is_help=True
)
app.add_typer(schedules_app, name="schedules")

AddressOption = Annotated[
    str | None, typer.Option("--address", help="host:port of Temporal; overrides temporal.address.")
]
NamespaceOption = Annotated[
    str | None, typer.Option("--namespace", help="Overrides temporal.namespace.")
]
TaskQueueOption = Annotated[
    str | None, typer.Option("--task-queue", help="Overrides temporal.task_queue.")
]


MISSING_EXTRA = "the Temporal engine needs the extra: pip install 'pmosync[temporal]'"


def require_extra() -> None:
    """Exit 2 in one line when the Temporal SDK is not installed."""
    try:
        import temporalio  # noqa: F401
    except ImportError:
        fail(MISSING_EXTRA, EXIT_USAGE)


def with_client(config: PmosyncConfig, target: Target, work: Callable[[Client], Awaitable[T]]) -> T:
    """Connect, run ``work`` with the client, and turn a cluster problem into one line."""
    import asyncio

    from temporalio.service import RPCError

    from pmosync.orchestration.temporal.connect import TemporalUnavailable, connect

    async def main() -> T:
        return await work(await connect(config, target))

    try:
        return asyncio.run(main())
    except TemporalUnavailable as error:
        fail(str(error), EXIT_FAILED)
    except RPCError as error:
        fail(f"{target}: {error.message or error}", EXIT_FAILED)


def target_of(
    config: PmosyncConfig,
    address: str | None = None,
    namespace: str | None = None,
    task_queue: str | None = None,
) -> Target:
    from pmosync.orchestration.temporal.connect import Target

    return Target.of(config, address, namespace, task_queue)


@app.command()
def worker(
    config: ConfigOption = DEFAULT_CONFIG,
    store_url: StoreOption = None,
    address: AddressOption = None,
    namespace: NamespaceOption = None,
    task_queue: TaskQueueOption = None,
    max_concurrent: Annotated[
        int,
        typer.Option(
            "--max-concurrent", min=1, max=64, help="Syncs and reports this worker runs at once."
        ),
    ] = 4,
    log_format: LogFormatOption = LogFormat.text,
) -> None:
    """Run a Temporal worker: it runs the syncs and reports the schedules start (engine:
    temporal). Start as many as the work needs, on any machines that reach the store.

    SIGTERM or Ctrl-C: running syncs stop after their page in flight and resume on another
    worker."""
    import asyncio
    import signal

    from pmosync.cli.logs import configure_logging
    from pmosync.cli.progress import LogObserver

    require_extra()
    configure_logging(log_format, timestamps=True)
    loaded = load_config_or_exit(config)
    if loaded.engine != "temporal":
        fail(f"{config}: engine is {loaded.engine}: set `engine: temporal` to run workers "
             "(or run `pmosync daemon`)", EXIT_USAGE)  # fmt: skip
    target = target_of(loaded, address, namespace, task_queue)

    async def serve(client: Client) -> None:
        from pmosync.orchestration.temporal.worker import run_worker

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(
            client,
            target,
            config.resolve(),
            stop,
            store_url=store_url,
            max_concurrent=max_concurrent,
            observer=LogObserver(),
        )

    with_client(loaded, target, serve)


@schedules_app.command("apply")
def schedules_apply(
    config: ConfigOption = DEFAULT_CONFIG,
    address: AddressOption = None,
    namespace: NamespaceOption = None,
    task_queue: TaskQueueOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; change nothing.")
    ] = False,
) -> None:
    """Make Temporal's Schedules equal to the YAML: create, update and delete the schedules
    of this store (one per connector sync, one per scheduled report), and say what changed.

    With `engine: daemon` it deletes them all: the schedules go back to the daemon."""
    require_extra()
    loaded = load_config_or_exit(config, defer_unset=True)
    target = target_of(loaded, address, namespace, task_queue)

    async def work(client: Client) -> Any:
        from pmosync.orchestration.temporal.schedules import apply, plan

        planned = await plan(client, loaded, target)
        if not dry_run:
            await apply(client, loaded, target, planned)
        return planned

    planned = with_client(loaded, target, work)
    verb = "would " if dry_run else ""
    for want in planned.create:
        typer.echo(f"{verb}create {want.label} at '{want.cron}' ({want.zone})")
    for want in planned.update:
        typer.echo(f"{verb}update {want.label} to '{want.cron}' ({want.zone})")
    for sid in planned.delete:
        typer.echo(f"{verb}delete {sid}")
    done = "would change" if dry_run else "changed"
    typer.echo(f"{target}: {planned.changes} {done}, {len(planned.unchanged)} unchanged")


@schedules_app.command("list")
def schedules_list(
    config: ConfigOption = DEFAULT_CONFIG,
    address: AddressOption = None,
    namespace: NamespaceOption = None,
    output: TableFormatOption = "table",
) -> None:
    """This store's schedules on Temporal: when each runs next, how often it ran, and
    whether the YAML still asks for it."""
    import json

    require_extra()
    loaded = load_config_or_exit(config, defer_unset=True)
    target = target_of(loaded, address, namespace)

    async def work(client: Client) -> Any:
        from pmosync.orchestration.temporal.schedules import describe_all

        return await describe_all(client, loaded)

    listed = with_client(loaded, target, work)
    if output == "json":
        rows = [
            {
                "id": s.id,
                "kind": s.kind,
                "name": s.name,
                "cron": s.cron,
                "paused": s.paused,
                "next_run": s.next_run.isoformat() if s.next_run else None,
                "last_run": s.last_run.isoformat() if s.last_run else None,
                "runs": s.runs,
                "skipped_overlap": s.skipped_overlap,
                "in_yaml": s.in_yaml,
            }
            for s in listed
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not listed:
        typer.echo(f"{target}: no schedules of this store (run `pmosync schedules apply`)")
        return
    for s in listed:
        state = "paused" if s.paused else "active"
        nxt = s.next_run.strftime("%Y-%m-%d %H:%M:%S %Z") if s.next_run else "-"
        extra = "" if s.in_yaml else "  (not in the YAML: the next apply deletes it)"
        typer.echo(
            f"{s.kind} {s.name}: '{s.cron}' {state}, next {nxt}, {s.runs} run(s), "
            f"{s.skipped_overlap} skipped (overlap){extra}"
        )


def sync_through_temporal(
    loaded: PmosyncConfig, config: Path, names: list[str], full: bool
) -> bool:
    """``pmosync sync`` with ``engine: temporal``: each connector's sync workflow, started or
    joined, awaited; one line per connector. Returns whether any failed."""
    require_extra()
    target = target_of(loaded)

    async def work(client: Client) -> Any:
        from pmosync.orchestration.temporal.submit import sync_on_temporal

        return await sync_on_temporal(
            client, loaded, target, names, full=full, said=lambda line: typer.echo(line, err=True)
        )

    results = with_client(loaded, target, work)
    for result in results:
        summary = result.summary
        if summary is not None:
            line = (
                f"{result.connector}: {summary.status} (run {summary.run_id[:8]}): "
                f"{summary.records} records changed, {summary.requests} requests"
            )
        else:
            line = f"{result.connector}: failed"
        if result.error:
            line += f": {result.error}"
        typer.echo(line)
    return any(result.failed for result in results)
