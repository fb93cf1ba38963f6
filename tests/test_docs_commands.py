"""Every command README.md and docs/ show is run, so the documentation cannot drift from the code.

The convention (docs/README of the repository's docs): fenced blocks tagged ``sh`` or
``console`` hold commands a reader types (in ``console`` the lines starting with ``$ ``).
Each one runs here, in document order, in a scratch folder holding the demo's configuration
with its sandboxes live and its store synced once, and must exit 0 unless its line ends with
``# exits N``. ``make demo`` and ``make test`` are run by ``.ci/run``, and the benchmark scripts
by ``.ci/bench-smoke`` at their smallest size (tests here check both lists). Anything else in
such a block fails this test: synopses, other programs' commands and files go in
``text``/``ini``/``yaml`` blocks, which are not run.

Beyond the runnable blocks, every ``pmosync`` command mentioned anywhere in the docs (inline,
tables, unit files) must name a real subcommand that some shown command exercises, with
options that subcommand's ``--help`` lists.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli import run_pmosync

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = {"sh", "console"}
FENCE = re.compile(r"^(\s*)```\s*([\w-]*)\s*$")
EXITS = re.compile(r"#\s*exits\s+(\d+)\s*$")
MAKE_COMMANDS = {"make demo", "make test"}
READY = {"daemon": "active: holding the lease", "sandbox": '"asana"', "demo --serve": "stay up"}
"""Commands that run until stopped, and the line that says they are up: each is started,
left until it says so, then sent SIGTERM as a service manager would, and must exit cleanly."""
GROUPS = {"baseline", "config", "db", "quarantine", "schedules", "writeback"}
"""Commands whose second word is their subcommand (``report`` is handled on its own)."""
BENCH = ".venv/bin/python bench/"
SERVE = "pmosync demo --serve"
"""The tour's first command: the fixture runs it, from the folder above the demo's."""


@dataclass(frozen=True)
class Shown:
    page: Path
    line: int
    command: str
    exits: int

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _blocks(page: Path):
    """(language, [(line number, text)]) of each fenced block of ``page``."""
    language, lines, inside = "", [], False
    for number, text in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        fence = FENCE.match(text)
        if fence and not inside:
            language, lines, inside = fence[2], [], True
        elif fence and inside:
            yield language, lines
            inside = False
        elif inside:
            lines.append((number, text))


def shown_commands() -> list[Shown]:
    """The commands of every sh/console block, in document order."""
    found = []
    for page in PAGES:
        for language, lines in _blocks(page):
            if language not in RUNNABLE:
                continue
            for number, text in lines:
                text = text.strip()
                if language == "console":
                    if not text.startswith("$ "):
                        continue
                    text = text[2:]
                if not text or text.startswith("#"):
                    continue
                exits = EXITS.search(text)
                command = re.split(r"\s+#\s", text, maxsplit=1)[0].strip()
                found.append(Shown(page, number, command, int(exits[1]) if exits else 0))
    return found


def top_level_commands() -> set[str]:
    """The commands ``pmosync --help`` lists."""
    listed = run_pmosync("--help", env={"COLUMNS": "200", "TERM": "dumb"}).stdout
    return set(re.findall(r"^[│|]\s+([a-z][a-z-]*)\s{2,}", listed, re.M))


def mentioned_commands() -> list[tuple[str, str]]:
    """(where, "pmosync ...") for every command mentioned in code: an inline code span that
    starts with ``pmosync``, and ``pmosync <command>`` anywhere in a fenced block (unit files,
    manifests, synopses and other programs' command lines included)."""
    commands = top_level_commands()
    in_block = re.compile(r"(?:^|[\s/=\"'])pmosync((?: +[^\s`|;&>)\"']+)+)")
    found = []
    for page in PAGES:
        inside = False
        for number, text in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{page.relative_to(ROOT)}:{number}"
            if FENCE.match(text):
                inside = not inside
            elif inside:
                found += [
                    (where, "pmosync" + match[1])
                    for match in in_block.finditer(text)
                    if match[1].split()[0] in commands
                ]
            else:
                found += [(where, span) for span in re.findall(r"`(pmosync [^`]+)`", text)]
    return found


def subcommand(words: list[str]) -> tuple[str, ...]:
    """The subcommand a ``pmosync`` command line names: ``("quarantine", "list")``,
    ``("report", "NAME")`` for running one report, ``("sync",)``."""
    if not words:
        return ()
    first, rest = words[0], words[1:]
    if first in GROUPS and rest:
        return (first, rest[0])
    if first == "report" and rest and not rest[0].startswith("-"):
        return ("report", rest[0] if rest[0] in {"list", "history"} else "NAME")
    return (first,)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """The README tour's set-up, as it says: ``pmosync demo --serve`` from a folder, then every
    command from its ``demo`` folder while the sandboxes stay up; stopped with SIGTERM after."""
    home = tmp_path_factory.mktemp("docs")
    with running(shlex.split(SERVE)[1:], home, READY["demo --serve"], "fixture") as check_exit:
        yield home / "demo"
    check_exit(0)


def _run(shown: Shown, folder: Path) -> None:
    words = shlex.split(shown.command)
    if words[0] == "pmosync":
        args, into = words[1:], None
        if ">" in args:
            position = args.index(">")
            args, into = args[:position], args[position + 1 :]
            assert len(into) == 1, f"{shown.where}: one file after >"
        ready = READY.get(args[0]) or (READY["demo --serve"] if args[:1] == ["demo"]
                                           and "--serve" in args else None)  # fmt: skip
        if ready:
            _run_until_stopped(shown, args, folder, ready)
            return
        result = run_pmosync(*args, cwd=folder)
        if into:
            (folder / into[0]).write_text(result.stdout, encoding="utf-8")
    else:
        pytest.fail(
            f"{shown.where}: `{shown.command}` is not a pmosync command; put it in a text block"
        )
    assert "Traceback" not in result.stdout + result.stderr, (shown.where, result.stderr)
    assert result.returncode == shown.exits, (
        f"{shown.where}: `{shown.command}` exited {result.returncode}, expected {shown.exits}",
        result.stdout[-2000:],
        result.stderr[-2000:],
    )


@contextmanager
def running(args: list[str], folder: Path, ready: str, where: str):
    """A command that runs until stopped, started in ``folder`` and up once it printed
    ``ready``; on leaving it gets SIGTERM as from a service manager. Yields a check of the
    exit code and output, to call after leaving."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pmosync", *args], cwd=folder, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_CONFIG")},
    )  # fmt: skip
    seen: list[str] = []
    up = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if ready in line:
                up.set()

    def check_exit(expected: int) -> None:
        output = "".join(seen)
        assert process.returncode == expected, (where, process.returncode, output[-2000:])
        assert "Traceback" not in output, (where, output)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert up.wait(120), f"{where}: never said {ready!r}: {''.join(seen)[-2000:]}"
        yield check_exit
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        finally:
            process.kill()
            reader.join(10)


def _run_until_stopped(shown: Shown, args: list[str], folder: Path, ready: str) -> None:
    with running(args, folder, ready, shown.where) as check_exit:
        pass
    check_exit(shown.exits)


def test_every_shown_command_runs(scratch):
    shown = shown_commands()
    assert len(shown) > 20, "the docs show commands; the parser found too few"
    failures = []
    done: set[tuple[str, int]] = set()
    for item in shown:
        if item.command in MAKE_COMMANDS or item.command.startswith(BENCH):
            continue  # .ci/run and .ci/bench-smoke run these (tests below)
        if item.command == SERVE:
            continue  # the fixture ran it, as the tour's set-up
        if (item.command, item.exits) in done:
            continue  # the same command shown on another page: once is proof enough
        done.add((item.command, item.exits))
        try:
            _run(item, scratch)
        except (AssertionError, pytest.fail.Exception) as failure:
            failures.append(str(failure)[:1500])
    assert not failures, f"{len(failures)} shown commands failed:\n\n" + "\n\n".join(failures)


def test_every_block_says_what_it_holds():
    """An untagged block would be neither run nor clearly not meant to be: each fenced block
    names its language (sh/console are run; text, yaml, ini, sql, python... are not)."""
    untagged = [
        f"{page.relative_to(ROOT)}:{lines[0][0] - 1 if lines else '?'}"
        for page in PAGES
        for language, lines in _blocks(page)
        if not language
    ]
    assert not untagged, "fenced blocks without a language:\n" + "\n".join(untagged)


def test_make_commands_shown_are_the_ones_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    shown = {item.command for item in shown_commands() if item.command.startswith("make ")}
    assert shown == MAKE_COMMANDS
    for command in shown:
        assert any(line.strip().startswith(command) for line in ci), f".ci/run lacks {command}"


def test_every_bench_command_shown_is_in_the_ci_smoke_run():
    smoke = (ROOT / ".ci" / "bench-smoke").read_text(encoding="utf-8")
    shown = {shlex.split(item.command)[1] for item in shown_commands()
             if item.command.startswith(BENCH)}  # fmt: skip
    assert shown, "the README shows the bench scripts"
    for script in sorted(shown):
        assert f"run {script}" in smoke, f".ci/bench-smoke does not run {script}"


def test_every_command_mentioned_is_exercised():
    run = {subcommand(shlex.split(item.command)[1:]) for item in shown_commands()
           if item.command.startswith("pmosync ")}  # fmt: skip
    missing = sorted(
        f"{where}: pmosync {' '.join(name)}"
        for where, text in mentioned_commands()
        if (name := subcommand(text.split()[1:])) and name not in run
    )
    assert not missing, "mentioned but never run in an sh/console block:\n" + "\n".join(missing)


def test_every_option_mentioned_exists():
    helps: dict[tuple[str, ...], str] = {}
    wrong = []
    for where, text in mentioned_commands():
        words = text.split()[1:]
        name = subcommand(words)
        if not name:
            continue
        if name not in helps:
            path = [w for w in name if w != "NAME"]
            result = run_pmosync(*path, "--help", env={"COLUMNS": "200", "TERM": "dumb"})
            helps[name] = result.stdout if result.returncode == 0 else ""
        if not helps[name]:
            wrong.append(f"{where}: `pmosync {' '.join(name)}` is not a command")
            continue
        for option in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", text):
            if option not in helps[name]:
                wrong.append(f"{where}: `pmosync {' '.join(name)}` has no option {option}")
    assert not wrong, "\n".join(sorted(set(wrong)))
