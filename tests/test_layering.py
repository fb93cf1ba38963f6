"""Mapping imports no connector code: what both layers share lives in ``pmosync.contracts``.

DESIGN.md's layering: connectors and canonical know nothing of each other, and the types a
connector hands over (pages, reconciliations, workbook record keys) are a contract both sides
import, not connector code the mapping reaches into. Checked twice: on the source (every import
statement of every mapping module, those inside functions and ``TYPE_CHECKING`` blocks too),
and at run time (importing all of mapping loads no ``pmosync.connectors`` module).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pmosync

PACKAGE = Path(pmosync.__file__).parent


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, ``from x import y`` as ``x.y``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):  # relative: resolve against the file's package
            parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)[: -node.level]
            base = ".".join(parts + ([node.module] if node.module else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def test_no_mapping_module_imports_connector_code():
    offending = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: imports {module}"
        for path in _modules("mapping")
        for line, module in _imports(path)
        if module == "pmosync.connectors" or module.startswith("pmosync.connectors.")
    ]
    assert _modules("mapping"), "no mapping modules found"
    assert not offending, "\n".join(offending)


def test_the_contracts_import_nothing_of_pmosync():
    """Both layers import the contracts, so the contracts sit below both."""
    offending = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: imports {module}"
        for path in _modules("contracts")
        for line, module in _imports(path)
        if module.startswith("pmosync.") and not module.startswith("pmosync.contracts")
    ]
    assert not offending, "\n".join(offending)


def test_importing_all_of_mapping_loads_no_connector_module():
    names = sorted(
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in _modules("mapping")
    )
    probe = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('pmosync.connectors')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_check_sees_an_import_of_connector_code(tmp_path):
    """The source check is not vacuous: it finds each way of writing such an import."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from pmosync.connectors.base import Reconcile\n"
        "import pmosync.connectors.files.records\n"
        "def late():\n    from pmosync import connectors\n",
        encoding="utf-8",
    )
    # _imports resolves names only; the file's location matters for relative imports alone.
    modules = [name for _, name in _imports(sample)]
    assert modules == [
        "pmosync.connectors.base.Reconcile",
        "pmosync.connectors.files.records",
        "pmosync.connectors",
    ]


def _imports_of(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    """Every import in ``folder`` of a module in (or under) one of ``forbidden``."""
    return [
        f"{path.relative_to(PACKAGE.parent)}:{line}: imports {module}"
        for path in _modules(folder)
        for line, module in _imports(path)
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    ]


def test_sync_knows_nothing_of_reports_or_of_what_schedules_it():
    """The engine writes the store; what reads it (reports) and what decides when it runs
    (orchestration: the daemon, ``pmosync run``, Temporal) sit above it."""
    assert _modules("sync")
    offending = _imports_of("sync", ("pmosync.reports", "pmosync.orchestration"))
    assert not offending, "\n".join(offending)


def test_reports_know_the_store_not_the_engine_nor_the_scheduling():
    assert _modules("reports")
    offending = _imports_of(
        "reports", ("pmosync.sync", "pmosync.orchestration", "pmosync.connectors.asana")
    )
    assert not offending, "\n".join(offending)


def test_only_orchestration_and_the_command_line_import_the_orchestration():
    offending = [
        line
        for folder in ("canonical", "store", "connectors", "mapping", "sync", "reports", "config")
        for line in _imports_of(folder, ("pmosync.orchestration",))
    ]
    assert not offending, "\n".join(offending)
