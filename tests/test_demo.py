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
from sqlalchemy import func, select

from pmosync.demo import world as demo_world
from pmosync.demo.config_file import PREMIUM_CONNECTOR
from pmosync.sandbox.dataverse import churn
from pmosync.store import Store
from pmosync.store.schema import run_streams, runs

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

EMAIL_REPORTS = {"portfolio", "utilisation", "timesheets", "intake"}  # the config's email targets
SHAREPOINT_REPORTS = {"portfolio", "governance", "board"}


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


def _premium_now(run: int) -> Any:
    """The Dataverse environment of the demo world at run ``run`` (its premium plans)."""
    _, _, environment, _ = demo_world.build_world(
        demo_world.WorldState(demo_world.SEED, date.today().isoformat(), run)
    )
    return environment


def _premium_names(environment: Any) -> set[str]:
    return {row["msdyn_subject"] for row in environment.table_rows("msdyn_project")}


def test_first_run_syncs_in_full_and_names_every_output_that_exists(demo):
    summary = _ok(demo["first"])
    assert "a first, full sync" in summary
    named = _named_paths(summary, demo["home"])
    suffixes = {path.suffix for path in named}
    assert suffixes == {".html", ".xlsx", ".csv", ".pdf"}, summary
    assert len(named) >= 9
    for path in named:
        assert path.is_file(), path
    assert "demo/out/mail/*.eml" in summary and "demo/out/sharepoint/" in summary
    # the typed slip in a timesheet, a status item naming a plan that does not exist, a
    # leave item that ends before it starts, and the Asana RAID log's risk with a probability
    # of 7 (its item of type "Opportunity" maps: the demo's type_vocabulary names it), and the
    # Asana intake project's request with a negative effort
    assert "5 record(s) could not be mapped" in summary


def test_the_intake_pipeline_report_is_produced_and_named(demo):
    """The demo's intake report ranks the sandboxes' project requests (or says there are none)
    under the three models of its intake: block, and the summary points at its page."""
    summary = _ok(demo["first"])
    pages = sorted(demo["folder"].glob("out/intake-*/intake-*.html"))
    assert pages and any(p.name.endswith(".html") for p in _named_paths(summary, demo["home"]))
    assert f"open demo/out/{pages[-1].parent.name}/{pages[-1].name}" in summary, summary
    parser = _Text()
    parser.feed(pages[-1].read_text(encoding="utf-8"))
    assert "Intake pipeline" in parser.text and "Funding" in parser.text
    assert ("Scoreboard: balanced" in parser.text) or ("No project requests" in parser.text)
    (book,) = demo["folder"].glob(f"out/{pages[-1].parent.name}/*.xlsx")
    sheets = openpyxl.load_workbook(book, read_only=True).sheetnames
    for model in ("strategic", "financial", "balanced"):
        assert f"Scoreboard {model}" in sheets or any(model in s for s in sheets), sheets


def test_a_typed_slip_in_a_timesheet_is_quarantined_naming_its_row(demo):
    """The demo world's one bad cell (hours typed as words) waits in the quarantine with the
    file, sheet and row; the other rows of that workbook are in the store."""
    listed = run_pmosync("quarantine", "list", "--format", "json", cwd=demo["folder"])
    [entry] = [e for e in json.loads(_ok(listed)) if e["source"] == "timesheets"]
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
    """Ground truth: the first run's world (12 Asana projects, 4 Planner plans) and the second
    run's 2 premium plans (its week of work renames one); the report is the second run's."""
    org, tenant = _world_now(1)
    # the "RAID log" project is read as the RAID log (the demo's raid: block), the "Project
    # intake" project as requests (its intake: block): neither is a project
    projects = [p for p in org.projects.values() if p.gid not in (org.raid_log_gid,
                                                                  org.intake_gid)]  # fmt: skip
    expected = {p.name for p in projects} | {p.title for p in tenant.plans.values()}
    expected |= _premium_names(_premium_now(2))
    assert len(expected) == 18
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


