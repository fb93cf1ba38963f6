"""The ``pmosync`` command.

Exit codes: 0 success, 1 a job failed (including a store that cannot be reached), 2 a usage or
configuration error. Importing this package registers every command on ``app``.
"""

import contextlib
import sys
from typing import NoReturn

from pmosync.cli import (  # noqa: F401,E501 - they register commands
    baselines,
    daemon,
    data,
    db,
    demo,
    ledger,
    onboarding,
    people,
    reports,
    sandbox,
    setup,
    syncing,
    temporal,
    writeback,
)
from pmosync.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point.

    A command that used the Temporal SDK leaves with ``os._exit`` once its output is flushed:
    the SDK's native (Rust) threads can outlive the event loop and abort CPython's shutdown
    ("Fatal Python error: PyGILState_Release", temporalio/sdk-python#300), which would turn a
    clean exit code into a crash."""
    try:
        app()
    except SystemExit as done:
        if "temporalio" not in sys.modules:
            raise
        _leave(done.code)
    if "temporalio" in sys.modules:
        _leave(0)


def _leave(code: object) -> NoReturn:
    import logging
    import os

    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code or 0)
