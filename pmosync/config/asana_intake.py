"""The ``intake:`` block of an Asana connector: where a workspace collects project requests.

Asana's own intake pattern is a form feeding a project: each submission becomes a task there,
its answers in custom fields, and the team moves it across the board's sections ("New
requests", "Under review", "Approved"...) as it is assessed. Every top-level task of a
designated intake project is therefore a request (a ``Request``), never a work task, and the
project itself is not synced as a project. Which custom field holds what is named here;
the criteria, effort, units and vocabularies are the keys every intake source shares.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pmosync.config.fields import Currency, Gid, NonEmptyStr, described_keys
from pmosync.config.intake import IntakeSourceFields

AsanaIntakeField = Literal[
    "requester", "sponsor", "submitted", "estimated_cost", "estimated_benefit", "target_start",
    "target_end", "risk", "project",
]  # fmt: skip

ASANA_INTAKE_FIELD_DESCRIPTIONS: dict[str, str] = {
    "requester": "People field: who asked; default the task's creator (the form's submitter).",
    "sponsor": "People field: the request's sponsor (the first person named).",
    "submitted": "Date field: when it was submitted; default the task's creation time.",
    "estimated_cost": "Number field, best with format currency (its currency_code is the "
    "request's currency, else default_currency).",
    "estimated_benefit": "Number field (currency format, as estimated_cost).",
    "target_start": "Date field: when the project should start.",
    "target_end": "Date field: when it should finish.",
    "risk": "Single-select or text field through risk_vocabulary, or a number field 1-5.",
    "project": "Text or single-select field naming the project the request became (its name "
    "in any case and spacing, or its gid); kept as written, and resolved to a project in scope.",
}


class AsanaIntake(IntakeSourceFields):
    """Which Asana projects hold requests, and which custom fields say what."""

    projects: list[Gid] = Field(
        min_length=1,
        description=(
            "Gids of intake projects: every top-level task there is a request (never a work "
            "task), read whatever the connector's scope; the project is not synced as a project."
        ),
    )
    stage_field: NonEmptyStr | None = Field(
        None,
        description=(
            "Single-select or text custom field, by name or gid, whose option is the stage "
            "(through stage_vocabulary); none (the default): the task's section in the intake "
            "project is the stage, as an intake board's columns are."
        ),
    )
    fields: dict[AsanaIntakeField, NonEmptyStr] = Field(
        default={},
        json_schema_extra=described_keys(ASANA_INTAKE_FIELD_DESCRIPTIONS),
        description=(
            "Request field (requester, sponsor, submitted, estimated_cost, estimated_benefit, "
            "target_start, target_end, risk, project) -> Asana custom field name or gid; fields "
            "not named are left empty (requester and submitted fall back on the task's creator "
            "and creation time)."
        ),
    )
    default_currency: Currency | None = Field(
        None,
        description=(
            "Currency of a cost or benefit field without a currency_code (a plain number "
            "field); none: such a request is quarantined, named."
        ),
    )
