"""The ``files`` connector: which files a folder or glob selects, which of them a sync reads,
and, end to end through the real sync engine into a real store, what the store holds after
files are added, fixed, edited, locked and deleted.

Workbooks are real files written here (openpyxl, msoffcrypto-tool, CSV bytes in the encodings
Excel uses); expected entries and totals are worked out by hand from the rows written.
"""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import PersonIdentity, TimeEntry
from pmosync.config.connectors import FilesConnector
from pmosync.connectors.base import CheckResult, Reconcile
from pmosync.connectors.errors import FatalError, NotFound
from pmosync.connectors.files import FileRef, FilesSource, WorkbookStream
from pmosync.connectors.files.stream import MAX_KEY
from pmosync.mapping.directory import Directory, ProjectEntry
from pmosync.mapping.workbooks import WorkbookMapper
from pmosync.store import Store
from pmosync.store.schema import quarantine, run_streams
from pmosync.sync.engine import sync_source

SOURCE = "ops-timesheets"
COLUMNS = {"person": "Email", "date": "Date", "hours": "Hours", "project": "Project"}
HEADER = ["Email", "Date", "Hours", "Project"]
TODAY = date(2026, 1, 20)
ANN, BO, JM = "ann.lee@contoso.example", "bo.chen@contoso.example", "jürgen.müller@contoso.example"
DIRECTORY = Directory.build(
    [
        ProjectEntry("p-move", "Data centre move", "planner-ops", "plan-1"),
        ProjectEntry("p-web", "Website", "asana-eng", "1200000000000042"),
    ],
    emails=[ANN, BO, JM],
)


def xlsx(rows, header=HEADER, sheet="Entries") -> bytes:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def locked(content: bytes) -> bytes:
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(content)).encrypt("s3cret", out)
    return out.getvalue()


