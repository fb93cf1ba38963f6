"""Post a message (an Adaptive Card) to a Teams channel through a Workflows webhook.

App-only Graph tokens cannot post ordinary channel messages, so Teams gets its cards through a
Power Automate "Workflows" webhook. Its URL carries its own signature (``sig=``): whoever has
the URL can post to the channel, so the URL is a credential. No message, exception, chain or
log line of this module contains it: errors say "Teams webhook" and the status, exceptions are
raised outside the ``except`` blocks that caught requests' own (which quote the URL), and
urllib3's debug lines are redacted while a post is in flight.

Retries follow the connectors' one retry policy (``pmosync.connectors.retry``): connection
errors, 5xx and 429 are tried again (429 after its Retry-After, capped, or an exponential
back-off without one), any other 4xx is final at once.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pmosync.connectors.errors import ConnectorError, FatalError, RetriableError, UnreachableError
from pmosync.connectors.retry import Attempts, RetryPolicy, Wait

log = logging.getLogger(__name__)

WHAT = "Teams webhook"
DEFAULT_POLICY = RetryPolicy(max_throttled=4, max_failures=4, retry_after_cap_s=60.0)
_BODY_LIMIT = 200


class _Transient(Exception):
    """One failed attempt worth repeating; carries no URL."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: str | None = None):
        super().__init__(message)
        self.status = status
        """None for a connection that failed; else the 429 or 5xx answer's status."""
        self.retry_after = retry_after


def post_card(
    webhook_url: str,
    payload: Mapping[str, Any],
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> int:
    """POST ``payload`` as JSON to the webhook; the accepting HTTP status (200 or 202).

    Waits between attempts are the policy's (cut short by its stop); ``sleep``, when given,
    waits instead (tests pass a recorder instead of waiting).
    Raises ``RetriableError`` when the attempts run out, ``FatalError`` on a refusal.
    """
    import requests

    attempts = Attempts(policy, WHAT, rng or random.Random())
    secrets = _secret_parts(webhook_url)
    failure: ConnectorError | None = None
    with requests.Session() as session, _redacted(secrets):
        while failure is None:
            try:
                return _attempt(session, webhook_url, payload, policy, secrets)
            except _Transient as error:
                wait = _next_wait(attempts, error)
                if wait is None:
                    message = f"{WHAT}: {error} (gave up after {attempts.tries} attempts)"
                    failure = RetriableError(message)
                    continue
                log.info("%s: %s; trying again in %.1fs", WHAT, error, wait.seconds)
            except FatalError as error:
                failure = FatalError(str(error), error.status)
                continue
            if sleep is not None:
                sleep(wait.seconds)
            else:
                policy.sleep(wait.seconds, wait.reason)
    # Raised here, outside every except block: no exception chain leads back to requests'
    # exceptions, whose messages quote the URL.
    raise failure


def check_reachable(webhook_url: str, timeout_s: float = 10.0) -> str:
    """``pmosync check``'s probe: does the webhook's host answer HTTPS at all? A GET posts
    nothing (a workflow runs only on POST); any HTTP answer means the URL is reachable, as
    the host and TLS work. Messages name the host only: the URL is a credential."""
    import requests

    secrets = _secret_parts(webhook_url)
    host = urlsplit(webhook_url).hostname or "?"
    problem: str | None = None
    with _redacted(secrets):
        try:
            response = requests.get(webhook_url, timeout=timeout_s, allow_redirects=False)
        except requests.exceptions.SSLError:
            problem = "TLS failed (certificate or protocol)"
        except requests.Timeout:
            problem = f"no answer within {timeout_s:g}s"
        except requests.ConnectionError:
            problem = "cannot connect"
        except requests.RequestException as error:
            problem = f"the connection failed ({type(error).__name__})"
    if problem is not None:  # raised outside the except blocks: their messages quote the URL
        raise UnreachableError(f"{WHAT} on {host}: {problem}")
    return f"{WHAT} on {host} answers (HTTP {response.status_code} to a GET, which posts nothing)"


def _next_wait(attempts: Attempts, error: _Transient) -> Wait | None:
    if error.status is None:
        return attempts.after_drop()
    return attempts.after_status(error.status, error.retry_after)


def _attempt(
    session: Any,
    url: str,
    payload: Mapping[str, Any],
    policy: RetryPolicy,
    secrets: tuple[str, ...],
) -> int:
    import requests

    bad_url = (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    )
    problem: str | None = None
    try:
        response = session.post(url, json=payload, timeout=policy.timeout_s)
    except bad_url:
        problem = "bad url"
    except requests.Timeout:
        problem = "timed out"
    except requests.ConnectionError:
        problem = "cannot connect"
    except requests.RequestException as error:
        problem = f"the connection failed ({type(error).__name__})"
    if problem == "bad url":
        raise FatalError(f"{WHAT}: the webhook URL is not a valid URL")
    if problem is not None:
        raise _Transient(problem)
    status = response.status_code
    if 200 <= status < 300:
        return status
    reason = f"{status} {response.reason or ''}".strip()
    detail = _body_excerpt(response, secrets)
    message = f"{reason}: {detail}" if detail else reason
    if status == 429 or status >= 500:
        raise _Transient(message, status=status, retry_after=response.headers.get("Retry-After"))
    hint = ""
    if status in (401, 403, 404):
        hint = " (the webhook URL may be wrong or expired, or its workflow turned off)"
    raise FatalError(f"{WHAT} refused the card: {message}{hint}", status)


def _body_excerpt(response: Any, secrets: tuple[str, ...]) -> str:
    """The start of the answer, as one line: Power Automate explains refusals in it. Secrets
    are masked before it is cut short, so no cut can leave half a signature behind."""
    try:
        text = response.text or ""
    except Exception:  # noqa: BLE001 - an undecodable body only loses the detail
        return ""
    line = " ".join(_scrub(text, secrets).split())
    return line[:_BODY_LIMIT] + "…" if len(line) > _BODY_LIMIT else line


def _secret_parts(url: str) -> tuple[str, ...]:
    """The URL, its path and query (together and apart, as urllib3 logs ``path?query``) and
    each query parameter: what must never be shown."""
    parts = urlsplit(url)
    found = [url, f"{parts.path}?{parts.query}", parts.path, parts.query]
    found += [pair for pair in parts.query.split("&") if pair]
    found += [value for _, value in parse_qsl(parts.query) if len(value) >= 8]
    return tuple(sorted({p for p in found if len(p) > 3}, key=len, reverse=True))


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[webhook]")
    return text


class _Redact(logging.Filter):
    """Rewrites log records that quote the webhook URL (urllib3 logs request lines at DEBUG)."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _scrub(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


@contextmanager
def _redacted(secrets: tuple[str, ...]) -> Iterator[None]:
    loggers = [logging.getLogger("urllib3.connectionpool"), logging.getLogger("urllib3")]
    redact = _Redact(secrets)
    for logger in loggers:
        logger.addFilter(redact)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redact)
