"""docs/troubleshooting.md cannot drift from the code it explains.

Mechanical links only, none of them about prose:

* Every exception class pmosync defines is named on a ``Class:`` line of the page (or listed
  below as internal, with the reason it never reaches a user), and every class the page names
  exists: adding an error class without documenting it, or renaming one, fails here. Classes
  are found the way Python knows them, by importing every module and walking
  ``__subclasses__()`` down from ``BaseException``, not by reading the page's own list.
* Every message the page quotes in a ``text`` block is built by the code: ``…`` stands for
  what varies, and each piece between two ``…`` (or two ``": "``, where the code joins a
  prefix to a message) must appear inside one string literal of pmosync's source; f-string
  placeholders split literals, so a piece cannot straddle one. A reworded message fails here
  until the page quotes the new words.
* Every status the run ledger, a delivery or a quarantine retry can record, and each exit code
  the CLI uses, has its row in the page's tables.
* Every link to one of the page's headings (from the page itself, README.md or docs/*.md,
  such as connect-asana.md's ``troubleshooting.md#asana``) lands on a heading it has.
"""

from __future__ import annotations

import ast
import importlib
import re
import typing
from pathlib import Path

import pmosync

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "troubleshooting.md"
PACKAGE = Path(pmosync.__file__).parent

PLACEHOLDER = "…"
DISTINCT = 12
"""Each quoted line needs one piece at least this long, so no line is all placeholders."""

SKIPPED_PACKAGES = ("pmosync.sandbox",)
"""The Asana and Graph emulators: their errors are HTTP answers, which the connectors turn into
the classes the page documents; their strings are not pmosync's messages either."""

NOT_IMPORTED = ("pmosync.__main__", "pmosync.store.migrations.")
"""Importing ``__main__`` would run the CLI; the migrations are scripts alembic runs in its own
context (they define no exceptions)."""

INTERNAL = {
    "YamlFatal": "load_config turns it into a ConfigError line at once",
    "LocatedProblems": "travels inside pydantic's ValidationError; shown as ConfigError lines",
    "MalformedReference": "interpolate_tree turns it into a ConfigError line",
    "MissingDescription": "only `pmosync config reference` raises it, for a config key without "
    "a description: a developer's mistake that tests/test_config_reference.py catches",
}
"""Exception classes that never reach a user, each with the reason."""


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _fenced(text: str, tag: str) -> list[str]:
    """The lines of every fenced block whose info string is exactly ``tag``."""
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        fence = line.strip()
        if not inside and fence == f"```{tag}":
            inside = True
        elif inside and fence == "```":
            inside = False
        elif inside:
            lines.append(line)
    return lines


def _section(text: str, heading: str) -> str:
    """The body of the ``## heading`` section, up to the next heading of that level."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{DOC.name} has no '## {heading}' section"
    return match[1]


def _first_cells(section: str) -> set[str]:
    """The backticked value of the first cell of each table row in ``section``."""
    return set(re.findall(r"^\|\s*`([^`]+)`\s*\|", section, re.M))


# -- the classes --------------------------------------------------------------------------------


def _modules() -> list[tuple[str, Path]]:
    """(dotted name, file) of every module of pmosync outside the emulators; found on disk,
    since some packages are namespace packages that ``pkgutil`` does not descend into."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not name.startswith(SKIPPED_PACKAGES):
            found.append((name, path))
    return found


def _pmosync_exceptions() -> dict[str, type]:
    """Every public exception class defined in pmosync (outside the emulators), by name."""
    for name, _ in _modules():
        if not name.startswith(NOT_IMPORTED):
            importlib.import_module(name)
    found: dict[str, type] = {}
    seen: set[type] = set()
    pending: list[type] = [BaseException]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            pending.append(sub)
            if _public_and_ours(sub):
                assert sub.__name__ not in found, f"two exception classes named {sub.__name__}"
                found[sub.__name__] = sub
    return found


def _public_and_ours(cls: type) -> bool:
    module = cls.__module__
    return (
        module.startswith("pmosync.")
        and not module.startswith(SKIPPED_PACKAGES)
        and not cls.__name__.startswith("_")
    )


def _documented_classes(text: str) -> set[str]:
    """The names on the page's ``Class: `A`, `B``` lines."""
    names: set[str] = set()
    for rest in re.findall(r"^Class: (.+)$", text, re.M):
        names.update(re.findall(r"`(\w+)`", rest))
    return names


