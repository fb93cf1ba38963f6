"""The ``pmosync`` command.

Exit codes: 0 success, 1 a job failed (including a store that cannot be reached), 2 a usage or
configuration error. Importing this package registers every command on ``app``.
"""

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
)
from pmosync.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
