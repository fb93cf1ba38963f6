"""``POST /users/{id}/sendMail``: validate, normalise to camelCase, keep, answer 202.

msgraph-sdk has been seen sending PascalCase property names (``Message``, ``ToRecipients``,
``ContentBytes``) and Graph accepts either, so both are read; what is stored is camelCase so a
test reads one shape. Graph caps a request at 4 MB and, in practice, attachments sent inline at
about 3 MB; beyond that a client must use an upload session for attachments (not emulated).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pmosync.sandbox.graph.auth import Access
from pmosync.sandbox.graph.call import Call, Reply
from pmosync.sandbox.graph.errors import GraphError
from pmosync.sandbox.graph.routing import Route

REQUEST_MAX = 4 * 1024 * 1024
ATTACHMENTS_MAX = 3 * 1024 * 1024
RECIPIENT_KINDS = ("toRecipients", "ccRecipients", "bccRecipients")
FILE_ATTACHMENT = "#microsoft.graph.fileAttachment"


def camel(value: Any) -> Any:
    """Lower-case the first letter of every property name (annotations like ``@odata.type``
    stay as they are); values are left alone."""
    if isinstance(value, dict):
        return {
            (k if k.startswith("@") or not k else k[0].lower() + k[1:]): camel(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def _invalid(code: str, message: str) -> GraphError:
    return GraphError(400, code, message)


def _check_recipients(message: dict[str, Any]) -> None:
    count = 0
    for kind in RECIPIENT_KINDS:
        recipients = message.get(kind) or []
        if not isinstance(recipients, list):
            raise _invalid("ErrorInvalidRecipients", f"{kind} must be a list of recipients.")
        for recipient in recipients:
            address = (
                recipient.get("emailAddress", {}).get("address")
                if isinstance(recipient, dict) and isinstance(recipient.get("emailAddress"), dict)
                else None
            )
            if not isinstance(address, str) or "@" not in address:
                raise _invalid(
                    "ErrorInvalidRecipients",
                    f"{kind} holds a recipient without a valid emailAddress.address.",
                )
            count += 1
    if count == 0:
        raise _invalid(
            "ErrorInvalidRecipients", "At least one recipient is required, but none were found."
        )


def _check_body(message: dict[str, Any]) -> None:
    body = message.get("body")
    if body is None:
        return
    if not isinstance(body, dict):
        raise _invalid("ErrorInvalidRequest", "message.body must be an itemBody object.")
    kind = body.get("contentType", "text")
    if not isinstance(kind, str) or kind.lower() not in ("text", "html"):
        raise _invalid(
            "ErrorInvalidRequest", f"Invalid body contentType '{kind}'; use Text or HTML."
        )


def _check_attachments(message: dict[str, Any]) -> None:
    attachments = message.get("attachments") or []
    if not isinstance(attachments, list):
        raise _invalid("ErrorInvalidRequest", "message.attachments must be a list.")
    total = 0
    for attachment in attachments:
        if not isinstance(attachment, dict):
            raise _invalid("ErrorInvalidRequest", "An attachment must be an object.")
        kind = str(attachment.get("@odata.type", ""))
        if kind.lstrip("#") != FILE_ATTACHMENT.lstrip("#"):
            raise _invalid(
                "ErrorInvalidRequest",
                f"Unsupported attachment type '{kind}'; use {FILE_ATTACHMENT}.",
            )
        name, data = attachment.get("name"), attachment.get("contentBytes")
        if not isinstance(name, str) or not name or not isinstance(data, str):
            raise _invalid("ErrorInvalidRequest", "A file attachment needs name and contentBytes.")
        try:
            total += len(base64.b64decode(data, validate=True))
        except (binascii.Error, ValueError):
            raise _invalid(
                "ErrorInvalidRequest", f"contentBytes of attachment '{name}' is not base64."
            ) from None
    if total > ATTACHMENTS_MAX:
        raise GraphError(
            413,
            "ErrorRequestEntityTooLarge",
            f"Attachments total {total} bytes; sendMail accepts about 3 MB "
            "(use an upload session for larger attachments).",
        )


def send_mail(call: Call) -> Reply:
    sender_key = call.args["user"]
    try:
        sender = call.tenant.user(sender_key)
    except KeyError:
        raise GraphError(
            404, "ErrorInvalidUser", f"The requested user '{sender_key}' is invalid."
        ) from None
    if len(call.raw_body) > REQUEST_MAX:
        raise GraphError(413, "RequestEntityTooLarge", "The request exceeds the 4 MB limit.")
    payload = camel(call.json())
    message = payload.get("message")
    if not isinstance(message, dict):
        raise _invalid("ErrorInvalidRequest", "The request body must hold a message object.")
    _check_recipients(message)
    _check_body(message)
    _check_attachments(message)
    save = payload.get("saveToSentItems", True)
    if not isinstance(save, bool):
        raise _invalid("ErrorInvalidRequest", "saveToSentItems must be true or false.")
    if sender.mail is None:  # an account without a mailbox cannot send
        raise GraphError(
            404,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )
    call.tenant.record_mail(sender.mail, message, save)
    return Reply(202)


ROUTES = (Route("POST", "/users/{user}/sendMail", send_mail, Access.MAIL_SEND),)
