"""Faults a sync must survive: a SIGKILL at any moment, the database server restarting, a disk
that is full and a database file that is read-only.

The tests run the real ``pmosync sync`` command in a child process against the Asana and Graph
sandboxes over loopback HTTP (one pair for the module), and judge the store afterwards against
the sandboxes' own data: after a rerun it holds exactly what is upstream, once, and the ledger
tells the truth. A restarting PostgreSQL is played by a relay in front of the shared server,
which is never touched; a read-only file stays read-only to root by dropping, in the child, the
capabilities that let root ignore permission bits.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import random
import resource
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_env import (
    ASANA,
    PLANNER,
    RestartingProxy,
    Sandboxes,
    duplicated_content,
    run_statuses,
    run_sync_process,
    start_sandboxes,
    start_sync,
    sync_command,
    sync_env,
    truth_differences,
    write_config,
)
from sqlalchemy import select
from sqlalchemy.engine import make_url

from pmosync.canonical.types import Task
from pmosync.store import Store, StoreError
from pmosync.store.engine import display_url
from pmosync.store.schema import daemon_lease, report_deliveries, run_streams, runs

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

WAIT_S = 60
"""How long a test waits for the child to reach a point or to end: generous, never asserted."""
STREAMS = 13
"""Streams of one sync of the three connectors: Asana 8, Planner 4, the workbooks 1."""


@pytest.fixture(scope="module")
def boxes() -> Iterator[Sandboxes]:
    running = start_sandboxes(seed=21)
    try:
        yield running
    finally:
        running.stop()


def _one_clean_line(result: subprocess.CompletedProcess[str] | tuple[int, str, str]) -> str:
    """The child failed with exit code 1 and said why in exactly one line, no traceback."""
    code, out, err = (
        (result.returncode, result.stdout, result.stderr)
        if isinstance(result, subprocess.CompletedProcess)
        else result
    )
    assert code == 1, (code, out, err)
    assert "Traceback" not in out + err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _assert_matches_upstream(store_url: str, boxes: Sandboxes) -> None:
    with Store.open(store_url, schema="require") as store:
        assert truth_differences(store, boxes) == []
        assert duplicated_content(store, boxes) == []


def _wait_for_committed_page(store: Store, child: subprocess.Popen[str]) -> str:
    """Wait until the child's run has committed at least one page; returns the run id."""
    deadline = time.monotonic() + WAIT_S
    query = (
        select(runs.c.id)
        .join(run_streams, run_streams.c.run_id == runs.c.id)
        .where(runs.c.pid == child.pid, runs.c.status == "running", run_streams.c.inserted > 0)
    )
    while time.monotonic() < deadline:
        assert child.poll() is None, child.communicate()
        with store.engine.connect() as connection:
            run_id = connection.scalar(query)
        if run_id is not None:
            return run_id
        time.sleep(0.02)
    raise AssertionError("the sync never committed a page")


# -- crash safety ---------------------------------------------------------------------------


def _wait_for_stream(store: Store, child: subprocess.Popen[str], nth: int) -> str | None:
    """Wait until the child's run has started its ``nth`` stream; returns the run id (None
    if the child ended first). Kill points chosen this way land in every stream, whatever
    the speed of the machine."""
    deadline = time.monotonic() + WAIT_S
    query = (
        select(runs.c.id)
        .join(run_streams, run_streams.c.run_id == runs.c.id)
        .where(runs.c.pid == child.pid)
    )
    while time.monotonic() < deadline and child.poll() is None:
        with store.engine.connect() as connection:
            started = connection.scalars(query).all()
        if len(started) >= nth:
            return started[0]
        time.sleep(0.005)
    return None


