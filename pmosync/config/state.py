"""The state folder: where pmosync writes, kept apart from the config it reads.

A config is often mounted read-only (a Kubernetes ConfigMap, ``/etc/pmosync`` owned by root),
while the SQLite store and the kept report files need a writable folder. ``PMOSYNC_STATE_DIR``
(or the YAML's ``state_dir``) names that folder; relative written paths are read from it. The
order is: an absolute path in the YAML as written, else the state folder (the environment
variable before the YAML key), else the config file's own folder as before the state folder
existed, so existing set-ups keep their files where they are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pmosync.config.models import PmosyncConfig

STATE_DIR_ENV = "PMOSYNC_STATE_DIR"


def place_state(config: PmosyncConfig, config_folder: Path, environ: Mapping[str, str]) -> None:
    """Make ``config.state_dir`` absolute (the environment first) and put a relative SQLite
    store in it. Without a state folder nothing changes: the store's relative path is then
    read from the config file's folder by whoever opens it, as always."""
    from_env = (environ.get(STATE_DIR_ENV) or "").strip()
    if from_env:
        folder = Path(os.path.abspath(Path(from_env).expanduser()))
    elif config.state_dir:
        folder = Path(os.path.abspath(config_folder / Path(config.state_dir).expanduser()))
    else:
        return
    config.state_dir = str(folder)
    config.store = sqlite_in(config.store, folder)


def sqlite_in(url: str, folder: Path) -> str:
    """``url`` with a relative SQLite file path moved into ``folder``; any other URL as is."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # opening the store says what is wrong with it
    if parsed.get_backend_name() != "sqlite":
        return url
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith(("file:", "~")):
        return url
    if Path(database).is_absolute():
        return url
    return parsed.set(database=str(folder / database)).render_as_string(hide_password=False)
