"""The quota belongs to the token: connectors sharing one Asana token share one limiter, and
the waits it (and the retry policy) impose are told to the sync's observer.

Real ``run_sync`` over the official SDK against the Asana sandbox, which enforces a per-token
sliding-window quota of its own; the figures are the sandbox's request counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from wait_watcher import WaitWatcher

from pmosync.config import load_config
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import OrgSize, generate_org
from pmosync.store import Store
from pmosync.sync.run import run_sync

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

ORG = OrgSize(projects=8, tasks=200, people=6, time_entries=100, teams=1, portfolios=1)
QUOTA_PER_MINUTE = 600
"""The quota the connectors are configured with, as a user copies it from the API's docs."""
WINDOW_S = 4
"""The sandbox counts it over a 4 s sliding window (40 requests), so the test takes seconds,
not minutes; pmosync spaces requests evenly, so a window's length does not matter to it."""


def _connector(name: str, sandbox: AsanaSandbox) -> str:
    return (
        f"  {name}:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        f'    workspace: "{sandbox.org.workspace.gid}"\n'
        f"    base_url: {sandbox.base_url}\n"
        f"    requests_per_minute: {QUOTA_PER_MINUTE}\n"
        "    max_concurrency: 4\n"
    )


def _run(tmp_path: Path, sandbox: AsanaSandbox, names: list[str], observer=None):
    path = tmp_path / "pmosync.yaml"
    connectors = "".join(_connector(name, sandbox) for name in names)
    path.write_text(
        f"store: sqlite:///pmosync.db\nsync:\n  max_parallel_connectors: {len(names)}\n"
        f"connectors:\n{connectors}",
        encoding="utf-8",
    )
    config = load_config(path, environ={"ASANA_TOKEN": sandbox.token})
    with Store.open(config.store, base_dir=path.parent) as store:
        return run_sync(config, store, observer=observer)


def test_two_connectors_with_one_token_stay_under_its_quota_together(tmp_path):
    per_window = QUOTA_PER_MINUTE * WINDOW_S // 60
    with AsanaSandbox(
        generate_org(seed=8, size=ORG), requests_per_minute=per_window, rate_window_s=WINDOW_S
    ) as sandbox:
        run = _run(tmp_path, sandbox, ["asana-eng", "asana-ops"])
        stats = sandbox.stats()
    assert run.status == "succeeded", run
    # both ran side by side long enough for the quota to matter: several windows' worth
    assert stats["total"] > 3 * per_window
    assert stats["by_status"].get("429", 0) == 0, stats["by_status"]


def test_the_observer_hears_of_a_429_wait_with_its_reason(tmp_path):
    with AsanaSandbox(generate_org(seed=9, size="XS")) as sandbox:
        sandbox.throttle_next(1, retry_after_s=2)
        watcher = WaitWatcher()
        run = _run(tmp_path, sandbox, ["asana-eng"], observer=watcher)
    assert run.status == "succeeded", run
    [(connector, seconds, reason)] = watcher.waits
    assert (connector, reason) == ("asana-eng", "HTTP 429 from Asana")
    assert 1.0 < seconds <= 2.0, "the Retry-After of 2 s, less what passed before the wait"
