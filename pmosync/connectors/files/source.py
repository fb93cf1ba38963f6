"""The ``files`` connector: timesheet or cost workbooks in a local or mounted folder.

``path`` is a folder (every file under it, at any depth, whose name matches ``patterns``) or a
glob (``/data/timesheets/*.xlsx``, ``**`` for any depth; the glob alone selects). Names match
case-insensitively, as they do on the Windows shares these files usually live on. Hidden files
and folders and Excel's lock files (``~$Book.xlsx``, present while someone has the workbook
open) are never workbooks and are passed over.

A listing that cannot be complete (the folder is missing, a sub-folder is unreadable) fails the
stream instead of returning fewer files: an unmounted share must not retire every row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import BinaryIO

from pmosync.config.connectors import FilesConnector
from pmosync.connectors.base import CheckResult, Stream
from pmosync.connectors.errors import FatalError, NotFound, PermissionDenied
from pmosync.connectors.files.limits import Limits
from pmosync.connectors.files.stream import FileRef, Links, WorkbookStream, settings
from pmosync.connectors.files.workbook import open_workbook

_GLOB_CHARS = frozenset("*?[")


def _matches(parts: list[str], pattern: list[str]) -> bool:
    """Whether relative path ``parts`` match glob segments ``pattern`` (``**``: any depth)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_matches(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return (
        bool(parts)
        and fnmatchcase(parts[0].casefold(), pattern[0].casefold())
        and _matches(parts[1:], pattern[1:])
    )


def _skipped(name: str) -> bool:
    return name.startswith((".", "~$"))


@dataclass(frozen=True, slots=True)
class Location:
    """Where the files are: a root folder and the glob patterns (relative to it) they match."""

    root: Path
    patterns: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, path: str, patterns: list[str], base_dir: Path | None = None) -> Location:
        """A folder, a single file or a glob; relative to ``base_dir`` (the config's folder)."""
        full = Path(path).expanduser()
        if not full.is_absolute() and base_dir is not None:
            full = base_dir / full
        parts = full.parts
        first_glob = next((i for i, part in enumerate(parts) if _GLOB_CHARS & set(part)), None)
        if first_glob is not None:
            root = Path(*parts[:first_glob])
            return cls(root, (tuple(parts[first_glob:]),))
        if full.is_file():
            return cls(full.parent, ((_escape(full.name),),))
        return cls(full, tuple(("**", pattern) for pattern in patterns))

    def describe(self) -> str:
        shown = ", ".join("/".join(pattern) for pattern in self.patterns)
        return f"{self.root} ({shown})"

    def _depth(self) -> int | None:
        """How deep the walk must go (None: any depth, a pattern has ``**``)."""
        if any("**" in pattern for pattern in self.patterns):
            return None
        return max(len(pattern) for pattern in self.patterns)

    def files(self) -> list[Path]:
        """Every matching file under the root, sorted; FatalError if any folder is unreadable."""
        if not self.root.is_dir():
            missing = "does not exist" if not self.root.exists() else "is not a folder"
            raise FatalError(f"folder {self.root} {missing}")
        depth = self._depth()
        found: list[Path] = []

        def fail(error: OSError) -> None:
            raise error

        try:
            for folder, dirs, names in os.walk(self.root, onerror=fail):
                relative = Path(folder).relative_to(self.root).parts
                dirs[:] = sorted(d for d in dirs if not _skipped(d))
                if depth is not None and len(relative) + 1 >= depth:
                    dirs[:] = []
                for name in sorted(names):
                    parts = [*relative, name]
                    if not _skipped(name) and any(_matches(parts, list(p)) for p in self.patterns):
                        found.append(Path(folder, name))
        except OSError as error:
            raise FatalError(
                f"cannot list {error.filename or self.root}: {error.strerror or error}"
            ) from None
        return [path for path in found if path.is_file()]


def _escape(name: str) -> str:
    """A file name as a pattern matching only itself."""
    return "".join(f"[{c}]" if c in _GLOB_CHARS else c for c in name)


class FilesSource:
    """The ``rows`` stream of one ``files`` connector."""

    def __init__(
        self,
        name: str,
        config: FilesConnector,
        *,
        base_dir: Path | None = None,
        links: Links | None = None,
    ) -> None:
        """``base_dir`` is the folder a relative ``path`` is read from (the config file's);
        ``links`` resolves the files' names (see ``WorkbookStream``)."""
        self.name = name
        self.config = config
        self.location = Location.parse(config.path, list(config.patterns), base_dir)
        self.limits = Limits.of(config)
        self.stream = WorkbookStream(
            self.list_files,
            self.fetch,
            columns=config.read_columns,
            sheet=config.sheet,
            encoding=config.encoding,
            limits=self.limits,
            settings=settings(config),
            links=links,
        )

    def streams(self) -> list[Stream]:
        return [self.stream]

    def warnings(self) -> list[str]:
        return self.stream.warnings()

    def close(self) -> None:
        """Nothing is held open between files."""

    def list_files(self) -> list[FileRef]:
        refs = []
        for path in self.location.files():
            stat = path.stat()
            key = path.relative_to(self.location.root).as_posix()
            refs.append(FileRef(key, key, f"{stat.st_mtime_ns}:{stat.st_size}", path.as_uri()))
        return refs

    def fetch(self, ref: FileRef) -> BinaryIO:
        """The file, open for reading (the stream reads it in passes and closes it)."""
        path = self.location.root / ref.key
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"{path} was removed while the sync ran") from None
        except PermissionError:
            raise PermissionDenied(f"{path} cannot be read (permission denied)") from None
        except OSError as error:
            raise FatalError(f"{path} cannot be read: {error.strerror or error}") from None

    def check(self) -> list[CheckResult]:
        """Whether the folder is there and readable, how many files match, and whether the
        most recently changed one has the configured header."""
        try:
            refs = self.list_files()
        except FatalError as error:
            return [CheckResult("error", str(error))]
        if not refs:
            return [CheckResult("warning", f"no files match {self.location.describe()}")]
        plural = "s" if len(refs) > 1 else ""
        results = [CheckResult("ok", f"{len(refs)} file{plural} in {self.location.describe()}")]
        try:
            newest = max(refs, key=lambda ref: (self.location.root / ref.key).stat().st_mtime_ns)
            content = self.fetch(newest)
        except OSError as error:
            return [*results, CheckResult("error", f"cannot read the files: {error}")]
        except (NotFound, PermissionDenied, FatalError) as error:
            return [*results, CheckResult("error", str(error))]
        options = {"sheet": self.config.sheet, "encoding": self.config.encoding}
        with (
            content,
            open_workbook(
                newest.name,
                content,
                columns=self.config.read_columns,
                limits=self.limits,
                **options,
            ) as read,
        ):
            if read.problem is not None:
                return [*results, CheckResult("error", read.problem)]
            results += [CheckResult("warning", warning) for warning in read.warnings]
            rows = read.rows
        results.append(CheckResult("ok", f"{newest.name}: header found, {rows} rows"))
        return results
