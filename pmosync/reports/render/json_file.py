"""The report document as one JSON file: every figure, chart series and row, for machines.

It is exactly ``ReportDocument.to_json()`` (``ReportDocument.from_json`` reads it back equal),
as UTF-8 with names unescaped, except where JSON or UTF-8 cannot hold a value: a non-finite
float (NaN, infinity) is written as null (undefined, as everywhere else) and a lone surrogate
as "?".
"""

from __future__ import annotations

import json
import math
from typing import Any

from pmosync.reports.document import ReportDocument


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def render_json(doc: ReportDocument) -> bytes:
    """The document as indented UTF-8 JSON."""
    data = _finite(doc.to_json())
    return (
        json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False, default=str) + "\n"
    ).encode("utf-8", "surrogatepass")
