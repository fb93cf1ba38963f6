"""Each report period goes to each target once: the ``report_deliveries`` records, reruns,
retries of earlier periods, and the folder target (local files, atomic writes).

Teams posts are counted through ``responses``; folder writes are read back from disk. Runs are
real calls against a real store (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from sqlalchemy import select, update

from pmosync.config import load_config
from pmosync.reports.delivery import RETRY_LIMIT, deliver_report, retry_failed
from pmosync.reports.document import Figure, RenderedFile, ReportDocument
from pmosync.reports.snapshots import save_snapshot
from pmosync.store import Store
from pmosync.store.schema import report_deliveries

HOOK = "https://prod-07.northeurope.logic.azure.com/workflows/f00d/triggers/manual/paths/invoke"
SIG = "c2lnbmF0dXJlLW9uZS0xMjM0NTY3OA"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _document(as_of: str) -> ReportDocument:
    return ReportDocument(
        report="weekly",
        kind="portfolio_status",
        title="Weekly portfolio",
        as_of=as_of,
        generated_at=f"{as_of}T07:00:00+00:00",
        figures=(Figure("projects", "Projects", 4),),
    )


def _files(document: ReportDocument) -> list[RenderedFile]:
    stem, day = f"weekly-{document.as_of}", document.as_of
    return [
        RenderedFile(f"{stem}.html", f"<p>{day}</p>".encode(), "text/html"),
        RenderedFile(f"{stem}.xlsx", b"PK\x03\x04" + day.encode(), XLSX),
    ]


def _render(document: ReportDocument):
    return _files(document), None


def _config(tmp_path: Path, folder: str = "out/{report}/{date}", sig: str = SIG, teams=True):
    deliver = f'  - folder: {{path: "{folder}"}}\n'
    if teams:
        deliver += '  - teams: {webhook_url: "${TEAMS_WEBHOOK_URL}"}\n'
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            reports:
              weekly:
                kind: portfolio_status
                title: Weekly portfolio
                deliver:
            """
        )
        + textwrap.indent(deliver, "    "),
        encoding="utf-8",
    )
    return load_config(path, environ={"TEAMS_WEBHOOK_URL": f"{HOOK}?sv=1.0&sig={sig}"})


def _run(config, store: Store, as_of: str, run_id: str):
    document = _document(as_of)
    save_snapshot(store, run_id, document)
    return deliver_report(config, store, "weekly", run_id, document, _files(document), None)


def _rows(store: Store) -> dict[tuple[str, str], dict]:
    """(period, kind of target from its label) -> row."""
    with store.engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(select(report_deliveries))]
    return {(r["period"], r["label"].split()[0].lower()): r for r in rows}


def _statuses(outcomes) -> list[tuple[str, str]]:
    return [(o.kind, o.status) for o in outcomes]


def _posts(webhook: responses.RequestsMock) -> list[str]:
    """The report date of every card the webhook received."""
    return [
        json.loads(c.request.body)["attachments"][0]["content"]["body"][1]["text"]
        for c in webhook.calls
    ]


@pytest.fixture
def store(store_url) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened


@pytest.fixture
def webhook() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, f"{HOOK}?sv=1.0&sig={SIG}", status=202)
        mock.add(responses.POST, f"{HOOK}?sv=1.0&sig=rotated-signature-9876", status=202)
        yield mock


# -- the folder target ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # 2026-03-04 is a Wednesday of ISO week 10 (week 1 of 2026 starts Mon 2025-12-29).
        ("2026-03-04", "out/portfolio_status/weekly/2026/03/04/2026-W10/2026-03-04"),
        # 2027-01-01 is a Friday in the last ISO week of 2026 (53 weeks: 2026 starts on a
        # Thursday), so {week} keeps its own ISO year while {year} is the calendar's.
        ("2027-01-01", "out/portfolio_status/weekly/2027/01/01/2026-W53/2027-01-01"),
    ],
)
def test_folder_target_fills_the_template_from_the_report_date(
    tmp_path, sqlite_url, as_of, expected
):
    config = _config(
        tmp_path, "out/{kind}/{report}/{year}/{month}/{day}/{week}/{date}", teams=False
    )
    with Store.open(sqlite_url) as store:
        [outcome] = _run(config, store, as_of, "run-1")
    folder = tmp_path / expected  # relative paths start at the config file's folder
    assert (outcome.kind, outcome.status, outcome.location) == ("folder", "delivered", str(folder))
    assert sorted(p.name for p in folder.iterdir()) == [
        f"weekly-{as_of}.html",
        f"weekly-{as_of}.xlsx",
    ]
    assert (folder / f"weekly-{as_of}.xlsx").read_bytes() == b"PK\x03\x04" + as_of.encode()


def test_an_unwritable_folder_fails_alone_and_is_repaired_by_the_next_run(tmp_path, store, webhook):
    (tmp_path / "blocked").write_text("a file where the folder should be")
    config = _config(tmp_path, "blocked/{date}")
    outcomes = _run(config, store, "2026-03-02", "run-1")
    assert _statuses(outcomes) == [("folder", "failed"), ("teams", "delivered")]
    assert outcomes[0].error.startswith(f"cannot write to {tmp_path / 'blocked'}")
    (tmp_path / "blocked").unlink()
    again = _run(config, store, "2026-03-02", "run-2")
    assert _statuses(again) == [("folder", "delivered"), ("teams", "already_delivered")]
    assert (
        tmp_path / "blocked/2026-03-02/weekly-2026-03-02.html"
    ).read_bytes() == b"<p>2026-03-02</p>"
    assert _posts(webhook) == ["As of 2026-03-02"], "the card went out once"
    rows = _rows(store)
    assert (rows["2026-03-02", "folder"]["attempts"], rows["2026-03-02", "folder"]["error"]) == (
        2,
        None,
    )
    assert rows["2026-03-02", "teams"]["attempts"] == 1


