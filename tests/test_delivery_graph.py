"""SharePoint and Graph-mail delivery against the Graph sandbox, over real loopback HTTP, with
the real msgraph-sdk pipeline (``GraphClient``) and httpx for upload sessions.

Ground truth is the sandbox's own tenant: the files in the PMO site's library, the items of its
"Project status" list, the mail its sendMail accepted. Dates and folders are worked out by hand.
"""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
import responses
from graph_env import planner_yaml
from sqlalchemy import select

from pmosync.config import load_config
from pmosync.reports.delivery import deliver_report, retry_failed
from pmosync.reports.document import Column, Figure, RenderedFile, ReportDocument, Section
from pmosync.reports.snapshots import save_snapshot
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import generate_tenant
from pmosync.sandbox.tenant.generate import STATUS_COLUMNS
from pmosync.store import Store
from pmosync.store.schema import report_deliveries

HOST = "contoso.sharepoint.com"
LIBRARY = f"https://{HOST}/sites/pmo/Shared%20Documents"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 50
WEBHOOK = "https://prod-42.westeurope.logic.azure.com/workflows/abc/invoke?sig=c2VjcmV0c2ln"
MB = 1024 * 1024
MARCH_4 = datetime(2026, 3, 4, tzinfo=UTC)


@dataclass(frozen=True)
class Mail:
    html: str
    images: dict[str, bytes] = field(default_factory=dict)
    text: str | None = None


PROJECTS = Section(
    key="projects",
    title="Projects",
    columns=(
        Column("name", "Project", "text", link="url"),
        Column("rag", "Reported RAG", "rag"),
        Column("computed_rag", "Computed RAG", "rag"),
        Column("percent_complete", "% complete", "percent"),
    ),
    rows=(
        {"name": "Apollo", "url": "https://app.asana.com/0/1", "rag": "green",
         "computed_rag": "red", "percent_complete": 40.0},
        {"name": "Borealis", "url": None, "rag": None, "computed_rag": "amber",
         "percent_complete": None},
        {"name": "Cygnus", "url": "https://tasks.office.com/x", "rag": "amber",
         "computed_rag": "amber", "percent_complete": 92.5},
    ),
)  # fmt: skip


def _document(as_of: str) -> ReportDocument:
    return ReportDocument(
        report="weekly",
        kind="portfolio_status",
        title="Weekly portfolio",
        as_of=as_of,
        generated_at=f"{as_of}T07:00:00+00:00",
        figures=(Figure("projects", "Projects", 3),),
        sections=(PROJECTS,),
    )


def _rendered(document: ReportDocument, xlsx_size: int = 2000) -> tuple[list[RenderedFile], Mail]:
    stem = f"weekly-{document.as_of}"
    workbook = (b"PK\x03\x04" + document.as_of.encode() * xlsx_size)[:xlsx_size]
    files = [
        RenderedFile(f"{stem}.html", f"<html>{document.as_of}</html>".encode(), "text/html"),
        RenderedFile(f"{stem}.xlsx", workbook, XLSX),
        RenderedFile(f"{stem}-projects.csv", b"name\r\nApollo\r\n", "text/csv"),
    ]
    body = f'<html><body><p>As of {document.as_of}</p><img src="cid:chart-rag"></body></html>'
    return files, Mail(body, {"chart-rag": PNG})


@pytest.fixture
def sandbox() -> Iterator[GraphSandbox]:
    with GraphSandbox(generate_tenant(5, "XS", date(2026, 3, 2))) as running:
        yield running


@pytest.fixture
def store(sqlite_url) -> Iterator[Store]:
    with Store.open(sqlite_url) as opened:
        yield opened


def _pmo(sandbox: GraphSandbox):
    return sandbox.tenant.site_by_path(HOST, "/sites/pmo")


def _sender(sandbox: GraphSandbox) -> str:
    return next(iter(sandbox.tenant.users.values())).mail


def _config(tmp_path, sandbox: GraphSandbox, deliver: str, token: str | None = None):
    """A config whose report ``weekly`` has the given ``deliver:`` items (YAML lines)."""
    connectors = planner_yaml(sandbox, sorted(sandbox.tenant.groups))
    text = (
        "connectors:\n"
        + connectors
        + "reports:\n  weekly:\n    kind: portfolio_status\n    title: Weekly portfolio\n"
        + "    deliver:\n"
        + textwrap.indent(textwrap.dedent(deliver), "      ")
    )
    path = tmp_path / "pmosync.yaml"
    path.write_text(text, encoding="utf-8")
    environ = {"GRAPH_TOKEN": token or sandbox.token, "TEAMS_WEBHOOK_URL": WEBHOOK}
    return load_config(path, environ=environ)


