"""The email target, through the configured mail server or Microsoft Graph ``sendMail``.

Both send the same thing: the report's compact HTML as the body with its charts inline
(``cid:``), and the report's files attached. smtp also sends the plain-text alternative
(``multipart/alternative``); Graph's ``sendMail`` takes one body, so a Graph mail is HTML only.
Graph takes attachments inside the request only up to about
3 MB (4 MB per request); above that the mail carries the charts if they fit, no files, and a
link to this period's report on SharePoint instead, which therefore has to exist.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence

from pmosync.config.reports import EmailDelivery
from pmosync.reports.delivery.context import Round
from pmosync.reports.delivery.mime import (
    AUTOMATIC_HEADERS,
    attached_files,
    bare_cid,
    build_message,
    fallback_html,
    image_type,
    subject_of,
    with_notice,
)
from pmosync.reports.delivery.outcome import DeliveryError

REQUEST_MAX = 4 * 1024 * 1024
"""Graph's limit for one request."""


def deliver_email(round_: Round, target: EmailDelivery) -> str | None:
    """Send the report; a note naming recipients the server refused, if any."""
    subject = subject_of(target.subject, round_.document)
    text = None
    if round_.email is not None:
        body, images = round_.email.html, dict(round_.email.images)
        text = round_.email.text
    else:
        body, images = fallback_html(round_.document), {}
    if target.via == "graph":
        _send_graph(round_, target, subject, body, images)
        return None
    return _send_smtp(round_, target, subject, body, images, text)


def _send_smtp(
    round_: Round,
    target: EmailDelivery,
    subject: str,
    body: str,
    images: Mapping[str, bytes],
    text: str | None = None,
) -> str | None:
    from pmosync.connectors.smtp import send_message

    smtp = round_.config.smtp
    if smtp is None:
        raise DeliveryError("email via smtp needs the top-level smtp section")
    message = build_message(
        sender=smtp.from_address,
        to=target.to,
        cc=target.cc,
        subject=subject,
        html_body=body,
        images=images,
        attachments=attached_files(round_.files),
        text_body=text,
    )
    refused = send_message(smtp, message)
    if not refused:
        return None
    return "not accepted for " + "; ".join(f"{a} ({reply})" for a, reply in refused.items())


def _send_graph(
    round_: Round, target: EmailDelivery, subject: str, body: str, images: Mapping[str, bytes]
) -> None:
    from pmosync.connectors.microsoft.mail import (
        ATTACHMENTS_MAX,
        MailAttachment,
        attachments_size,
        message_body,
        send_mail,
    )

    inline = []
    for cid, data in images.items():
        subtype, extension = image_type(data)
        name = bare_cid(cid)
        inline.append(MailAttachment(f"{name}.{extension}", data, f"image/{subtype}", name))
    files = [MailAttachment(f.name, f.content, f.media_type) for f in attached_files(round_.files)]

    def fits(attachments: Sequence[MailAttachment], text: str) -> dict[str, object] | None:
        # Graph takes only X- headers: no Auto-Submitted here
        payload = message_body(subject, text, target.to, target.cc, attachments, AUTOMATIC_HEADERS)
        if attachments_size(attachments) > ATTACHMENTS_MAX:
            return None
        return payload if len(json.dumps(payload)) <= REQUEST_MAX else None

    payload = fits(inline + files, body)
    if payload is None:
        total = attachments_size(inline + files)
        if round_.link is None:
            raise DeliveryError(
                f"the report's attachments ({_megabytes(total)}) are more than Graph sendMail "
                f"takes ({_megabytes(ATTACHMENTS_MAX)}), and this period has no SharePoint "
                "delivery to link to instead; add a sharepoint target or send via smtp"
            )
        notice = (
            '<p style="font-family:Segoe UI,Arial,sans-serif">The report files are too large '
            f'to attach ({_megabytes(total)}): <a href="{html.escape(round_.link, quote=True)}">'
            "open the report on SharePoint</a>.</p>"
        )
        payload = fits(inline, with_notice(body, notice)) or fits(
            [], with_notice(fallback_html(round_.document), notice)
        )
        if payload is None:
            raise DeliveryError("the report's email body alone is more than Graph accepts (4 MB)")
    client = round_.graphs.get(target.connector)
    client.run(send_mail(client, target.sender, payload))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
