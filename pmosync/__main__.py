"""``python -m pmosync`` is the ``pmosync`` command."""

from pmosync.cli import main

main()