def _deliver(config, store, as_of: str, run_id: str, xlsx_size: int = 2000):
    document = _document(as_of)
    save_snapshot(store, run_id, document)
    files, mail = _rendered(document, xlsx_size)
    return deliver_report(config, store, "weekly", run_id, document, files, mail)


def _rows(store: Store) -> list[dict]:
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(report_deliveries))]


def _status_list(sandbox: GraphSandbox):
    return next(sp for sp in sandbox.tenant.lists.values() if sp.display_name == "Project status")


SHAREPOINT = """\
- sharepoint:
    site: "contoso.sharepoint.com:/sites/pmo"
    folder: "Reports/{year}/{week}"
"""


# -- SharePoint files ----------------------------------------------------------------------------


@responses.activate
def test_files_land_in_the_dated_folder_replacing_and_the_card_links_to_them(
    tmp_path, sandbox, store
):
    responses.add(responses.POST, WEBHOOK, status=202)
    pmo = _pmo(sandbox)
    tenant = sandbox.tenant
    # 2026-03-04 is a Wednesday; 2026-01-01 is a Thursday, so ISO week 1 starts Mon 2025-12-29
    # and 2026-03-02 is 9 weeks later: week 10. {year}/{week} -> 2026/2026-W10.
    folder = "Reports/2026/2026-W10"
    # A copy someone put there earlier (a first, failed attempt) is replaced, not renamed.
    week = None
    for name in folder.split("/"):
        week = tenant.make_folder(pmo.drive_id, week.id if week else None, name)
    old = tenant.put_file(pmo.drive_id, week.id, "weekly-2026-03-04.html", b"<html>old</html>")
    config = _config(
        tmp_path, sandbox, SHAREPOINT + '- teams: {webhook_url: "${TEAMS_WEBHOOK_URL}"}\n'
    )
    sharepoint, teams = _deliver(config, store, "2026-03-04", "run-1")
    assert (sharepoint.kind, sharepoint.status) == ("sharepoint", "delivered"), sharepoint.error
    expected_link = f"{LIBRARY}/{folder}/weekly-2026-03-04.html"
    assert sharepoint.location == expected_link
    names = sorted(i.name for i in tenant.children(week.id))
    expected = ["weekly-2026-03-04-projects.csv", "weekly-2026-03-04.html",
                "weekly-2026-03-04.xlsx"]  # fmt: skip
    assert names == expected, "replaced in place, no 'weekly-2026-03-04 1.html' beside it"
    page = tenant.item_by_path(pmo.drive_id, f"{folder}/weekly-2026-03-04.html")
    assert page.id == old.id and page.content == b"<html>2026-03-04</html>"
    csv = tenant.item_by_path(pmo.drive_id, f"{folder}/weekly-2026-03-04-projects.csv")
    assert csv.content == b"name\r\nApollo\r\n"
    # Teams comes after SharePoint, so its card opens the report just uploaded.
    assert teams.status == "delivered"
    card = json.loads(responses.calls[0].request.body)["attachments"][0]["content"]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open the report", "url": expected_link}
    ]


def test_a_file_above_4_mb_goes_up_in_fragments_and_survives_a_lost_reply(tmp_path, sandbox, store):
    pmo = _pmo(sandbox)
    # 5 MiB + 123 bytes: above the 4 MB simple-upload limit. Fragments of 10 x 320 KiB =
    # 3,276,800 bytes: the first, then the remaining 5,243,003 - 3,276,800 = 1,966,203.
    size = 5 * MB + 123
    sandbox.break_upload_fragments(1, skip=1, status=None)  # the last fragment's reply is lost
    config = _config(tmp_path, sandbox, SHAREPOINT)
    sandbox.reset_stats()
    [outcome] = _deliver(config, store, "2026-03-04", "run-1", xlsx_size=size)
    assert outcome.status == "delivered", outcome.error
    stored = sandbox.tenant.item_by_path(
        pmo.drive_id, "Reports/2026/2026-W10/weekly-2026-03-04.xlsx"
    )
    files, _ = _rendered(_document("2026-03-04"), size)
    assert stored.content == files[1].content and len(stored.content) == size
    endpoints = sandbox.stats()["by_endpoint"]
    # Two fragment PUTs (the second stored, its reply dropped), one GET finding the session
    # gone, then the file checked by a download rather than assumed.
    assert endpoints["PUT /_upload/{key}"] == 2
    assert endpoints["GET /_upload/{key}"] == 1


