"""Timesheet and cost workbook rows onto the canonical model (``TimeEntry``, ``CostEntry``).

``WorkbookMapper`` is the only entry point the sync engine uses; ``rows`` holds what a row of
each kind becomes and ``cells`` how a typed-in cell is read.
"""

from pmosync.mapping.workbooks.mapper import WorkbookMapper

__all__ = ["WorkbookMapper"]
