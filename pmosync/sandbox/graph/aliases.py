"""Graph's many spellings of one drive resource, reduced to ``/drives/{id}/items/{ref}...``.

``/sites/{site}/drive/...``, ``/sites/{site}/drives/{id}/...`` and ``/groups/{id}/drive/...``
are the site's (group's) document library; ``/drives/{id}/root...`` is its root item. Routes
then need one spelling each, and every spelling gets the same answers.
"""

from __future__ import annotations

from pmosync.sandbox.graph.routes.drives import group_drive_id, site
from pmosync.sandbox.tenant import Tenant


def canonical(segments: list[str], tenant: Tenant) -> list[str]:
    """Rewrite drive aliases; raises GraphError (404) for an unknown site or group."""
    if len(segments) > 3 and segments[0] == "sites" and segments[2] == "drive":
        segments = ["drives", site(tenant, segments[1]).drive_id, *segments[3:]]
    elif len(segments) > 3 and segments[0] == "sites" and segments[2] == "drives":
        site(tenant, segments[1])
        segments = ["drives", *segments[3:]]
    elif len(segments) > 3 and segments[0] == "groups" and segments[2] == "drive":
        segments = ["drives", group_drive_id(tenant, segments[1]), *segments[3:]]
    if (
        len(segments) > 2
        and segments[0] == "drives"
        and (segments[2] == "root" or segments[2].startswith("root:/"))
    ):
        segments = [segments[0], segments[1], "items", *segments[2:]]
    return segments
