"""``WorkbookStream``: the rows of a set of workbook files, re-read only when a file changes.

Shared by every connector whose records are workbook files (a local folder, a SharePoint or
Teams folder): the connector supplies a listing and a way to fetch one file's bytes, and this
stream decides what to read. A file is the unit of change: when its version differs from the
checkpoint, all of its rows are read again and its pages replace what the store held for it
(rows no longer there are retired, by the file's key prefix), so an edited timesheet is never
counted twice. A file that cannot be read at all keeps its earlier rows until it can be.

A file is checked whole before its first row is written (``open_workbook``), then written in
pages of ``PAGE_ROWS`` rows, so memory follows a page whatever the file's size. Its first page
retires the rows it no longer holds; each page's checkpoint says how many of its rows are
written (a rerun after a crash checks the file again and goes on from there, if the file is
the same); its last records the file's version.

The checkpoint also keeps what else decides what a file's rows become, so that a plain sync
holds what ``--full`` would although a file's bytes did not change: a fingerprint of the
connector's settings (columns, sheet, encoding, limits, kind...: when it differs every file is
read again, so a fixed column header in the YAML reaches rows read before), and per file the
names its rows look up (projects, tasks, people) with what they resolved to (``links``, given
by the sync from the mapping): when a name now resolves otherwise (a task renamed or created,
a project synced, an alias added) that file, and only that file, is read again.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import IO, Any

from pmosync.config.connectors import INTAKE_KEYS, WorkbookSource
from pmosync.connectors.base import Page, Reconcile
from pmosync.connectors.errors import NotFound, PermissionDenied
from pmosync.connectors.files.limits import Limits
from pmosync.connectors.files.records import REFUSED_ROWS, problem_record
from pmosync.connectors.files.table import Unreadable
from pmosync.connectors.files.workbook import OpenWorkbook, open_workbook
from pmosync.contracts.workbooks import name_refs

log = logging.getLogger(__name__)

KIND = "rows"
Links = Callable[[Sequence[str] | None], str]
"""The mapping's answer for a file's names (``refs``): a digest of what they resolve to now;
given None (a file with too many names to keep), a digest of everything they could."""
PAGE_ROWS = 2000
"""Rows per page: a page is mapped and written in one transaction with the checkpoint."""
MAX_REFS = 500
"""Most distinct names kept per file; a file naming more is read again whenever any synced
project, task or person changes."""
MAX_KEY = 200
"""Longest file key kept as is: a row's key adds the sheet (at most 31 characters in Excel)
and the row number, and keys must fit the store's 255 characters."""


@dataclass(frozen=True, slots=True)
class FileRef:
    """One file of a listing, as the connector knows it."""

    key: str
    """Stable identity of the file within the connector (a relative path, a drive item id)."""
    name: str
    """What a person calls it in messages: the file name or relative path."""
    version: str
    """Changes whenever the content may have (mtime and size, an eTag)."""
    url: str | None = None
    """A link a report can send a person to."""
    size: int | None = None
    """Bytes on the server when the listing says (a drive item's ``size``): a file larger than
    the unpacked budget is refused before it is downloaded, so a huge upload never sits whole
    in memory."""


def fit_key(key: str) -> str:
    """``key``, or for a very long one its start plus a digest of the whole (still unique)."""
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: MAX_KEY - 17]}~{digest}"


def _synced(state: Mapping[str, Any] | None, fingerprint: str) -> dict[str, str | None]:
    """The file versions the checkpoint holds (nothing for a first run or a foreign state);
    each None (read again) when they were read under another fingerprint."""
    files = (state or {}).get("files")
    if not isinstance(files, Mapping):
        return {}
    same = (state or {}).get("fingerprint") == fingerprint
    return {
        str(key): str(version) if same and version is not None else None
        for key, version in files.items()
    }


def settings(config: WorkbookSource) -> dict[str, Any]:
    """The connector settings a checkpoint's fingerprint covers: every workbook setting (the
    kind, columns, sheet, currency, limits, and the name patterns, whose change costs no more
    than a ``--full``) and a CSV encoding; not where files are or how to sign in, which change
    what is listed, not what a file's rows become."""
    keys = {*WorkbookSource.model_fields, "encoding"}
    if config.kind != "request":  # the intake keys are a request's: other kinds keep their print
        keys -= set(INTAKE_KEYS)
    return config.model_dump(mode="json", include=keys)


