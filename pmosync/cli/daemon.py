"""The ``daemon`` command: run the schedules from the YAML until told to stop.

Signals: SIGTERM or SIGINT stop it (the run in flight finishes its page, the lease is released,
exit 0); SIGHUP re-reads the config file, keeping the running one if the new one is invalid.
The handlers only raise flags; the main thread acts on them, outside any lock a handler could
interrupt.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    LogFormatOption,
    StoreOption,
    app,
    fail,
    load_config_or_exit,
    open_config_store,
)
from pmosync.cli.logs import LogFormat

_POLL_S = 0.2


@app.command()
def daemon(
    config: ConfigOption = DEFAULT_CONFIG,
    store_url: StoreOption = None,
    health_port: Annotated[
        int | None,
        typer.Option(
            "--health-port",
            min=0,
            max=65535,
            help="Serve /healthz and /metrics on this port (0: any free port, logged).",
        ),
    ] = None,
    health_host: Annotated[
        str, typer.Option("--health-host", help="Address the health server listens on.")
    ] = "127.0.0.1",
    lease_seconds: Annotated[
        float,
        typer.Option(
            "--lease-seconds",
            min=1,
            help="How long the active daemon's lease lasts; a standby takes over within it "
            "after the active one dies.",
        ),
    ] = 60,
    log_format: LogFormatOption = LogFormat.text,
) -> None:
    """Run the sync and report schedules from the config until stopped (SIGTERM).

    Several daemons may share one store: one schedules, the others wait as standby and take
    over if it dies."""
    import logging
    import signal
    import time

    from pmosync.cli.logs import configure_logging
    from pmosync.cli.progress import LogObserver
    from pmosync.orchestration.daemon.service import Daemon, no_schedules

    configure_logging(log_format, timestamps=True)
    loaded = load_config_or_exit(config)
    if loaded.engine != "daemon":
        fail(f"{config}: engine is {loaded.engine}: its schedules run on Temporal "
             "(`pmosync worker`); set `engine: daemon` to run the daemon", EXIT_USAGE)  # fmt: skip
    reason = no_schedules(loaded)
    if reason is not None:
        fail(reason, EXIT_USAGE)
    store = open_config_store(loaded, store_url, "create")
    service = Daemon(loaded, store, lease_seconds=lease_seconds, observer=LogObserver())
    health = None
    if health_port is not None:
        from pmosync.orchestration.daemon.health import HealthServer

        try:
            health = HealthServer(health_host, health_port, service.lease, lambda: service.active)
        except OSError as error:
            store.close()
            fail(f"--health-port: cannot listen on {health_host}:{health_port}: "
                 f"{error.strerror or error}", EXIT_FAILED)  # fmt: skip
    flags = {"stop": False, "reload": False}

    def _stop(*_: object) -> None:
        flags["stop"] = True

    def _reload(*_: object) -> None:
        flags["reload"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _reload)
    service.start()
    if health is not None:
        health.start()
        host, port = health.address
        logging.getLogger("pmosync.daemon").info(
            "health: http://%s:%d/healthz and /metrics", host, port
        )
    try:
        while not flags["stop"]:
            if flags["reload"]:
                flags["reload"] = False
                service.reload(config)
            time.sleep(_POLL_S)
    finally:
        service.shutdown()
        if health is not None:
            health.close()
        store.close()