# -- once per period -----------------------------------------------------------------------------


def test_a_repeated_run_sends_nothing_twice_and_a_new_period_sends(tmp_path, store, webhook):
    config = _config(tmp_path)
    first = _run(config, store, "2026-03-02", "run-1")
    assert _statuses(first) == [("folder", "delivered"), ("teams", "delivered")]
    written = tmp_path / "out/weekly/2026-03-02"
    for file in written.iterdir():
        file.unlink()  # if the rerun wrote again, they would be back
    repeated = _run(config, store, "2026-03-02", "run-2")
    assert _statuses(repeated) == [("folder", "already_delivered"), ("teams", "already_delivered")]
    assert repeated[0].location == str(written), "where the period went, as recorded"
    assert list(written.iterdir()) == []
    later = _run(config, store, "2026-03-09", "run-3")
    assert _statuses(later) == [("folder", "delivered"), ("teams", "delivered")]
    assert _posts(webhook) == ["As of 2026-03-02", "As of 2026-03-09"]
    rows = _rows(store)
    assert {k: (r["status"], r["attempts"], r["run_id"]) for k, r in rows.items()} == {
        ("2026-03-02", "folder"): ("delivered", 1, "run-1"),
        ("2026-03-02", "teams"): ("delivered", 1, "run-1"),
        ("2026-03-09", "folder"): ("delivered", 1, "run-3"),
        ("2026-03-09", "teams"): ("delivered", 1, "run-3"),
    }


def test_a_rotated_webhook_signature_is_the_same_target_and_is_never_stored(
    tmp_path, store, webhook
):
    _run(_config(tmp_path), store, "2026-03-02", "run-1")
    rotated = _config(tmp_path, sig="rotated-signature-9876")
    [_, teams] = _run(rotated, store, "2026-03-02", "run-2")
    assert teams.status == "already_delivered"
    assert len(webhook.calls) == 1
    stored = repr(_rows(store))
    assert SIG not in stored and "rotated-signature" not in stored and "f00d" not in stored


# -- retrying earlier periods --------------------------------------------------------------------


def test_retry_failed_sends_earlier_periods_from_their_snapshots_only(tmp_path, store, webhook):
    (tmp_path / "out").write_text("not a folder")  # every folder delivery fails for now
    config = _config(tmp_path)
    _run(config, store, "2026-02-23", "run-1")
    _run(config, store, "2026-03-02", "run-2")
    (tmp_path / "out").unlink()
    current = _run(config, store, "2026-03-09", "run-3")
    assert _statuses(current) == [("folder", "delivered"), ("teams", "delivered")]
    rendered: list[str] = []

    def render(document):
        rendered.append(document.as_of)
        return _render(document)

    retried = retry_failed(config, store, "weekly", render)
    # Only the failed folder deliveries of the two earlier periods; Teams had them all.
    assert [(o.period, o.kind, o.status) for o in retried] == [
        ("2026-02-23", "folder", "delivered"),
        ("2026-03-02", "folder", "delivered"),
    ]
    assert rendered == ["2026-02-23", "2026-03-02"]
    for as_of in ("2026-02-23", "2026-03-02"):
        page = tmp_path / f"out/weekly/{as_of}/weekly-{as_of}.html"
        assert page.read_bytes() == f"<p>{as_of}</p>".encode()
    assert _posts(webhook) == ["As of 2026-02-23", "As of 2026-03-02", "As of 2026-03-09"]
    assert retry_failed(config, store, "weekly", render) == []


def test_retry_failed_leaves_the_current_period_removed_targets_and_hopeless_ones(
    tmp_path, store, webhook
):
    (tmp_path / "out").write_text("not a folder")
    config = _config(tmp_path)
    _run(config, store, "2026-02-23", "run-1")
    _run(config, store, "2026-03-02", "run-2")
    # The 02-23 folder delivery has failed as often as the limit allows.
    with store.engine.begin() as connection:
        connection.execute(
            update(report_deliveries)
            .where(report_deliveries.c.period == "2026-02-23")
            .values(attempts=RETRY_LIMIT)
        )
    # 03-02 is the newest snapshot, i.e. the run in progress: its own failures are its own.
    assert retry_failed(config, store, "weekly", _render) == []
    # A target that is no longer configured is not retried either.
    moved = _config(tmp_path, "elsewhere/{date}")
    assert retry_failed(moved, store, "weekly", _render, current_period="2026-03-09") == []


def test_a_period_whose_snapshot_is_gone_is_recorded_as_such(tmp_path, store, webhook):
    (tmp_path / "out").write_text("not a folder")
    config = _config(tmp_path)
    document = _document("2026-02-23")  # delivered without keeping a snapshot
    deliver_report(config, store, "weekly", "run-0", document, _files(document), None)
    (tmp_path / "out").unlink()
    [outcome] = retry_failed(config, store, "weekly", _render, current_period="2026-03-09")
    assert (outcome.period, outcome.status) == ("2026-02-23", "failed")
    assert outcome.error == "no snapshot of the 2026-02-23 report is left to deliver again"
    assert _rows(store)["2026-02-23", "folder"]["attempts"] == 2
