"""A server that echoes the request's credentials into its error answers never gets them
repeated by pmosync: not on stdout or stderr, not in the JSON logs, not in ``pmosync status``
or ``pmosync runs``, not in any column of any table of the store.

The sandboxes are told (``set_faults(echo_authorization=True)``) to quote the Authorization
header and the bare token in every error answer, as a careless proxy or API does; the sync
then meets errors of every kind that end up in a message: a refused token (401, the whole
connector), a forbidden project (403, one item), a group that does not exist (404, Graph), and
429s that are retried. The real ``pmosync`` command runs in child processes over loopback HTTP.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from pmosync.connectors.scrub import Scrubber
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.dataverse import DataverseSandbox, generate_environment
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import OrgSize, generate_org
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.store import Store

ASANA_TOKEN = "asana-pat-7f3c9e1b2d4a6f8e0c1b3d5a7e9f2c4b"
REFUSED_TOKEN = "asana-pat-revoked-90d1e2f3a4b5c6d7e8f9a0b1"
GRAPH_TOKEN = "graph-token-c0ffee00d15ea5e0b5e55ed0a1b2c3d4"
DATAVERSE_TOKEN = "dataverse-token-5eed1e55b0a7c0de5eed1e55b0a7c0de"
OUTSIDER_TOKEN = "dataverse-token-0u7s1de70u7s1de70u7s1de70u7s1de7"
SECRETS = (ASANA_TOKEN, REFUSED_TOKEN, GRAPH_TOKEN, DATAVERSE_TOKEN, OUTSIDER_TOKEN)
MISSING_GROUP = "00000000-0000-0000-0000-00000000dead"


@pytest.fixture(scope="module")
def boxes() -> Iterator[tuple[AsanaSandbox, GraphSandbox, DataverseSandbox]]:
    org = generate_org(3, OrgSize(projects=3, tasks=60, people=5, time_entries=20, teams=1,
                                  portfolios=1))  # fmt: skip
    people = [(person.name, person.email) for person in org.people.values()]
    size = TenantSize(groups=1, plans=1, tasks=20, people=5, timesheet_weeks=1)
    tenant = generate_tenant(3, size, people=people)
    asana = AsanaSandbox(org, token=ASANA_TOKEN).start()
    graph = GraphSandbox(tenant, token=GRAPH_TOKEN, page_size=20).start()
    environment = generate_environment(3, "XS", tenant.today, tenant=tenant)
    dataverse = DataverseSandbox(environment, token=DATAVERSE_TOKEN).start()
    try:
        for box in (asana, graph, dataverse):
            box.set_faults(echo_authorization=True)
        asana.forbid_project(sorted(org.projects)[0], 403)
        # a security role without read on assignments: a 403 naming the privilege, echoed
        dataverse.revoke("msdyn_resourceassignment")
        dataverse.add_token(OUTSIDER_TOKEN, member=False)  # an app user of no environment
        yield asana, graph, dataverse
    finally:
        asana.stop()
        graph.stop()
        dataverse.stop()


def _config(
    folder: Path, asana: AsanaSandbox, graph: GraphSandbox, dataverse: DataverseSandbox
) -> Path:
    groups = ", ".join(f'"{g}"' for g in [*sorted(graph.tenant.groups), MISSING_GROUP])
    workspace = asana.org.workspace.gid
    text = (
        f"store: sqlite:///{folder / 'pmosync.db'}\n"
        "connectors:\n"
        "  asana-eng:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        f'    workspace: "{workspace}"\n'
        f"    base_url: {asana.base_url}\n"
        "  asana-old:\n"
        "    type: asana\n"
        "    token: ${OLD_ASANA_TOKEN}\n"
        f'    workspace: "{workspace}"\n'
        f"    base_url: {asana.base_url}\n"
        "  planner-ops:\n"
        "    type: planner\n"
        "    token: ${GRAPH_TOKEN}\n"
        f"    base_url: {graph.base_url}\n"
        f"    groups: [{groups}]\n"
        "  premium:\n"
        "    type: planner_premium\n"
        "    token: ${DATAVERSE_TOKEN}\n"
        f"    environment: {dataverse.environment_url}\n"
        "  premium-outsider:\n"
        "    type: planner_premium\n"
        "    token: ${OUTSIDER_TOKEN}\n"
        f"    environment: {dataverse.environment_url}\n"
    )
    path = folder / "pmosync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _pmosync(config: Path, *args: str, stderr_to: Path | None = None) -> str:
    """Run one pmosync command; everything it printed (stdout and stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_")}
    env |= {"ASANA_TOKEN": ASANA_TOKEN, "OLD_ASANA_TOKEN": REFUSED_TOKEN,
            "GRAPH_TOKEN": GRAPH_TOKEN, "DATAVERSE_TOKEN": DATAVERSE_TOKEN,
            "OUTSIDER_TOKEN": OUTSIDER_TOKEN}  # fmt: skip
    command = [sys.executable, "-m", "pmosync", *args, "-c", str(config)]
    if stderr_to is None:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        return done.stdout + done.stderr
    with stderr_to.open("w", encoding="utf-8") as log:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env,
                              timeout=300)  # fmt: skip
    return done.stdout + stderr_to.read_text(encoding="utf-8")


