"""Write-back as an operator runs it: ``pmosync writeback plan`` and ``apply``, ``pmosync run``,
``pmosync check``, the daemon and a Temporal worker, each the real command in a subprocess
against the Asana sandbox, into a SQLite store.

Ground truth is the sandbox's own organisation (the field values and status updates it holds
after the writes, and the requests it served) and the portfolio report's own JSON document
(the computed RAG it shows per project), never the write-back code's output alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asana_env import SOURCE, write_config
from cli import run_pmosync
from sqlalchemy import select
from temporal_env import Workers, temporal_block, temporal_server, unique_queue
from test_daemon import Daemon, read

from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.org.writes import add_custom_field
from pmosync.store.schema import runs

PMO_RAG = "PMO RAG"
OPTIONS = ("Green", "Amber", "Red", "On hold", "Complete")
__all__ = ["temporal_server"]  # the module fixture, imported for pytest

STATUS_TYPES = {
    "Green": "on_track",
    "Amber": "at_risk",
    "Red": "off_track",
    "On hold": "on_hold",
    "Complete": "complete",
}  # the config's ASANA_STATUS_TYPES, by the words the status update's value carries


def _writeback(schedule: str | None = None, deliver: Path | None = None) -> str:
    """The report and the connector's writeback block (status updates and the PMO RAG)."""
    lines = [
        "    writeback:",
        "      report: portfolio",
        "      status_updates: {period: week, post: on_change}",
        f"      rag_field: {{field: {PMO_RAG}}}",
        "reports:",
        "  portfolio:",
        "    kind: portfolio_status",
        "    formats: [json]",
    ]
    if schedule:
        lines.append(f"    schedule: '{schedule}'")
    if deliver:
        lines += ["    deliver:", f"      - folder: {{path: {deliver}}}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def sandbox():
    org = generate_org(seed=3, size="S")
    add_custom_field(org, PMO_RAG, "enum", options=OPTIONS, projects=sorted(org.projects))
    with AsanaSandbox(org) as running:
        yield running


def _env(sandbox: AsanaSandbox, token: str | None = None) -> dict[str, str]:
    return {"ASANA_TOKEN": token or sandbox.token}


def _ok(result) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def _writes(sandbox: AsanaSandbox) -> list[tuple[str, str]]:
    """The write requests the sandbox served (method, path); a batch's envelope is not one
    (the sandbox records each action inside it as a request of its own)."""
    return [
        (m, p)
        for m, p, _, _ in sandbox.requests
        if m not in ("GET", "HEAD") and not p.endswith("/batch")
    ]


def _pmo_rag(sandbox: AsanaSandbox) -> dict[str, str | None]:
    """Each project's PMO RAG option name, as the sandbox holds it."""
    org = sandbox.org
    field = org.field_named(PMO_RAG)
    return {
        gid: (option.name if (option := field.option(p.custom.get(field.gid))) else None)
        for gid, p in org.projects.items()
        if field.gid in p.custom
    }


def _computed(delivered: Path) -> dict[str, str]:
    """Project name -> the computed RAG the delivered portfolio report shows."""
    [file] = delivered.glob("*.json")
    document = json.loads(file.read_text("utf-8"))
    [projects] = [s for s in document["sections"] if s["key"] == "projects"]
    return {row["project"]: row["computed_rag"] for row in projects["rows"]}


def test_plan_shows_what_apply_writes_and_a_second_apply_writes_nothing(tmp_path, sandbox):
    deliver = tmp_path / "delivered"
    config, _ = write_config(tmp_path, sandbox, extra=_writeback(deliver=deliver))
    env = _env(sandbox)
    _ok(run_pmosync("sync", "-c", config, env=env))
    _ok(run_pmosync("report", "portfolio", "-c", config, env=env))
    before = _pmo_rag(sandbox)
    updates_before = set(sandbox.org.status_updates)

    sandbox.reset_stats()
    planned = json.loads(_ok(run_pmosync("writeback", "plan", "-c", config, "--json", env=env)))
    assert _writes(sandbox) == []  # planning reads the tool, never writes
    assert _pmo_rag(sandbox) == before and set(sandbox.org.status_updates) == updates_before
    changes = planned["changes"]
    assert planned["applied"] is False and planned["run_id"] is None
    fields = {c["field"] for c in changes}
    assert fields == {"status_update", "rag_field"}, fields
    assert {c["action"] for c in changes} == {"write"}  # nothing was written before
    text = _ok(run_pmosync("writeback", "plan", "-c", config, env=env))
    assert f'{SOURCE}  project "' in text and "+ new post" in text and PMO_RAG in text
    assert "plan only: nothing was written" in text

    applied = json.loads(_ok(run_pmosync("writeback", "apply", "-c", config, "--json", env=env)))
    assert applied["applied"] is True and applied["status"] == "succeeded"
    assert applied["changes"] == changes  # apply did exactly what plan showed
    # The sandbox now holds, for each project, the value plan said: one new status update of
    # the matching type, and the PMO RAG option, equal to the report's computed RAG.
    rag_words = {
        "green": "Green",
        "amber": "Amber",
        "red": "Red",
        "blue": "On hold",
        "complete": "Complete",
    }
    computed = _computed(deliver)
    names = {gid: p.name for gid, p in sandbox.org.projects.items()}
    after = _pmo_rag(sandbox)
    for change in changes:
        if change["field"] == "rag_field":
            assert after[change["item_id"]] == change["value"]
            assert change["value"] == rag_words[computed[names[change["item_id"]]]]
    new_updates = [u for gid, u in sandbox.org.status_updates.items() if gid not in updates_before]
    posted = {c["item_id"]: c["value"] for c in changes if c["field"] == "status_update"}
    assert sorted(u.project_gid for u in new_updates) == sorted(posted)
    for update in new_updates:
        assert update.status_type == STATUS_TYPES[posted[update.project_gid]]
        assert update.text.rstrip().endswith("]") and "[pmosync " in update.text  # its mark

    sandbox.reset_stats()
    again = json.loads(_ok(run_pmosync("writeback", "apply", "-c", config, "--json", env=env)))
    assert _writes(sandbox) == []
    assert again["changes"] == []
    assert again["status"] == "succeeded"
    text = _ok(run_pmosync("writeback", "plan", "-c", config, env=env))
    assert "nothing to write" in text


def test_a_human_edit_of_an_owned_value_is_a_conflict_left_alone(tmp_path, sandbox):
    config, _ = write_config(tmp_path, sandbox, extra=_writeback())
    env = _env(sandbox)
    _ok(run_pmosync("sync", "-c", config, env=env))
    _ok(run_pmosync("writeback", "apply", "-c", config, env=env))
    org = sandbox.org
    field = org.field_named(PMO_RAG)
    written = _pmo_rag(sandbox)
    red = sorted(gid for gid, name in written.items() if name == "Red")
    assert len(red) >= 2, written
    touched, untouched = red[0], red[1:]
    green = next(o for o in field.options if o.name == "Green")
    with org.lock:  # a project manager picks another option by hand
        org.projects[touched].custom[field.gid] = green.gid
    # The PMO now writes red as "Amber": pmosync wants to change every red project's value,
    # reads what each shows, and finds the one a person changed.
    text = config.read_text("utf-8").replace(
        f"rag_field: {{field: {PMO_RAG}}}",
        f"rag_field: {{field: {PMO_RAG}, options: {{red: Amber}}}}",
    )
    config.write_text(text, "utf-8")
    planned = json.loads(_ok(run_pmosync("writeback", "plan", "-c", config, "--json", env=env)))
    by_item = {c["item_id"]: c for c in planned["changes"] if c["field"] == "rag_field"}
    assert by_item[touched]["action"] == "conflict"
    assert by_item[touched]["current"] == "Green" and by_item[touched]["before"] == "Red"
    assert all(by_item[gid]["action"] == "write" for gid in untouched)
    sandbox.reset_stats()
    result = run_pmosync("writeback", "apply", "-c", config, env=env)
    assert result.returncode == 0, result.stderr  # a conflict is reported, not a failure
    [line] = [line for line in result.stdout.splitlines() if line.startswith("! ")]
    assert "conflict" in line and "'Green'" in line and "left alone" in line
    after = _pmo_rag(sandbox)
    assert after[touched] == "Green"  # left alone
    assert all(after[gid] == "Amber" for gid in untouched)
    assert sorted(p for _, p in _writes(sandbox)) == sorted(
        f"/api/1.0/projects/{gid}" for gid in untouched
    )


def test_pmosync_run_writes_back_after_the_due_report(tmp_path, sandbox):
    config, _ = write_config(tmp_path, sandbox, extra=_writeback(schedule="0 7 * * *"))
    result = run_pmosync("run", "-c", config, env=_env(sandbox))
    out = _ok(result)
    assert "reports due: portfolio" in out
    assert "write-back after report portfolio: succeeded" in out
    assert f"  {SOURCE}: " in out and " written" in out
    rows = read(f"sqlite:///{tmp_path / 'pmosync.db'}", select(runs).order_by(runs.c.started_at))
    [report] = [r for r in rows if r.kind == "report"]
    [writeback] = [r for r in rows if r.kind == "writeback"]
    assert report.status == writeback.status == "succeeded"
    assert writeback.started_at >= report.ended_at
    written = _pmo_rag(sandbox)
    assert written and all(v in OPTIONS for v in written.values() if v is not None)
    assert any(u.text and "[pmosync " in u.text for u in sandbox.org.status_updates.values())
    # The report is not due again: nothing more runs, nothing more is written.
    sandbox.reset_stats()
    again = _ok(run_pmosync("run", "-c", config, env=_env(sandbox)))
    assert "no report was due" in again and "write-back" not in again
    assert _writes(sandbox) == []


def test_check_names_a_missing_write_permission(tmp_path, sandbox):
    from pmosync.sandbox.asana.auth import SCOPES

    reads = {scope for scope in SCOPES.values() if scope.endswith(":read")}
    sandbox.add_token("read-only-token", scopes=reads)
    values, updates = _pmo_rag(sandbox), set(sandbox.org.status_updates)
    config, _ = write_config(tmp_path, sandbox, extra=_writeback())
    refused = run_pmosync("check", "-c", config, env=_env(sandbox, "read-only-token"))
    assert refused.returncode == 1, (refused.stdout, refused.stderr)
    assert "Traceback" not in refused.stdout + refused.stderr
    lines = [line for line in refused.stderr.splitlines() if "write-back" in line]
    assert lines and all(line.startswith(f"  {SOURCE}: error: write-back: ") for line in lines)
    assert any("projects" in line for line in lines), lines
    assert "read-only-token" not in refused.stdout + refused.stderr
    permitted = run_pmosync("check", "-c", config, env=_env(sandbox))
    assert permitted.returncode == 0, (permitted.stdout, permitted.stderr)
    assert f"  {SOURCE}: ok: write-back: status updates, the RAG field permitted" in (
        permitted.stdout
    )
    # Probing changes nothing (its PUTs carry no field: Asana answers them, or refuses them
    # for want of the scope, without changing the project).
    assert _pmo_rag(sandbox) == values and set(sandbox.org.status_updates) == updates
    assert all(m == "PUT" for m, _ in _writes(sandbox)), _writes(sandbox)


def test_unknown_or_unconfigured_connectors_are_one_line_usage_errors(tmp_path, sandbox):
    config, _ = write_config(tmp_path, sandbox, extra=_writeback())
    env = _env(sandbox)
    unknown = run_pmosync("writeback", "plan", "-c", config, "--connector", "asana-eg", env=env)
    assert unknown.returncode == 2 and "no connector named 'asana-eg'" in unknown.stderr
    (tmp_path / "bare").mkdir()
    bare, _ = write_config(tmp_path / "bare", sandbox)
    none = run_pmosync("writeback", "apply", "-c", bare, env=env)
    assert none.returncode == 2
    assert "no connector has a writeback block" in none.stderr
    assert len(none.stderr.strip().splitlines()) == 1


def test_the_daemon_writes_back_after_a_report_tick(tmp_path, sandbox, monkeypatch):
    monkeypatch.setenv("ASANA_TOKEN", sandbox.token)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    extra = _writeback(schedule="*/4 * * * * *") + "sync:\n  schedule: '*/2 * * * * *'\n"
    config, _ = write_config(tmp_path, sandbox, extra=extra, store=f"'{store}'")
    daemon = Daemon(config)
    try:
        found = daemon.wait_for(r"write-back run (\S+) succeeded", timeout=90)
    finally:
        daemon.stop()
    rows = read(store, select(runs).order_by(runs.c.started_at))
    [run] = [r for r in rows if r.id == found.group(1)]
    assert run.kind == "writeback"
    # It followed a report run that succeeded, which itself ran on a finished sync.
    earlier = [
        r for r in rows if r.kind == "report" and r.ended_at and r.ended_at <= run.started_at
    ]
    assert earlier and earlier[-1].status == "succeeded"
    assert any(f"write-back {SOURCE} (report portfolio)" in line for line in daemon.lines)
    assert not any("Traceback" in line for line in daemon.lines)
    written = _pmo_rag(sandbox)
    assert any(v is not None for v in written.values())


def test_the_temporal_report_workflow_writes_back_after_its_report(
    tmp_path, temporal_server, sandbox
):
    """The report workflow, started as a schedule would start it, on a real worker: after its
    report activity, the write-back activity writes into the sandbox, and the workflow's
    result carries what it wrote."""
    import asyncio
    import uuid
    from datetime import date, timedelta

    from temporalio.client import Client

    from pmosync.orchestration.temporal.requests import ReportRequest, ReportSummary

    env = _env(sandbox)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    local, _ = write_config(tmp_path, sandbox, extra=_writeback(), store=store)
    _ok(run_pmosync("sync", "-c", local, env=env))
    queue = unique_queue()
    (tmp_path / "cluster").mkdir()
    config, _ = write_config(
        tmp_path / "cluster",
        sandbox,
        extra=_writeback() + temporal_block(temporal_server, queue),
        store=store,
    )
    workers = Workers(config, tmp_path, env)
    workers.start()

    async def report() -> ReportSummary:
        client = await Client.connect(temporal_server.address)
        return await client.execute_workflow(
            "pmosync.Report",
            ReportRequest("portfolio", 1, date.today().isoformat()),
            id=f"test-report-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
            result_type=ReportSummary,
            execution_timeout=timedelta(minutes=3),
        )

    try:
        summary = asyncio.run(report())
    finally:
        workers.stop()
    assert "Traceback" not in workers.log(0), workers.log(0)
    assert summary.status == "succeeded"
    written = summary.writeback
    assert written is not None and written.status == "succeeded", written
    counts = written.connectors[SOURCE]
    values = _pmo_rag(sandbox)
    assert counts["write"] == 2 * sum(1 for v in values.values() if v is not None)
    posted = [u for u in sandbox.org.status_updates.values() if "[pmosync " in (u.text or "")]
    assert len(posted) == counts["write"] // 2
    rows = read(store, select(runs).order_by(runs.c.started_at))
    [writeback] = [r for r in rows if r.kind == "writeback"]
    assert writeback.id == written.run_id and writeback.status == "succeeded"
