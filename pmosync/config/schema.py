"""The JSON Schema editors use to complete and check ``pmosync.yaml`` as it is typed.

It is generated from the same pydantic models the loader validates with, so the editor and
``pmosync check`` cannot disagree about which keys exist. ``pmosync config schema`` prints it.
"""

from __future__ import annotations

from typing import Any

from pmosync.config.models import PmosyncConfig

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def config_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the config file, keyed by the YAML names."""
    schema = PmosyncConfig.model_json_schema(by_alias=True, mode="validation")
    schema = _allow_references(_names_not_patterns(schema))
    schema.pop("title", None)
    return {"$schema": DRAFT, "title": "pmosync configuration", **schema}


def _names_not_patterns(node: Any) -> Any:
    """Turn ``patternProperties: {P: S}`` into ``propertyNames`` + ``additionalProperties``.

    pydantic expresses a constrained dict key (connector names, emails) as patternProperties,
    which lets a badly named key through unchecked; with propertyNames the editor flags it,
    and additionalProperties still gives completion inside every entry.
    """
    if isinstance(node, list):
        return [_names_not_patterns(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _names_not_patterns(value) for key, value in node.items()}
    patterns = out.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in out:
        ((pattern, value_schema),) = patterns.items()
        del out["patternProperties"]
        out["propertyNames"] = {"pattern": pattern}
        out["additionalProperties"] = value_schema
    return out


_REFERENCE = r"\$\{"
_OUTER_KEYS = ("title", "description", "default", "examples")


def _allow_references(node: Any) -> Any:
    """Let ``${VAR}`` through wherever the loader would interpolate it.

    The loader expands variables before validating, so ``port: ${SMTP_PORT}`` and
    ``workspace: ${ASANA_WORKSPACE}`` are valid files; the editor must not flag them. Patterned
    strings also accept a reference, and numbers and booleans also accept a string holding
    one. Mapping keys (``propertyNames``) are never interpolated and stay strict.
    """
    if isinstance(node, list):
        return [_allow_references(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: value if key == "propertyNames" else _allow_references(value)
        for key, value in node.items()
    }
    if isinstance(out.get("pattern"), str):
        out["pattern"] = f"(?:{out['pattern']})|{_REFERENCE}"
    if out.get("type") in ("integer", "number", "boolean"):
        outer = {key: out.pop(key) for key in _OUTER_KEYS if key in out}
        return {**outer, "anyOf": [out, {"type": "string", "pattern": _REFERENCE}]}
    return out
