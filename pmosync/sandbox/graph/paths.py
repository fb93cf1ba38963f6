"""Request paths as Graph reads them: percent-decoding and colon (path-based) addressing.

Graph addresses some resources by path instead of id, between colons:
``/sites/contoso.sharepoint.com:/sites/ops:/drive`` or ``/drives/{id}/root:/a/b.xlsx:/content``.
Clients send these either literally or, like msgraph-sdk (which treats the whole address as
one id), percent-encoded into one segment: ``/sites/contoso.sharepoint.com%3A%2Fsites%2Fops``.
Both become one decoded segment ``base:/path`` (no trailing colon) here, so routes match on
segments and a handler resolves the address. Splitting before decoding keeps an encoded
``%2F`` inside its segment, and an id containing ``:`` (Teams channel ids) stays whole.
"""

from __future__ import annotations

from urllib.parse import unquote


def split_path(raw: str) -> list[str]:
    """Decoded segments of a raw (still percent-encoded) path below the version prefix."""
    raw_segments = [s for s in raw.split("/") if s]
    out: list[str] = []
    i = 0
    while i < len(raw_segments):
        segment = unquote(raw_segments[i])
        i += 1
        if segment.endswith(":") and ":" not in segment[:-1]:
            # Literal form: "root:" then path segments up to one ending with ":" (or the end).
            parts: list[str] = []
            while i < len(raw_segments):
                part = unquote(raw_segments[i])
                i += 1
                if part.endswith(":"):
                    parts.append(part[:-1])
                    break
                parts.append(part)
            out.append(segment[:-1] + ":/" + "/".join(parts))
            continue
        if ":/" in segment and segment.endswith(":"):
            segment = segment[:-1]
        out.append(segment)
    return out


def split_address(ref: str) -> tuple[str, str | None]:
    """``"root:/a/b.xlsx"`` -> ("root", "a/b.xlsx"); a plain id -> (id, None)."""
    base, sep, path = ref.partition(":/")
    if not sep:
        return ref, None
    return base, path.strip("/")
