"""Records of a synthetic Microsoft 365 tenant: directory, Planner, SharePoint/Teams files, mail.

Plain slotted dataclasses, referenced by id (Graph ids are GUID strings; SharePoint site ids
are ``hostname,siteCollectionId,webId``). The people are the same humans as the Asana
organisation's when the generator is given them, so identities match across tools by email.
Nothing here knows HTTP: the Graph emulator renders these records as Graph JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(slots=True, frozen=True)
class TenantSize:
    """Explicit counts of a generated tenant; tests pass their own to stay small."""

    groups: int
    plans: int
    tasks: int
    people: int
    timesheet_weeks: int


TENANT_SIZES: dict[str, TenantSize] = {
    "XS": TenantSize(groups=2, plans=2, tasks=30, people=6, timesheet_weeks=2),
    "S": TenantSize(groups=2, plans=6, tasks=900, people=20, timesheet_weeks=8),
    "M": TenantSize(groups=3, plans=60, tasks=30_000, people=60, timesheet_weeks=52),
}


@dataclass(slots=True)
class User:
    id: str
    display_name: str
    mail: str | None
    """None for an account without a mailbox; a guest's is their own (external) address."""
    user_principal_name: str
    """A guest's reads ``jo_fabrikam.example#EXT#@contoso.onmicrosoft.com``."""
    job_title: str | None = None


GROUP_KINDS = ("unified", "security", "distribution")
"""Microsoft 365 (``groupTypes: ["Unified"]``), security and distribution groups."""


@dataclass(slots=True)
class Group:
    """A group: a Microsoft 365 group (``kind`` unified) may have plans and, with ``is_team``,
    be a Team (same id); a security or distribution group has neither, though it may share a
    team's display name."""

    id: str
    display_name: str
    description: str
    mail_nickname: str
    owner_ids: list[str]
    member_ids: list[str]
    created_at: datetime
    is_team: bool = False
    site_id: str | None = None
    """The group's SharePoint team site (where its channels keep their files)."""
    kind: str = "unified"
    """One of :data:`GROUP_KINDS`."""


@dataclass(slots=True)
class Channel:
    id: str
    team_id: str
    display_name: str
    description: str
    folder_id: str
    """The driveItem (a folder in the team site's default drive) holding the channel's files."""


@dataclass(slots=True)
class Plan:
    id: str
    title: str
    group_id: str
    created_by: str
    created_at: datetime
    version: int = 1
    """Bumped by every change; the emulator derives ``@odata.etag`` from it."""
    category_descriptions: dict[str, str] = field(default_factory=dict)
    """``category1``..``category25`` -> label; only labelled categories are present."""
    details_version: int = 1


@dataclass(slots=True)
class Bucket:
    id: str
    name: str
    plan_id: str
    order_hint: str
    version: int = 1


@dataclass(slots=True)
class ChecklistItem:
    id: str
    title: str
    is_checked: bool = False
    modified_at: datetime | None = None
    """When a writer last changed it (Graph's lastModifiedDateTime); None: when the task was
    created."""


@dataclass(slots=True)
class PlannerTask:
    id: str
    plan_id: str
    bucket_id: str | None
    title: str
    order_hint: str
    created_by: str
    created_at: datetime
    percent_complete: int = 0
    """0, 50 or 100 in the Planner UI; any 0..100 through the API."""
    priority: int = 5
    """0..10: 0-1 urgent, 2-4 important, 5-7 medium, 8-10 low."""
    start_at: datetime | None = None
    due_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    assignee_ids: list[str] = field(default_factory=list)
    applied_categories: list[str] = field(default_factory=list)
    """Category keys (``category3``) whose labels live in the plan's details."""
    assignee_priority: str = ""
    """An order hint for the assignee's own list view ("" until someone orders it)."""
    conversation_thread_id: str | None = None
    version: int = 1
    # Task details (fetched separately by clients, through /planner/tasks/{id}/details).
    description: str = ""
    checklist: list[ChecklistItem] = field(default_factory=list)
    preview_type: str = "automatic"
    """What the task card shows: automatic, noPreview, checklist, description or reference."""
    details_version: int = 1