def _mutate(boxes: Sandboxes, rng: random.Random) -> None:
    """Edit, add and delete upstream in both tools, as teams do between two syncs."""
    seed = rng.randrange(1 << 30)
    boxes.asana.org.mutate_fraction(0.05, seed)
    boxes.graph.tenant.mutate_fraction(0.05, seed)
    tenant = boxes.graph.tenant
    with tenant.lock:
        item_id = rng.choice(sorted(tenant.timesheets))
        rows = list(tenant.timesheets[item_id].rows)
    tenant.write_timesheet(item_id, rows[1:] if len(rows) > 1 else rows)


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path, boxes):
    """Ten seeded kills at random points of a sync, some with upstream changes before the
    rerun: after each rerun the store equals both sandboxes and the killed run is
    ``interrupted``. Every third trial starts from an empty store, so kills land in full
    syncs as well as incremental ones."""
    rng = random.Random(5)
    killed: list[str] = []
    for trial in range(10):
        folder = tmp_path / f"store{trial // 3}"
        folder.mkdir(exist_ok=True)
        store_url = f"sqlite:///{folder / 'pmosync.db'}"
        config = write_config(folder, boxes, store_url)
        Store.open(store_url).close()  # the schema, so the ledger can be watched at once
        child = start_sync(config, boxes)
        with Store.open(store_url, schema="require") as store:
            run_id = _wait_for_stream(store, child, rng.randint(1, STREAMS))
        assert run_id is not None, child.communicate()
        time.sleep(rng.uniform(0.0, 0.3))  # then anywhere within that stream, or beyond
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=WAIT_S)
        with Store.open(store_url, schema="require") as store:
            cut_short = run_statuses(store)[run_id] == "running"
        if cut_short:  # else the kill came after the run had finished (and said so)
            killed.append(run_id)
        if rng.random() < 0.5:
            _mutate(boxes, rng)
        rerun = run_sync_process(config, boxes)
        assert rerun.returncode == 0, (trial, rerun.stdout, rerun.stderr)
        with Store.open(store_url, schema="require") as store:
            assert truth_differences(store, boxes) == [], trial
            assert duplicated_content(store, boxes) == [], trial
            statuses = run_statuses(store)
        assert statuses[run_id] == ("interrupted" if run_id in killed else "succeeded"), trial
        assert list(statuses.values()).count("running") == 0, statuses
    assert len(killed) >= 7, "the kills must land while the syncs run"


# -- the database server restarting mid-run -------------------------------------------------


def _proxied(url: str, proxy: RestartingProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


@pytest.fixture
def proxy(postgres_url) -> Iterator[RestartingProxy]:
    target = make_url(postgres_url)
    running = RestartingProxy((target.host or "127.0.0.1", target.port or 5432)).start()
    try:
        yield running
    finally:
        running.stop()


def test_an_open_store_reconnects_after_the_server_restarts(postgres_url, proxy):
    """A daemon keeps its store open for months: a write while the server is down fails in one
    line, and the first write after it is back succeeds on the same ``Store``."""
    url = _proxied(postgres_url, proxy)
    task = Task(source="asana-eng", source_id="1", project_id="p", name="before")
    with Store.open(url) as store:
        store.upsert([task])
        proxy.cut()
        with pytest.raises(StoreError) as caught:
            store.upsert([task.model_copy(update={"name": "during"})])
        message = str(caught.value)
        assert message.startswith(f"store {display_url(make_url(url))} is unreachable: ")
        assert "\n" not in message
        proxy.resume()
        assert store.upsert([task.model_copy(update={"name": "after"})]).updated == 1


def test_a_server_restart_mid_run_fails_the_run_cleanly_and_the_next_resumes(
    tmp_path, boxes, postgres_url, proxy
):
    url = _proxied(postgres_url, proxy)
    config = write_config(tmp_path, boxes, f'"{url}"')
    Store.open(postgres_url).close()
    child = start_sync(config, boxes)
    with Store.open(postgres_url, schema="require") as direct:
        run_id = _wait_for_committed_page(direct, child)
        proxy.cut()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=3)  # a restart takes a few seconds: the child sees it down
        proxy.resume()
        out, err = child.communicate(timeout=WAIT_S)
        line = _one_clean_line((child.returncode, out, err))
        assert line.startswith(f"store {display_url(make_url(url))} "), line
        assert run_statuses(direct)[run_id] in ("failed", "running")

    rerun = run_sync_process(config, boxes)
    assert rerun.returncode == 0, (rerun.stdout, rerun.stderr)
    with Store.open(postgres_url, schema="require") as store:
        assert run_statuses(store)[run_id] in ("failed", "interrupted")
    _assert_matches_upstream(postgres_url, boxes)


