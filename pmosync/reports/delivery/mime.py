"""The email of a report: subject, HTML body with its charts as ``cid:`` images, attachments.

The MIME shape is the one Outlook and every webmail render::

    multipart/mixed
      multipart/related
        multipart/alternative
          text/plain   (the report as plain text: figures, highlights, top rows)
          text/html    (the compact report; its charts by Content-ID)
        image/png ...  (the charts, inline)
      application/... (the report files as attachments)

The subject may come from the configuration or a report title, so it is reduced to printable
characters on one line: no CR/LF can reach the header (no header injection), and its length is
capped. Every subject carries the report's date (``subject_of``), so a week's mail is never
mistaken for last week's. ``Auto-Submitted: auto-generated`` (RFC 3834) and Exchange's
``X-Auto-Response-Suppress: All`` keep out-of-office replies and read receipts from answering a
report.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from email.message import EmailMessage, MIMEPart
from email.utils import formatdate, make_msgid
from typing import Protocol

from pmosync.reports.document import RenderedFile, ReportDocument

SUBJECT_LIMIT = 200
AUTOMATIC_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
"""Headers of a machine-sent message: RFC 3834 (auto-responders stay silent) and Exchange's
own (no out-of-office, delivery or read receipts)."""
_BODY_TAG = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


class EmailContent(Protocol):
    """The report as an email body (``pmosync.reports.render.email_html`` makes one)."""

    @property
    def html(self) -> str: ...

    @property
    def images(self) -> Mapping[str, bytes]: ...

    @property
    def text(self) -> str | None:
        """The plain-text alternative (None: the body is HTML only)."""


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
    """The configured subject, else the report's title, always with the report's date.

    Placeholders of ``placeholders.placeholder_values`` are filled in ("Status {date}"); a
    subject without a ``{date}`` and without the as-of date gets " — <as_of>" appended, and
    is shortened first if need be so the date is never the part cut off.
    """
    from pmosync.reports.delivery.placeholders import placeholder_values

    text = configured if configured and configured.strip() else document.title
    try:
        values = placeholder_values(document)
    except (TypeError, ValueError):  # an as-of that is no date: nothing to fill in
        values = {}
    if values:
        text = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)
    as_of = clean_header(values.get("date") or str(document.as_of), 40)
    if as_of and as_of not in text:
        suffix = f" — {as_of}"
        return clean_header(text, SUBJECT_LIMIT - len(suffix)) + suffix
    return clean_header(text)


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
    """The files that go along as attachments: every file of the report, the HTML page too
    (the body is its compact version, "and N more in the attached report")."""
    return list(files)


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
    text_body: str | None = None,
) -> EmailMessage:
    """The complete message, ready for ``smtplib``: the shape of this module's docstring
    (without ``text_body``, the HTML alone where the alternative would be)."""
    message = EmailMessage()
    message["Subject"] = clean_header(subject)
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    for name, value in AUTOMATIC_HEADERS.items():
        message[name] = value
    if text_body is None:
        message.set_content(html_body, subtype="html", charset="utf-8")
    elif not images:
        message.set_content(text_body, charset="utf-8")
        message.add_alternative(html_body, subtype="html", charset="utf-8")
    else:
        # related must hold the alternative (text, html) and then the images; the email
        # package cannot turn an alternative into a related, so the HTML part is swapped for
        # the alternative once the related is built
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
    if text_body is not None and images:
        alternative = MIMEPart()
        alternative.set_content(text_body, charset="utf-8")
        alternative.add_alternative(html_body, subtype="html", charset="utf-8")
        parts = message.get_payload()
        parts[0] = alternative
        message.set_payload(parts)
    for file in attachments:
        maintype, _, subtype = file.media_type.split(";")[0].strip().partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(file.content, maintype=maintype, subtype=subtype, filename=file.name)
    return message