def _every_cell(store_url: str) -> str:
    """Every column of every row of every table of the store, as text."""
    with Store.open(store_url, schema="require") as store:
        tables = MetaData()
        tables.reflect(store.engine)
        with store.engine.connect() as connection:
            return "\n".join(
                f"{name}: {tuple(row)}"
                for name, table in tables.tables.items()
                for row in connection.execute(select(table))
            )


def _leaks(text: str) -> list[str]:
    found = [secret for secret in SECRETS if secret in text]
    return found + [line for line in text.splitlines() if "Bearer " in line]


def test_echoed_tokens_appear_nowhere_pmosync_writes(tmp_path, boxes):
    asana, graph, dataverse = boxes
    asana.throttle_next(2, retry_after_s=1)  # 429s echo too, and are retried
    dataverse.throttle_next(2, retry_after_s=1)
    config = _config(tmp_path, asana, graph, dataverse)
    printed = _pmosync(config, "sync")
    json_log = tmp_path / "sync.log"
    printed += _pmosync(config, "sync", "--log-format", "json", stderr_to=json_log)
    status = _pmosync(config, "status")
    history = _pmosync(config, "runs")
    cells = _every_cell(f"sqlite:///{tmp_path / 'pmosync.db'}")

    # the echoes did reach pmosync's messages (masked), else this test would prove nothing
    assert "token=***" in cells and "Authorization: ***" in cells
    assert "401" in cells and "403" in cells and "404" in cells
    # Dataverse's refusals reached the store: the privilege named, and Dataverse's own words
    # (which echoed the outsider's token) masked
    assert "prvReadmsdyn_resourceassignment" in cells
    outsider = [line for line in cells.splitlines() if "not a member of the organization" in line]
    assert outsider and all("***" in line for line in outsider)
    for where, text in {
        "sync output": printed,
        "JSON log": json_log.read_text(encoding="utf-8"),
        "pmosync status": status,
        "pmosync runs": history,
        "store": cells,
    }.items():
        assert _leaks(text) == [], where


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.eyJhdWQiOiJodHRwcz.sig-nature",
        '{"authorization": "Bearer abcdefgh12345678"}',
        "authorization=Basic dXNlcjpwYXNzd29yZA==",
        "got Bearer%20abcdefgh12345678 from the proxy",
        "an access token eyJ0eXAiOiJKV1QiLCJhbGciOi.eyJhdWQiOiJodHRwcz.c2lnbmF0dXJl alone",
    ],
)
def test_any_authorization_value_is_masked_even_when_not_configured(text):
    masked = Scrubber()(text)
    assert "***" in masked
    assert not any(part in masked for part in ("abcdefgh1234", "dXNlcjpw", "eyJhdWQi"))


def test_configured_secrets_are_masked_whole_and_url_encoded():
    secret = "s3cr3t/with+slash=="
    masked = Scrubber([secret, "abc"])(f"raw {secret} and encoded s3cr3t%2Fwith%2Bslash%3D%3D")
    assert masked == "raw *** and encoded ***", "a too-short 'abc' is left alone"
    assert "Authorization has been denied" in Scrubber()("Authorization has been denied.")
