"""Hostile and large workbook files: one real sync of a folder that holds two decompression
bombs, a 500,000-row CSV and 20 good workbooks, measured from outside.

The folder (made here, in a temporary directory):

- ``cell_bomb.xlsx``: one shared-string cell that unpacks to ~1.15 GB (a few MB on disk);
- ``rows_bomb.xlsx``: a sheet of ~1.2 GB of rows (a few MB on disk);
- ``big.csv``: 500,000 distinct timesheet rows;
- ``week-01.xlsx`` ... ``week-20.xlsx``: 1,000 distinct rows each.

Both bombs are written through ``zipfile`` streams chunk by chunk, so this script stays small in
memory whatever their size. The store is given the one project the rows name; then ``pmosync
sync`` runs in its own process (so the peak RSS measured is the sync's alone, read from the
kernel's accounting of the finished child) with the connector's default limits. Afterwards the
store is read: every good row must be a live time entry, and the sync's output must name each
bomb exactly once.

Targets: peak_rss_mb < 300, good_rows_kept == good_rows_expected, bad_files_named_once.

    python bench/hostile_files.py [--scale 1.0]

``--scale`` shrinks the bombs and the CSV together (0.01: 11 MB bombs, 5,000 CSV rows), and the
connector's ``max_unpacked_mb`` with them, so the smoke run stays small and still refuses both.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import emit  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from pmosync.canonical import Project  # noqa: E402
from pmosync.canonical.tables import ENTITY_TABLES  # noqa: E402
from pmosync.canonical.types import TimeEntry  # noqa: E402
from pmosync.sandbox.xlsx_parts import MAIN, SHEET_PART, STRINGS_PART, skeleton  # noqa: E402
from pmosync.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONNECTOR = "timesheets-bench"
EMAIL = "ann.lee@contoso.example"
HEADER = ("Email", "Date", "Hours", "Project", "Description")
GOOD_WORKBOOKS = 20
WORKBOOK_ROWS = 1_000
CSV_ROWS = 500_000
CELL_BOMB = 1_150_000_000
ROWS_BOMB = 1_200_000_000
DEFAULT_UNPACKED_MB = 200
CHUNK = 1 << 20

HEADER_ROW = '<row r="1">' + "".join(
    f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>'
    for col, text in zip("ABCDE", HEADER, strict=True)
) + "</row>"  # fmt: skip


def day(n: int) -> str:
    return (date(2025, 1, 1) + timedelta(days=n % 365)).isoformat()


def bomb(path: Path, strings: list[tuple[str, int]], rows: list[tuple[str, int]]) -> None:
    """An XLSX whose shared strings and sheet rows are (text, times) repeated, streamed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, xml in skeleton().items():
            archive.writestr(name, xml)
        for part, pieces in ((STRINGS_PART, strings), (SHEET_PART, rows)):
            with archive.open(part, "w", force_zip64=True) as stream:
                for text, times in pieces:
                    data = text.encode()
                    block = max(1, CHUNK // len(data))
                    for done in range(0, times, block):
                        stream.write(data * min(block, times - done))


def cell_bomb(path: Path, size: int) -> None:
    """One row whose Project cell is one shared string of ``size`` characters."""
    bomb(
        path,
        [(f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>', 1), ("A", size),
         ("</t></si></sst>", 1)],
        [(f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}', 1),
         (f'<row r="2"><c r="A2" t="inlineStr"><is><t>{EMAIL}</t></is></c>'
          '<c r="C2"><v>1</v></c><c r="D2" t="s"><v>0</v></c></row>', 1),
         ("</sheetData></worksheet>", 1)],
    )  # fmt: skip


def rows_bomb(path: Path, size: int) -> None:
    """A sheet of ``size`` bytes of identical rows (no row numbers: Excel's own short form)."""
    row = '<row><c t="s"><v>0</v></c><c><v>1</v></c><c t="s"><v>0</v></c></row>'
    bomb(
        path,
        [(f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>x</t></si></sst>', 1)],
        [(f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}', 1), (row, size // len(row)),
         ("</sheetData></worksheet>", 1)],
    )  # fmt: skip


def good_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\r\n")
        for n in range(rows):
            out.write(f"{EMAIL},{day(n)},{1 + n % 8},Website,csv entry {n}\r\n")


def good_workbook(path: Path, week: int, rows: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Entries")
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append([EMAIL, day(n), 1 + n % 8, "Website", f"week {week} entry {n}"])
    workbook.save(path)


def make_folder(folder: Path, scale: float) -> tuple[list[str], int]:
    """The files; returns the bad files' names and how many good rows there are."""
    folder.mkdir()
    cell_bomb(folder / "cell_bomb.xlsx", int(CELL_BOMB * scale))
    rows_bomb(folder / "rows_bomb.xlsx", int(ROWS_BOMB * scale))
    csv_rows = int(CSV_ROWS * scale)
    good_csv(folder / "big.csv", csv_rows)
    for week in range(1, GOOD_WORKBOOKS + 1):
        good_workbook(folder / f"week-{week:02d}.xlsx", week, WORKBOOK_ROWS)
    return ["cell_bomb.xlsx", "rows_bomb.xlsx"], csv_rows + GOOD_WORKBOOKS * WORKBOOK_ROWS


def write_config(base: Path, folder: Path, unpacked_mb: int) -> Path:
    path = base / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///store.db\n"
        "connectors:\n"
        f"  {CONNECTOR}:\n"
        "    type: files\n"
        f"    path: {folder}\n"
        f"    max_unpacked_mb: {unpacked_mb}\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project, "
        "description: Description}\n",
        encoding="utf-8",
    )
    return path


def seed_project(url: str) -> None:
    """The project the rows name, as a tool connector would have synced it."""
    with Store.open(url) as store:
        store.upsert(
            [
                Project(
                    source="asana-bench",
                    source_id="1200000000000042",
                    updated_at=datetime(2026, 1, 1, tzinfo=UTC),
                    name="Website",
                )
            ]
        )


def kept_rows(url: str) -> int:
    table = ENTITY_TABLES[TimeEntry]
    query = select(func.count()).where(table.c.source == CONNECTOR, table.c.deleted_at.is_(None))
    with Store.open(url) as store, store.engine.connect() as connection:
        return connection.scalar(query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    scale = parser.parse_args().scale
    unpacked_mb = max(1, round(DEFAULT_UNPACKED_MB * scale))
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        bad, expected = make_folder(base / "files", scale)
        config = write_config(base, base / "files", unpacked_mb)
        url = f"sqlite:///{base}/store.db"
        seed_project(url)
        began = time.perf_counter()
        sync = subprocess.run(
            [sys.executable, "-m", "pmosync", "sync", "--config", str(config)],
            cwd=base,
            capture_output=True,
            text=True,
        )
        wall_s = time.perf_counter() - began
        child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        output = sync.stdout + sync.stderr
        kept = kept_rows(url)
    named = {name: sum(name in line for line in output.splitlines()) for name in bad}
    print(output.strip())
    print(f"sync exit {sync.returncode}; lines naming each bad file: {named}")
    emit(
        {
            "bench": "hostile_files",
            "scale": scale,
            "peak_rss_mb": round(child_peak_mb, 1),
            "wall_s": round(wall_s, 2),
            "good_rows_kept": kept,
            "good_rows_expected": expected,
            "bad_files_named_once": all(count == 1 for count in named.values()),
        }
    )


if __name__ == "__main__":
    main()