def write(path: Path, content: bytes, mtime: int) -> None:
    """Write a file with a given mtime (seconds): a rewrite is always seen as a new version,
    however coarse the file system's clock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, ns=(mtime * 10**9, mtime * 10**9))


def config(path: str, **extra) -> FilesConnector:
    return FilesConnector.model_validate(
        {"type": "files", "path": path, "columns": COLUMNS, **extra}
    )


# --- which files a folder or a glob selects ----------------------------------------------


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "Timesheets"
    content = xlsx([[ANN, date(2026, 1, 5), 1, "Website"]])
    for name in ["W03.XLSX", "2026/W02.xlsx", "2026/old/W01.xlsx", "a.csv", "notes.txt",
                 "~$W03.XLSX", ".hidden/x.csv", "2026/.~lock.a.csv#"]:  # fmt: skip
        write(root / name, content, 1_760_000_000)
    return root


def keys(source: FilesSource) -> list[str]:
    return [ref.key for ref in source.list_files()]


def test_a_folder_selects_matching_files_at_any_depth_but_no_lock_or_hidden_files(folder):
    source = FilesSource(SOURCE, config(str(folder)))
    assert keys(source) == ["W03.XLSX", "a.csv", "2026/W02.xlsx", "2026/old/W01.xlsx"]
    ref = source.list_files()[0]
    size = (folder / "W03.XLSX").stat().st_size
    assert ref == FileRef(
        "W03.XLSX", "W03.XLSX", f"{1_760_000_000 * 10**9}:{size}", (folder / "W03.XLSX").as_uri()
    )
    only_csv = FilesSource(SOURCE, config(str(folder), patterns=["*.CSV"]))
    assert keys(only_csv) == ["a.csv"]


def test_a_glob_selects_on_its_own_and_a_relative_path_starts_at_the_config(folder):
    base = folder.parent
    assert keys(FilesSource(SOURCE, config("Timesheets/*.xlsx"), base_dir=base)) == ["W03.XLSX"]
    deep = FilesSource(SOURCE, config(str(folder / "**" / "W0?.xlsx")))
    assert keys(deep) == ["W03.XLSX", "2026/W02.xlsx", "2026/old/W01.xlsx"]
    one_level = FilesSource(SOURCE, config(str(folder / "*" / "*.xlsx")))
    assert keys(one_level) == ["2026/W02.xlsx"]
    single = FilesSource(SOURCE, config(str(folder / "2026" / "W02.xlsx")))
    assert keys(single) == ["W02.xlsx"]


def test_a_missing_folder_fails_the_listing_instead_of_listing_nothing(tmp_path):
    source = FilesSource(SOURCE, config(str(tmp_path / "not-mounted")))
    with pytest.raises(FatalError, match="not-mounted does not exist"):
        source.list_files()
    assert [(r.level, r.message) for r in source.check()] == [
        ("error", f"folder {tmp_path / 'not-mounted'} does not exist")
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder whatever its mode")
def test_an_unreadable_sub_folder_fails_the_listing(folder):
    (folder / "2026").chmod(0)
    try:
        with pytest.raises(FatalError, match="cannot list .*2026: Permission denied"):
            FilesSource(SOURCE, config(str(folder))).list_files()
    finally:
        (folder / "2026").chmod(0o755)


def test_check_counts_the_files_and_reads_the_newest(tmp_path):
    root = tmp_path / "ts"
    write(root / "W01.xlsx", xlsx([[ANN, date(2026, 1, 5), 1, "Website"]]), 1_760_000_000)
    write(root / "W02.xlsx", xlsx([[ANN, date(2026, 1, 5), 1, "Website"]] * 2), 1_760_000_100)
    source = FilesSource(SOURCE, config(str(root)))
    assert [(r.level, r.message) for r in source.check()] == [
        ("ok", f"2 files in {root} (**/*.xlsx, **/*.csv)"),
        ("ok", "W02.xlsx: header found, 2 rows"),
    ]
    write(root / "W03.xlsx", xlsx([[ANN]], header=["Email", "Time"]), 1_760_000_200)
    assert source.check()[-1] == CheckResult(
        "error",
        "W03.xlsx, sheet Entries has no header row with Email, Date, Hours, Project in "
        "its first 20 rows (missing: Date, Hours, Project)",
    )
    empty = FilesSource(SOURCE, config(str(tmp_path), patterns=["*.ods"]))
    assert empty.check() == [CheckResult("warning", f"no files match {tmp_path} (**/*.ods)")]


# --- which files a sync reads ------------------------------------------------------------


class Drive:
    """Files kept in memory, listed and fetched the way a connector does, counting fetches."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.fetched: list[str] = []
        self.missing: set[str] = set()
        self.requests = 0

    def put(self, key: str, content: bytes) -> None:
        version = str(int(self.files.get(key, ("0", b""))[0]) + 1)
        self.files[key] = (version, content)

    def list_files(self) -> list[FileRef]:
        self.requests += 1
        return [
            FileRef(k, k.rpartition("/")[2], v, f"https://x/{k}")
            for k, (v, _) in self.files.items()
        ]

    def fetch(self, ref: FileRef) -> bytes:
        self.requests += 2
        self.fetched.append(ref.key)
        if ref.key in self.missing:
            raise NotFound(f"{ref.name}: itemNotFound")
        return self.files[ref.key][1]

    def take(self) -> int:
        taken, self.requests = self.requests, 0
        return taken

    def stream(self) -> WorkbookStream:
        return WorkbookStream(self.list_files, self.fetch, columns=COLUMNS, requests=self.take)


def run(stream, state=None, full=False):
    pages = list(stream.pages(state, full=full))
    return pages, pages[-1].state


