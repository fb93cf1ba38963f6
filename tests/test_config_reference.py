"""docs/config.md ends with the key reference that ``pmosync config reference`` generates from
the JSON Schema. These tests keep that page current (it is the command's output), complete
(every key of the schema, every key the example uses) and readable (types a person reads, not
JSON Schema). The schema and the example are walked here on their own, not with the
generator's code, so a key the generator skipped cannot also be skipped by the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli import assert_one_clean_line, run_pmosync

from pmosync.config import config_json_schema
from pmosync.config.reference import MARKER, MissingDescription, render_reference

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "config.md"
EXAMPLE = ROOT / "examples" / "pmosync.yaml"
REGENERATE = "`.venv/bin/pmosync config reference --write docs/config.md` in the repository root"

Path_ = tuple[str, ...]


@pytest.fixture(scope="module")
def printed() -> str:
    """What `pmosync config reference` prints."""
    result = run_pmosync("config", "reference")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def rows(printed: str) -> list[dict[str, Any]]:
    return table_rows(printed)


def table_rows(markdown: str) -> list[dict[str, Any]]:
    """Every key row of the reference tables, with the heading it sits under."""
    found = []
    heading = ""
    for line in markdown.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("| `"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            assert len(cells) == 4, line
            path, type_, default, description = cells
            found.append(
                {
                    "path": tuple(path.strip("`").split(".")),
                    "type": type_,
                    "default": default,
                    "description": description,
                    "heading": heading,
                }
            )
    return found


def schema_key_paths(schema: dict[str, Any]) -> set[Path_]:
    """Every key the schema allows, ``*`` for a key the user names, ``[]`` for list items."""
    defs = schema.get("$defs", {})
    found: set[Path_] = set()

    def walk(node: dict[str, Any], path: Path_) -> None:
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        for branch in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
            walk(branch, path)
        for key, value in node.get("properties", {}).items():
            found.add(path + (key,))
            walk(value, path + (key,))
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], path + ("*",))
        if isinstance(node.get("items"), dict):
            walk(node["items"], path[:-1] + (path[-1] + "[]",))

    walk(schema, ())
    return found


def example_key_paths(data: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Every key written in a loaded YAML file, list items as ``[]``."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield path + (str(key),)
            yield from example_key_paths(value, path + (str(key),))
    elif isinstance(data, list) and path:
        for item in data:
            yield from example_key_paths(item, path[:-1] + (path[-1] + "[]",))


def _placeholder(segment: str) -> bool:
    return segment.startswith("<") and segment.endswith(">")


def _fits(documented: Path_, written: Path_) -> bool:
    return all(d == w or _placeholder(d) for d, w in zip(documented, written, strict=True))


def is_documented(written: Path_, rows: list[dict[str, Any]]) -> bool:
    """A key written in a file is documented by a row of its own path, as a step on the way to
    documented keys (a connector's name), or as an entry of a documented map that has no
    further keys (an email under ``people.aliases``)."""
    paths = [row["path"] for row in rows]
    for row in rows:
        documented = row["path"]
        if len(documented) >= len(written) and _fits(documented[: len(written)], written):
            return True
        is_leaf = not any(p[: len(documented)] == documented and p != documented for p in paths)
        if (
            len(documented) < len(written)
            and row["type"].startswith("map")
            and is_leaf
            and _fits(documented, written[: len(documented)])
        ):
            return True
    return False


# --- (a) the page is what the command prints ---------------------------------------------------


def test_docs_config_md_below_the_marker_is_what_pmosync_config_reference_prints(printed):
    document = DOC.read_text(encoding="utf-8")
    assert MARKER + "\n" in document, f"docs/config.md lost its marker line {MARKER}"
    below = document.partition(MARKER + "\n")[2].removeprefix("\n")
    assert below == printed, f"docs/config.md is stale: run {REGENERATE}"


def test_the_hand_written_part_stays_above_the_marker():
    above = DOC.read_text(encoding="utf-8").partition(MARKER)[0]
    for kept in ("${NAME:-default}", "yaml-language-server: $schema=", "yaml.schemas", "JetBrains"):
        assert kept in above
    assert "| `" not in above, "key tables belong to the generated part"


# --- (b) every key of the schema is documented, and nothing else ------------------------------


def test_every_key_of_the_schema_has_a_row_and_every_row_is_a_key(rows):
    in_schema = schema_key_paths(config_json_schema())
    documented = {tuple("*" if _placeholder(s) else s for s in row["path"]) for row in rows}
    assert len(in_schema) > 100  # the walk reached the connectors, reports and their sections
    assert sorted(in_schema - documented) == [], "keys of the schema missing from the reference"
    assert sorted(documented - in_schema) == [], "rows for keys the schema does not have"


def test_every_row_says_type_default_and_what_the_key_is_for(rows):
    for row in rows:
        assert row["type"] and row["default"] and len(row["description"]) > 10, row


def test_each_connector_type_lists_exactly_its_own_keys(rows):
    schema = config_json_schema()
    connector = schema["properties"]["connectors"]["additionalProperties"]
    mapping = connector["discriminator"]["mapping"]
    assert list(mapping) == ["asana", "files", "planner", "planner_premium", "sharepoint_files"]
    for type_, reference in mapping.items():
        own = set(schema["$defs"][reference.rsplit("/", 1)[-1]]["properties"])
        heading = f"`connectors.<name>` with `type: {type_}`"
        listed = {row["path"][2] for row in rows if row["heading"] == heading}
        assert listed == own, type_
        first = next(row for row in rows if row["heading"] == heading)
        assert first["path"][-1] == "type" and first["type"] == f"`{type_}`"


def test_each_delivery_target_has_its_own_section(rows):
    headings = {row["heading"] for row in rows}
    for target in ("sharepoint", "email", "teams", "folder"):
        assert f"`reports.<name>.deliver[].{target}`" in headings


# --- (c) every key of the example is documented -----------------------------------------------


def test_every_key_of_the_example_config_is_documented(rows):
    written = set(example_key_paths(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))))
    assert len(written) > 100
    missing = sorted(path for path in written if not is_documented(path, rows))
    assert missing == [], "keys of examples/pmosync.yaml missing from docs/config.md"


def test_the_documented_check_is_not_fooled_by_a_misspelt_key(rows):
    assert is_documented(("people", "aliases", "anyone@example.com"), rows)
    assert is_documented(("connectors", "asana-eng", "fields", "budget"), rows)
    assert not is_documented(("connectors", "asana-eng", "tokn"), rows)
    assert not is_documented(("connectors", "asana-eng", "fields", "budgte"), rows)
    assert not is_documented(("reports", "weekly", "deliver[]", "email", "bcc"), rows)
    assert not is_documented(("sync", "schedule", "minute"), rows)


# --- readable types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "type_", "default"),
    [
        ("smtp.password", "secret", "—"),
        ("connectors.<name>.token", "secret", "*required*"),
        ("connectors.<name>.workspace", "gid (digits)", "*required*"),
        ("sync.max_parallel_connectors", "integer 1–16", "`2`"),
        ("sync.schedule", "cron expression", "—"),
        ("smtp.security", "`starttls`, `ssl` or `none`", "`starttls`"),
        ("smtp.timeout_s", "number > 0, ≤ 600", "`30`"),
        ("resources.capacity", "map: email address → number", "`{}`"),
        ("resources.hourly_rates.default", "number ≥ 0", "—"),
        ("people.aliases", "map: email address → list of email addresses", "`{}`"),
        (
            "reports.<name>.formats",
            "list of `html`, `xlsx`, `csv`, `json` or `pdf` (at least 1)",
            '`["html"]`',
        ),
        ("reports.<name>.as_of", "date (YYYY-MM-DD)", "—"),
        ("reports.<name>.deliver", "list of sections, keys below", "`[]`"),
        ("reports.<name>.deliver[].email.to", "list of email addresses (at least 1)", "*required*"),
        ("connectors.<name>.patterns", "list of strings (at least 1)", '`["*.xlsx", "*.csv"]`'),
    ],
)
def test_types_and_defaults_read_as_a_person_writes_them(rows, path, type_, default):
    found = {(row["type"], row["default"]) for row in rows if ".".join(row["path"]) == path}
    assert (type_, default) in found, found  # token: required for asana, optional for Microsoft


def test_markdown_in_descriptions_is_escaped(rows):
    (glob,) = {row["description"] for row in rows if "a glob such as" in row["description"]}
    assert r"/data/timesheets/\*.xlsx" in glob  # a lone * would start emphasis
    (output_dir,) = [row for row in rows if row["path"] == ("output_dir",)]
    assert "`<output_dir>/<report>-<as_of>/`" in output_dir["description"]


# --- failures the generator and the command must report ---------------------------------------


def test_a_key_without_a_description_stops_the_generator():
    schema = {
        "type": "object",
        "properties": {"smtp": {"$ref": "#/$defs/Smtp", "description": "Mail server."}},
        "$defs": {
            "Smtp": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"host": {"type": "string", "description": "Host."}, "port": {}},
            }
        },
    }
    with pytest.raises(MissingDescription, match=r"smtp\.port"):
        render_reference(schema)


def test_write_replaces_only_what_follows_the_marker(tmp_path, printed):
    target = tmp_path / "config.md"
    intro = "# The configuration file\n\nHand-written words.\n\n" + MARKER + "\n"
    target.write_text(intro + "\n| `stale.key` | string | — | Gone. |\n", encoding="utf-8")
    result = run_pmosync("config", "reference", "--write", target)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == intro + "\n" + printed
    again = run_pmosync("config", "reference", "--write", target)
    assert again.returncode == 0 and "up to date" in again.stderr


def test_write_refuses_a_file_without_the_marker(tmp_path):
    target = tmp_path / "config.md"
    target.write_text("# The configuration file\n\nHand-written words.\n", encoding="utf-8")
    line = assert_one_clean_line(run_pmosync("config", "reference", "--write", target), 2)
    assert str(target) in line and MARKER in line
    assert target.read_text(encoding="utf-8") == "# The configuration file\n\nHand-written words.\n"
