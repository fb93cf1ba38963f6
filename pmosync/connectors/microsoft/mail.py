"""Send an HTML email through Graph ``sendMail``, with inline images and file attachments.

Inline images are file attachments with ``isInline`` and a ``contentId`` the HTML refers to as
``cid:``; Outlook shows them in the body. Graph takes attachments in the request itself only up
to about 3 MB in all (and 4 MB per request), so callers check ``attachments_size`` first and
link to the files instead when they are larger.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from pmosync.connectors.microsoft.graph import GraphClient

ATTACHMENTS_MAX = 3 * 1024 * 1024
"""What sendMail accepts as attachments inside the request."""


@dataclass(frozen=True, slots=True)
class MailAttachment:
    name: str
    content: bytes
    media_type: str
    content_id: str | None = None
    """Set for an image the HTML shows inline (``<img src="cid:...">``)."""


def attachments_size(attachments: Sequence[MailAttachment]) -> int:
    return sum(len(a.content) for a in attachments)


def message_body(
    subject: str,
    html: str,
    to: Sequence[str],
    cc: Sequence[str],
    attachments: Sequence[MailAttachment],
    headers: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """The ``sendMail`` request body (Graph's camelCase JSON). Of ``headers`` only the ``X-``
    ones are sent: Graph refuses any other custom header."""

    def recipients(addresses: Sequence[str]) -> list[dict[str, object]]:
        return [{"emailAddress": {"address": address}} for address in addresses]

    message: dict[str, object] = {
        "subject": subject,
        "body": {"contentType": "HTML", "content": html},
        "toRecipients": recipients(to),
    }
    if cc:
        message["ccRecipients"] = recipients(cc)
    if attachments:
        message["attachments"] = [_attachment(a) for a in attachments]
    custom = [
        {"name": name, "value": value}
        for name, value in (headers or {}).items()
        if name.lower().startswith("x-")
    ]
    if custom:
        message["internetMessageHeaders"] = custom
    return {"message": message, "saveToSentItems": True}


def _attachment(attachment: MailAttachment) -> dict[str, object]:
    body: dict[str, object] = {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "name": attachment.name,
        "contentType": attachment.media_type,
        "contentBytes": base64.b64encode(attachment.content).decode("ascii"),
    }
    if attachment.content_id is not None:
        body["isInline"] = True
        body["contentId"] = attachment.content_id
    return body


async def send_mail(client: GraphClient, sender: str | None, body: dict[str, object]) -> None:
    """POST the message as ``sender``'s mailbox (``/me`` for a delegated token without one)."""
    mailbox = f"users/{quote(sender, safe='@')}" if sender else "me"
    await client.send(client.request("POST", f"{mailbox}/sendMail", body))
