"""``pmosync demo`` end to end, as a newcomer runs it: the real command, twice, in a folder.

Ground truth comes from the demo world itself (the generated organisation and tenant, rebuilt
here with the sandbox generators) and from the outputs read back with independent parsers
(openpyxl, html.parser, the email package), never from the summary's own code.
"""

from __future__ import annotations

import csv
import email
import email.policy
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from cli import run_pmosync
from sqlalchemy import select

from pmosync.demo import world as demo_world
from pmosync.store import Store
from pmosync.store.schema import runs

EMAIL_REPORTS = {"portfolio", "utilisation", "timesheets"}  # the demo config's email targets
SHAREPOINT_REPORTS = {"portfolio", "governance"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Any]:
    """Two runs of ``pmosync demo`` in one folder; the second with a real-looking token in the
    environment, which must not reach the sandbox (the demo's .env is what it uses), and a
    production state folder, which must not receive the demo's store or reports."""
    home = tmp_path_factory.mktemp("newcomer")
    first = run_pmosync("demo", cwd=home)
    mails_after_first = sorted((home / "demo" / "out" / "mail").glob("*.eml"))
    kept_by_first = {path.name: path.read_bytes() for path in home.glob("demo/out/*-*/*")}
    production_state = tmp_path_factory.mktemp("var-lib-pmosync")
    second = run_pmosync(
        "demo",
        cwd=home,
        env={"ASANA_TOKEN": "1/1234567890:a-real-pat", "PMOSYNC_STATE_DIR": str(production_state)},
    )
    return {
        "production_state": production_state,
        "home": home,
        "folder": home / "demo",
        "first": first,
        "second": second,
        "mails_after_first": mails_after_first,
        "kept_by_first": kept_by_first,
    }


def _ok(result) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout[-3000:], result.stderr[-3000:])
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def _named_paths(summary: str, home: Path) -> list[Path]:
    """Every file the summary's report lines name (folder + file names)."""
    paths = []
    for line in summary.splitlines():
        match = re.match(r"\s+\S+\s+succeeded\s+(\S+/)\s+(.+)$", line)
        if match:
            paths += [home / match[1] / name for name in match[2].split(", ")]
    return paths


def _world_now(run: int) -> tuple[Any, Any]:
    org, tenant, _ = demo_world.build(
        demo_world.WorldState(demo_world.SEED, date.today().isoformat(), run)
    )
    return org, tenant


def test_first_run_syncs_in_full_and_names_every_output_that_exists(demo):
    summary = _ok(demo["first"])
    assert "a first, full sync" in summary
    named = _named_paths(summary, demo["home"])
    suffixes = {path.suffix for path in named}
    assert suffixes == {".html", ".xlsx", ".csv"}, summary
    assert len(named) >= 9
    for path in named:
        assert path.is_file(), path
    assert "demo/out/mail/*.eml" in summary and "demo/out/sharepoint/" in summary
    assert "1 record(s) could not be mapped" in summary


def test_a_typed_slip_in_a_timesheet_is_quarantined_naming_its_row(demo):
    """The demo world's one bad cell (hours typed as words) waits in the quarantine with the
    file, sheet and row; the other rows of that workbook are in the store."""
    listed = run_pmosync("quarantine", "list", "--format", "json", cwd=demo["folder"])
    [entry] = json.loads(_ok(listed))
    assert entry["source"] == "timesheets"
    assert "sheet Entries, row 3" in entry["reason"] and "seven and a half" in entry["reason"]


def test_outputs_parse(demo):
    folder = demo["folder"]
    for page in folder.glob("out/*-*/*.html"):
        parser = _Text()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.title and parser.title in parser.text, page
    for book in folder.glob("out/*-*/*.xlsx"):
        sheets = openpyxl.load_workbook(book, read_only=True).sheetnames
        assert sheets[0] == "Summary" and len(sheets) > 1, book
    for table in folder.glob("out/*-*/*.csv"):
        with table.open(encoding="utf-8-sig", newline="") as handle:
            header, *_ = list(csv.reader(handle))
        assert header and all(header), table


