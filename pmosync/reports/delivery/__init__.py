"""Delivery of rendered reports: SharePoint, a folder, email (smtp or Graph) and Teams.

``deliver_report`` sends one run's report to every target of its report that has not had that
period yet; ``retry_failed`` sends earlier periods again where they failed. Both record every
attempt in ``report_deliveries`` so nothing is sent twice and nothing failed is forgotten.
"""

from pmosync.reports.delivery.outcome import DeliveryError, DeliveryOutcome, DeliveryStatus
from pmosync.reports.delivery.run import RETRY_LIMIT, deliver_report, retry_failed

__all__ = [
    "RETRY_LIMIT",
    "DeliveryError",
    "DeliveryOutcome",
    "DeliveryStatus",
    "deliver_report",
    "retry_failed",
]
