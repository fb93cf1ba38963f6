"""Writing a report file so that nobody ever sees half of it.

The bytes go to a temporary name in the same folder, reach the disk, and are renamed into place:
a crash, a full disk or a reader (a file share's indexer, someone opening the report) sees the
old file or the new one, never a part.

The temporary file is created new (``O_EXCL``: never through a link someone left at its name)
with the mode any file write gets under the process umask, typically 0644, so the renamed file
can be read by whoever reads the folder (a shared delivery folder, a web server). A process
killed mid-write leaves its hidden part behind: ``remove_stale_parts`` clears pmosync's own
parts, and only those, at the next write to that folder.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime
from pathlib import Path

_PART = re.compile(r"\..+\.(?:pmosync-[0-9a-f]{16}|[a-z0-9_]{8})\.part")
"""pmosync's part names: ``.<file>.pmosync-<16 hex>.part`` (and, from before, the 8-character
``tempfile.mkstemp`` form ``.<file>.<8 chars>.part``)."""


def part_name(path: Path) -> Path:
    """A fresh temporary name beside ``path``, hidden and of pmosync's own making."""
    return path.with_name(f".{path.name}.pmosync-{secrets.token_hex(8)}.part")


def write_atomically(path: Path, content: bytes) -> None:
    temporary = part_name(path)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def remove_stale_parts(folder: Path, before: datetime) -> list[Path]:
    """Delete the parts in ``folder`` that pmosync's own writes left (a process killed
    mid-write) and that were last written before ``before``: a part newer than that may be
    another run's write in progress. Nothing else in the folder is touched. The removed
    paths; a part that cannot be removed is left for the next time."""
    cutoff = before.timestamp()
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not _PART.fullmatch(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed
