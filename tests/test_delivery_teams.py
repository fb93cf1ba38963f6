"""Teams delivery: the Adaptive Card a Workflows webhook receives, and how failures are handled.

The webhook is answered by ``responses`` (the code under test is built on requests); one test
uses a real loopback server so urllib3's own debug lines are produced and can be searched for
the secret. The webhook URL is a credential: no error, exception chain, log line or store row
may contain it.
"""

from __future__ import annotations

import json
import logging
import textwrap
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
from responses.registries import OrderedRegistry
from sqlalchemy import select

from pmosync.config import load_config
from pmosync.connectors.errors import FatalError, RetriableError
from pmosync.connectors.retry import RetryPolicy
from pmosync.connectors.teams import post_card
from pmosync.reports.delivery import deliver_report
from pmosync.reports.document import Figure, RenderedFile, ReportDocument
from pmosync.store import Store
from pmosync.store.schema import report_deliveries

SIG = "Zm9vYmFyc2VjcmV0c2lnbmF0dXJlMTIz"
WEBHOOK = (
    "https://prod-42.westeurope.logic.azure.com/workflows/0a1b2c3d4e5f/triggers/manual/paths/"
    f"invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIG}"
)
FAST = RetryPolicy(max_throttled=3, max_failures=2, retry_after_cap_s=60.0)


def _document() -> ReportDocument:
    return ReportDocument(
        report="weekly",
        kind="portfolio_status",
        title="Weekly portfolio",
        as_of="2026-03-02",
        generated_at="2026-03-02T07:00:00+00:00",
        figures=(
            Figure("projects", "Projects", 3),
            Figure("red", "Projects red", 1, rag="red"),
            Figure("complete", "Average % complete", 45.46, "percent"),
            Figure("cpi", "Portfolio CPI", None, "ratio"),
            Figure("hours", "Hours logged", 1234.56, "hours"),
        ),
    )


def _files() -> list[RenderedFile]:
    return [RenderedFile("weekly-2026-03-02.html", b"<html></html>", "text/html")]