# -- a full disk, a read-only file ---------------------------------------------------------


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def test_a_full_disk_fails_in_one_line_and_corrupts_nothing(tmp_path, boxes):
    """The file may not grow past a few pages (RLIMIT_FSIZE: the write fails with EFBIG, as
    on a full disk); the sync says so in one line, the database stays sound, and once there
    is room a rerun completes."""
    path = tmp_path / "pmosync.db"
    config = write_config(tmp_path, boxes, "sqlite:///pmosync.db")
    Store.open(f"sqlite:///{path}").close()
    limit = path.stat().st_size + 64 * 1024

    def cannot_grow() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    line = _one_clean_line(run_sync_process(config, boxes, preexec_fn=cannot_grow))
    assert line.startswith(f"store sqlite:///{path} cannot be written: "), line
    assert "full" in line
    assert _integrity(path) == "ok"
    rerun = run_sync_process(config, boxes)
    assert rerun.returncode == 0, (rerun.stdout, rerun.stderr)
    _assert_matches_upstream(f"sqlite:///{path}", boxes)
    assert _integrity(path) == "ok"


_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2
_LIBC = ctypes.CDLL(None, use_errno=True)
"""Loaded here, not in the forked child, where only async-signal-safe work belongs."""


def _obey_file_permissions() -> None:
    """In the child: make root subject to permission bits like any user (drop the
    capabilities that override them), so a read-only file is read-only to it too."""
    if os.geteuid() != 0:
        return
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if _LIBC.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_read_only_database_fails_in_one_line_and_changes_nothing(tmp_path, boxes):
    folder = tmp_path / "store"
    folder.mkdir()
    path = folder / "pmosync.db"
    config = write_config(tmp_path, boxes, f"sqlite:///{path}")
    Store.open(f"sqlite:///{path}").close()
    before = _digest(folder)
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        result = run_sync_process(config, boxes, preexec_fn=_obey_file_permissions)
        line = _one_clean_line(result)
        assert line.startswith(f"store sqlite:///{path} "), line
        assert "read-only" in line or "may read and write" in line, line
        assert _digest(folder) == before
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    assert _integrity(path) == "ok"


# -- a stop while the APIs fail ----------------------------------------------------------------

STOP_BOUND_S = 5
"""How long ``pmosync sync`` may take to exit after SIGTERM: the documented systemd unit kills
at 30 s, and a retry back-off can ask for far longer than that."""


def _failed_answers(boxes: Sandboxes) -> int:
    """5xx answers the sandboxes have served (the connectors are retrying them)."""
    return sum(
        count
        for box in (boxes.asana, boxes.graph)
        for status, count in box.stats()["by_status"].items()
        if status.startswith("5")
    )


