"""Hostile and large workbook files, end to end through the real sync engine into a real store.

Every file is real and made here: good workbooks by openpyxl, hostile ones by rewriting a part
of a good one inside its zip (a shared string that unpacks to megabytes, a sheet of too many
rows, a cell longer than Excel allows, an entity-expansion "billion laughs" payload). Limits
are set low in the connector's config so the files stay small and the tests fast; what must
hold is that the hostile file is refused with one line naming it and the limit, and every
row of the other files is kept (the expected rows are counted by hand from what is written).
"""

from __future__ import annotations

import io
import os
import threading
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from hostile_xlsx import LAUGHS, handmade, shared_strings
from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import TimeEntry
from pmosync.config.connectors import FilesConnector
from pmosync.connectors.files import FilesSource
from pmosync.mapping.directory import Directory, ProjectEntry
from pmosync.mapping.workbooks import WorkbookMapper
from pmosync.store import Store
from pmosync.store.schema import quarantine
from pmosync.sync.engine import sync_source

SOURCE = "timesheets"
COLUMNS = {"person": "Email", "date": "Date", "hours": "Hours", "project": "Project"}
HEADER = ["Email", "Date", "Hours", "Project"]
TODAY = date(2026, 1, 20)
ANN = "ann.lee@contoso.example"
DIRECTORY = Directory.build(
    [ProjectEntry("p-web", "Website", "asana-eng", "1200000000000042")], emails=[ANN]
)


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Entries"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def good_rows(day: int, count: int) -> list[list]:
    return [[ANN, date(2026, 1, day), 1 + i % 4, "Website"] for i in range(count)]


def write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, ns=(1_760_000_000 * 10**9,) * 2)


def config(root: Path, **extra) -> FilesConnector:
    return FilesConnector.model_validate(
        {"type": "files", "path": str(root), "columns": COLUMNS, **extra}
    )


def sync(store: Store, connector: FilesConnector, observer=None, stop=None):
    source = FilesSource(SOURCE, connector)
    mapper = WorkbookMapper(SOURCE, "time", DIRECTORY, TODAY, columns=COLUMNS)
    run_id = store.ledger.start_run("sync")
    try:
        result = sync_source(store, run_id, source, mapper, observer=observer, stop=stop)
    finally:
        source.close()
    store.ledger.finish_run(run_id, "failed" if result.failed else "succeeded")
    return result


def live_minutes(store: Store) -> dict[str, int]:
    """Live time entries of the connector: source id -> minutes."""
    table = ENTITY_TABLES[TimeEntry]
    query = select(table.c.source_id, table.c.minutes).where(
        table.c.source == SOURCE, table.c.deleted_at.is_(None)
    )
    with store.engine.connect() as connection:
        return dict(connection.execute(query).all())


def open_quarantine(store: Store) -> dict[str, str]:
    query = select(quarantine.c.record_key, quarantine.c.reason).where(
        quarantine.c.source == SOURCE, quarantine.c.resolved_at.is_(None)
    )
    with store.engine.connect() as connection:
        return dict(connection.execute(query).all())


@pytest.fixture
def folder(tmp_path) -> Path:
    """Two good files, 3 + 2 rows: 1+2+3 and 1+2 hours."""
    root = tmp_path / "Timesheets"
    write(root / "good.xlsx", xlsx(good_rows(5, 3)))
    write(root / "good.csv", b"Email,Date,Hours,Project\r\n" + b"".join(
        f"{ANN},2026-01-0{6 + i},{1 + i},Website\r\n".encode() for i in range(2)
    ))  # fmt: skip
    return root


GOOD = {
    "good.xlsx#Entries!2": 60,
    "good.xlsx#Entries!3": 120,
    "good.xlsx#Entries!4": 180,
    "good.csv#!2": 60,
    "good.csv#!3": 120,
}


def assert_refused_alone(store: Store, result, name: str, reason: str) -> None:
    """The file is refused with one line (one warning, one quarantine entry) naming it and
    the limit, and the good files' rows are all there."""
    assert not result.failed, result
    assert live_minutes(store) == GOOD
    assert open_quarantine(store) == {f"{name}#file": reason}
    assert [line for line in result.warnings if name in line] == [
        f"{reason} (its rows as last read are kept)"
    ]


def test_a_decompression_bomb_is_refused_with_one_line_and_the_other_files_are_kept(
    folder, store_url
):
    # one shared string of 3 MB: a 1 MB limit stops it while it unpacks (it zips to ~3 KB)
    bomb = handmade([[ANN, "2026-01-05", 1, "A" * (3 << 20)]])
    assert len(bomb) < 20_000
    write(folder / "bomb.xlsx", bomb)
    with Store.open(store_url) as store:
        result = sync(store, config(folder, max_unpacked_mb=1, max_cell_chars=100_000))
        assert_refused_alone(
            store,
            result,
            "bomb.xlsx",
            "bomb.xlsx is refused: it unpacks to more than 1 MB (max_unpacked_mb: 1)",
        )


