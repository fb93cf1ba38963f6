"""Send one email through the configured mail server (smtplib).

Every way a mail server can let us down (nobody listening, no greeting within the timeout, a
certificate that does not verify, a refused login, refused recipients) ends as one of our
one-line connector errors naming ``host:port``. The message is built from the error's kind and
the server's own reply, never from our request, and the password is scrubbed from it anyway:
an SMTP server is free to echo whatever it likes.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from email.message import EmailMessage

from pmosync.config.models import Smtp
from pmosync.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    FatalError,
    RetriableError,
    UnreachableError,
)

_REPLY_LIMIT = 200


def send_message(smtp: Smtp, message: EmailMessage) -> dict[str, str]:
    """Send ``message`` (its From/To/Cc headers name sender and recipients).

    Returns the recipients the server refused while accepting the others, with its reply
    (an empty dict when everyone was accepted). Raises a ``ConnectorError`` when nothing was
    sent.
    """
    where = f"{smtp.host}:{smtp.port}"
    password = smtp.password.get_secret_value() if smtp.password is not None else None
    failure: ConnectorError | None = None
    refused: dict[str, str] = {}
    try:
        refused = _send(smtp, message, password)
    except (smtplib.SMTPException, OSError) as error:
        failure = _describe(error, where, smtp)
    if failure is not None:
        # Raised outside the except block: no exception chain carries the server's objects.
        raise type(failure)(_scrub(str(failure), password))
    return {address: _scrub(reply, password) for address, reply in refused.items()}


def check_login(smtp: Smtp) -> str:
    """``pmosync check``'s probe: connect, start TLS and log in as a delivery would, then say
    goodbye without sending anything. Returns what was verified; raises a ``ConnectorError``
    as ``send_message`` does."""
    where = f"{smtp.host}:{smtp.port}"
    password = smtp.password.get_secret_value() if smtp.password is not None else None
    failure: ConnectorError | None = None
    try:
        with _session(smtp, password):
            pass
    except (smtplib.SMTPException, OSError) as error:
        failure = _describe(error, where, smtp)
    if failure is not None:
        raise type(failure)(_scrub(str(failure), password))
    done = {"starttls": "STARTTLS", "ssl": "TLS", "none": "no TLS"}[smtp.security]
    login = f", logged in as {smtp.username!r}" if smtp.username is not None else ""
    return f"mail server {where} answers ({done}{login})"


def _session(smtp: Smtp, password: str | None) -> smtplib.SMTP:
    """A connected client, TLS started and logged in as the config says; use it in ``with``
    (a failure after connecting closes it)."""
    context = ssl.create_default_context(cafile=smtp.ca_file)
    if smtp.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_s, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    try:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.username is not None:
            _login(client, smtp.username, password or "")
    except BaseException:
        client.close()
        raise
    return client


def _send(smtp: Smtp, message: EmailMessage, password: str | None) -> dict[str, str]:
    with _session(smtp, password) as client:
        refused = client.send_message(message)
    return {address: _reply(code, text) for address, (code, text) in refused.items()}


def _login(client: smtplib.SMTP, username: str, password: str) -> None:
    """Log in; a non-ASCII name or password goes as UTF-8 AUTH PLAIN (RFC 4616), which
    smtplib's own ``login`` cannot send (it encodes credentials as ASCII)."""
    if (username + password).isascii():
        client.login(username, password)
        return
    methods = (client.esmtp_features.get("auth") or "").upper().split()
    if "PLAIN" not in methods:
        raise smtplib.SMTPNotSupportedError(
            "the server offers no AUTH PLAIN, the only way to send a non-ASCII password"
        )
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode()
    code, reply = client.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _describe(error: BaseException, where: str, smtp: Smtp) -> ConnectorError:
    """One line for what went wrong, in the words a mail administrator would use."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        reply = _reply(error.smtp_code, error.smtp_error)
        return AuthenticationError(
            f"mail server {where} refused the login of {smtp.username!r} ({reply}); check the "
            "username and password"
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address} ({_reply(code, text)})"
            for address, (code, text) in error.recipients.items()
        )
        return FatalError(f"mail server {where} refused every recipient: {refused}")
    if isinstance(error, smtplib.SMTPSenderRefused):
        reply = _reply(error.smtp_code, error.smtp_error)
        return FatalError(f"mail server {where} refused the sender {error.sender!r} ({reply})")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return FatalError(f"mail server {where}: {_first_line(str(error))}")
    if isinstance(error, smtplib.SMTPResponseException):
        reply = _reply(error.smtp_code, error.smtp_error)
        kind = RetriableError if 400 <= error.smtp_code < 500 else FatalError
        return kind(f"mail server {where} answered {reply}")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        if isinstance(error.__context__, TimeoutError):  # smtplib turns a read timeout into this
            return _timed_out(where, smtp)
        return RetriableError(f"mail server {where} closed the connection unexpectedly")
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = error.verify_message or error.reason or "certificate verify failed"
        return FatalError(
            f"TLS with mail server {where} failed: its certificate does not verify ({reason})"
        )
    if isinstance(error, ssl.SSLError):
        reason = error.reason or _first_line(str(error))
        return FatalError(f"TLS with mail server {where} failed ({reason})")
    if isinstance(error, TimeoutError):
        return _timed_out(where, smtp)
    if isinstance(error, ConnectionRefusedError):
        return UnreachableError(f"cannot reach mail server {where} (connection refused)")
    if isinstance(error, socket.gaierror):
        return UnreachableError(f"cannot reach mail server {where} (unknown host)")
    if isinstance(error, OSError):
        reason = error.strerror or _first_line(str(error)) or type(error).__name__
        return UnreachableError(f"cannot reach mail server {where} ({reason})")
    return FatalError(f"mail server {where}: {type(error).__name__}: {_first_line(str(error))}")


def _timed_out(where: str, smtp: Smtp) -> RetriableError:
    return RetriableError(
        f"mail server {where} did not answer within {smtp.timeout_s:g}s (timed out)"
    )


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    line = " ".join(text.split())
    if len(line) > _REPLY_LIMIT:
        line = line[:_REPLY_LIMIT] + "…"
    return f"{code} {line}".strip()


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:_REPLY_LIMIT] if lines else ""


def _scrub(text: str, password: str | None) -> str:
    return text.replace(password, "***") if password else text