def test_sigterm_ends_a_sync_promptly_while_the_apis_fail_and_the_ledger_says_interrupted(
    tmp_path, boxes
):
    """Every request is answered 503/500/504, so each connector sits in retry back-off (up to
    30 s a wait); SIGTERM must still end the process within seconds, with the run and every
    stream it started recorded as interrupted, never left ``running``."""
    store_url = f"sqlite:///{tmp_path / 'pmosync.db'}"
    config = write_config(tmp_path, boxes, store_url)
    Store.open(store_url).close()
    for box in (boxes.asana, boxes.graph):
        box.reset_stats()
        box.set_faults(error_rate=1.0)
    try:
        child = start_sync(config, boxes)
        with Store.open(store_url, schema="require") as store:
            run_id = _wait_for_stream(store, child, 1)
            assert run_id is not None, child.communicate()
            deadline = time.monotonic() + WAIT_S
            while _failed_answers(boxes) < 6 and time.monotonic() < deadline:
                time.sleep(0.05)  # both connectors are into their back-off by now
            assert child.poll() is None, child.communicate()
            child.send_signal(signal.SIGTERM)
            try:
                out, err = child.communicate(timeout=STOP_BOUND_S)
            except subprocess.TimeoutExpired:
                child.kill()
                out, err = child.communicate()
                message = f"still running {STOP_BOUND_S} s after SIGTERM: {err}"
                raise AssertionError(message) from None
            assert "Traceback" not in out + err, err
            with store.engine.connect() as connection:
                run = connection.execute(select(runs).where(runs.c.id == run_id)).one()
                streams = connection.execute(
                    select(run_streams).where(run_streams.c.run_id == run_id)
                ).all()
    finally:
        for box in (boxes.asana, boxes.graph):
            box.set_faults(error_rate=0.0)
    assert run.status == "interrupted", run
    assert streams and all(s.status != "running" for s in streams), streams
    assert "interrupted" in {s.status for s in streams}, streams