def _config(tmp_path):
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            reports:
              weekly:
                kind: portfolio_status
                title: Weekly portfolio
                deliver:
                  - teams: {webhook_url: "${TEAMS_WEBHOOK_URL}"}
            """
        ),
        encoding="utf-8",
    )
    return load_config(path, environ={"TEAMS_WEBHOOK_URL": WEBHOOK})


@pytest.fixture
def store(store_url) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened


def _rows(store: Store) -> list[dict]:
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(report_deliveries))]


def _assert_no_secret(text: str) -> None:
    assert SIG not in text and "0a1b2c3d4e5f" not in text and "/workflows/" not in text


def _chain(error: BaseException) -> str:
    """Everything an exception can show: message, repr, traceback, causes and contexts."""
    return "".join(traceback.format_exception(error)) + repr(error)


@responses.activate
def test_the_card_carries_title_date_and_headline_figures(tmp_path, store):
    responses.add(responses.POST, WEBHOOK, status=202)
    [outcome] = deliver_report(
        _config(tmp_path), store, "weekly", "run-1", _document(), _files(), None
    )
    assert (outcome.status, outcome.kind, outcome.error) == ("delivered", "teams", None)
    [call] = responses.calls
    payload = json.loads(call.request.body)
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, date, facts = card["body"]
    assert (title["type"], title["text"]) == ("TextBlock", "Weekly portfolio")
    assert date["text"] == "As of 2026-03-02"
    assert facts["type"] == "FactSet"
    # 45.46 % shows with one decimal, CPI undefined is "n/a" (never 0), hours one decimal.
    assert facts["facts"] == [
        {"title": "Projects", "value": "3"},
        {"title": "Projects red", "value": "1"},
        {"title": "Average % complete", "value": "45.5%"},
        {"title": "Portfolio CPI", "value": "n/a"},
        {"title": "Hours logged", "value": "1,234.6 h"},
    ]
    assert "actions" not in card, "no SharePoint delivery, so no link to open"
    [row] = _rows(store)
    assert row["status"] == "delivered"
    assert row["label"].startswith("Teams webhook on prod-42.westeurope.logic.azure.com")
    _assert_no_secret(repr(row))


@responses.activate(registry=OrderedRegistry)
def test_a_server_error_is_tried_again_until_the_card_is_accepted():
    responses.add(responses.POST, WEBHOOK, status=500, body="temporary")
    responses.add(responses.POST, WEBHOOK, status=502)
    responses.add(responses.POST, WEBHOOK, status=202)
    waits: list[float] = []
    assert post_card(WEBHOOK, {"type": "message"}, policy=FAST, sleep=waits.append) == 202
    assert len(responses.calls) == 3
    # Full-jitter backoff after the 1st and 2nd failure: at most 0.5 x 2^1 and 0.5 x 2^2 s.
    assert len(waits) == 2 and 0 <= waits[0] <= 1.0 and 0 <= waits[1] <= 2.0


@responses.activate(registry=OrderedRegistry)
def test_429_waits_as_long_as_retry_after_says_up_to_the_cap():
    responses.add(responses.POST, WEBHOOK, status=429, headers={"Retry-After": "7"})
    responses.add(responses.POST, WEBHOOK, status=429, headers={"Retry-After": "3600"})
    responses.add(responses.POST, WEBHOOK, status=200)
    waits: list[float] = []
    assert post_card(WEBHOOK, {"type": "message"}, policy=FAST, sleep=waits.append) == 200
    assert waits == [7.0, 60.0], "Retry-After honoured; an hour is capped at the policy's 60 s"


@responses.activate(registry=OrderedRegistry)
def test_retries_are_bounded_and_the_error_names_the_status_not_the_url():
    for _ in range(3):  # FAST allows two failures after the first: three attempts
        responses.add(responses.POST, WEBHOOK, status=503, body=f"busy, see {WEBHOOK}")
    waits: list[float] = []
    with pytest.raises(RetriableError) as caught:
        post_card(WEBHOOK, {"type": "message"}, policy=FAST, sleep=waits.append)
    assert len(responses.calls) == 3 and len(waits) == 2
    message = str(caught.value)
    assert message.startswith("Teams webhook: 503") and "gave up after 3 attempts" in message
    _assert_no_secret(_chain(caught.value))


@responses.activate
def test_a_dropped_connection_never_leaks_the_url_through_the_exception_chain():
    # requests' own exception quotes the URL; ours must not, nor chain to it.
    responses.add(responses.POST, WEBHOOK, body=requests.ConnectionError(f"refused: {WEBHOOK}"))
    with pytest.raises(RetriableError) as caught:
        post_card(WEBHOOK, {"type": "message"}, policy=FAST, sleep=lambda _: None)
    assert str(caught.value) == "Teams webhook: cannot connect (gave up after 3 attempts)"
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    _assert_no_secret(_chain(caught.value))


@responses.activate
def test_400_is_final_at_once_and_recorded_without_the_url(tmp_path, store):
    responses.add(responses.POST, WEBHOOK, status=400, body=f"Bad card for {WEBHOOK}")
    [outcome] = deliver_report(
        _config(tmp_path), store, "weekly", "run-1", _document(), _files(), None
    )
    assert len(responses.calls) == 1, "a 4xx other than 429 is not retried"
    assert outcome.status == "failed"
    assert outcome.error.startswith("Teams webhook refused the card: 400 Bad Request")
    _assert_no_secret(outcome.error)
    [row] = _rows(store)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    _assert_no_secret(repr(row))
    with pytest.raises(FatalError) as caught:
        post_card(WEBHOOK, {"type": "message"}, policy=FAST, sleep=lambda _: None)
    assert caught.value.status == 400
    _assert_no_secret(_chain(caught.value))


class _Webhook(BaseHTTPRequestHandler):
    """Answers 500 to the first post and 202 to the next."""

    posts = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's hook
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).posts += 1
        self.send_response(500 if type(self).posts == 1 else 202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_urllib3_debug_lines_never_show_the_webhook_path(caplog):
    _Webhook.posts = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/workflows/0a1b2c3d4e5f/invoke?sig={SIG}"
    try:
        # On urllib3's own logger: the asana SDK sets it to WARNING when any test configures it.
        with caplog.at_level(logging.DEBUG, logger="urllib3"):
            status = post_card(url, {"type": "message"}, policy=FAST, sleep=lambda _: None)
    finally:
        server.shutdown()
        server.server_close()
    assert status == 202 and _Webhook.posts == 2
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any('"POST [webhook] HTTP/1.1" 500' in line for line in lines), lines
    _assert_no_secret(caplog.text)


@responses.activate
def test_an_echoed_url_is_masked_before_the_answer_is_shortened():
    # Cut at 200 characters first, this body would keep the URL's first 80 characters.
    responses.add(responses.POST, WEBHOOK, status=404, body="x" * 120 + " " + WEBHOOK)
    with pytest.raises(FatalError) as caught:
        post_card(WEBHOOK, {"type": "message"}, policy=FAST, sleep=lambda _: None)
    assert str(caught.value).startswith("Teams webhook refused the card: 404 Not Found: xxx")
    assert "[webhook]" in str(caught.value)
    _assert_no_secret(_chain(caught.value))
