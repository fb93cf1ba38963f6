"""Which Graph application permission each kind of request needs.

Graph's 403 bodies do not always say which permission is missing ("Insufficient privileges to
complete the operation."), so a refusal is reported together with the permission the request
needed, and ``pmosync check`` probes one request per permission to name every missing one
before the first sync.
"""

from __future__ import annotations

import re

#: (path pattern, permission a PSO admin grants for it); first match wins.
_NEEDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), permission)
    for pattern, permission in (
        (r"/sendMail$", "Mail.Send"),
        (r"^/?planner/|/planner/", "Tasks.Read.All"),
        (r"^/?(groups|teams)\b", "Group.Read.All"),
        (r"^/?users\b", "User.Read.All"),
        (r"^/?(sites|drives)\b", "Sites.Read.All"),
    )
)

WRITE_PERMISSION = "Sites.ReadWrite.All"
PLANNER_WRITE_PERMISSION = "Tasks.ReadWrite.All"
"""What an app needs to create or update Planner buckets, tasks and plan details (write-back);
reading them needs only Tasks.Read.All."""
WRITES = {"PUT", "POST", "PATCH", "DELETE"}


def permission_for(method: str, path: str) -> str | None:
    """The application permission a request to ``path`` needs, if known."""
    for pattern, permission in _NEEDS:
        if pattern.search(path):
            if permission == "Sites.Read.All" and method.upper() in {"PUT", "POST", "PATCH"}:
                return WRITE_PERMISSION
            if permission == "Tasks.Read.All" and method.upper() in WRITES:
                return PLANNER_WRITE_PERMISSION
            return permission
    return None