def _sheet(folder: Path, name: str) -> dict[str, dict[str, Any]]:
    """The portfolio workbook's sheet ``name`` as {project: {header: value}}."""
    [book] = folder.glob("out/portfolio-*/portfolio-*.xlsx")
    header, *rows = list(openpyxl.load_workbook(book, read_only=True)[name].iter_rows(
        values_only=True))  # fmt: skip
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def _summary_item(folder: Path, item: str) -> Any:
    [book] = folder.glob("out/portfolio-*/portfolio-*.xlsx")
    rows = openpyxl.load_workbook(book, read_only=True)["Summary"].iter_rows(values_only=True)
    return dict(rows)[item]


def _world_figures(org, baseline) -> dict[str, tuple[float, float, float, bool]]:
    """{project: (BAC, EV, AC, active)} from the world's own data, by the documented rule
    (active: neither completed, archived nor on hold by its latest status update):
    BAC is the project's budget (the Budget field, which a native budget repeats); earned % is
    the estimate-weighted completion of the work tasks of the baseline, the plan as the first
    run's sync saw it (``baseline``, that run's world): leaf tasks, not milestones, every one
    dated and estimated; a done task counts whole, an open one by its "% Complete", one deleted
    since earns nothing, and one added since is not in the baseline. AC is the logged minutes
    at each person's rate plus the euro expenses and invoices of the cost workbook (its
    US-dollar invoice is not converted, so not counted)."""
    from pmosync.demo.costs import cost_rows

    fields = {f.name: f.gid for f in org.custom_fields.values()}
    costs = cost_rows(org, demo_world.SEED)
    figures = {}
    for project in org.projects.values():
        if project.gid in (org.raid_log_gid, org.intake_gid):  # no budget, no work
            continue
        bac = baseline.projects[project.gid].custom[fields["Budget"]]
        weight = earned = 0.0
        for planned in baseline.tasks.values():
            root = planned
            while root.project_gid is None and root.parent_gid is not None:
                root = baseline.tasks[root.parent_gid]
            if root.project_gid != project.gid or planned.subtask_gids:
                continue
            if planned.resource_subtype == "milestone" or planned.gid in baseline.raid:
                continue  # a RAID item is no work
            hours = planned.custom[fields["Estimate (h)"]]
            task = org.tasks.get(planned.gid)
            if task is None:
                done = 0.0
            else:
                done = 1.0 if task.completed else task.custom.get(fields["% Complete"], 0.0)
            weight += hours
            earned += hours * done
        labour = sum(
            e.duration_minutes / 60 * org.rates[e.user_gid]
            for e in org.time_entries.values()
            if e.project_gid == project.gid
        )
        spent = sum(c.amount for c in costs if c.project == project.name and c.currency == "EUR")
        latest = org.status_updates.get(project.current_status_gid or "")
        on_hold = latest is not None and latest.status_type == "on_hold"
        active = not (project.completed or project.archived or on_hold)
        figures[project.name] = (bac, bac * earned / weight, labour + spent, active)
    return figures


