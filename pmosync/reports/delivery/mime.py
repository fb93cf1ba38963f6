"""The email of a report: subject, HTML body with its charts as ``cid:`` images, attachments.

The MIME shape is the one Outlook and every webmail render: ``multipart/mixed`` holding a
``multipart/related`` (the HTML and the images it refers to by Content-ID) and then the report
files as attachments. The subject may come from the configuration or a report title, so it is
reduced to printable characters on one line: no CR/LF can reach the header (no header
injection), and its length is capped.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from pmosync.reports.document import RenderedFile, ReportDocument

SUBJECT_LIMIT = 200
_BODY_TAG = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


class EmailContent(Protocol):
    """The report as an email body (``pmosync.reports.render.email_html`` makes one)."""

    @property
    def html(self) -> str: ...

    @property
    def images(self) -> Mapping[str, bytes]: ...


def clean_header(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """One printable line: control and line-separator characters dropped, runs of
    whitespace made one space, at most ``limit`` characters."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co")
    )
    line = " ".join(kept.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def subject_of(configured: str | None, document: ReportDocument) -> str:
    """The configured subject, else "<title> — <as_of>"."""
    text = configured if configured and configured.strip() else None
    return clean_header(text or f"{document.title} — {document.as_of}")


def image_type(data: bytes) -> tuple[str, str]:
    """(MIME subtype, file extension) of a chart image, by its first bytes."""
    if data.startswith(b"\x89PNG"):
        return "png", "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg", "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif", "gif"
    if b"<svg" in data[:1024]:
        return "svg+xml", "svg"
    return "png", "png"


def bare_cid(cid: str) -> str:
    """A Content-ID without its angle brackets (the HTML says ``cid:chart-1``)."""
    return cid.strip().strip("<>")


def attached_files(files: Iterable[RenderedFile]) -> list[RenderedFile]:
    """The files that go along as attachments: all but the HTML page, which is the body."""
    return [f for f in files if f.media_type.split(";")[0].strip() != "text/html"]


def fallback_html(document: ReportDocument) -> str:
    """A plain body for a report rendered without HTML: title, date and headline figures."""
    from pmosync.reports.delivery.card import format_figure

    rows = "".join(
        f"<tr><td>{html.escape(f.label)}</td><td>{html.escape(format_figure(f))}</td></tr>"
        for f in document.figures
    )
    table = f"<table>{rows}</table>" if rows else ""
    return (
        "<!DOCTYPE html><html><body>"
        f"<h1>{html.escape(document.title)}</h1><p>As of {html.escape(document.as_of)}</p>"
        f"{table}</body></html>"
    )


def with_notice(body: str, notice_html: str) -> str:
    """``body`` with a paragraph added at the top of its ``<body>``."""
    found = _BODY_TAG.search(body)
    if found is None:
        return notice_html + body
    return body[: found.end()] + notice_html + body[found.end() :]


def build_message(
    *,
    sender: str,
    to: Sequence[str],
    cc: Sequence[str],
    subject: str,
    html_body: str,
    images: Mapping[str, bytes],
    attachments: Sequence[RenderedFile],
) -> EmailMessage:
    """The complete message, ready for ``smtplib``."""
    message = EmailMessage()
    message["Subject"] = clean_header(subject)
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(html_body, subtype="html", charset="utf-8")
    for cid, data in images.items():
        subtype, extension = image_type(data)
        name = bare_cid(cid)
        message.add_related(
            data,
            maintype="image",
            subtype=subtype,
            cid=f"<{name}>",
            disposition="inline",
            filename=f"{name}.{extension}",
        )
    for file in attachments:
        maintype, _, subtype = file.media_type.split(";")[0].strip().partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(file.content, maintype=maintype, subtype=subtype, filename=file.name)
    return message