def test_every_sandbox_project_is_in_the_portfolio_report(demo):
    """Ground truth: the first run's world (12 Asana projects, 4 Planner plans)."""
    org, tenant = _world_now(1)
    expected = {p.name for p in org.projects.values()} | {p.title for p in tenant.plans.values()}
    assert len(expected) == 16
    [book] = demo["folder"].glob("out/portfolio-*/portfolio-*.xlsx")
    sheet = openpyxl.load_workbook(book, read_only=True)["Projects"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert {row[header.index("Project")] for row in rows} == expected


def test_red_and_amber_projects_in_the_summary_are_the_reports(demo):
    summary = _ok(demo["second"])
    [book] = demo["folder"].glob("out/portfolio-*/portfolio-*.xlsx")
    sheet = openpyxl.load_workbook(book, read_only=True)["Projects"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    computed = {row[header.index("Project")]: row[header.index("Computed RAG")] for row in rows}
    listed = re.findall(r"^  (RED|AMBER)\s+(.+?)(?: \(reports \w+\))?: ", summary, re.M)
    assert listed, summary
    for rag, project in listed:
        assert computed[project] == rag.lower(), (project, rag)
    counts = re.search(r"\(computed RAG\): (\d+) red, (\d+) amber", summary)
    assert counts is not None
    assert int(counts[1]) == sum(1 for rag in computed.values() if rag == "red")
    assert int(counts[2]) == sum(1 for rag in computed.values() if rag == "amber")


def test_emails_reach_the_sink_as_mime_messages(demo):
    mails = demo["mails_after_first"]
    assert len(mails) == len(EMAIL_REPORTS)
    config = yaml.safe_load((demo["folder"] / "pmosync.yaml").read_text(encoding="utf-8"))
    recipients = {
        name: target["email"]["to"]
        for name, report in config["reports"].items()
        for target in report.get("deliver", [])
        if "email" in target
    }
    assert set(recipients) == EMAIL_REPORTS
    seen = set()
    for path in mails:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert message.get_content_type() == "multipart/mixed"
        html = message.get_body(("html",))
        assert html is not None and "<table" in html.get_content()
        seen.add(tuple(address.strip() for address in message["To"].split(",")))
    assert seen == {tuple(to) for to in recipients.values()}


def test_sharepoint_copies_are_the_kept_files(demo):
    """What the demo copied back out of the SharePoint sandbox is byte for byte what the
    first run kept: the upload went through Graph intact."""
    copies = sorted((demo["folder"] / "out" / "sharepoint").rglob("*.*"))
    assert {path.name.split("-")[0] for path in copies} == SHAREPOINT_REPORTS
    for copy in copies:
        assert copy.read_bytes() == demo["kept_by_first"][copy.name], copy.name


def test_second_run_is_incremental_and_sees_the_week_of_work(demo):
    summary = _ok(demo["second"])
    assert "an incremental sync" in summary and "Synced incrementally" in summary
    store = Store.open("sqlite:///pmosync.db", base_dir=demo["folder"], schema="require")
    try:
        ledger = store.ledger.recent_runs(limit=10, kind="sync")
        with store.engine.connect() as connection:
            statuses = connection.execute(select(runs.c.status).where(runs.c.kind == "sync"))
            assert [row.status for row in statuses] == ["succeeded", "succeeded"]
        second, first = ledger
        assert second["requests"] < first["requests"] / 2, (first["requests"], second["requests"])
        org, _ = _world_now(2)
        posted = {u.title for u in org.status_updates.values() if u.title.startswith("Week 2")}
        assert posted == {"Week 2: supplier delay"}
        with store.engine.connect() as connection:
            titles = {
                row[0] for row in connection.exec_driver_sql("SELECT title FROM status_update")
            }
        assert posted <= titles
    finally:
        store.close()
    assert "deliveries skipped" in summary
    mails = sorted((demo["folder"] / "out" / "mail").glob("*.eml"))
    assert mails == demo["mails_after_first"], "a report date is delivered to a target once"


def test_a_production_state_folder_in_the_environment_gets_nothing_from_the_demo(demo):
    _ok(demo["second"])
    assert list(demo["production_state"].iterdir()) == []
    assert (demo["folder"] / "pmosync.db").is_file()


def test_the_written_configuration_is_valid_and_holds_no_token(demo):
    folder = demo["folder"]
    text = (folder / "pmosync.yaml").read_text(encoding="utf-8")
    assert demo_world.ASANA_TOKEN not in text and demo_world.GRAPH_TOKEN not in text
    assert demo_world.ASANA_TOKEN in (folder / ".env").read_text(encoding="utf-8")
    checked = run_pmosync("check", "--offline", "-c", folder / "pmosync.yaml")
    assert checked.returncode == 0, checked.stderr


def test_fresh_forgets_the_world_the_store_and_the_outputs_but_not_the_folder(tmp_path):
    from pmosync.demo.tour import reset

    for name in ("pmosync.db", ".world.json", "out/portfolio-2026-11-24/portfolio.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("earlier run", encoding="utf-8")
    (tmp_path / "pmosync.yaml").write_text("store: sqlite:///pmosync.db\n", encoding="utf-8")
    reset(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pmosync.yaml"]


class _Text(HTMLParser):
    """The page's <title> and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.text = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        else:
            self.text += data