def test_a_refused_fragment_resumes_where_the_server_says(tmp_path, sandbox, store):
    pmo = _pmo(sandbox)
    size = 5 * MB
    sandbox.break_upload_fragments(1, skip=1, status=503)  # the second fragment is refused
    config = _config(tmp_path, sandbox, SHAREPOINT)
    sandbox.reset_stats()
    [outcome] = _deliver(config, store, "2026-03-04", "run-1", xlsx_size=size)
    assert outcome.status == "delivered", outcome.error
    stored = sandbox.tenant.item_by_path(
        pmo.drive_id, "Reports/2026/2026-W10/weekly-2026-03-04.xlsx"
    )
    assert len(stored.content) == size
    endpoints = sandbox.stats()["by_endpoint"]
    assert endpoints["PUT /_upload/{key}"] == 3  # first, second (503), second again
    assert endpoints["GET /_upload/{key}"] == 1  # asked where to resume: 3,276,800-


def test_an_upload_session_that_never_moves_on_is_abandoned_in_one_line(tmp_path, sandbox, store):
    """Every fragment answered 202 but the server still wants byte 0: the first PUT and three
    more (MAX_STALLS) are all the client sends, then the delivery fails saying why."""
    sandbox.forget_upload_fragments()
    config = _config(tmp_path, sandbox, SHAREPOINT)
    sandbox.reset_stats()
    [outcome] = _deliver(config, store, "2026-03-04", "run-1", xlsx_size=5 * MB)
    assert outcome.status == "failed"
    assert "still asks for bytes from 0" in outcome.error
    assert "\n" not in outcome.error
    assert sandbox.stats()["by_endpoint"]["PUT /_upload/{key}"] == 4


# -- SharePoint list -----------------------------------------------------------------------------


def test_one_list_item_per_project_and_none_twice(tmp_path, sandbox, store):
    status_list = _status_list(sandbox)
    # An item a previous run already wrote for Apollo on this date must not be written again.
    # As SharePoint keeps it: AsOf is a Date column, its value an instant (midnight UTC).
    sandbox.tenant.add_list_item(
        status_list.id, {"Title": "Apollo", "Report": "weekly", "AsOf": "2026-03-04T00:00:00Z"}
    )
    deliver = SHAREPOINT + '    list: "Project status"\n'
    [outcome] = _deliver(_config(tmp_path, sandbox, deliver), store, "2026-03-04", "run-1")
    assert outcome.status == "delivered", outcome.error
    link = f"{LIBRARY}/Reports/2026/2026-W10/weekly-2026-03-04.html"
    items = list(status_list.items.values())
    assert items == [
        {"Title": "Apollo", "Report": "weekly", "AsOf": MARCH_4},
        {"Title": "Borealis", "Report": "weekly", "AsOf": MARCH_4,
         "ComputedRAG": "amber", "Link": link},
        {"Title": "Cygnus", "Report": "weekly", "AsOf": MARCH_4, "RAG": "amber",
         "ComputedRAG": "amber", "PercentComplete": 92.5, "Link": link},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("zone", "midnight"),
    [
        # The site's regional time zone -> 4 March as SharePoint keeps it (midnight there, UTC).
        ("UTC", datetime(2026, 3, 4, tzinfo=UTC)),
        ("Europe/Paris", datetime(2026, 3, 3, 23, tzinfo=UTC)),  # CET, UTC+1
        ("America/New_York", datetime(2026, 3, 4, 5, tzinfo=UTC)),  # EST, UTC-5
        ("Asia/Kolkata", datetime(2026, 3, 3, 18, 30, tzinfo=UTC)),  # IST, UTC+5:30
    ],
)
def test_publishing_the_same_date_twice_leaves_one_item_per_project(
    tmp_path, sandbox, sqlite_url, zone, midnight
):
    status_list = _status_list(sandbox)
    status_list.zone = zone
    deliver = SHAREPOINT + '    list: "Project status"\n'
    config = _config(tmp_path, sandbox, deliver)
    # Two stores, as after a lost store or from a second machine: the list itself is the only
    # memory of the first delivery, through a typed filter on its Date column.
    for name in ("first", "second"):
        with Store.open(f"{sqlite_url}-{name}") as fresh:
            [outcome] = _deliver(config, fresh, "2026-03-04", f"run-{name}")
            assert outcome.status == "delivered", outcome.error
    titles = sorted(item["Title"] for item in status_list.items.values())
    assert titles == ["Apollo", "Borealis", "Cygnus"]
    assert {item["AsOf"] for item in status_list.items.values()} == {midnight}
    # The next day (a daily report) is another set of items, and a rerun of it adds nothing.
    for name in ("third", "fourth"):
        with Store.open(f"{sqlite_url}-{name}") as fresh:
            [outcome] = _deliver(config, fresh, "2026-03-05", f"run-{name}")
        assert outcome.status == "delivered", outcome.error
    days = sorted(item["AsOf"] for item in status_list.items.values())
    assert days == [midnight] * 3 + [midnight + timedelta(days=1)] * 3


