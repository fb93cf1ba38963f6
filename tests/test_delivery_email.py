"""Email delivery through a real SMTP server (aiosmtpd on loopback): STARTTLS with a certificate
made here and AUTH, implicit TLS, and the ways a mail server fails (refused connection, no
greeting, wrong password, a certificate that does not verify).

The expected message is written out by hand: who gets it, its subject, the MIME tree an Outlook
client needs (mixed > related > alternative (text, html) + cid images, then the files) and the
exact bytes. The last tests render real report documents (tests/report_docs.py) and check the
body stays small whatever the portfolio's size.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from pmosync.config import load_config
from pmosync.reports.delivery import deliver_report, retry_failed
from pmosync.reports.document import Figure, RenderedFile, ReportDocument
from pmosync.reports.snapshots import save_snapshot
from pmosync.store import Store
from pmosync.store.schema import report_deliveries

PASSWORD = "s3cret-smtp-pässword"
USER = "reports"
SENDER = "pmo-reports@contoso.example"
TO = ["pmo@contoso.example"]
CC = ["head.of.delivery@contoso.example"]
GHOST = "left.last.year@contoso.example"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RAG_PNG = b"\x89PNG\r\n\x1a\n" + b"rag chart pixels" * 20
TREND_PNG = b"\x89PNG\r\n\x1a\n" + b"trend chart pixels" * 20


@dataclass(frozen=True)
class Mail:
    """What the HTML renderer hands to delivery: the body and its cid images."""

    html: str
    images: dict[str, bytes] = field(default_factory=dict)
    text: str | None = None


def _document(as_of: str) -> ReportDocument:
    return ReportDocument(
        report="weekly",
        kind="portfolio_status",
        title="Weekly portfolio",
        as_of=as_of,
        generated_at=f"{as_of}T07:00:00+00:00",
        figures=(Figure("projects", "Projects", 3), Figure("red", "Projects red", 1)),
    )


def _rendered(document: ReportDocument) -> tuple[list[RenderedFile], Mail]:
    """Files and email body for ``document``, made by hand (the renderers are not under test)."""
    stem = f"weekly-{document.as_of}"
    page = f"<html><body><h1>Weekly portfolio</h1><p>{document.as_of}</p></body></html>"
    files = [
        RenderedFile(f"{stem}.html", page.encode(), "text/html"),
        RenderedFile(f"{stem}.xlsx", b"PK\x03\x04 workbook " + document.as_of.encode(), XLSX),
        RenderedFile(f"{stem}-projects.csv", b"name,rag\r\nApollo,red\r\n", "text/csv"),
    ]
    body = (
        f"<html><body><h1>Weekly portfolio</h1><p>As of {document.as_of}</p>"
        '<img src="cid:chart-rag" alt="RAG"><img src="cid:chart-trend" alt="Trend">'
        "</body></html>"
    )
    text = f"Weekly portfolio\nAs of {document.as_of}\nProjects: 3\n"
    return files, Mail(body, {"chart-rag": RAG_PNG, "chart-trend": TREND_PNG}, text)


# -- a mail server -------------------------------------------------------------------------------


class Inbox:
    """Keeps every message with what the session looked like when it arrived."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.sessions: list[tuple[bool, bool]] = []  # (over TLS, logged in)

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # noqa: N802
        if address == GHOST:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        over_tls = server.transport.get_extra_info("ssl_object") is not None
        self.sessions.append((over_tls, bool(session.authenticated)))
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pmosync test mail server")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@contextmanager
def mail_server(port: int, certificate: tuple[Path, Path], security: str) -> Iterator[Inbox]:
    """aiosmtpd on 127.0.0.1:``port``: STARTTLS required before AUTH, or implicit TLS."""
    inbox = Inbox()
    context = _server_context(certificate)
    if security == "starttls":
        tls = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    else:
        tls = {"ssl_context": context, "auth_require_tls": False}
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_required=True,
        **tls,
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@contextmanager
def silent_server(port: int) -> Iterator[None]:
    """A port that takes connections (the kernel completes them) but never says hello."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(8)
        yield


# -- configuration and store ---------------------------------------------------------------------


def _config(
    tmp_path: Path,
    port: int,
    *,
    security: str = "starttls",
    password: str = PASSWORD,
    to: list[str] = TO,
    subject: str | None = None,
):
    path = tmp_path / "pmosync.yaml"
    extra = f"\n                      subject: {subject}" if subject else ""
    path.write_text(
        textwrap.dedent(
            f"""\
            smtp:
              host: 127.0.0.1
              port: {port}
              security: {security}
              username: {USER}
              password: ${{SMTP_PASSWORD}}
              from: {SENDER}
              timeout_s: 2
            reports:
              weekly:
                kind: portfolio_status
                title: Weekly portfolio
                deliver:
                  - email:
                      to: [{", ".join(to)}]
                      cc: [{CC[0]}]{extra}
            """
        ),
        encoding="utf-8",
    )
    return load_config(path, environ={"SMTP_PASSWORD": password})


def _deliver(config, store: Store, as_of: str, run_id: str):
    document = _document(as_of)
    save_snapshot(store, run_id, document)
    files, mail = _rendered(document)
    return deliver_report(config, store, "weekly", run_id, document, files, mail)


def _rows(store: Store) -> list[dict]:
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(report_deliveries))]


@pytest.fixture
def store(store_url) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened


@pytest.fixture
def trusted(certificate, monkeypatch) -> None:
    """Trust the test certificate the way an admin trusts a private CA (SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


# -- tests ---------------------------------------------------------------------------------------


def test_starttls_and_login_deliver_html_with_cid_images_and_the_files(
    tmp_path, store, certificate, trusted
):
    port = _free_port()
    config = _config(tmp_path, port)
    with mail_server(port, certificate, "starttls") as inbox:
        [outcome] = _deliver(config, store, "2026-03-02", "run-1")
    assert (outcome.status, outcome.kind, outcome.period) == ("delivered", "email", "2026-03-02")
    assert outcome.error is None
    assert inbox.sessions == [(True, True)], "the message went over STARTTLS after a login"
    assert inbox.envelopes == [(SENDER, TO + CC)]
    [message] = inbox.messages
    assert message["Subject"] == "Weekly portfolio — 2026-03-02"
    assert (message["From"], message["To"], message["Cc"]) == (SENDER, TO[0], CC[0])
    # a machine's mail: auto-responders (RFC 3834) and Exchange's out-of-office stay silent
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message.get_content_type() == "multipart/mixed"
    related, *attachments = message.iter_parts()
    assert related.get_content_type() == "multipart/related"
    alternative, *images = related.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, body = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    # (lines end in CRLF on the wire)
    assert plain.get_content().splitlines() == ["Weekly portfolio", "As of 2026-03-02",
                                                "Projects: 3"]  # fmt: skip
    assert body.get_content_type() == "text/html"
    html = body.get_content()
    assert 'src="cid:chart-rag"' in html and 'src="cid:chart-trend"' in html
    by_cid = {part["Content-ID"]: part for part in images}
    assert set(by_cid) == {"<chart-rag>", "<chart-trend>"}
    assert by_cid["<chart-rag>"].get_content_type() == "image/png"
    assert by_cid["<chart-rag>"].get_content() == RAG_PNG
    assert by_cid["<chart-trend>"].get_content() == TREND_PNG
    # The compact page is the body; the full report travels as attachments, its page too.
    files = {part.get_filename(): part for part in attachments}
    assert set(files) == {
        "weekly-2026-03-02.html",
        "weekly-2026-03-02.xlsx",
        "weekly-2026-03-02-projects.csv",
    }
    assert files["weekly-2026-03-02.html"].get_payload(decode=True) == (
        b"<html><body><h1>Weekly portfolio</h1><p>2026-03-02</p></body></html>"
    )
    assert files["weekly-2026-03-02.xlsx"].get_content_type() == XLSX
    assert files["weekly-2026-03-02.xlsx"].get_content() == b"PK\x03\x04 workbook 2026-03-02"
    assert files["weekly-2026-03-02-projects.csv"].get_payload(decode=True) == (
        b"name,rag\r\nApollo,red\r\n"
    )
    [row] = _rows(store)
    assert (row["status"], row["attempts"], row["run_id"]) == ("delivered", 1, "run-1")


# aiosmtpd warns that AUTH without STARTTLS is unsafe; with implicit TLS it is not.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls_delivers(tmp_path, store, certificate, trusted):
    port = _free_port()
    config = _config(tmp_path, port, security="ssl")
    with mail_server(port, certificate, "ssl") as inbox:
        [outcome] = _deliver(config, store, "2026-03-02", "run-1")
    assert outcome.status == "delivered", outcome.error
    assert inbox.sessions == [(True, True)]
    assert [m["Subject"] for m in inbox.messages] == ["Weekly portfolio — 2026-03-02"]


def test_a_certificate_that_does_not_verify_fails_the_delivery(tmp_path, store, certificate):
    port = _free_port()
    config = _config(tmp_path, port)
    with mail_server(port, certificate, "starttls") as inbox:
        [outcome] = _deliver(config, store, "2026-03-02", "run-1")
    assert outcome.status == "failed"
    assert f"127.0.0.1:{port}" in outcome.error and "certificate" in outcome.error
    assert inbox.messages == []


def test_a_wrong_password_is_named_without_the_password(tmp_path, store, certificate, trusted):
    port = _free_port()
    wrong = "not-the-right-one"
    config = _config(tmp_path, port, password=wrong)
    with mail_server(port, certificate, "starttls") as inbox:
        [outcome] = _deliver(config, store, "2026-03-02", "run-1")
    assert outcome.status == "failed"
    assert f"127.0.0.1:{port}" in outcome.error and "refused the login" in outcome.error
    assert "535" in outcome.error  # aiosmtpd's "535 5.7.8 Authentication credentials invalid"
    assert wrong not in repr(_rows(store)) and wrong not in outcome.error
    assert inbox.messages == []


def test_a_refused_connection_is_recorded_and_the_next_run_delivers(
    tmp_path, store, certificate, trusted
):
    port = _free_port()  # nobody listens there yet
    config = _config(tmp_path, port)
    [failed] = _deliver(config, store, "2026-03-02", "run-1")
    assert failed.status == "failed"
    assert failed.error == f"cannot reach mail server 127.0.0.1:{port} (connection refused)"
    [row] = _rows(store)
    assert (row["status"], row["attempts"], row["error"]) == ("failed", 1, failed.error)
    assert PASSWORD not in repr(row)
    with mail_server(port, certificate, "starttls") as inbox:
        [again] = _deliver(config, store, "2026-03-02", "run-2")
        [skipped] = _deliver(config, store, "2026-03-02", "run-3")
    assert again.status == "delivered" and skipped.status == "already_delivered"
    assert len(inbox.messages) == 1, "sent once for the period, however often the run repeats"
    [row] = _rows(store)
    # run-1 failed, run-2 delivered; run-3 only looked: two attempts.
    assert (row["status"], row["attempts"], row["error"], row["run_id"]) == (
        "delivered",
        2,
        None,
        "run-2",
    )


def test_a_server_that_never_answers_times_out_and_a_later_run_sends_that_period(
    tmp_path, store, certificate, trusted
):
    port = _free_port()
    config = _config(tmp_path, port)
    with silent_server(port):
        [failed] = _deliver(config, store, "2026-03-02", "run-1")
    assert failed.status == "failed"
    assert failed.error == f"mail server 127.0.0.1:{port} did not answer within 2s (timed out)"
    assert PASSWORD not in repr(_rows(store))
    # A week later the server is back: the new period goes out, and so does the missed one,
    # re-rendered from its own snapshot (its date, not the new one's).
    with mail_server(port, certificate, "starttls") as inbox:
        [current] = _deliver(config, store, "2026-03-09", "run-2")
        retried = retry_failed(config, store, "weekly", _rendered)
    assert current.status == "delivered"
    assert [(o.period, o.status) for o in retried] == [("2026-03-02", "delivered")]
    subjects = [m["Subject"] for m in inbox.messages]
    assert subjects == ["Weekly portfolio — 2026-03-09", "Weekly portfolio — 2026-03-02"]
    retried_body = inbox.messages[1].get_body(("html",)).get_content()
    assert "As of 2026-03-02" in retried_body
    rows = {r["period"]: r for r in _rows(store)}
    assert (rows["2026-03-02"]["status"], rows["2026-03-02"]["attempts"]) == ("delivered", 2)
    assert rows["2026-03-02"]["run_id"] == "run-1", "delivered from run-1's snapshot"
    assert retry_failed(config, store, "weekly", _rendered) == [], "nothing left to retry"


def test_a_subject_cannot_inject_headers_and_is_capped(tmp_path, store, certificate, trusted):
    port = _free_port()
    # YAML double quotes turn \r\n into a real CR LF: a naive mailer would start a Bcc header.
    subject = '"Status\\r\\nBcc: spy@evil.example\\u2028' + "x" * 300 + '"'
    config = _config(tmp_path, port, subject=subject)
    with mail_server(port, certificate, "starttls") as inbox:
        [outcome] = _deliver(config, store, "2026-03-02", "run-1")
    assert outcome.status == "delivered", outcome.error
    [message] = inbox.messages
    assert message["Bcc"] is None and inbox.envelopes == [(SENDER, TO + CC)]
    # Line breaks become single spaces; 200 characters at most: the configured text is cut
    # (an ellipsis) so that the report's date, appended, is never what gets cut off:
    # 200 - len(" — 2026-03-02") = 200 - 13 = 187 characters, the last one the ellipsis.
    expected = ("Status Bcc: spy@evil.example " + "x" * 300)[:186] + "…" + " — 2026-03-02"
    assert message["Subject"] == expected and len(expected) == 200


def test_recipients_the_server_refuses_are_named_while_the_others_get_it(
    tmp_path, store, certificate, trusted
):
    port = _free_port()
    config = _config(tmp_path, port, to=[TO[0], GHOST])
    with mail_server(port, certificate, "starttls") as inbox:
        [outcome] = _deliver(config, store, "2026-03-02", "run-1")
    assert outcome.status == "delivered"
    assert outcome.error == f"not accepted for {GHOST} (550 5.1.1 No such user here)"
    assert inbox.envelopes == [(SENDER, TO + CC)]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        # no date in the configured subject: the report's as-of date is appended
        ("Weekly portfolio status", "Weekly portfolio status — 2026-03-02"),
        # a {date} placeholder is filled in, nothing appended
        ('"Status {date}: portfolio"', "Status 2026-03-02: portfolio"),
        # the date already written: left as it is
        ('"2026-03-02 status"', "2026-03-02 status"),
    ],
)
def test_every_subject_carries_the_report_date(
    tmp_path, store, certificate, trusted, subject, expected
):
    port = _free_port()
    config = _config(tmp_path, port, subject=subject)
    with mail_server(port, certificate, "starttls") as inbox:
        [outcome] = _deliver(config, store, "2026-03-02", "run-1")
    assert outcome.status == "delivered", outcome.error
    assert [m["Subject"] for m in inbox.messages] == [expected]


