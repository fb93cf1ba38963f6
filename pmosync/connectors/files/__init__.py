"""Workbook files (XLSX, CSV) as a source: timesheets and cost sheets kept by project teams.

``read_workbook`` turns one file into raw row records; ``WorkbookStream`` decides which files
to read from any listing (a local folder here, SharePoint or Teams files elsewhere);
``FilesSource`` is the connector for a local or mounted folder.
"""

from pmosync.connectors.files.source import FilesSource
from pmosync.connectors.files.stream import FileRef, WorkbookStream
from pmosync.connectors.files.table import WorkbookRead
from pmosync.connectors.files.workbook import read_workbook

__all__ = ["FileRef", "FilesSource", "WorkbookRead", "WorkbookStream", "read_workbook"]