def test_a_bomb_whose_zip_lies_about_its_size_is_still_refused(folder, store_url):
    """The sizes in the zip's directory are the writer's word: patched to say 100 bytes, the
    3 MB part is still not read past its declared size and the file is refused."""
    bomb = handmade([[ANN, "2026-01-05", 1, "A" * (3 << 20)]])
    real = len(shared_strings(ANN, "2026-01-05", "A" * (3 << 20))).to_bytes(4, "little")
    assert bomb.count(real) == 2  # the local header and the central directory entry
    write(folder / "liar.xlsx", bomb.replace(real, (100).to_bytes(4, "little")))
    with Store.open(store_url) as store:
        result = sync(store, config(folder, max_unpacked_mb=1))
        assert not result.failed, result
        assert live_minutes(store) == GOOD
        [(key, reason)] = open_quarantine(store).items()
        assert key == "liar.xlsx#file"
        assert reason.startswith("liar.xlsx is not a readable XLSX file (")
        assert len([line for line in result.warnings if "liar.xlsx" in line]) == 1


def test_a_sheet_with_more_rows_than_max_rows_is_refused(folder, store_url):
    write(folder / "rows.xlsx", xlsx(good_rows(9, 30)))  # 31 rows with the header
    write(folder / "rows.csv", b"Email,Date,Hours,Project\r\n" + b"x,y,1,z\r\n" * 30)
    with Store.open(store_url) as store:
        result = sync(store, config(folder, max_rows=10))
        assert not result.failed, result
        assert live_minutes(store) == GOOD
        assert open_quarantine(store) == {
            "rows.xlsx#file": "rows.xlsx is refused: it has more than 10 rows (max_rows: 10)",
            "rows.csv#file": "rows.csv is refused: it has more than 10 rows (max_rows: 10)",
        }
        assert len([line for line in result.warnings if "rows." in line]) == 2


def test_a_cell_longer_than_excel_allows_is_refused(folder, store_url):
    long = "B" * 40_000  # Excel holds at most 32,767 characters in a cell: the default limit
    write(folder / "cell.xlsx", handmade([[ANN, "2026-01-05", 1, long]]))
    with Store.open(store_url) as store:
        result = sync(store, config(folder))
        assert_refused_alone(
            store,
            result,
            "cell.xlsx",
            "cell.xlsx is refused: a cell holds more than 32767 characters (max_cell_chars: 32767)",
        )


def test_a_csv_cell_longer_than_the_limit_is_refused(folder, store_url):
    write(
        folder / "cell.csv",
        f"Email,Date,Hours,Project\r\n{ANN},2026-01-05,1,{'W' * 500}\r\n".encode(),
    )
    with Store.open(store_url) as store:
        result = sync(store, config(folder, max_cell_chars=400))
        assert_refused_alone(
            store,
            result,
            "cell.csv",
            "cell.csv is refused: a cell holds more than 400 characters (max_cell_chars: 400)",
        )


@pytest.mark.parametrize(
    "part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/media/image1.png"]
)
def test_an_entity_expansion_payload_is_refused_not_expanded(folder, store_url, part):
    row = [ANN, "2026-01-05", 1, "&lol9;"]
    if part == "xl/sharedStrings.xml":
        laughs = handmade([row], sst=LAUGHS)
    else:
        # in the sheet, also in a sheet whose part is named like a picture: parts are
        # checked by what they hold, not by what they are called
        doctype = LAUGHS.replace("sst", "worksheet")
        laughs = handmade([row[:3] + ["Website"]], doctype=doctype, sheet_part=part)
    write(folder / "laughs.xlsx", laughs)
    with Store.open(store_url) as store:
        result = sync(store, config(folder))
        assert_refused_alone(
            store,
            result,
            "laughs.xlsx",
            f"laughs.xlsx is refused: its part {part} declares a DTD or entities, which Excel "
            "never writes (an entity-expansion attack?)",
        )


def day(i: int) -> str:
    return (date(2025, 1, 1) + timedelta(days=i % 365)).isoformat()


class PageWatcher:
    """A sync observer that looks at the store after each committed page of the file."""

    def __init__(self, store: Store, stop_after: int | None = None) -> None:
        self.store = store
        self.seen: list[tuple[int, int, dict]] = []
        self.stop = threading.Event()
        self.stop_after = stop_after

    def stream_started(self, connector, stream) -> None: ...

    def stream_finished(self, connector, result) -> None: ...

    def page_written(self, connector, stream, records, counts) -> None:
        checkpoint = self.store.checkpoint(connector, stream) or {}
        read = {**checkpoint.get("files", {}), **checkpoint.get("reading", {})}
        self.seen.append((records, len(live_minutes(self.store)), read))
        if self.stop_after is not None and len(self.seen) == self.stop_after:
            self.stop.set()  # as SIGTERM does: the page in flight commits, then the sync stops