def test_portfolio_cpi_is_plausible_and_is_the_worlds_own(demo):
    """Recomputed from the world (not from pmosync): budgets priced from the plan and actuals
    from logged time at rates give a portfolio CPI within 0.8..1.2, with projects clearly over
    (CPI < 0.85) and under (> 1.1) budget; the report's per-project EV and AC and its portfolio
    CPI are those figures."""
    _ok(demo["second"])
    org, _ = _world_now(2)
    figures = _world_figures(org, _world_now(1)[0])
    cpis = {name: ev / ac for name, (_, ev, ac, _) in figures.items()}
    assert sum(cpi < 0.85 for cpi in cpis.values()) >= 2, cpis
    assert sum(cpi > 1.1 for cpi in cpis.values()) >= 2, cpis
    every = sum(f[1] for f in figures.values()) / sum(f[2] for f in figures.values())
    active = [f for f in figures.values() if f[3]]
    in_flight = sum(f[1] for f in active) / sum(f[2] for f in active)
    assert 0.8 <= every <= 1.2 and 0.8 <= in_flight <= 1.2, (every, in_flight)
    reported = _sheet(demo["folder"], "Earned value")
    for name, (bac, ev, ac, _) in figures.items():
        row = reported[name]
        assert row["BAC"] == pytest.approx(bac), name  # one budget, never two added
        assert row["EV"] == pytest.approx(ev, rel=1e-6), name
        assert row["AC"] == pytest.approx(ac, abs=0.01), name
    # the portfolio's CPI is over the projects in flight (roll-ups leave completed, archived
    # and on-hold projects out); the premium plans have no budget, so their BAC is hours and
    # the summary gives a CPI per basis: the money one is the Asana projects'
    assert _summary_item(demo["folder"], "CPI (EUR)") == pytest.approx(in_flight, rel=1e-6)
    # the summary says it, and names the projects in flight clearly over and under budget
    summary = demo["second"].stdout
    assert f"Portfolio CPI {in_flight:.2f} ({len(active)} projects in flight, in EUR)" in summary
    for label, off in (("over", lambda cpi: cpi < 0.85), ("under", lambda cpi: cpi > 1.1)):
        named = sorted(n for n, (_, ev, ac, live) in figures.items() if live and off(ev / ac))
        assert named, label
        line = re.search(rf"^  {label} budget \(CPI \w+ [\d.]+\): (.+)$", summary, re.M)
        assert line is not None, summary
        assert sorted(part.rsplit(" ", 1)[0] for part in line[1].split(", ")) == named


def test_the_foreign_currency_invoice_is_noted_not_converted(demo):
    from pmosync.demo.costs import FOREIGN_CURRENCY, cost_rows

    org, _ = _world_now(2)
    [foreign] = [c for c in cost_rows(org, demo_world.SEED) if c.currency == FOREIGN_CURRENCY]
    notes = _sheet(demo["folder"], "Earned value")[foreign.project]["Notes"]
    assert "1 cost entry in USD (1250.00) not converted to EUR" in notes, notes


def test_the_late_project_is_red_past_its_baseline_finish(demo):
    """The demo's late project (open work months after its planned finish, re-planned by its
    manager in the week of work) is red for being past its baseline finish, though its team
    re-dated the open tasks into the coming weeks: the first sync's baseline still sees it."""
    summary = _ok(demo["second"])
    org, _ = _world_now(2)
    late = demo_world.late_project(org)
    assert late is not None and late.due_on is not None
    open_tasks = [t for t in org.tasks.values() if t.project_gid == late.gid and not t.completed]
    assert open_tasks and all(t.due_on >= org.today for t in open_tasks if t.due_on)
    row = _sheet(demo["folder"], "Projects")[late.name]
    assert row["Computed RAG"] == "red", row
    assert f"past its baseline finish ({late.due_on.isoformat()})" in row["Why (computed)"], row
    assert re.search(rf"^  RED   {re.escape(late.name)}\b.*past its baseline finish", summary, re.M)


