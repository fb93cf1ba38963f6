"""Writing a report file so that nobody ever sees half of it.

The bytes go to a temporary name in the same folder, reach the disk, and are renamed into place:
a crash, a full disk or a reader (a file share's indexer, someone opening the report) sees the
old file or the new one, never a part.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
