"""A synthetic Microsoft 365 tenant shared by the Graph emulator, the demo, tests and benchmarks.

``generate_tenant`` builds it deterministically; :class:`Tenant` holds it, answers lookups and
applies mutations under one lock; ``tenant_snapshot`` dumps it as plain JSON ground truth;
``render_xlsx``/``render_csv`` make the workbook bytes its files (and tests) need.
"""

from pmosync.sandbox.tenant.columns import ListValueError
from pmosync.sandbox.tenant.generate import generate_tenant
from pmosync.sandbox.tenant.model import (
    TENANT_SIZES,
    Bucket,
    Channel,
    ChecklistItem,
    Drive,
    DriveItem,
    Group,
    ListColumn,
    Plan,
    PlannerTask,
    SentMail,
    SharePointList,
    Site,
    TenantSize,
    Timesheet,
    TimesheetRow,
    User,
)
from pmosync.sandbox.tenant.snapshot import tenant_snapshot
from pmosync.sandbox.tenant.tenant import Tenant
from pmosync.sandbox.tenant.workbooks import (
    TIMESHEET_COLUMNS,
    TIMESHEET_SHEET,
    render_csv,
    render_timesheet,
    render_xlsx,
)

__all__ = [
    "TENANT_SIZES",
    "TIMESHEET_COLUMNS",
    "TIMESHEET_SHEET",
    "Bucket",
    "Channel",
    "ChecklistItem",
    "Drive",
    "DriveItem",
    "Group",
    "ListColumn",
    "ListValueError",
    "Plan",
    "PlannerTask",
    "SentMail",
    "SharePointList",
    "Site",
    "Tenant",
    "TenantSize",
    "Timesheet",
    "TimesheetRow",
    "User",
    "generate_tenant",
    "render_csv",
    "render_timesheet",
    "render_xlsx",
    "tenant_snapshot",
]
