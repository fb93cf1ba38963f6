"""A token's quota shared by every process through the quota store (``sync.quota_store``).

Real Redis at 127.0.0.1:6379, real OS processes, the real Asana sandbox and the official SDK.
What is checked comes from outside the limiter: the times the processes themselves record
after each slot, and the sandbox's own request log. Each test uses a token of its own, so its
Redis keys are its own, and deletes them afterwards.

Without a Redis on 127.0.0.1:6379 the tests skip, unless ``PMOSYNC_REQUIRE_REDIS=1`` (then
they fail).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from asana_env import differences

from pmosync.config import load_config
from pmosync.connectors.limiter import shared_limiter, use_quota_store
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import OrgSize, generate_org
from pmosync.store import Store
from pmosync.sync.run import run_sync

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

redis = pytest.importorskip("redis", reason="the quota store needs pmosync[temporal]")

REDIS_URL = "redis://127.0.0.1:6379/0"
QUOTA = 1200
"""Requests a minute. docs/operations.md: at this quota the budget is counted over 2 s
windows, so no sliding 6 s may hold more than a tenth of it (and no minute more than all)."""
TENTH_S = 6.0


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis, or a skip (a failure under PMOSYNC_REQUIRE_REDIS=1)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("PMOSYNC_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {error}")
        pytest.skip(f"the quota store tests need Redis at {REDIS_URL}: {error}")
    try:
        yield REDIS_URL
    finally:
        use_quota_store(None)  # the process's default again, for the tests that follow
        client.close()


def _forget(keys: list[str]) -> None:
    """Delete this test's keys, and only them (each key is a token hash only it used)."""
    client = redis.Redis.from_url(REDIS_URL)
    for key in keys:
        for name in client.scan_iter(match=f"pmosync:quota:*{key}*"):
            client.delete(name)
    client.close()


def _python(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen[str]) -> dict:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


HAMMER = """
    import json, sys, time
    from pmosync.connectors.limiter import shared_limiter, use_quota_store
    from pmosync.connectors.retry import RetryPolicy

    url, token, quota, start, seconds = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
    use_quota_store(url)
    limiter = shared_limiter("Asana", "app.asana.com", token, quota)
    policy = RetryPolicy()
    time.sleep(max(0.0, start - time.time()))
    sent = []
    while time.time() < start + seconds:
        limiter.acquire(policy)
        sent.append(time.time())  # the request would leave now
    print(json.dumps({"key": limiter.key, "sent": sent}))
"""


def _most_in_any(times: list[float], span: float) -> int:
    """The most of ``times`` inside any sliding window [t, t + span)."""
    times, most, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - span:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_two_processes_on_one_token_stay_under_its_quota_together(redis_url):
    token, start = uuid.uuid4().hex, time.time() + 2.0
    workers = [_python(HAMMER, redis_url, token, QUOTA, start, 7.0) for _ in range(2)]
    results = [_result(worker) for worker in workers]
    _forget([results[0]["key"]])
    sent = [at for result in results for at in result["sent"]]
    # both processes were served (they share the budget, neither starves)...
    assert all(len(result["sent"]) > 20 for result in results), [len(r["sent"]) for r in results]
    # ...but together no more than the quota allows (each on a budget of its own would
    # send the whole quota, twice it together)
    assert _most_in_any(sent, 60.0) <= QUOTA
    assert _most_in_any(sent, TENTH_S) <= QUOTA * TENTH_S / 60, "a tenth of the quota in 6 s"


PAUSE = """
    import json, sys, time
    from pmosync.connectors.limiter import shared_limiter, use_quota_store

    url, token = sys.argv[1], sys.argv[2]
    use_quota_store(url)
    limiter = shared_limiter("Asana", "app.asana.com", token, 1500)
    limiter.pause(3.0, "HTTP 429 from Asana")
    until = time.time() + 3.0
    limiter.pause(0.5, "a shorter Retry-After")  # never cuts the longer pause short
    print(json.dumps({"key": limiter.key, "until": until}))
"""

WAIT = """
    import json, sys, time
    from pmosync.connectors.limiter import shared_limiter, use_quota_store
    from pmosync.connectors.retry import RetryPolicy

    url, token = sys.argv[1], sys.argv[2]
    use_quota_store(url)
    limiter = shared_limiter("Asana", "app.asana.com", token, 1500)
    heard = []
    limiter.acquire(RetryPolicy(on_wait=lambda seconds, reason: heard.append(reason)))
    print(json.dumps({"sent": time.time(), "heard": heard}))
"""