@dataclass(slots=True)
class Site:
    id: str
    """``hostname,siteCollectionGuid,webGuid`` as Graph gives it."""
    hostname: str
    path: str
    """Server-relative path such as ``/sites/ops``."""
    display_name: str
    drive_id: str
    """The default document library ("Documents")."""


@dataclass(slots=True)
class Drive:
    id: str
    site_id: str
    name: str
    root_id: str


@dataclass(slots=True)
class DriveItem:
    """A file (``content`` set) or folder (``content`` None) in a drive."""

    id: str
    drive_id: str
    parent_id: str | None
    name: str
    created_at: datetime
    modified_at: datetime
    content: bytes | None = None
    version: int = 1
    """Bumped on every content or name change; eTag and cTag derive from it."""

    @property
    def is_folder(self) -> bool:
        return self.content is None


@dataclass(slots=True)
class TimesheetRow:
    """One row of a generated timesheet workbook: the ground truth the file renders."""

    email: str
    day: date
    hours: float
    project: str
    """The plan title, as a person would type it."""
    task: str | None
    billable: bool


@dataclass(slots=True)
class Timesheet:
    """A generated weekly workbook in the timesheet channel; ``item_id`` is its driveItem."""

    item_id: str
    week_start: date
    sheet: str
    rows: list[TimesheetRow]


COLUMN_KINDS = (
    "text", "number", "currency", "dateTime", "boolean", "choice", "personOrGroup",
)  # fmt: skip
"""The column types a list here can have, by the facet name Graph's columnDefinition uses."""


@dataclass(slots=True, frozen=True)
class ListColumn:
    """A typed SharePoint list column; ``name`` is the internal name items are written by."""

    name: str
    kind: str
    """One of :data:`COLUMN_KINDS`."""
    indexed: bool = False
    """Indexed columns filter without the ``Prefer: HonorNonIndexed…`` header."""
    date_only: bool = False
    """A Date (not Date and Time) column; its values still come back as UTC date-times."""
    choices: tuple[str, ...] = ()
    """A choice column's options: a written value must be one of them."""
    multiline: bool = False
    """A multi-line text column ("Multiple lines of text"); single-line text holds 255 chars."""
    rich_text: bool = False
    """A multi-line text column with rich text: its values are kept, and given back, as the
    HTML the editor wrote (``<div class="ExternalClass…">…</div>``), text escaped inside."""
    multiple: bool = False
    """A choice column with check boxes, or a person column allowing several people: its
    value is a list (of options, of user ids)."""
    locale: str | None = None
    """A currency column's locale (``de-DE``), which says its currency; values are numbers."""


def title_column() -> dict[str, ListColumn]:
    """Every SharePoint list has a Title text column."""
    return {"Title": ListColumn("Title", "text")}


@dataclass(slots=True)
class ItemMeta:
    """Who made and who last changed a list item, and when (Graph's createdBy/lastModifiedBy
    identity sets and date-times); a user id, or None for the System Account."""

    created_at: datetime
    created_by: str | None
    modified_at: datetime
    modified_by: str | None


@dataclass(slots=True)
class SharePointList:
    id: str
    site_id: str
    display_name: str
    items: dict[str, dict[str, object]] = field(default_factory=dict)
    """Item id -> its ``fields``, typed: text as str, numbers as int/float, dates as
    timezone-aware UTC datetimes, booleans as bool."""
    columns: dict[str, ListColumn] = field(default_factory=title_column)
    """Column name -> column; writing or filtering on any other name is refused."""
    zone: str = "UTC"
    """The site's regional time zone (IANA name): a date is a day there, kept as midnight."""
    hidden: bool = False
    """A list Graph does not list (a site's "User Information List")."""
    meta: dict[str, ItemMeta] = field(default_factory=dict)
    """Item id -> who created and last modified it, and when (items written without one read
    as made by the System Account at the start of ``today``)."""


@dataclass(slots=True)
class SentMail:
    """A message accepted by ``/users/{id}/sendMail``, normalised to camelCase Graph JSON."""

    sender: str
    message: dict[str, object]
    save_to_sent_items: bool
    received_at: datetime
