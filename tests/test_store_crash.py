"""A process killed in the middle of a page leaves the store exactly as the last commit left it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import Task
from pmosync.store import Store

CHILD = textwrap.dedent(
    """
    import sys, time
    from pmosync.canonical.types import Task
    from pmosync.store import Store

    def page(first):
        return [Task(source="asana-eng", source_id=str(n), project_id="p", name=f"t{n}")
                for n in range(first, first + 50)]

    store = Store.open(sys.argv[1])
    run_id = store.ledger.start_run()
    stream = store.ledger.start_stream(run_id, "asana-eng", "tasks")
    with store.writer(stream) as writer:
        writer.upsert(page(0))
        writer.save_checkpoint({"next": 50})
    with store.writer(stream) as writer:
        writer.upsert(page(50))
        writer.save_checkpoint({"next": 100})
        print("PAGE-2-WRITTEN-NOT-COMMITTED", flush=True)
        time.sleep(60)
    """
)


def test_sigkill_mid_page_loses_only_that_page(store_url):
    Store.open(store_url).close()  # schema first, so the child's only work is the sync
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "PAGE-2-WRITTEN-NOT-COMMITTED"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with Store.open(store_url) as store:
        with store.engine.connect() as connection:
            ids = set(connection.scalars(select(ENTITY_TABLES[Task].c.source_id)))
        assert ids == {str(n) for n in range(50)}
        assert store.checkpoint("asana-eng", "tasks") == {"next": 50}
        assert store.ledger.mark_interrupted() == 1
        [row] = store.ledger.latest_streams()
        assert (row["status"], row["inserted"]) == ("interrupted", 50)
