"""The folder target: the report's files written to a local or mounted folder.

Each file is written under a temporary name in the same folder and renamed into place, so a
reader (a file share's indexer, someone opening the report) never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pmosync.config.reports import FolderDelivery
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


def write_atomically(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
