"""The folder target: the report's files written to a local or mounted folder.

Each file is written atomically (``reports.atomic``): a reader never sees half a file.
"""

from __future__ import annotations

from pathlib import Path

from pmosync.config.reports import FolderDelivery
from pmosync.reports.atomic import write_atomically
from pmosync.reports.delivery.context import Round
from pmosync.reports.delivery.outcome import DeliveryError
from pmosync.reports.delivery.placeholders import check_file_name, resolve_folder


def deliver_folder(round_: Round, target: FolderDelivery) -> str:
    """Write every file; the folder's absolute path."""
    folder = Path(resolve_folder(target.path, round_.document)).expanduser()
    if not folder.is_absolute():
        folder = round_.base_dir / folder
    folder = folder.resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for file in round_.files:
            write_atomically(folder / check_file_name(file.name), file.content)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        where = error.filename or folder
        raise DeliveryError(f"cannot write to {where}: {reason}") from None
    return str(folder)
