"""Query parameter parsing with Asana's tolerance and Asana's 400 messages.

The real API accepts timestamps with or without a zone and with any fraction, so does this;
anything it would reject (a non-numeric gid, an impossible date, a limit outside 1..100) is a
400 that names the parameter, because a client must learn which argument was wrong.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pmosync.sandbox.asana.errors import bad_request


def gid(name: str, value: str, *, allow_me: bool = False) -> str:
    if allow_me and value == "me":
        return value
    if not value.isdigit():
        raise bad_request(f"{name}: Not a Long: {value}")
    return value


def limit(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"limit: Not an Integer: {value}") from None
    if not 1 <= number <= 100:
        raise bad_request(f"limit: Must be between 1 and 100, got {number}")
    return number


def boolean(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise bad_request(f"{name}: Not a Boolean: {value}")
    return lowered == "true"


def day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{name}: Not a valid date: {value}") from None


def timestamp(name: str, value: str) -> datetime:
    """ISO 8601 with or without zone/fraction; a bare date is midnight; no zone means UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{name}: Not a valid date-time: {value}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_timestamp(moment: datetime | None) -> str | None:
    """``2026-01-02T03:04:05.678Z``, the form Asana emits."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def format_day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
