"""Project requests from workbooks (``kind: request`` of the files connector), through the
real config loader, sync engine and store. Expected requests are worked out by hand from the
rows written here; a bad row is quarantined with one line naming the file, row and the
request's title, and the others are kept."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from graph_env import live_rows
from pydantic import ValidationError
from sqlalchemy import text

from pmosync.canonical.types import PersonIdentity, Request
from pmosync.config import load_config
from pmosync.config.connectors import FilesConnector
from pmosync.config.errors import ConfigError
from pmosync.store import Store
from pmosync.sync.run import run_sync

SOURCE = "intake-sheets"
ANN, BO = "ann.lee@contoso.example", "bo.chen@contoso.example"
HEADER = ["ID", "Title", "Requester", "Sponsor", "Submitted", "Stage", "Cost", "Benefit",
          "Currency", "Start", "End", "Risk", "Project", "Description", "Fit", "Score",
          "Regulatory", "Consultant days", "Analyst days"]  # fmt: skip
FORMULA = "=cmd|' /C calc'!A0"
ROWS = [
    ["REQ-1", "CRM upgrade", ANN, f"Bo Chen <{BO}>", date(2026, 11, 2), "Under review",
     120000, "150.000,50", "EUR", date(2027, 1, 4), date(2027, 6, 30), "High", None,
     "Replace the CRM", "High", 7, True, 10, 5],
    ["REQ-2", FORMULA, BO, None, date(2026, 11, 3), "New", "€ 8,000", None, None, None, None,
     2, "Data centre move", None, "Low", "seven", "No", None, "2,5"],
    ["REQ-3", "Bad cost", ANN, None, None, "Approved", "lots", None, "EUR", None, None, None,
     None, None, None, None, None, None, None],
    ["REQ-4", "Parked idea", ANN, None, None, "Parked - awaiting funding", None, None, None,
     None, None, None, None, None, None, None, None, None, None],
]  # fmt: skip
CONFIG = """store: sqlite:///{db}
connectors:
  {name}:
    type: files
    path: {folder}
    kind: request
    default_currency: GBP
    columns: {{id: ID, title: Title, requester: Requester, sponsor: Sponsor,
               submitted: Submitted, stage: Stage, cost: Cost, benefit: Benefit,
               currency: Currency, start: Start, end: End, risk: Risk, project: Project,
               description: Description}}
    criteria: {{strategic_fit: Fit, score: Score, regulatory: Regulatory}}
    effort: {{Consultant: Consultant days, Analyst: Analyst days}}
    effort_unit: {unit}
    hours_per_day: 7.5