def test_every_exception_class_is_documented_and_every_documented_one_exists() -> None:
    classes = _pmosync_exceptions()
    documented = _documented_classes(_doc())
    stale_internal = sorted(set(INTERNAL) - set(classes))
    assert not stale_internal, f"INTERNAL names classes that no longer exist: {stale_internal}"
    undocumented = sorted(set(classes) - set(INTERNAL) - documented)
    assert not undocumented, (
        f"exception classes a user can meet but {DOC.name} does not name on a 'Class:' line: "
        f"{undocumented} (document each, or add it to INTERNAL with the reason)"
    )
    unknown = sorted(documented - set(classes))
    assert not unknown, f"{DOC.name} names classes pmosync does not define: {unknown}"
    hidden = sorted(documented & set(INTERNAL))
    assert not hidden, f"{DOC.name} documents classes INTERNAL says never reach a user: {hidden}"


# -- the messages -------------------------------------------------------------------------------


def _module_constants(tree: ast.Module) -> dict[str, str]:
    """Top-level ``NAME = "text"``: f-strings that interpolate one read as its text."""
    constants: dict[str, str] = {}
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = value.value
    return constants


def _piece(node: ast.expr, constants: dict[str, str]) -> str:
    """One part of an f-string: its text, a constant's text, else a placeholder mark."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if (
        isinstance(node, ast.FormattedValue)
        and isinstance(node.value, ast.Name)
        and node.value.id in constants
        and node.conversion == -1
        and node.format_spec is None
    ):
        return constants[node.value.id]
    return "\0"


def _source_literals() -> list[str]:
    """Every string literal of pmosync's code (not docstrings), f-string placeholders as NUL.

    The parser has already joined implicitly concatenated literals, so a message written over
    several source lines is one literal here."""
    literals: list[str] = []
    for _, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        constants = _module_constants(tree)
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                literals.append("".join(_piece(value, constants) for value in node.values))
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
            ):
                literals.append(node.value)
    return literals


def _pieces(message: str) -> list[str]:
    """The fixed pieces of a quoted message: split at placeholders and at ``": "`` (where
    the code joins a prefix and a message it got from elsewhere: ``f"{where}: {error}"``),
    without the quotes and spaces at their ends (``{name!r}`` quotes what varies)."""
    parts = re.split(rf"{PLACEHOLDER}|: ", message)
    return [part.strip(" '\"") for part in parts if part.strip(" '\"")]


def test_every_quoted_message_is_built_by_the_code() -> None:
    messages = [line.strip() for line in _fenced(_doc(), "text") if line.strip()]
    assert messages, f"{DOC.name} quotes no messages in text blocks"
    literals = _source_literals()
    missing: list[str] = []
    vague: list[str] = []
    for message in messages:
        pieces = _pieces(message)
        if not any(len(piece) >= DISTINCT for piece in pieces):
            vague.append(message)
        for piece in pieces:
            if not any(piece in literal for literal in literals):
                missing.append(f"{piece!r}  (in: {message})")
    assert not vague, f"quoted lines without a piece of {DISTINCT}+ fixed characters: {vague}"
    assert not missing, (
        "pieces of messages quoted in docs/troubleshooting.md that no string literal of pmosync "
        "contains (reworded in the code? quote the new words; '…' marks what varies):\n"
        + "\n".join(missing)
    )


# -- statuses, exit codes, links ------------------------------------------------------------------


def test_every_status_the_code_can_record_has_a_row() -> None:
    from pmosync.reports.delivery.outcome import DeliveryStatus
    from pmosync.store.ledger import RunStatus
    from pmosync.sync.quarantine import Verdict

    rows = _first_cells(_section(_doc(), "Statuses"))
    for name, kind in (("run", RunStatus), ("delivery", DeliveryStatus), ("retry", Verdict)):
        missing = sorted(set(typing.get_args(kind)) - rows)
        assert not missing, f"{name} statuses without a row under '## Statuses': {missing}"


def test_the_exit_code_table_lists_the_codes_the_cli_uses() -> None:
    from pmosync.cli.app import EXIT_FAILED, EXIT_USAGE

    rows = _first_cells(_section(_doc(), "Exit codes"))
    assert rows == {"0", str(EXIT_FAILED), str(EXIT_USAGE)}, rows


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_links_into_the_page_land_on_a_heading() -> None:
    outside_code = re.sub(r"^\s*```.*?^\s*```", "", _doc(), flags=re.M | re.S)
    anchors = {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", outside_code, re.M)}
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [
        f"{page.name}: #{anchor}"
        for page in pages
        if page.exists()
        for anchor in re.findall(r"troubleshooting\.md#([\w\-]+)", page.read_text("utf-8"))
        if anchor not in anchors
    ]
    broken += [
        f"{DOC.name}: #{anchor}"
        for anchor in re.findall(r"\]\(#([\w\-]+)\)", _doc())
        if anchor not in anchors
    ]
    assert not broken, f"links to headings {DOC.name} does not have: {broken}"