def big_csv(root: Path, rows: int) -> Path:
    lines = (f"{ANN},{day(i)},{1 + i // 365},Website\r\n" for i in range(rows))  # all distinct
    path = root / "big.csv"
    write(path, b"Email,Date,Hours,Project\r\n" + "".join(lines).encode())
    return path


def test_a_large_csv_is_written_page_by_page_before_the_file_ends(tmp_path, sqlite_url):
    rows = 4500  # PAGE_ROWS is 2,000: pages of 2,000, 2,000 and 500 rows
    big_csv(tmp_path / "big", rows)
    with Store.open(sqlite_url) as store:
        watcher = PageWatcher(store)
        result = sync(store, config(tmp_path / "big"), observer=watcher)
        assert not result.failed, result
        # each page was committed with its rows and a checkpoint saying how far into the file
        # it is; the file's version is recorded with its last page only
        version = watcher.seen[2][2]["big.csv"]
        assert watcher.seen[:3] == [
            (2000, 2000, {"file": "big.csv", "version": version, "rows": 2000}),
            (2000, 4000, {"file": "big.csv", "version": version, "rows": 4000}),
            (500, 4500, {"big.csv": version}),
        ]
        assert sum(live_minutes(store).values()) == sum(60 * (1 + i // 365) for i in range(rows))


def test_a_sync_stopped_inside_a_large_file_goes_on_from_its_last_page(tmp_path, sqlite_url):
    rows = 4500
    big_csv(tmp_path / "big", rows)
    with Store.open(sqlite_url) as store:
        watcher = PageWatcher(store, stop_after=1)
        stopped = sync(store, config(tmp_path / "big"), observer=watcher, stop=watcher.stop)
        assert stopped.streams[0].status == "interrupted"
        assert len(live_minutes(store)) == 2000
        resumed = sync(store, config(tmp_path / "big")).streams[0]
        assert resumed.status == "succeeded"
        # the 2,500 rows left are written; the 2,000 written before are not read again (the
        # one person is met once per page: 2 unchanged)
        assert (resumed.counts.inserted, resumed.counts.unchanged) == (2500, 2)
        assert sum(live_minutes(store).values()) == sum(60 * (1 + i // 365) for i in range(rows))


def test_rows_that_no_longer_map_on_a_later_page_lose_their_old_entries(tmp_path, sqlite_url):
    """A large file's reconcile rides on its first page; a row on a later page that stopped
    mapping still has its earlier entry retired and its quarantine entry kept open."""
    root = tmp_path / "big"
    header = b"Email,Date,Hours,Project\r\n"
    lines = [f"{ANN},{day(i)},{1 + i // 365},Website\r\n" for i in range(2500)]
    write(root / "big.csv", header + "".join(lines).encode())
    with Store.open(sqlite_url) as store:
        sync(store, config(root))
        assert len(live_minutes(store)) == 2500
        lines[2399] = lines[2399].replace(",Website", ",Nowhere")  # row 2401, on page two
        lines[9] = lines[9].replace(",Website", ",Nowhere")  # row 11, on page one
        path = root / "big.csv"
        path.write_bytes(header + "".join(lines).encode())
        os.utime(path, ns=(1_770_000_000 * 10**9,) * 2)
        result = sync(store, config(root))
        assert not result.failed, result
        live = live_minutes(store)
        assert len(live) == 2498
        assert "big.csv#!2401" not in live and "big.csv#!11" not in live
        assert set(open_quarantine(store)) == {"big.csv#!2401", "big.csv#!11"}


def test_a_fixed_column_mapping_reads_unchanged_files_again(folder, store_url):
    wrong = {**COLUMNS, "hours": "Time"}
    with Store.open(store_url) as store:
        result = sync(store, config(folder, columns=wrong))
        assert live_minutes(store) == {}
        assert set(open_quarantine(store)) == {"good.xlsx#file", "good.csv#file"}
        # the YAML is fixed; the files' bytes are as they were
        result = sync(store, config(folder))
        assert not result.failed, result
        assert live_minutes(store) == GOOD
        assert open_quarantine(store) == {}
        # and with nothing changed at all, nothing is read again
        counts = sync(store, config(folder)).streams[0].counts
        assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 0)


def test_openpyxl_itself_parses_through_defusedxml():
    """The second line of defence: were a DTD to reach openpyxl, it refuses it too (it uses
    defusedxml whenever installed, and defusedxml is a dependency of pmosync)."""
    content = handmade([[ANN, "2026-01-05", 1, "&lol9;"]], sst=LAUGHS)
    with pytest.raises(ValueError) as raised:
        openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert type(raised.value.__cause__).__name__ == "EntitiesForbidden"