@contextlib.contextmanager
def _daemon(config: Path, boxes: Sandboxes, log: Path) -> Iterator[subprocess.Popen[str]]:
    """``pmosync daemon -c CONFIG`` as a child process writing to ``log``; killed if the test
    leaves it running."""
    with log.open("w", encoding="utf-8") as output:
        child = subprocess.Popen(
            [*sync_command(config)[:3], "daemon", "-c", str(config)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=sync_env(boxes),
            cwd=config.parent,
        )
        try:
            yield child
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def _sigterm_within_bound(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=STOP_BOUND_S)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running {STOP_BOUND_S} s after SIGTERM") from None


def test_sigterm_stops_the_daemon_promptly_mid_back_off_and_it_releases_its_lease(tmp_path, boxes):
    """The systemd unit in docs/deploy.md kills 30 s after SIGTERM. A daemon whose sync is
    waiting out back-offs against failing APIs must exit well before that, with its lease
    released (else a standby waits the lease out) and its run interrupted."""
    store_url = f"sqlite:///{tmp_path / 'pmosync.db'}"
    config = write_config(tmp_path, boxes, store_url)
    with config.open("a", encoding="utf-8") as text:
        text.write("sync:\n  schedule: '*/2 * * * * *'\n")
    Store.open(store_url).close()
    for box in (boxes.asana, boxes.graph):
        box.reset_stats()
        box.set_faults(error_rate=1.0)
    log = tmp_path / "daemon.log"
    try:
        with (
            _daemon(config, boxes, log) as child,
            Store.open(store_url, schema="require") as store,
        ):
            assert _wait_for_stream(store, child, 1) is not None, log.read_text()
            deadline = time.monotonic() + WAIT_S
            while _failed_answers(boxes) < 6 and time.monotonic() < deadline:
                time.sleep(0.05)
            _sigterm_within_bound(child)
            with store.engine.connect() as connection:
                lease = connection.execute(select(daemon_lease)).all()
                statuses = set(connection.scalars(select(runs.c.status)))
                streams = set(connection.scalars(select(run_streams.c.status)))
    finally:
        for box in (boxes.asana, boxes.graph):
            box.set_faults(error_rate=0.0)
    assert lease == [], log.read_text()
    assert "interrupted" in statuses and "running" not in statuses, statuses
    assert "running" not in streams, streams


@pytest.mark.parametrize("hanging", [PLANNER, ASANA])
def test_sigterm_abandons_a_request_to_a_server_that_hangs(tmp_path, boxes, hanging):
    """One API takes 20 s to answer each request: SIGTERM must not wait for the answer (nor
    for the 60 s read timeout), only for the pages already in hand."""
    store_url = f"sqlite:///{tmp_path / 'pmosync.db'}"
    config = write_config(tmp_path, boxes, store_url)
    Store.open(store_url).close()
    box = boxes.graph if hanging == PLANNER else boxes.asana
    box.set_faults(latency_s=20)
    try:
        child = start_sync(config, boxes)
        with Store.open(store_url, schema="require") as store:
            deadline = time.monotonic() + WAIT_S
            query = select(run_streams.c.run_id).where(run_streams.c.connector == hanging)
            while time.monotonic() < deadline:
                with store.engine.connect() as connection:
                    run_id = connection.scalar(query)
                if run_id is not None:
                    break
                time.sleep(0.05)
            assert run_id is not None and child.poll() is None, child.communicate()
            time.sleep(0.5)  # its first request is on its way, the answer 20 s off
            child.send_signal(signal.SIGTERM)
            try:
                child.communicate(timeout=STOP_BOUND_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                message = f"still running {STOP_BOUND_S} s after SIGTERM"
                raise AssertionError(message) from None
            with store.engine.connect() as connection:
                status = connection.scalar(select(runs.c.status).where(runs.c.id == run_id))
                streams = connection.execute(
                    select(run_streams.c.connector, run_streams.c.status).where(
                        run_streams.c.run_id == run_id
                    )
                ).all()
    finally:
        box.set_faults(latency_s=0.0)
    assert status == "interrupted"
    assert (hanging, "interrupted") in streams and all(s != "running" for _, s in streams)


def _graph_failures(boxes: Sandboxes) -> int:
    """5xx answers of the Graph sandbox since its stats were reset (the Asana one's may hold
    earlier tests' answers)."""
    by_status = boxes.graph.stats()["by_status"]
    return sum(count for status, count in by_status.items() if status.startswith("5"))


def test_sigterm_stops_the_daemon_promptly_while_a_delivery_waits_out_a_retry_after(
    tmp_path, boxes
):
    """The report's SharePoint upload is answered 503 with Retry-After: 20 s. A daemon told to
    stop meanwhile must not wait that out: it exits within seconds, the delivery recorded
    failed (so the next run delivers it), its lease released."""
    store_url = f"sqlite:///{tmp_path / 'pmosync.db'}"
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    rows = "Email,Date,Hours,Project\na@contoso.example,2026-01-05,3,X\n"
    (sheets / "week1.csv").write_text(rows)
    config = tmp_path / "pmosync.yaml"
    config.write_text(
        f"store: '{store_url}'\n"
        "microsoft:\n"
        "  token: ${GRAPH_TOKEN}\n"
        f"  base_url: {boxes.graph.base_url}\n"
        "connectors:\n"
        "  sheets:\n"
        "    type: files\n"
        f"    path: {sheets}\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
        "sync:\n  schedule: '*/2 * * * * *'\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    schedule: '*/2 * * * * *'\n"
        "    deliver:\n"
        "      - sharepoint: {site: 'contoso.sharepoint.com:/sites/pmo', folder: Reports}\n",
        encoding="utf-8",
    )
    Store.open(store_url).close()
    boxes.graph.reset_stats()
    boxes.graph.fail_next(1000, 503, retry_after_s=20)
    log = tmp_path / "daemon.log"
    try:
        with _daemon(config, boxes, log) as child:
            deadline = time.monotonic() + WAIT_S
            while _graph_failures(boxes) < 1 and time.monotonic() < deadline:
                assert child.poll() is None, log.read_text()
                time.sleep(0.05)
            assert _graph_failures(boxes) >= 1, log.read_text()
            time.sleep(0.5)  # well into the 20 s wait
            _sigterm_within_bound(child)
    finally:
        boxes.graph.fail_next(0, 503)
    with Store.open(store_url, schema="require") as store, store.engine.connect() as connection:
        lease = connection.execute(select(daemon_lease)).all()
        deliveries = connection.execute(select(report_deliveries)).all()
    assert lease == [], log.read_text()
    assert [d.status for d in deliveries] == ["failed"], log.read_text()
    assert "shutdown requested" in deliveries[0].error, deliveries[0].error