"""


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Intake"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # typed as text in Excel (a leading apostrophe)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v
                         for v in row])  # fmt: skip
    return buffer.getvalue().encode()


def _sync(tmp_path: Path, *, unit: str = "days"):
    path = tmp_path / "pmosync.yaml"
    folder = tmp_path / "requests"
    path.write_text(
        CONFIG.format(db=tmp_path / "intake.db", name=SOURCE, folder=folder, unit=unit),
        encoding="utf-8",
    )
    config = load_config(path, environ={})
    store = Store.open(config.store, base_dir=tmp_path)
    with store:
        results = run_sync(config, store).connectors
        assert not any(r.failed for r in results), results
        with store.engine.connect() as connection:
            reasons = sorted(
                r[0] for r in connection.execute(text("SELECT reason FROM quarantine"))
            )
        return live_rows(store, Request, SOURCE), live_rows(store, PersonIdentity, SOURCE), reasons


def _by_title(requests: dict) -> dict[str, dict]:
    return {r["title"]: r for r in requests.values()}


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_request_workbook_rows_become_requests(tmp_path: Path, form: str):
    folder = tmp_path / "requests"
    folder.mkdir()
    name = f"Requests.{form}"
    (folder / name).write_bytes(_xlsx(ROWS) if form == "xlsx" else _csv(ROWS))
    requests, people, reasons = _sync(tmp_path)
    where = f"{name}, sheet Intake" if form == "xlsx" else name
    assert reasons == [
        f"{where}, row 4, request 'Bad cost': Cost 'lots' is not an amount of money",
        f"{where}, row 5, request 'Parked idea': Stage 'Parked - awaiting funding' is no stage "
        "stage_vocabulary names (add it there)",
    ]
    titled = _by_title(requests)
    assert set(titled) == {"CRM upgrade", FORMULA}  # the formula-like title kept as text
    crm, formula = titled["CRM upgrade"], titled[FORMULA]
    emails = {PersonIdentity.ref(SOURCE, k): v["email"] for k, v in people.items()}
    assert emails[crm["requester_identity_id"]] == ANN
    assert emails[crm["sponsor_identity_id"]] == BO
    assert crm["submitted_at"].replace(tzinfo=UTC) == datetime(2026, 11, 2, tzinfo=UTC)
    assert crm["stage"] == "under_review" and formula["stage"] == "submitted"
    assert Decimal(crm["estimated_cost"]) == Decimal(120000)
    assert Decimal(crm["estimated_benefit"]) == Decimal("150000.50")
    assert crm["currency"] == "EUR"
    assert Decimal(formula["estimated_cost"]) == Decimal(8000) and formula["currency"] == "EUR"
    assert (crm["target_start"], crm["target_end"]) == (date(2027, 1, 4), date(2027, 6, 30))
    assert crm["risk"] == 4 and formula["risk"] == 2
    assert crm["project_ref"] is None and formula["project_ref"] == "Data centre move"
    assert formula["project_id"] is None
    # days x 7.5 hours; "2,5" days written with a decimal comma
    assert crm["effort_hours"] == {"Analyst": 37.5, "Consultant": 75.0}
    assert formula["effort_hours"] == {"Analyst": 18.75}
    # a real boolean cell is a bool; "No" typed as text stays text (a CSV has no booleans)
    regulatory = True if form == "xlsx" else "True"
    assert crm["criteria"] == {"regulatory": regulatory, "score": 7.0, "strategic_fit": "High"}
    assert formula["criteria"] == {"regulatory": "No", "score": "seven", "strategic_fit": "Low"}


def test_an_id_column_keeps_a_request_across_a_resort_and_hours_are_hours(tmp_path: Path):
    folder = tmp_path / "requests"
    folder.mkdir()
    good = ROWS[:2]
    (folder / "Requests.xlsx").write_bytes(_xlsx(good))
    first, _, _ = _sync(tmp_path, unit="hours")
    assert _by_title(first)["CRM upgrade"]["effort_hours"] == {"Analyst": 5.0, "Consultant": 10.0}
    resorted = [list(r) for r in reversed(good)]
    resorted[1][5] = "Approved"  # CRM upgrade, now on row 3, moves on
    (folder / "Requests.xlsx").write_bytes(_xlsx(resorted))
    second, _, _ = _sync(tmp_path, unit="hours")
    assert set(second) == set(first)  # same source ids: keyed by ID, not by row
    crm_ids = [{k for k, r in rows.items() if r["title"] == "CRM upgrade"} for rows in
               (first, second)]  # fmt: skip
    assert crm_ids[0] == crm_ids[1]
    assert _by_title(second)["CRM upgrade"]["stage"] == "approved"
    assert all(key.endswith(("#id:REQ-1", "#id:REQ-2")) for key in second)
    # a third row repeating REQ-1's id is refused on its own row; REQ-1 stays
    again = [*resorted, ["REQ-1", "CRM upgrade (copy)", ANN, *[None] * 16]]
    (folder / "Requests.xlsx").write_bytes(_xlsx(again))
    third, _, reasons = _sync(tmp_path, unit="hours")
    assert set(third) == set(first)
    assert reasons == ["Requests.xlsx, sheet Intake, row 4: duplicates row 3"]


def test_a_request_source_needs_a_title_column_and_intake_keys_need_kind_request(
    tmp_path: Path,
):
    """Each mistake is one line naming the file, line and key."""
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///x.db\n"
        "connectors:\n"
        "  intake:\n"
        "    type: files\n"
        "    path: .\n"
        "    kind: request\n"
        "    columns: {id: ID}\n"
        "  sheets:\n"
        "    type: files\n"
        "    path: .\n"
        "    kind: time\n"
        "    columns: {person: a, date: b, hours: c, project: d}\n"
        "    effort: {Analyst: Days}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    assert str(raised.value).splitlines() == [
        f"{path}:7:5: connectors.intake.columns: missing required column 'title' for kind request",
        f"{path}:13:5: connectors.sheets.effort: 'effort' needs kind request (found kind time)",
    ]
    with pytest.raises(ValidationError, match="'criteria' needs kind request"):
        FilesConnector.model_validate(
            {"type": "files", "path": ".", "kind": "leave", "criteria": {"fit": "Fit"},
             "columns": {"person": "Email", "start": "From", "end": "To"}}
        )  # fmt: skip
