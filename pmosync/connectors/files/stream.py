"""``WorkbookStream``: the rows of a set of workbook files, re-read only when a file changes.

Shared by every connector whose records are workbook files (a local folder, a SharePoint or
Teams folder): the connector supplies a listing and a way to fetch one file's bytes, and this
stream decides what to read. A file is the unit of change: when its version differs from the
checkpoint, all of its rows are read again and its page replaces what the store held for it
(rows no longer there are retired, by the file's key prefix), so an edited timesheet is never
counted twice. A file that cannot be read at all keeps its earlier rows until it can be.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pmosync.connectors.base import Page, Reconcile
from pmosync.connectors.errors import NotFound, PermissionDenied
from pmosync.connectors.files.workbook import read_workbook

log = logging.getLogger(__name__)

KIND = "rows"
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


def fit_key(key: str) -> str:
    """``key``, or for a very long one its start plus a digest of the whole (still unique)."""
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: MAX_KEY - 17]}~{digest}"


def _synced(state: Mapping[str, Any] | None) -> dict[str, str]:
    """The file versions the checkpoint holds (nothing for a first run or a foreign state)."""
    files = (state or {}).get("files")
    if not isinstance(files, Mapping):
        return {}
    return {str(key): str(version) for key, version in files.items()}


class WorkbookStream:
    """The ``rows`` stream over the files a listing returns."""

    name = KIND

    def __init__(
        self,
        list_files: Callable[[], Sequence[FileRef]],
        fetch: Callable[[FileRef], bytes],
        *,
        columns: Mapping[str, str],
        sheet: str | None = None,
        encoding: str | None = None,
        requests: Callable[[], int] | None = None,
    ) -> None:
        """``list_files`` returns every file in scope (raising ConnectorError when the listing
        cannot be complete); ``fetch`` returns one file's bytes, raising NotFound or
        PermissionDenied to skip just that file; ``requests`` returns the HTTP requests made
        since it was last called (None for a connector that makes none)."""
        self._list_files = list_files
        self._fetch = fetch
        self._columns = dict(columns)
        self._sheet = sheet
        self._encoding = encoding
        self._requests = requests
        self._warnings: list[str] = []

    def warnings(self) -> list[str]:
        return list(self._warnings)

    def _warn(self, message: str) -> None:
        log.info(message)
        self._warnings.append(message)

    def _page(self, records: list[dict[str, Any]], files: Mapping[str, str], **parts: Any) -> Page:
        requests = self._requests() if self._requests is not None else 0
        return Page(KIND, records, state={"files": dict(files)}, requests=requests, **parts)

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        """One page per new or changed file (every file when ``full``), then one retiring the
        rows of files gone from the listing; unchanged files are not fetched at all."""
        synced = _synced(state)
        files = dict(synced)
        listed: dict[str, FileRef] = {}
        for ref in self._list_files():
            listed.setdefault(fit_key(ref.key), ref)
        for key in sorted(listed):
            ref = listed[key]
            if not full and synced.get(key) == ref.version:
                continue
            try:
                content = self._fetch(ref)
            except (NotFound, PermissionDenied) as error:
                self._warn(f"{ref.name} skipped: {error}")
                continue
            read = read_workbook(
                ref.name,
                content,
                columns=self._columns,
                sheet=self._sheet,
                encoding=self._encoding,
                key=key,
                url=ref.url,
            )
            for warning in read.warnings:
                self._warn(warning)
            files[key] = ref.version
            if read.problem is not None:
                self._warn(f"{read.problem} (its rows as last read are kept)")
                yield self._page(read.records, files)
            else:
                reconcile = [Reconcile(KIND, key, read.present())]
                yield self._page(read.records, files, reconcile=reconcile)
        gone = sorted(set(files) - set(listed))
        for key in gone:
            del files[key]
        yield self._page([], files, reconcile=[Reconcile(KIND, key, frozenset()) for key in gone])
