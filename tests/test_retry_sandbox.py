"""The retry policy against the sandboxes on a bad day: 429s without Retry-After, 503/504 with
and without it, a throttled outer ``$batch`` POST. Each sync still ends holding exactly the
source's data, and the waits it made are the ones the policy documents, as the sync's observer
heard them (``waiting(connector, seconds, reason)``, what the progress display shows).

Real ``run_sync`` with the official SDKs over loopback HTTP; the sandboxes' ``fail_next``
answers the next requests with the given status and a Retry-After only when one is given.
"""

from __future__ import annotations

import pytest
from asana_env import SOURCE as ASANA
from asana_env import differences
from asana_env import write_config as asana_config
from graph_env import PLANNER, planner_differences, planner_yaml
from graph_env import write_config as graph_config
from wait_watcher import WaitWatcher

from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.sync.run import run_sync

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

GRAPH = "HTTP {} from Microsoft Graph"
TENANT = TenantSize(groups=1, plans=2, tasks=40, people=5, timesheet_weeks=1)


def _sync(path, config) -> tuple[Store, str, WaitWatcher]:
    watcher = WaitWatcher()
    store = Store.open(config.store, base_dir=path.parent)
    return store, run_sync(config, store, observer=watcher).status, watcher


@pytest.mark.parametrize(
    ("status", "retry_after", "path", "bounds"),
    [
        # a 429 without Retry-After: 1-2 s, then 2-4 s (exponential, jittered), never a flat 1 s
        (429, None, None, [(1.0, 2.0), (2.0, 4.0)]),
        (429, 2, None, [(2.0, 2.0), (2.0, 2.0)]),
        (503, 2, None, [(2.0, 2.0), (2.0, 2.0)]),
        (504, 1, None, [(1.0, 1.0), (1.0, 1.0)]),
        # 5xx without Retry-After: full jitter, at most 0.5 x 2^n s
        (503, None, None, [(0.0, 1.0), (0.0, 2.0)]),
        (504, None, None, [(0.0, 1.0), (0.0, 2.0)]),
        # the outer $batch POST (task details) throttled, as Graph may
        (429, None, "/$batch", [(1.0, 2.0), (2.0, 4.0)]),
    ],
)
def test_graph_faults_are_waited_out_as_the_policy_says(
    tmp_path, status, retry_after, path, bounds
):
    tenant = generate_tenant(seed=4, size=TENANT)
    groups = sorted(tenant.groups)
    with GraphSandbox(tenant, page_size=20) as sandbox:
        sandbox.fail_next(2, status, retry_after, path)
        where, config = graph_config(tmp_path, sandbox, planner_yaml(sandbox, groups))
        store, outcome, watcher = _sync(where, config)
        answered = sandbox.stats()["by_endpoint"]
        with store:
            assert outcome == "succeeded"
            assert planner_differences(store, tenant, groups) == []
    if path is not None:
        assert answered.get("POST /$batch", 0) >= 3, "two refused, then the batches went through"
    retries = [(c, s, r) for c, s, r in watcher.waits if r == GRAPH.format(status)]
    assert [c for c, _, _ in retries] == [PLANNER, PLANNER]
    for (_, seconds, _), (low, high) in zip(retries, bounds, strict=True):
        # a 429's pause is measured when the wait begins, a hair after it was set
        assert low - 0.05 <= seconds <= high, retries


@pytest.mark.parametrize(
    ("status", "retry_after", "bounds"),
    [
        (429, None, [(1.0, 2.0), (2.0, 4.0)]),
        (503, 2, [(2.0, 2.0), (2.0, 2.0)]),
        (500, None, [(0.0, 1.0), (0.0, 2.0)]),
    ],
)
def test_asana_faults_are_waited_out_as_the_policy_says(tmp_path, status, retry_after, bounds):
    org = generate_org(seed=6, size="XS")
    with AsanaSandbox(org) as sandbox:
        sandbox.fail_next(2, status, retry_after)
        where, config = asana_config(tmp_path, sandbox)
        store, outcome, watcher = _sync(where, config)
        with store:
            assert outcome == "succeeded"
            assert differences(store, org) == []
    retries = [(c, s, r) for c, s, r in watcher.waits if r == f"HTTP {status} from Asana"]
    assert [c for c, _, _ in retries] == [ASANA, ASANA]
    for (_, seconds, _), (low, high) in zip(retries, bounds, strict=True):
        assert low - 0.05 <= seconds <= high, retries
