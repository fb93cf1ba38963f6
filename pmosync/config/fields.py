"""Small validated value types shared by the config models, and the base model they all use.

Each type carries its own check (with a message a PSO tool expert understands) *and* the JSON
Schema an editor needs to flag the same mistake while typing, so the two cannot drift apart.
"""

from __future__ import annotations

import codecs
import re
import string
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema

from pmosync.config.errors import show_value
from pmosync.config.interpolate import UNSET_REFERENCE

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
GID_PATTERN = r"^[0-9]+$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
HTTP_URL_PATTERN = r"^https?://"
STORE_URL_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*://"

#: Placeholders a delivery folder/path template may use; the reports layer fills them in.
FOLDER_PLACEHOLDERS = ("year", "month", "day", "week", "date", "report", "kind")

CRON_FIELDS = "minute hour day-of-month month day-of-week"
CRON_SECONDS_FIELDS = "second " + CRON_FIELDS
#: The JSON Schema description of a cron value; docs/config.md names such values by it.
CRON_DESCRIPTION = f"cron: {CRON_FIELDS} (or 6 fields, seconds first)"


class ConfigModel(BaseModel):
    """Base of every config model.

    ``extra="forbid"`` turns a misspelt key into an error instead of a silently ignored setting;
    ``coerce_numbers_to_str`` lets ``sheet: 2024`` or an unquoted gid mean the text the user
    typed. Field descriptions are what editors show on hover (they are written as
    ``Field(description=...)`` rather than attribute docstrings, which pydantic would have to
    read from the source file at import time, slowing every CLI start).
    """

    model_config = ConfigDict(
        extra="forbid",
        coerce_numbers_to_str=True,
    )


def _shown(value: str, what: str = "the value") -> str:
    return show_value(value) or what


NAME_LIMIT = 64
RESERVED_REPORT_NAMES = ("list", "history")
"""Connector and report names are stored in the ledger, the checkpoints and every record's
``source``: columns of this width."""


def check_connector_name(name: str) -> str:
    if len(name) > NAME_LIMIT:
        raise ValueError(f"connector name is {len(name)} characters long; at most {NAME_LIMIT}")
    if not re.fullmatch(NAME_PATTERN, name):
        raise ValueError(
            f"connector name {_shown(name, 'this name')} is not allowed: use lower-case letters, "
            "digits, '-' and '_', starting with a letter or digit"
        )
    return name


def check_report_name(name: str) -> str:
    if len(name) > NAME_LIMIT:
        raise ValueError(f"report name is {len(name)} characters long; at most {NAME_LIMIT}")
    if not name.strip():
        raise ValueError("report name must not be empty")
    if name in RESERVED_REPORT_NAMES:
        raise ValueError(f"'{name}' is a word of `pmosync report`; name the report otherwise")
    return name


def check_email(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(EMAIL_PATTERN, value):
        raise ValueError(f"{_shown(value)} is not a valid email address")
    return value.lower()


def check_gid(value: str) -> str:
    # An unset ${VAR} keeps its reference text; the loader says it is unset (or lets it wait
    # for `pmosync discover`, which lists the gids to choose from).
    if not re.fullmatch(GID_PATTERN, value) and not UNSET_REFERENCE.fullmatch(value):
        raise ValueError(
            f'{_shown(value)} is not an Asana gid (digits only, e.g. "1200000000000001")'
        )
    return value


def check_cron(value: str) -> str:
    """Five fields (the norm), or six with seconds first (Quartz/Spring order) for schedules
    that tick more than once a minute. The daemon reads them with the same croniter rules."""
    fields = value.split()
    if not fields:
        raise ValueError(f"is empty; expected a cron expression ({CRON_FIELDS})")
    if len(fields) in (5, 6):
        from croniter import croniter  # ~45 ms to import; only paid when a schedule is set

        try:
            if croniter.is_valid(" ".join(fields), second_at_beginning=len(fields) == 6):
                return " ".join(fields)
        except Exception:  # noqa: BLE001 - croniter raising on odd input means "not valid"
            pass
        order = CRON_FIELDS if len(fields) == 5 else CRON_SECONDS_FIELDS
        raise ValueError(f"{_shown(value)} is not a valid cron expression ({order})")
    raise ValueError(
        f"{_shown(value)} is not a valid cron expression ({CRON_FIELDS}); it has {len(fields)} "
        f"field{'s' if len(fields) > 1 else ''}, not 5 (or 6 with seconds first)"
    )


def check_http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{_shown(value)} is not an http:// or https:// URL")
    return value.rstrip("/")


def check_store_url(value: str) -> str:
    # The URL may carry a database password: never quote it back.
    if not re.match(STORE_URL_PATTERN, value.strip()):
        raise ValueError(
            "must be a database URL such as sqlite:///pmosync.db or "
            "postgresql+psycopg://user@host/db"
        )
    return value.strip()


def check_currency(value: str) -> str:
    if not re.fullmatch(CURRENCY_PATTERN, value):
        raise ValueError(f"{_shown(value)} is not a currency code (three capitals, e.g. EUR)")
    return value


def check_encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown text encoding {_shown(value)}") from None
    return value


def check_folder_template(value: str) -> str:
    """A folder such as ``Reports/{year}/{week}``: known placeholders, balanced braces."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError:
        raise ValueError("unbalanced '{' or '}' (write {{ or }} for a literal brace)") from None
    allowed = ", ".join("{" + n + "}" for n in FOLDER_PLACEHOLDERS)
    for name in names:
        if name not in FOLDER_PLACEHOLDERS:
            shown = show_value("{" + name + "}") if name else "'{}'"
            raise ValueError(f"unknown placeholder {shown or 'in braces'} (allowed: {allowed})")
    return value


def check_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _schema(**schema: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", **schema})


NonEmptyStr = Annotated[str, AfterValidator(check_not_blank), _schema(minLength=1)]
ConnectorName = Annotated[
    str,
    AfterValidator(check_connector_name),
    _schema(pattern=NAME_PATTERN, maxLength=NAME_LIMIT),
]
ReportName = Annotated[
    str, AfterValidator(check_report_name), _schema(minLength=1, maxLength=NAME_LIMIT)
]
Email = Annotated[str, AfterValidator(check_email), _schema(pattern=EMAIL_PATTERN)]
Gid = Annotated[
    str,
    AfterValidator(check_gid),
    WithJsonSchema({"type": ["string", "integer"], "pattern": GID_PATTERN}),
]
Cron = Annotated[
    str,
    AfterValidator(check_cron),
    _schema(
        examples=["0 7 * * MON", "*/30 * * * *"],
        description=CRON_DESCRIPTION,
    ),
]
HttpUrl = Annotated[str, AfterValidator(check_http_url), _schema(pattern=HTTP_URL_PATTERN)]
StoreUrl = Annotated[str, AfterValidator(check_store_url), _schema(pattern=STORE_URL_PATTERN)]
Currency = Annotated[str, AfterValidator(check_currency), _schema(pattern=CURRENCY_PATTERN)]
Encoding = Annotated[str, AfterValidator(check_encoding), _schema()]
FolderTemplate = Annotated[
    str,
    AfterValidator(check_not_blank),
    AfterValidator(check_folder_template),
    _schema(minLength=1),
]


def described_keys(descriptions: dict[str, str]) -> dict[str, object]:
    """Schema extra so editors offer (and explain) the allowed keys of a free-form mapping."""
    return {
        "properties": {
            key: {"type": "string", "description": text} for key, text in descriptions.items()
        }
    }
