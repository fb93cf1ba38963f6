"""The ``raid:`` block of an Asana connector: where a workspace keeps its RAID log.

Asana has no RAID object; teams keep the log as tasks. Two habits are common and both are read:

- a designated RAID project (Asana's "RAID log" / "Risk register" templates): every task in it
  is a RAID item, its kind in a single-select "RAID type" field, and the delivery project it
  concerns in a "Project" field (text or single-select naming the project) or by multi-homing
  the task in that project too;
- a "RAID type" field added to ordinary projects: a task there with the field set is a RAID
  item of that project.

Either way a RAID item is not project work: it becomes a ``RaidItem``, never also a ``Task``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from pmosync.canonical.types import RaidKind, RaidStatus
from pmosync.config.fields import ConfigModel, Gid, NonEmptyStr, described_keys

AsanaRaidField = Literal[
    "probability", "impact", "score", "mitigation", "resolution", "raised", "due", "status"
]  # fmt: skip

ASANA_RAID_FIELD_DESCRIPTIONS: dict[str, str] = {
    "probability": "Number (1-5) or single-select field (words through rating_vocabulary).",
    "impact": "Number (1-5) or single-select field (words through rating_vocabulary).",
    "score": "Number field with the log's own score (1-25); default probability x impact.",
    "mitigation": "Text field: a risk's response plan, an issue's action.",
    "resolution": "Text field: how an issue was resolved, what a decision decided.",
    "raised": "Date field: when the item was raised; default the task's creation date.",
    "due": "Date field: when the response is due; default the task's own due date.",
    "status": "Single-select or text field through status_vocabulary; default: a completed "
    "task is closed, any other open.",
}


class AsanaRaid(ConfigModel):
    """Where the Asana workspace keeps its RAID log, and which custom fields say what."""

    projects: list[Gid] = Field(
        default=[],
        description=(
            "Gids of designated RAID projects: every task there is a RAID item (never a work "
            "task), read whatever the connector's scope; the project is not synced as a project."
        ),
    )
    type_field: NonEmptyStr = Field(
        "RAID type",
        description=(
            "Single-select (or text) custom field, by name or gid, whose option gives the kind; "
            "a task in an ordinary project with it set is a RAID item too."
        ),
    )
    type_vocabulary: dict[str, RaidKind] = Field(
        default={},
        description=(
            "Option of the type field -> risk, issue, assumption, decision or change_request; "
            "adds to the built-in names (Risk, Issue, Assumption, Decision, Change request, CR, "
            "and plurals). Any other option sends the task to the quarantine, named."
        ),
    )
    default_kind: RaidKind | None = Field(
        None,
        description=(
            "Kind of a task in a RAID project whose type field is empty; none (the default) "
            "quarantines such a task with a message naming it."
        ),
    )
    project_field: NonEmptyStr | None = Field(
        "Project",
        description=(
            "Text or single-select field naming the delivery project (its name or gid) of an "
            "item in a RAID project; else the other project the task is multi-homed in; else "
            "the item is portfolio-wide."
        ),
    )
    fields: dict[AsanaRaidField, NonEmptyStr] = Field(
        default={},
        json_schema_extra=described_keys(ASANA_RAID_FIELD_DESCRIPTIONS),
        description=(
            "RAID field (probability, impact, score, mitigation, resolution, raised, due, "
            "status) -> Asana custom field name or gid; fields not named are left empty."
        ),
    )
    rating_vocabulary: dict[str, Annotated[int, Field(ge=1, le=5)]] = Field(
        default={},
        description=(
            "Option of a single-select probability or impact field -> 1-5; adds to the built-in "
            "names (Very low 1, Low 2, Medium 3, High 4, Very high 5, and '4 - Likely' style "
            "options starting with their number)."
        ),
    )
    status_vocabulary: dict[str, RaidStatus] = Field(
        default={},
        description=(
            "Option of the status field -> open, in_progress or closed; adds to the built-in "
            "names (Open, New, In progress, Mitigating, Monitoring, Closed, Resolved...)."
        ),
    )