def test_planner_plans_take_their_rag_from_the_pmo_health_list(demo):
    """Planner has no status updates: the demo reads the PMO site's "Project health" list as
    the plans' status, so a plan reports a RAG and is never amber for lacking an update."""
    _, tenant = _world_now(1)
    rows = _sheet(demo["folder"], "Projects")
    plans = [rows[plan.title] for plan in tenant.plans.values()]
    assert len(plans) == 4
    assert sum(row["Reported RAG"] in ("green", "amber", "red") for row in plans) >= 3, plans
    assert not any("no status update" in (row["Why (computed)"] or "") for row in plans), plans


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
        # the "Project requests" list is read in full on every sync (a list has no change
        # marker for all its items), and each table of the two premium plans fits one page,
        # so their full read already costs one request a table, and a delta read as many plus
        # the lookups its changes need (that it reads only the week's rows is the premium test
        # below): the incremental connectors' requests are the rest
        with store.engine.connect() as connection:
            per_run = select(run_streams.c.run_id, func.sum(run_streams.c.requests))
            full = dict(
                connection.execute(
                    per_run.where(run_streams.c.connector == "requests").group_by(
                        run_streams.c.run_id
                    )
                ).all()
            )
            premium = dict(
                connection.execute(
                    per_run.where(run_streams.c.connector == PREMIUM_CONNECTOR).group_by(
                        run_streams.c.run_id
                    )
                ).all()
            )
        assert full.get(first["id"]) and full.get(first["id"]) == full.get(second["id"])
        assert premium.get(first["id"]) and premium.get(second["id"]), premium
        made = [run["requests"] - full[run["id"]] - premium[run["id"]] for run in (first, second)]
        assert made[1] < made[0] / 2, made
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


def test_premium_plans_are_in_every_report_that_lists_projects(demo):
    """The two premium plans of the Dataverse sandbox, named as the second run's world names
    them, are in the portfolio, governance and board pages (the other reports list people,
    RAID items or requests), and the summary counts them."""
    _ok(demo["second"])
    names = _premium_names(_premium_now(2))
    assert len(names) == 2
    for report in ("portfolio", "governance", "board"):
        [page] = demo["folder"].glob(f"out/{report}-*/{report}-*.html")
        parser = _Text()
        parser.feed(page.read_text(encoding="utf-8"))
        for name in names:
            assert name in parser.text, (report, name)
    listed = ", ".join(sorted(names))
    assert f"2 Planner premium plans ({listed})" in demo["second"].stdout


def test_the_second_run_reads_the_premium_plans_week_of_work_by_delta(demo):
    """The rebuilt world reaches the versions the first run's delta links name, so the second
    sync reads only the week's changes (a full re-read would see all 80 tasks), and the store
    then holds the second run's tasks exactly (ground truth: the rebuilt environment)."""
    _ok(demo["second"])
    environment = _premium_now(2)
    tasks = {row["msdyn_projecttaskid"]: row["msdyn_subject"]
             for row in environment.table_rows("msdyn_projecttask")}  # fmt: skip
    week = churn(_premium_now(1), 2, demo_world.CHURN_FRACTION)
    store = Store.open("sqlite:///pmosync.db", base_dir=demo["folder"], schema="require")
    try:
        second, _ = store.ledger.recent_runs(limit=10, kind="sync")
        with store.engine.connect() as connection:
            counts = connection.execute(
                select(run_streams).where(
                    run_streams.c.run_id == second["id"],
                    run_streams.c.connector == PREMIUM_CONNECTOR,
                    run_streams.c.stream == "tasks",
                )
            ).one()
            stored = dict(
                connection.exec_driver_sql(
                    "SELECT source_id, name FROM task WHERE source = ? AND deleted_at IS NULL",
                    (PREMIUM_CONNECTOR,),
                ).all()
            )
    finally:
        store.close()
    seen = counts.inserted + counts.updated + counts.deleted + counts.unchanged
    assert len(week.tasks_touched) <= seen < len(tasks) / 2, (seen, len(tasks))
    assert stored == tasks


def test_a_production_state_folder_in_the_environment_gets_nothing_from_the_demo(demo):
    _ok(demo["second"])
    assert list(demo["production_state"].iterdir()) == []
    assert (demo["folder"] / "pmosync.db").is_file()


def test_the_written_configuration_is_valid_and_holds_no_token(demo):
    folder = demo["folder"]
    text = (folder / "pmosync.yaml").read_text(encoding="utf-8")
    assert demo_world.ASANA_TOKEN not in text and demo_world.GRAPH_TOKEN not in text
    assert demo_world.DATAVERSE_TOKEN not in text
    assert demo_world.DATAVERSE_TOKEN in (folder / ".env").read_text(encoding="utf-8")
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