def _links(state: Mapping[str, Any] | None) -> dict[str, tuple[str, list[str] | None]]:
    """Per file, the digest of what its names resolved to and the names (None: too many)."""
    links = (state or {}).get("links")
    if not isinstance(links, Mapping):
        return {}
    kept: dict[str, tuple[str, list[str] | None]] = {}
    for key, value in links.items():
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
            refs = value[1]
            if refs is None or (isinstance(refs, list) and all(isinstance(r, str) for r in refs)):
                kept[str(key)] = (value[0], refs)
    return kept


@dataclass(slots=True)
class _Checkpoint:
    """What the stream's checkpoint holds while a run builds it."""

    files: dict[str, str | None]
    links: dict[str, tuple[str, list[str] | None]]


def _reading(state: Mapping[str, Any] | None, fingerprint: str) -> tuple[str, str, int] | None:
    """(file key, version, rows written) of the file a stopped run was inside, if any."""
    reading = (state or {}).get("reading")
    if not isinstance(reading, Mapping) or (state or {}).get("fingerprint") != fingerprint:
        return None
    key, version, rows = reading.get("file"), reading.get("version"), reading.get("rows")
    if isinstance(key, str) and isinstance(version, str) and isinstance(rows, int):
        return key, version, rows
    return None


def fingerprint(settings: Mapping[str, Any]) -> str:
    """A digest of the settings that change what a file's rows become."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class WorkbookStream:
    """The ``rows`` stream over the files a listing returns."""

    name = KIND

    def __init__(
        self,
        list_files: Callable[[], Sequence[FileRef]],
        fetch: Callable[[FileRef], bytes | IO[bytes]],
        *,
        columns: Mapping[str, str],
        sheet: str | None = None,
        encoding: str | None = None,
        requests: Callable[[], int] | None = None,
        limits: Limits | None = None,
        settings: Mapping[str, Any] | None = None,
        links: Links | None = None,
    ) -> None:
        """``list_files`` returns every file in scope (raising ConnectorError when the listing
        cannot be complete); ``fetch`` returns one file's bytes or a seekable binary file
        (closed here once read), raising NotFound or PermissionDenied to skip just that file;
        ``requests`` returns the HTTP requests made since it was last called (None for a
        connector that makes none). ``settings`` (the connector's, default the reading options
        given here) make the checkpoint's fingerprint; ``links`` (from the mapping) says what
        a file's names resolve to (see the module docstring; without it, names are not
        followed)."""
        self._list_files = list_files
        self._fetch = fetch
        self._columns = dict(columns)
        self._sheet = sheet
        self._encoding = encoding
        self._requests = requests
        self._limits = limits or Limits.defaults()
        shown = {"columns": self._columns, "sheet": sheet, "encoding": encoding}
        self.fingerprint = fingerprint({**shown, "limits": self._limits, **(settings or {})})
        self._links = links
        self._warnings: list[str] = []

    def warnings(self) -> list[str]:
        return list(self._warnings)

    def _warn(self, message: str) -> None:
        """Kept for the connector's result, which the sync shows once at its end; the log
        gets it at debug level only, so a refused file is named in one line, not two."""
        log.debug(message)
        self._warnings.append(message)

    def _page(
        self,
        records: list[dict[str, Any]],
        kept: _Checkpoint,
        reading: dict[str, Any] | None = None,
        **parts: Any,
    ) -> Page:
        """A page and the checkpoint after it; ``reading`` says how far into a file it is."""
        requests = self._requests() if self._requests is not None else 0
        state: dict[str, Any] = {"files": dict(kept.files), "fingerprint": self.fingerprint}
        if self._links is not None:
            state["links"] = {key: list(value) for key, value in kept.links.items()}
        if reading is not None:
            state["reading"] = reading
        return Page(KIND, records, state=state, requests=requests, **parts)

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        """Pages of each new or changed file (every file when ``full`` or when the fingerprint
        changed, and each file whose names now resolve otherwise), then one retiring the rows
        of files gone from the listing; unchanged files are not fetched at all."""
        synced = _synced(state, self.fingerprint)
        resume = None if full else _reading(state, self.fingerprint)
        kept = _Checkpoint(dict(synced), _links(state))
        listed: dict[str, FileRef] = {}
        for ref in self._list_files():
            listed.setdefault(fit_key(ref.key), ref)
        for key in sorted(listed):
            ref = listed[key]
            if not full and synced.get(key) == ref.version and self._links_hold(kept, key):
                continue
            if ref.size is not None and ref.size > self._limits.unpacked_bytes:
                too_large = self._limits.unpacked(ref.name, packed=False)
                yield from self._refused(ref, key, kept, str(too_large))
                continue
            try:
                content = self._fetch(ref)
            except (NotFound, PermissionDenied) as error:
                self._warn(f"{ref.name} skipped: {error}")
                continue
            source = io.BytesIO(content) if isinstance(content, bytes) else content
            with closing(source):
                done = resume[2] if resume and resume[:2] == (key, ref.version) else 0
                yield from self._file(ref, key, source, kept, done)
        gone = sorted(set(kept.files) - set(listed))
        for key in gone:
            del kept.files[key]
            kept.links.pop(key, None)
        yield self._page([], kept, reconcile=[Reconcile(KIND, key, frozenset()) for key in gone])

    def _links_hold(self, kept: _Checkpoint, key: str) -> bool:
        """Whether the file's names resolve as when it was read (always, without ``links``)."""
        if self._links is None:
            return True
        if key not in kept.links:
            return False
        digest, refs = kept.links[key]
        return self._links(refs) == digest

    def _file(
        self, ref: FileRef, key: str, source: IO[bytes], kept: _Checkpoint, done: int = 0
    ) -> Iterator[Page]:
        """The pages of one file; ``kept`` takes its version with the last of them. ``done``
        rows were written by an earlier run that stopped inside this very file."""
        options: dict[str, Any] = {"sheet": self._sheet, "encoding": self._encoding}
        options |= {"key": key, "url": ref.url, "limits": self._limits}
        with open_workbook(ref.name, source, columns=self._columns, **options) as read:
            for warning in read.warnings:
                self._warn(warning)
            if read.problem is not None:
                yield from self._refused(ref, key, kept, read.problem, list(read.records()))
                return
            try:
                yield from self._rows(read, key, ref.version, kept, done)
            except Unreadable as error:  # it changed between the check and the read
                self._warn(f"{error} (read again at the next sync)")

    def _refused(
        self,
        ref: FileRef,
        key: str,
        kept: _Checkpoint,
        problem: str,
        records: list[dict[str, Any]] | None = None,
    ) -> Iterator[Page]:
        """A file that cannot be read: one warning, its problem record (the quarantine's one
        line), and its version kept so it is not fetched again until it changes."""
        self._warn(f"{problem} (its rows as last read are kept)")
        self._done(kept, key, ref.version, [])
        if records is None:
            where = {"file": ref.name, "file_key": key, "url": ref.url, "sheet": None}
            records = [problem_record(**where, problem=problem)]
        yield self._page(records, kept)

    def _done(self, kept: _Checkpoint, key: str, version: str, refs: list[str] | None) -> None:
        """Record a file as read: its version, and its names with what they resolve to."""
        kept.files[key] = version
        if self._links is not None:
            kept.links[key] = (self._links(refs), refs)

    def _rows(
        self, read: OpenWorkbook, key: str, version: str, kept: _Checkpoint, done: int
    ) -> Iterator[Page]:
        """A readable file in pages: the first retires the rows it no longer holds, the later
        ones retire the earlier entries of their own rows that no longer map (the mapping
        knows which), and the last records the file's version. Resumed after ``done`` rows,
        the first page's work is already committed (the rows before are still looked at for
        the names they use)."""
        later = [Reconcile(REFUSED_ROWS, key, frozenset())]
        reconcile = later if done else [Reconcile(KIND, key, read.present)]
        batch: list[dict[str, Any]] = []
        refs: set[str] | None = set()
        for number, record in enumerate(read.records()):
            if refs is not None:
                refs.update(name_refs(record["cells"]))
                refs = refs if len(refs) <= MAX_REFS else None
            if number < done:
                continue
            batch.append(record)
            if len(batch) == PAGE_ROWS:
                reading = {"file": key, "version": version, "rows": number + 1}
                yield self._page(batch, kept, reading, reconcile=reconcile)
                reconcile, batch = later, []
        self._done(kept, key, version, None if refs is None else sorted(refs))
        yield self._page(batch, kept, reconcile=reconcile)