def test_each_changed_file_is_one_page_and_unchanged_files_are_not_fetched():
    drive = Drive()
    drive.put("ts/a.xlsx", xlsx([[ANN, date(2026, 1, 5), 1, "Website"]]))
    drive.put("ts/b.csv", b"Email,Date,Hours,Project\r\nx@y.z,2026-01-05,1,Website\r\n")
    pages, state = run(drive.stream())
    assert drive.fetched == ["ts/a.xlsx", "ts/b.csv"]
    assert [(p.kind, len(p.records)) for p in pages] == [("rows", 1), ("rows", 1), ("rows", 0)]
    assert [p.state["files"] for p in pages] == [
        {"ts/a.xlsx": "1"},
        {"ts/a.xlsx": "1", "ts/b.csv": "1"},
        {"ts/a.xlsx": "1", "ts/b.csv": "1"},
    ]
    assert {p.state["fingerprint"] for p in pages} == {drive.stream().fingerprint}
    assert pages[0].reconcile == [
        Reconcile("rows", "ts/a.xlsx", frozenset({"ts/a.xlsx#Entries!2"}))
    ]
    assert pages[1].reconcile == [Reconcile("rows", "ts/b.csv", frozenset({"ts/b.csv#!2"}))]
    assert pages[2].reconcile == []
    # one listing and two fetches: every request is charged to some page
    assert sum(p.requests for p in pages) == 1 + 2 * 2

    drive.fetched.clear()
    drive.put("ts/b.csv", b"Email,Date,Hours,Project\r\n")
    pages, state = run(drive.stream(), state)
    assert drive.fetched == ["ts/b.csv"]
    assert pages[0].reconcile == [Reconcile("rows", "ts/b.csv", frozenset())]
    assert state["files"] == {"ts/a.xlsx": "1", "ts/b.csv": "2"}

    drive.fetched.clear()
    pages, _ = run(drive.stream(), state, full=True)
    assert drive.fetched == ["ts/a.xlsx", "ts/b.csv"]


def test_a_file_gone_from_the_listing_retires_its_rows_in_a_last_page():
    drive = Drive()
    drive.put("a.xlsx", xlsx([[ANN, date(2026, 1, 5), 1, "Website"]]))
    drive.put("b.xlsx", xlsx([[ANN, date(2026, 1, 6), 1, "Website"]]))
    _, state = run(drive.stream())
    del drive.files["a.xlsx"]
    drive.fetched.clear()
    pages, state = run(drive.stream(), state)
    assert drive.fetched == []
    assert len(pages) == 1
    assert pages[0].reconcile == [Reconcile("rows", "a.xlsx", frozenset())]
    assert state["files"] == {"b.xlsx": "1"}


def test_an_unreadable_file_keeps_its_rows_and_a_skipped_file_is_tried_again():
    drive = Drive()
    good = xlsx([[ANN, date(2026, 1, 5), 1, "Website"]])
    drive.put("a.xlsx", good)
    drive.put("b.xlsx", good)
    _, state = run(drive.stream())
    drive.put("a.xlsx", locked(good))
    drive.put("b.xlsx", xlsx([[ANN, date(2026, 1, 5), 2, "Website"]]))
    drive.missing.add("b.xlsx")
    stream = drive.stream()
    pages, state = run(stream, state)
    [problem] = pages[0].records
    assert problem["problem"].startswith("a.xlsx is password-protected")
    assert pages[0].reconcile == []  # its rows as last read stay
    assert state["files"] == {"a.xlsx": "2", "b.xlsx": "1"}  # b is re-read next time
    assert stream.warnings() == [
        "a.xlsx is password-protected; save a copy without a password for pmosync "
        "(its rows as last read are kept)",
        "b.xlsx skipped: b.xlsx: itemNotFound",
    ]
    drive.missing.clear()
    drive.fetched.clear()
    run(drive.stream(), state)
    assert drive.fetched == ["b.xlsx"]


def test_a_foreign_or_missing_checkpoint_reads_everything():
    drive = Drive()
    drive.put("a.xlsx", xlsx([[ANN, date(2026, 1, 5), 1, "Website"]]))
    for state in (None, {}, {"files": "nonsense"}, {"other": 1}):
        drive.fetched.clear()
        run(drive.stream(), state)
        assert drive.fetched == ["a.xlsx"]


def test_a_very_long_file_key_is_shortened_to_a_stable_unique_one():
    drive = Drive()
    long_a = "deep/" * 60 + "a.xlsx"
    long_b = "deep/" * 60 + "b.xlsx"
    drive.put(long_a, xlsx([[ANN, date(2026, 1, 5), 1, "Website"]]))
    drive.put(long_b, xlsx([[ANN, date(2026, 1, 5), 1, "Website"]]))
    pages, state = run(drive.stream())
    stored = list(state["files"])
    assert len(stored) == 2 and all(len(key) <= MAX_KEY for key in stored)
    assert stored[0] != stored[1]
    assert all(len(key) <= 255 for page in pages for r in page.reconcile for key in r.present)
    _, again = run(drive.stream(), state)
    assert list(again["files"]) == stored