def test_a_list_without_a_column_pmosync_writes_fails_with_one_line_naming_it(
    tmp_path, sandbox, store
):
    pmo = _pmo(sandbox)
    columns = [c for c in STATUS_COLUMNS if c.name not in ("ComputedRAG", "Link")]
    sandbox.tenant.add_list(pmo.id, "Thin status", columns)
    deliver = SHAREPOINT + '    list: "Thin status"\n'
    [outcome] = _deliver(_config(tmp_path, sandbox, deliver), store, "2026-03-04", "run-1")
    assert outcome.status == "failed"
    assert outcome.error == (
        f"site {HOST}:/sites/pmo: list 'Thin status' has no column 'ComputedRAG', 'Link'; "
        "create the columns docs/microsoft.md lists"
    )
    assert sandbox.tenant.site_list(pmo.id, "Thin status").items == {}  # nothing half-written


def test_a_list_that_does_not_exist_fails_with_the_lists_there_are(tmp_path, sandbox, store):
    deliver = SHAREPOINT + '    list: "Project Statuses"\n'
    [outcome] = _deliver(_config(tmp_path, sandbox, deliver), store, "2026-03-04", "run-1")
    assert outcome.status == "failed"
    assert outcome.error == (
        f"site {HOST}:/sites/pmo has no list 'Project Statuses' (lists: Project status)"
    )


# -- sendMail ------------------------------------------------------------------------------------


def test_graph_mail_carries_inline_charts_and_attachments_when_small(tmp_path, sandbox, store):
    sender = _sender(sandbox)
    deliver = f"""\
        - email:
            to: [pmo@contoso.example]
            cc: [head@contoso.example]
            via: graph
            sender: {sender}
        """
    [outcome] = _deliver(_config(tmp_path, sandbox, deliver), store, "2026-03-04", "run-1")
    assert outcome.status == "delivered", outcome.error
    [mail] = sandbox.sent_mail
    assert mail.sender == sender
    message = mail.message
    assert message["subject"] == "Weekly portfolio — 2026-03-04"
    assert message["body"] == {
        "contentType": "HTML",
        "content": '<html><body><p>As of 2026-03-04</p><img src="cid:chart-rag"></body></html>',
    }
    assert message["toRecipients"] == [{"emailAddress": {"address": "pmo@contoso.example"}}]
    assert message["ccRecipients"] == [{"emailAddress": {"address": "head@contoso.example"}}]
    # Graph takes X- headers only: Exchange's no-auto-reply header goes, Auto-Submitted cannot
    assert message["internetMessageHeaders"] == [
        {"name": "X-Auto-Response-Suppress", "value": "All"}
    ]
    # the full report goes along, its HTML page too (the body is the compact version)
    by_name = {a["name"]: a for a in message["attachments"]}
    assert set(by_name) == {"chart-rag.png", "weekly-2026-03-04.xlsx", "weekly-2026-03-04.html",
                            "weekly-2026-03-04-projects.csv"}  # fmt: skip
    assert base64.b64decode(by_name["weekly-2026-03-04.html"]["contentBytes"]) == (
        b"<html>2026-03-04</html>"
    )
    chart = by_name["chart-rag.png"]
    assert (chart["isInline"], chart["contentId"], chart["contentType"]) == (
        True,
        "chart-rag",
        "image/png",
    )
    assert base64.b64decode(chart["contentBytes"]) == PNG
    csv = by_name["weekly-2026-03-04-projects.csv"]
    assert base64.b64decode(csv["contentBytes"]) == b"name\r\nApollo\r\n"
    assert "isInline" not in csv