# -- a real report as an email -------------------------------------------------------------------


def _real_message(document: ReportDocument) -> email.message.EmailMessage:
    """``document`` rendered by the real renderers and built into the message smtp sends, then
    parsed back as a mail client parses it."""
    from pmosync.reports.delivery.mime import build_message
    from pmosync.reports.render import email_html, render_files

    body = email_html(document)
    message = build_message(
        sender=SENDER,
        to=TO,
        cc=[],
        subject="Weekly portfolio status",
        html_body=body.html,
        images=body.images,
        attachments=render_files(document, ["html", "csv"]),
        text_body=body.text,
    )
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


@pytest.mark.filterwarnings("ignore:Glyph:UserWarning")
@pytest.mark.parametrize("projects", [30, 500])  # demo-sized and M-sized portfolios
def test_a_report_email_is_a_compact_body_with_a_text_part_and_the_full_report(projects):
    from report_docs import readable_doc

    message = _real_message(readable_doc(projects))
    related, *attachments = message.iter_parts()
    alternative, *images = related.iter_parts()
    plain, html_part = alternative.iter_parts()
    assert (plain.get_content_type(), html_part.get_content_type()) == ("text/plain", "text/html")
    html = html_part.get_content()
    # under the 100 KB budget whatever the portfolio's size (Gmail clips at 102 KB)
    assert len(html.encode("utf-8")) < 100 * 1024, len(html)
    # at most 15 projects in the body, the rest counted: 30 - 15 = 15, 500 - 15 = 485
    assert "Consolidation Wave 15<" in html and "Consolidation Wave 16<" not in html
    assert f"and {projects - 15:,} more rows in the attached report" in html
    # the chart with one point (the burn, first run) is not drawn: one inline image, the other
    assert [part.get_content_type() for part in images] == ["image/png"]
    assert html.count('src="cid:') == 1
    # the plain text: figures, highlights and top rows, no markup
    text = plain.get_content()
    assert "Projects red: 7 (-1 since 2026-11-30)" in text
    assert "- Harbor Portal recovered to green <https://app.asana.com/0/1/2>" in text
    assert "Consolidation Wave 10 |" in text and "Consolidation Wave 11 |" not in text
    assert f"... and {projects - 10:,} more in the attached report" in text
    assert "<" not in text.replace("<https://", "")
    # the full report goes along: its HTML page (every row up to its limit) and the CSVs
    names = {part.get_filename() for part in attachments}
    assert "weekly-portfolio-2026-12-07.html" in names
    assert "weekly-portfolio-2026-12-07-projects.csv" in names
