"""Report runs through the real command: files kept, figures frozen, re-rendered exactly, trends
from history, deliveries once per report date, and one-line usage errors.

The store is filled by hand with a two-project organisation whose figures are worked out below;
the Asana test takes its ground truth from the sandbox's own organisation.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cli import assert_one_clean_line, run_pmosync
from sqlalchemy import select

from pmosync.canonical import PersonIdentity, Project, StatusUpdate, Task, TimeEntry
from pmosync.store import Store
from pmosync.store.schema import report_deliveries, report_snapshots, runs

TOOL = "tool-a"
AS_OF = "2026-11-23"  # a Monday
FILLED_AT = datetime(2026, 11, 1, tzinfo=UTC)
"""When the store learnt of the organisation: a report as of a later day reconstructs it."""


def _fill(url: str) -> None:
    """Website: one 10 h task planned 2026-11-02..11 and done (PV = EV = 10 h of a 10 h BAC, no
    slip), 600 minutes logged (AC 10 h, CPI 1.0), but its "Launch" milestone was due 2026-11-20
    and is open: one overdue milestone => computed amber, while its owner reported green.
    Archive move is on hold => computed blue."""
    website = Project.ref(TOOL, "web")
    with Store.open(url) as store, store.writer() as writer:
        writer.now = FILLED_AT  # so the store's history covers the report dates below
        writer.upsert(
            [
                Project(
                    source=TOOL, source_id="web", name="Website", source_url="https://a.example/web"
                ),
                Project(source=TOOL, source_id="arc", name="Archive move", status="on_hold"),
                PersonIdentity(source=TOOL, source_id="u1", name="Ann", email="ann@x.example"),
                Task(
                    source=TOOL,
                    source_id="t1",
                    project_id=website,
                    name="Build",
                    status="done",
                    start_date=date(2026, 11, 2),
                    due_date=date(2026, 11, 11),
                    completed_at=datetime(2026, 11, 11, 15, tzinfo=UTC),
                    estimate_hours=10,
                ),
                Task(
                    source=TOOL,
                    source_id="m1",
                    project_id=website,
                    name="Launch",
                    is_milestone=True,
                    due_date=date(2026, 11, 20),
                ),
                TimeEntry(
                    source=TOOL,
                    source_id="e1",
                    identity_id=PersonIdentity.ref(TOOL, "u1"),
                    project_id=website,
                    entry_date=date(2026, 11, 10),
                    minutes=600,
                ),
                StatusUpdate(
                    source=TOOL,
                    source_id="s1",
                    project_id=website,
                    posted_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
                    rag="green",
                ),
            ]
        )


def _config(tmp_path: Path, url: str, deliver: str = "") -> Path:
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: {url}\n"
        "output_dir: out\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    formats: [html, json]\n" + deliver,
        encoding="utf-8",
    )
    return path


def _json_file(result) -> dict:
    kept = [line.split("kept ", 1)[1] for line in result.stdout.splitlines() if "kept " in line]
    return json.loads(Path(next(p for p in kept if p.endswith(".json"))).read_text("utf-8"))


def _figures(document: dict) -> dict:
    return {f["key"]: f["value"] for f in document["figures"]}


def _projects(document: dict) -> dict:
    section = next(s for s in document["sections"] if s["key"] == "projects")
    return {row["project"]: row for row in section["rows"]}


def test_a_run_keeps_its_files_freezes_its_figures_and_re_renders_them_exactly(tmp_path, store_url):
    _fill(store_url)
    config = _config(tmp_path, store_url)

    first = run_pmosync("report", "weekly", "-c", config, "--as-of", AS_OF, "--no-deliver")
    assert first.returncode == 0, first.stderr
    assert f"report weekly as of {AS_OF}: succeeded" in first.stdout
    folder = tmp_path / "out" / f"weekly-{AS_OF}"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"weekly-{AS_OF}.html",
        f"weekly-{AS_OF}.json",
    ]
    document = _json_file(first)
    assert _figures(document)["projects"] == 2
    projects = _projects(document)
    assert projects["Website"]["computed_rag"] == "amber"
    assert projects["Website"]["reported_rag"] == "green" and projects["Website"]["disagrees"]
    assert projects["Website"]["overdue_milestones"] == 1
    assert projects["Archive move"]["computed_rag"] == "blue"

    with Store.open(store_url) as store:
        with store.engine.connect() as connection:
            run = connection.execute(select(runs).where(runs.c.kind == "report")).one()
            frozen = connection.execute(select(report_snapshots)).one()
        assert (run.job, run.status, frozen.run_id) == ("weekly", "succeeded", run.id)
        # The data moves on after the run...
        store.upsert([Project(source=TOOL, source_id="new", name="Newcomer")])
    html_then = (folder / f"weekly-{AS_OF}.html").read_text("utf-8")
    for kept in folder.iterdir():
        kept.unlink()

    # ...but the run re-renders exactly as it was: nothing recomputed.
    again = run_pmosync("report", "weekly", "-c", config, "--snapshot", run.id[:8])
    assert again.returncode == 0, again.stderr
    assert _json_file(again) == document
    assert (folder / f"weekly-{AS_OF}.html").read_text("utf-8") == html_then

    history = run_pmosync("report", "history", "weekly", "-c", config, "--format", "json")
    assert [(r["run_id"], r["as_of"], r["status"]) for r in json.loads(history.stdout)] == [
        (run.id, AS_OF, "succeeded")
    ]


def test_format_json_prints_the_report_document_on_stdout(tmp_path, sqlite_url):
    _fill(sqlite_url)
    config = _config(tmp_path, sqlite_url)  # the report's formats: html and json files
    args = ("report", "weekly", "-c", config, "--as-of", AS_OF, "--no-deliver")
    done = run_pmosync(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    # stdout is the document and nothing else; the run's lines are on stderr
    printed = json.loads(done.stdout)
    assert (printed["report"], printed["as_of"]) == ("weekly", AS_OF)
    assert f"report weekly as of {AS_OF}: succeeded" in done.stderr
    folder = tmp_path / "out" / f"weekly-{AS_OF}"
    kept = json.loads((folder / f"weekly-{AS_OF}.json").read_text("utf-8"))
    assert printed == kept  # the frozen figures, exactly as the JSON file holds them
    assert sorted(p.name for p in folder.iterdir()) == [  # --format did not change the files
        f"weekly-{AS_OF}.html",
        f"weekly-{AS_OF}.json",
    ]
    # Website (by hand, see _fill): 1 of 1 work task done -> 100 % by count
    assert _projects(printed)["Website"]["pct_complete_count"] == 100.0
    with Store.open(sqlite_url) as store, store.engine.connect() as connection:
        run_id = connection.execute(select(report_snapshots.c.run_id)).scalar_one()
    again = run_pmosync("report", "weekly", "-c", config, "--snapshot", run_id, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == kept
    assert "re-rendered from run" in again.stderr


def test_trend_charts_come_from_earlier_runs(tmp_path, sqlite_url):
    _fill(sqlite_url)
    config = _config(tmp_path, sqlite_url)
    for as_of in ("2026-11-16", AS_OF):
        done = run_pmosync("report", "weekly", "-c", config, "--as-of", as_of, "--no-deliver")
        assert done.returncode == 0, done.stderr
    document = _json_file(done)
    history = next(c for c in document["charts"] if c["key"] == "rag_history")
    assert list(history["x"]) == ["2026-11-16", AS_OF]


def test_a_report_date_goes_to_each_target_once(tmp_path, sqlite_url):
    _fill(sqlite_url)
    deliver = "    deliver:\n      - folder: {path: 'shared/{report}/{week}'}\n"
    config = _config(tmp_path, sqlite_url, deliver)

    first = run_pmosync("report", "weekly", "-c", config, "--as-of", AS_OF)
    assert first.returncode == 0, first.stderr
    week_folder = tmp_path / "shared" / "weekly" / "2026-W48"  # 2026-11-23 is in ISO week 48
    assert sorted(p.name for p in week_folder.iterdir()) == [
        f"weekly-{AS_OF}.html",
        f"weekly-{AS_OF}.json",
    ]
    assert "delivered folder" in first.stdout

    again = run_pmosync("report", "weekly", "-c", config, "--as-of", AS_OF)
    assert again.returncode == 0, again.stderr
    assert "already delivered" in again.stdout and "  delivered" not in again.stdout

    later = run_pmosync("report", "weekly", "-c", config, "--as-of", "2026-11-30")
    assert later.returncode == 0 and "  delivered" in later.stdout
    with Store.open(sqlite_url) as store, store.engine.connect() as connection:
        rows = connection.execute(select(report_deliveries).order_by("period")).all()
    assert [(r.period, r.status, r.attempts) for r in rows] == [
        (AS_OF, "delivered", 1),
        ("2026-11-30", "delivered", 1),
    ]


def test_report_list_shows_each_job_and_its_last_run(tmp_path, sqlite_url):
    _fill(sqlite_url)
    config = _config(tmp_path, sqlite_url)
    before = json.loads(run_pmosync("report", "list", "-c", config, "--format", "json").stdout)
    assert [(r["name"], r["kind"], r["last_status"]) for r in before] == [
        ("weekly", "portfolio_status", None)
    ]
    run_pmosync("report", "weekly", "-c", config, "--as-of", AS_OF, "--no-deliver")
    after = json.loads(run_pmosync("report", "list", "-c", config, "--format", "json").stdout)
    assert after[0]["last_status"] == "succeeded"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("report", "weekyl"), "no report named 'weekyl'"),
        (("report", "weekly", "--as-of", "23/11/2026"), "--as-of '23/11/2026' is not a date"),
        (("report", "history"), "report history needs a report name"),
        (("report", "weekly", "--snapshot", "feedface"), "no report run with an id starting"),
    ],
)
def test_usage_errors_are_one_line(tmp_path, sqlite_url, args, expected):
    config = _config(tmp_path, sqlite_url)
    line = assert_one_clean_line(run_pmosync(*args, "-c", config), 2)
    assert expected in line


def test_a_portfolio_report_of_a_synced_asana_sandbox_matches_the_sandbox(tmp_path):
    """Ground truth from the sandbox's organisation: every project is in the report, and each
    one's reported RAG is the status type of its latest status update on or before the date."""
    from asana_env import RAG_OF_STATUS, write_config

    from pmosync.sandbox.asana import AsanaSandbox
    from pmosync.sandbox.org import generate_org

    with AsanaSandbox(generate_org(seed=3, size="XS")) as sandbox:
        org = sandbox.org
        extra = "reports:\n  weekly: {kind: portfolio_status, formats: [json]}\n"
        path, _ = write_config(tmp_path, sandbox, extra=extra)
        env = {"ASANA_TOKEN": sandbox.token}
        synced = run_pmosync("sync", "-c", path, env=env)
        assert synced.returncode == 0, synced.stderr
        as_of = org.today.isoformat()
        result = run_pmosync("report", "weekly", "-c", path, "--as-of", as_of, env=env)
    assert result.returncode == 0, result.stderr
    projects = _projects(_json_file(result))
    assert set(projects) == {p.name for p in org.projects.values()}
    checked = 0
    for project in org.projects.values():
        updates = [
            u
            for u in org.status_updates.values()
            if u.project_gid == project.gid and u.created_at.date() <= org.today
        ]
        if updates:
            latest = max(updates, key=lambda u: u.created_at)
            assert projects[project.name]["reported_rag"] == RAG_OF_STATUS[latest.status_type]
            checked += 1
    assert checked >= 2


