"""Every bad config in tests/config_cases.py ends in one clear line, never a traceback."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from config_cases import BAD_CONFIGS, SECRET, BadConfig, write_case

from pmosync.config import ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pmosync.yaml"


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=[case.id for case in BAD_CONFIGS])
def test_bad_config_gives_one_line_naming_the_file(case: BadConfig, tmp_path: Path) -> None:
    path = write_case(case, tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=case.env)
    error = caught.value
    assert len(error.problems) == 1, error.problems
    line = error.problems[0]
    assert "\n" not in line
    assert line.startswith(str(path)), line
    assert case.expected in line
    assert str(error) == line
    assert SECRET not in line
    assert "pydantic" not in line and "Value error" not in line


def test_cases_cover_enough_ground() -> None:
    ids = [case.id for case in BAD_CONFIGS]
    assert len(ids) == len(set(ids)) >= 18
    # A case is either about the whole file (starts with its name) or gives ":line:col: ".
    for case in BAD_CONFIGS:
        located = re.match(r":\d+:\d+: ", case.expected)
        assert located or re.match(r"[\w./]+: ", case.expected), case.id


def test_message_uses_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "bad.yaml").write_text("sync:\n  max_parallel_connectors: 0\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config("conf/bad.yaml", environ={})
    assert caught.value.problems == [
        "conf/bad.yaml:2:28: sync.max_parallel_connectors: must be at least 1 (got 0)"
    ]
    with pytest.raises(ConfigError) as caught:
        load_config("conf/", environ={})
    assert caught.value.problems == ["conf/: is a directory, not a config file"]


def _mutations(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        action = rng.randrange(7)
        if action == 0:
            del lines[i]
        elif action == 1:
            lines[i] = "\t" + lines[i]
        elif action == 2:
            lines[i] = " " + lines[i]
        elif action == 3:
            j = rng.randrange(len(lines[i]) + 1)
            lines[i] = (
                lines[i][:j]
                + rng.choice([":", "{", "[", "'", '"', "${", "&a", "*a", "- "])
                + lines[i][j:]
            )
        elif action == 4:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif action == 5:
            lines[i] = lines[i].replace(": ", ": ~ ", 1)
        else:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)] + "\n"
        if not lines:
            break
    return "".join(lines)


def test_mangled_example_never_raises_anything_but_config_error(tmp_path: Path) -> None:
    """Hundreds of random edits of the example: each loads or fails with one-line problems."""
    text = EXAMPLE.read_text(encoding="utf-8")
    env = {name: "x" for name in ("ASANA_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID")}
    env |= {"AZURE_CLIENT_SECRET": "x", "SMTP_PASSWORD": "x", "TEAMS_WEBHOOK_URL": "https://x"}
    rng = random.Random(20240628)
    path = tmp_path / "pmosync.yaml"
    failures = 0
    load_config(EXAMPLE, environ=env)  # the unmangled file is fine
    for _ in range(400):
        path.write_text(_mutations(text, rng), encoding="utf-8")
        try:
            load_config(path, environ=env)
        except ConfigError as exc:
            failures += 1
            assert exc.problems
            for line in exc.problems:
                assert line.startswith(str(path)) and "\n" not in line, line
    assert 100 < failures < 400  # the mutations break the file, but not every time


def test_does_not_read_os_environ_when_given_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PMOSYNC_TEST_DB", "sqlite:///x.db")
    path = tmp_path / "pmosync.yaml"
    path.write_text("store: ${PMOSYNC_TEST_DB}\n")
    assert load_config(path).store == "sqlite:///x.db"  # None -> os.environ
    with pytest.raises(ConfigError, match="PMOSYNC_TEST_DB is not set"):
        load_config(path, environ={})
    assert os.environ["PMOSYNC_TEST_DB"] == "sqlite:///x.db"
