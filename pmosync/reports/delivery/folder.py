"""The folder target: the report's files written to a local or mounted folder.

Each file is written atomically (``reports.atomic``): a reader never sees half a file. The
hidden parts a run killed mid-write left in the folder are removed by the next delivery there,
if they are older than the report being delivered (a newer one is another run's write).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from pmosync.config.reports import FolderDelivery
from pmosync.reports.atomic import remove_stale_parts, write_atomically
from pmosync.reports.delivery.context import Round
from pmosync.reports.delivery.outcome import DeliveryError
from pmosync.reports.delivery.placeholders import check_file_name, resolve_folder

log = logging.getLogger(__name__)


def deliver_folder(round_: Round, target: FolderDelivery) -> str:
    """Write every file; the folder's absolute path."""
    folder = Path(resolve_folder(target.path, round_.document)).expanduser()
    if not folder.is_absolute():
        folder = round_.base_dir / folder
    folder = folder.resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        generated = datetime.fromisoformat(round_.document.generated_at)
        for part in remove_stale_parts(folder, generated):
            log.info("removed %s, left by a write that was killed", part)
        for file in round_.files:
            write_atomically(folder / check_file_name(file.name), file.content)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        where = error.filename or folder
        raise DeliveryError(f"cannot write to {where}: {reason}") from None
    return str(folder)