def test_a_429_in_one_process_holds_back_the_other(redis_url):
    token = uuid.uuid4().hex
    paused = _result(_python(PAUSE, redis_url, token))
    try:
        other = _result(_python(WAIT, redis_url, token))
    finally:
        _forget([paused["key"]])
    assert other["heard"] == ["HTTP 429 from Asana"]
    assert other["sent"] >= paused["until"] - 0.05, "the other process sent during the pause"


ORG = OrgSize(projects=16, tasks=600, people=8, time_entries=300, teams=1, portfolios=1)
FORCED_429 = 4


def _config(folder: Path, sandbox: AsanaSandbox, quota_store: str) -> Path:
    """One Asana connector (named as asana_env's ground truth expects) into a store of its own."""
    folder.mkdir()
    path = folder / "pmosync.yaml"
    path.write_text(
        f"store: sqlite:///{folder / 'pmosync.db'}\n"
        f"sync:\n  quota_store: {quota_store}\n"
        "connectors:\n"
        "  asana-eng:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        f'    workspace: "{sandbox.org.workspace.gid}"\n'
        f"    base_url: {sandbox.base_url}\n"
        f"    requests_per_minute: {QUOTA}\n"
        "    max_concurrency: 4\n",
        encoding="utf-8",
    )
    return path


def test_two_syncs_sharing_a_token_stay_under_the_sandbox_quota_through_a_429_storm(
    redis_url, tmp_path
):
    """Two ``pmosync sync`` processes, each with a connector on the same token, against one
    sandbox that enforces the token's quota over 6 s windows and throttles the first requests:
    the sandbox answers no 429 beyond those it was told to, and both stores equal the org."""
    token = uuid.uuid4().hex
    per_window = int(QUOTA * TENTH_S / 60)
    with AsanaSandbox(
        generate_org(seed=18, size=ORG),
        token=token,
        requests_per_minute=per_window,
        rate_window_s=TENTH_S,
    ) as sandbox:
        use_quota_store(redis_url)  # only to learn the limiter's key, for the clean-up
        host = sandbox.base_url.split("/")[2]
        key = shared_limiter("Asana", host, token, QUOTA).key
        use_quota_store(None)
        sandbox.throttle_next(FORCED_429, retry_after_s=1)
        configs = [_config(tmp_path / name, sandbox, redis_url) for name in ("one", "two")]
        env = {**os.environ, "ASANA_TOKEN": token}
        syncs = [
            subprocess.Popen(
                [sys.executable, "-m", "pmosync", "sync", "-c", str(config)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=config.parent,
            )
            for config in configs
        ]
        try:
            outputs = [sync.communicate(timeout=120) for sync in syncs]
        finally:
            _forget([key])
        stats = sandbox.stats()
        for sync, (out, err) in zip(syncs, outputs, strict=True):
            assert sync.returncode == 0, out + err
        for config in configs:
            loaded = load_config(config, environ={"ASANA_TOKEN": token})
            with Store.open(loaded.store, base_dir=config.parent) as store:
                assert differences(store, sandbox.org) == []
    # the two together made several windows' worth of requests, so the quota mattered...
    assert stats["total"] > 2 * per_window, stats["total"]
    # ...and the sandbox refused none of them for the quota: only the forced 429s
    assert stats["by_status"].get("429", 0) == FORCED_429, stats["by_status"]


def test_an_unreachable_quota_store_fails_the_connector_in_one_line(redis_url, tmp_path):
    """No silent fallback to a limiter of the process's own: that would break the quota for
    every other worker. The line names the store, never its password."""
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with AsanaSandbox(generate_org(seed=3, size="XS")) as sandbox:
        url = f"redis://:hunter2-secret@127.0.0.1:{port}/0"
        path = _config(tmp_path / "down", sandbox, url)
        config = load_config(path, environ={"ASANA_TOKEN": sandbox.token})
        with Store.open(config.store, base_dir=path.parent) as store:
            run = run_sync(config, store)
        requests = sandbox.stats()["total"]
    [result] = run.connectors
    assert run.status == "failed"
    assert result.error is not None
    assert result.error.startswith(f"cannot use the quota store redis://127.0.0.1:{port} (")
    assert "\n" not in result.error and "hunter2" not in result.error
    assert requests == 0, "no request went out unlimited"