class _Inbox:
    """A plain SMTP sink (aiosmtpd) keeping each message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        import email
        import email.policy

        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(parsed)
        return "250 OK"


def test_a_refused_mail_server_keeps_the_report_and_the_next_run_sends_it(tmp_path, sqlite_url):
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens there yet
    _fill(sqlite_url)
    path = _config(tmp_path, sqlite_url, "    deliver:\n      - email: {to: [pmo@x.example]}\n")
    path.write_text(
        path.read_text("utf-8")
        + f"smtp: {{host: 127.0.0.1, port: {port}, security: none, from: pmo@x.example}}\n",
        encoding="utf-8",
    )

    refused = run_pmosync("report", "weekly", "-c", path, "--as-of", "2026-11-16")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "FAILED email to pmo@x.example" in refused.stderr
    assert f"127.0.0.1:{port}" in refused.stderr  # the failure names the server
    assert (tmp_path / "out" / "weekly-2026-11-16" / "weekly-2026-11-16.html").is_file()

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        later = run_pmosync("report", "weekly", "-c", path, "--as-of", AS_OF)
    finally:
        controller.stop()
    assert later.returncode == 0, later.stderr
    # This week's report, and last week's that failed, each sent once.
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == ["weekly — 2026-11-16", f"weekly — {AS_OF}"]
    for message in inbox.messages:
        # The real renderer's HTML with its charts as cid: images, inside multipart/related.
        [related] = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
        html = related.get_body(("html",)).get_content()
        images = [p for p in related.iter_parts() if p.get_content_maintype() == "image"]
        assert images and all(p.get_content().startswith(b"\x89PNG") for p in images)
        assert all(f"cid:{p['Content-ID'].strip('<>')}" in html for p in images)
        assert "Website" in html


def test_an_output_folder_that_cannot_be_written_is_one_line(tmp_path, sqlite_url):
    _fill(sqlite_url)
    config = _config(tmp_path, sqlite_url)
    (tmp_path / "out").write_text("a file where the output folder should be", encoding="utf-8")
    result = run_pmosync("report", "weekly", "-c", config, "--as-of", AS_OF, "--no-deliver")
    line = assert_one_clean_line(result, 1)
    assert line.strip().startswith("cannot keep the report's files in ") and "weekly" in line
    with Store.open(sqlite_url) as store, store.engine.connect() as connection:
        run = connection.execute(select(runs).where(runs.c.kind == "report")).one()
    assert run.status == "failed" and run.error == line.strip()