# --- end to end: files -> engine -> store ------------------------------------------------


def live_entries(store: Store) -> dict[str, tuple[str, str, date, int]]:
    """Live time entries: source id -> (identity id, project id, date, minutes)."""
    table = ENTITY_TABLES[TimeEntry]
    query = select(table).where(table.c.source == SOURCE, table.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        return {
            r.source_id: (r.identity_id, r.project_id, r.entry_date, r.minutes)
            for r in connection.execute(query)
        }


def entry_rows(store: Store) -> dict[str, object]:
    """Every time entry ever stored: source id -> deleted_at."""
    table = ENTITY_TABLES[TimeEntry]
    with store.engine.connect() as connection:
        return {r.source_id: r.deleted_at for r in connection.execute(select(table))}


def open_quarantine(store: Store) -> dict[str, str]:
    query = select(quarantine).where(
        quarantine.c.source == SOURCE, quarantine.c.resolved_at.is_(None)
    )
    with store.engine.connect() as connection:
        return {r.record_key: r.reason for r in connection.execute(query)}


def ledger(store: Store, run_id: str) -> dict[str, int]:
    query = select(run_streams).where(run_streams.c.run_id == run_id)
    with store.engine.connect() as connection:
        row = connection.execute(query).one()
    return {name: getattr(row, name) for name in ("inserted", "updated", "unchanged", "deleted",
                                                   "quarantined", "requests")}  # fmt: skip


def sync(store: Store, root: Path, *, full: bool = False):
    source = FilesSource(SOURCE, config(str(root)))
    mapper = WorkbookMapper(SOURCE, "time", DIRECTORY, TODAY, columns=COLUMNS)
    run_id = store.ledger.start_run("sync")
    try:
        result = sync_source(store, run_id, source, mapper, full=full)
    finally:
        source.close()
    store.ledger.finish_run(run_id, "failed" if result.failed else "succeeded")
    return result, ledger(store, run_id)


def ident(email: str) -> str:
    return PersonIdentity.ref(SOURCE, email)


W02 = [
    [ANN, date(2026, 1, 5), 7.5, "Data centre move"],  # row 2
    [BO, date(2026, 1, 5), "eight", "Website"],  # row 3: text in hours
    ["zed@contoso.example", date(2026, 1, 6), 4, "Website"],  # row 4: unknown person
    [ANN, date(2099, 1, 6), 2, "Website"],  # row 5: date in 2099
    [BO, date(2026, 1, 6), 6, "Website"],  # row 6
    [BO, date(2026, 1, 6), 6, "Website"],  # row 7: duplicates row 6
]
W03_CSV = (
    "Email;Date;Hours;Project\r\n"
    f"{JM};07.01.2026;7,5;Data centre move\r\n"
    f"{JM};08.01.2026;3,25;Website\r\n"
).encode("cp1252")


@pytest.fixture
def timesheets(tmp_path):
    root = tmp_path / "Timesheets"
    write(root / "W02.xlsx", xlsx(W02), 1_760_000_000)
    write(root / "W03 Müller.csv", W03_CSV, 1_760_000_000)
    write(root / "W04.xlsx", xlsx([[ANN, date(2026, 1, 12), 5, "Website"]]), 1_760_000_000)
    empty = openpyxl.Workbook()
    empty.active.title = "Entries"
    buffer = io.BytesIO()
    empty.save(buffer)
    write(root / "Empty.xlsx", buffer.getvalue(), 1_760_000_000)
    write(root / "Locked.xlsx", locked(xlsx(W02[:1])), 1_760_000_000)
    write(root / "Broken.xlsx", xlsx(W02)[:900], 1_760_000_000)
    return root


FIRST_ENTRIES = {
    "W02.xlsx#Entries!2": (ident(ANN), "p-move", date(2026, 1, 5), 450),
    "W02.xlsx#Entries!6": (ident(BO), "p-web", date(2026, 1, 6), 360),
    "W03 Müller.csv#!2": (ident(JM), "p-move", date(2026, 1, 7), 450),
    "W03 Müller.csv#!3": (ident(JM), "p-web", date(2026, 1, 8), 195),
    "W04.xlsx#Entries!2": (ident(ANN), "p-web", date(2026, 1, 12), 300),
}
FIRST_QUARANTINE = {
    "W02.xlsx#Entries!3": "W02.xlsx, sheet Entries, row 3: Hours 'eight' is not a number of hours",
    "W02.xlsx#Entries!4": "W02.xlsx, sheet Entries, row 4: person zed@contoso.example matches "
    "nobody synced (add an alias under people.aliases?)",
    "W02.xlsx#Entries!5": "W02.xlsx, sheet Entries, row 5: Date '2099-01-06' is in the future",
    "W02.xlsx#Entries!7": "W02.xlsx, sheet Entries, row 7: duplicates row 6",
    "Locked.xlsx#file": "Locked.xlsx is password-protected; save a copy without a password "
    "for pmosync",
}


def test_good_rows_go_in_and_bad_rows_and_files_are_quarantined_where_they_are(
    timesheets, store_url
):
    with Store.open(store_url) as store:
        result, counts = sync(store, timesheets)
        assert not result.failed, result
        assert live_entries(store) == FIRST_ENTRIES
        reasons = open_quarantine(store)
        broken = reasons.pop("Broken.xlsx#file")
        assert broken.startswith("Broken.xlsx is not a readable XLSX file (")
        assert reasons == FIRST_QUARANTINE
        assert "Empty.xlsx, sheet Entries is empty" in result.warnings
        # 5 entries + 3 identities (Ann, Bo, Jürgen), once each
        assert counts == {"inserted": 8, "updated": 0, "unchanged": 1, "deleted": 0,
                          "quarantined": 6, "requests": 0}  # fmt: skip
        # the stored minutes add up to the hours worked out by hand: 7.5+6+7.5+3.25+5 h
        assert sum(e[3] for e in live_entries(store).values()) == (7.5 + 6 + 7.5 + 3.25 + 5) * 60


def test_a_sync_with_nothing_changed_reads_no_file(timesheets, store_url):
    with Store.open(store_url) as store:
        sync(store, timesheets)
        result, counts = sync(store, timesheets)
        assert not result.failed
        # a re-read file would count its rows as unchanged; nothing was read at all
        assert counts == {"inserted": 0, "updated": 0, "unchanged": 0, "deleted": 0,
                          "quarantined": 0, "requests": 0}  # fmt: skip
        assert live_entries(store) == FIRST_ENTRIES
        _, counts = sync(store, timesheets, full=True)
        # re-read, every record is as stored: 5 entries and the identities of each file's
        # people (Ann in W02 and W04, Bo in W02, Jürgen in W03)
        assert counts["unchanged"] == 5 + 4 and counts["inserted"] == 0


def test_an_edited_file_replaces_its_rows_and_fixed_rows_leave_quarantine(timesheets, store_url):
    with Store.open(store_url) as store:
        sync(store, timesheets)
        edited = [
            [ANN, date(2026, 1, 5), 7.5, "Data centre move"],  # row 2: as it was
            [BO, date(2026, 1, 5), 8, "Website"],  # row 3: 'eight' fixed
            [ANN, date(2099, 1, 6), 2, "Website"],  # row 4: still 2099 (was row 5)
            [BO, date(2026, 1, 6), 6.5, "Website"],  # row 5: edited (was row 6 at 6 h)
        ]  # the unknown person's row and the duplicate are deleted
        write(timesheets / "W02.xlsx", xlsx(edited), 1_760_000_500)
        result, counts = sync(store, timesheets)
        assert not result.failed
        expected = dict(FIRST_ENTRIES)
        del expected["W02.xlsx#Entries!6"]
        expected["W02.xlsx#Entries!3"] = (ident(BO), "p-web", date(2026, 1, 5), 480)
        expected["W02.xlsx#Entries!5"] = (ident(BO), "p-web", date(2026, 1, 6), 390)
        assert live_entries(store) == expected
        # no double counting: W02 now holds 7.5 + 8 + 6.5 h, W03 7.5 + 3.25 h, W04 5 h
        assert sum(e[3] for e in live_entries(store).values()) == (22 + 10.75 + 5) * 60
        assert entry_rows(store)["W02.xlsx#Entries!6"] is not None  # tombstoned, not dropped
        reasons = open_quarantine(store)
        reasons.pop("Broken.xlsx#file")
        assert reasons == {
            "W02.xlsx#Entries!4": "W02.xlsx, sheet Entries, row 4: "
            "Date '2099-01-06' is in the future",
            "Locked.xlsx#file": FIRST_QUARANTINE["Locked.xlsx#file"],
        }
        # only W02 was read: row 2 and the identities of Ann and Bo are as stored
        assert counts["deleted"] == 1 and counts["unchanged"] == 3


def test_a_good_row_edited_into_a_bad_one_retires_its_old_entry(timesheets, store_url):
    with Store.open(store_url) as store:
        sync(store, timesheets)
        edited = [[ANN, date(2026, 1, 5), "seven and a half", "Data centre move"], *W02[1:]]
        write(timesheets / "W02.xlsx", xlsx(edited), 1_760_000_500)
        result, _ = sync(store, timesheets)
        assert not result.failed
        # the file no longer says 7.5 h: the old entry goes, the row waits in quarantine
        assert "W02.xlsx#Entries!2" not in live_entries(store)
        assert entry_rows(store)["W02.xlsx#Entries!2"] is not None
        assert open_quarantine(store)["W02.xlsx#Entries!2"] == (
            "W02.xlsx, sheet Entries, row 2: Hours 'seven and a half' is not a number of hours"
        )


def test_a_deleted_file_takes_its_rows_and_its_quarantine_with_it(timesheets, store_url):
    with Store.open(store_url) as store:
        sync(store, timesheets)
        (timesheets / "W03 Müller.csv").unlink()
        (timesheets / "W02.xlsx").unlink()
        result, counts = sync(store, timesheets)
        assert not result.failed
        assert live_entries(store) == {
            key: value for key, value in FIRST_ENTRIES.items() if key.startswith("W04")
        }
        stored = entry_rows(store)
        assert all(stored[key] is not None for key in FIRST_ENTRIES if not key.startswith("W04"))
        assert set(open_quarantine(store)) == {"Broken.xlsx#file", "Locked.xlsx#file"}
        assert counts["deleted"] == 4


def test_a_file_locked_after_a_sync_keeps_its_rows_until_it_is_readable_again(
    timesheets, store_url
):
    with Store.open(store_url) as store:
        sync(store, timesheets)
        week = xlsx([[ANN, date(2026, 1, 12), 5, "Website"]])
        write(timesheets / "W04.xlsx", locked(week), 1_760_000_500)
        result, _ = sync(store, timesheets)
        assert live_entries(store) == FIRST_ENTRIES
        assert open_quarantine(store)["W04.xlsx#file"].startswith("W04.xlsx is password-protected")
        assert any("W04.xlsx is password-protected" in w for w in result.warnings)
        unlocked = xlsx(
            [[ANN, date(2026, 1, 12), 4, "Website"], [ANN, date(2026, 1, 13), 1, "Website"]]
        )
        write(timesheets / "W04.xlsx", unlocked, 1_760_000_900)
        sync(store, timesheets)
        entries = live_entries(store)
        assert entries["W04.xlsx#Entries!2"][3] == 240 and entries["W04.xlsx#Entries!3"][3] == 60
        assert "W04.xlsx#file" not in open_quarantine(store)


def test_a_folder_that_vanishes_fails_the_stream_and_retires_nothing(timesheets, store_url):
    with Store.open(store_url) as store:
        sync(store, timesheets)
        timesheets.rename(timesheets.with_name("unmounted"))
        result, counts = sync(store, timesheets)
        assert result.failed
        assert result.streams[0].error == f"folder {timesheets} does not exist"
        assert live_entries(store) == FIRST_ENTRIES
        assert counts["deleted"] == 0
