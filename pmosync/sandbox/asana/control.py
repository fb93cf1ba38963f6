"""``/_sandbox/*``: controls for a sandbox running in another process (benchmarks).

They need a valid token but bypass faults, quotas and request accounting, so reading the
statistics never changes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pmosync.sandbox.asana.errors import ApiError, bad_request

if TYPE_CHECKING:
    from pmosync.sandbox.asana.server import AsanaSandbox


def handle_control(sandbox: AsanaSandbox, method: str, path: str, body: Any) -> dict[str, Any]:
    """The JSON reply of a control endpoint; ApiError for unknown ones or bad input."""
    if (method, path) == ("GET", "/_sandbox/stats"):
        return sandbox.stats()
    if (method, path) == ("POST", "/_sandbox/reset_stats"):
        sandbox.reset_stats()
        return {"ok": True}
    if (method, path) == ("GET", "/_sandbox/snapshot"):
        return sandbox.org.org_snapshot()
    if (method, path) == ("POST", "/_sandbox/mutate"):
        if not isinstance(body, dict):
            raise bad_request('Body must be {"fraction": number, "seed": integer}')
        try:
            fraction = float(body.get("fraction", 0.01))
            seed = int(body.get("seed", 1))
        except (TypeError, ValueError):
            raise bad_request("fraction must be a number and seed an integer") from None
        try:
            return {"touched": sandbox.org.mutate_fraction(fraction, seed)}
        except ValueError as error:
            raise bad_request(str(error)) from None
    raise ApiError(404, f"No sandbox control at {method} {path}")