def test_graph_mail_above_3_mb_links_to_the_sharepoint_copy(tmp_path, sandbox, store):
    sender = _sender(sandbox)
    # The email target is listed first; SharePoint still goes first so the link exists.
    deliver = f"- email: {{to: [pmo@contoso.example], via: graph, sender: {sender}}}\n" + SHAREPOINT
    size = 3 * MB + 1  # the workbook alone is above the 3 MB sendMail takes inline
    sharepoint, mail_outcome = _deliver(
        _config(tmp_path, sandbox, deliver), store, "2026-03-04", "run-1", xlsx_size=size
    )
    assert (sharepoint.kind, mail_outcome.kind) == ("sharepoint", "email")
    assert mail_outcome.status == "delivered", mail_outcome.error
    [mail] = sandbox.sent_mail
    attachments = mail.message["attachments"]
    assert [(a["name"], a.get("isInline")) for a in attachments] == [("chart-rag.png", True)]
    body = mail.message["body"]["content"]
    link = f"{LIBRARY}/Reports/2026/2026-W10/weekly-2026-03-04.html"
    assert f'<a href="{link}">open the report on SharePoint</a>' in body
    assert "(3.0 MB)" in body  # 3 MiB + 1 + the CSV and chart bytes, to one decimal


def test_graph_mail_above_3_mb_without_sharepoint_fails_clearly(tmp_path, sandbox, store):
    deliver = f"- email: {{to: [pmo@contoso.example], via: graph, sender: {_sender(sandbox)}}}\n"
    [outcome] = _deliver(
        _config(tmp_path, sandbox, deliver), store, "2026-03-04", "run-1", xlsx_size=3 * MB + 1
    )
    assert outcome.status == "failed"
    assert "no SharePoint delivery to link to" in outcome.error
    assert sandbox.sent_mail == []


# -- permissions ---------------------------------------------------------------------------------


def test_a_403_is_recorded_and_a_later_run_delivers_that_period(tmp_path, sandbox, store):
    pmo = _pmo(sandbox)
    sandbox.add_token("reports-app", {"Sites.Read.All", "Group.Read.All", "Tasks.Read.All"})
    config = _config(tmp_path, sandbox, SHAREPOINT, token="reports-app")
    [failed] = _deliver(config, store, "2026-03-02", "run-1")
    assert failed.status == "failed"
    assert "403" in failed.error and "Sites.ReadWrite.All" in failed.error
    assert "reports-app" not in failed.error, "the token is never part of an error"
    assert sandbox.tenant.item_by_path(pmo.drive_id, "Reports/2026/2026-W10") is None
    # The admin grants write access; next week's run delivers its own period and the missed
    # one, each in its own week's folder (2026-03-02 is week 10, 2026-03-09 week 11).
    sandbox.add_token("reports-app", None)
    [current] = _deliver(config, store, "2026-03-09", "run-2")
    [retried] = retry_failed(config, store, "weekly", lambda doc: _rendered(doc))
    assert (current.status, retried.status, retried.period) == (
        "delivered",
        "delivered",
        "2026-03-02",
    )
    earlier = sandbox.tenant.item_by_path(
        pmo.drive_id, "Reports/2026/2026-W10/weekly-2026-03-02.html"
    )
    later = sandbox.tenant.item_by_path(
        pmo.drive_id, "Reports/2026/2026-W11/weekly-2026-03-09.html"
    )
    assert earlier.content == b"<html>2026-03-02</html>"
    assert later.content == b"<html>2026-03-09</html>"
    rows = {r["period"]: (r["status"], r["attempts"]) for r in _rows(store)}
    assert rows == {"2026-03-02": ("delivered", 2), "2026-03-09": ("delivered", 1)}
