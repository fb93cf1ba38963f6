"""The container image and the Kubernetes manifests hold together with the code they deploy.

Docker cannot build here, so the Dockerfile is read, not built: its entrypoint is the installed
``pmosync`` command, started here with the image's own default arguments and environment (the
config path from PMOSYNC_CONFIG, the state folder from PMOSYNC_STATE_DIR); its HEALTHCHECK
command is run against that daemon; its user is not root and its volume is the state folder.
The manifests are validated against the Kubernetes JSON schemas that kubernetes-validate ships
inside its wheel (no network), and their probes, ports, arguments, mounts and names are checked
against the image, the daemon and one another. The Temporal engine's set (``temporal/``: its
ConfigMap and Secret, the workers' Deployment, the ``schedules apply`` Job) is held to the same
checks, and to what a worker needs: a PostgreSQL store and shared quotas in its config, no
volume that pins the replicas to one node, time to finish a page when stopped.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import typer.main
import yaml
from sqlalchemy.engine import make_url
from temporal_env import temporal_server, unique_queue

from pmosync.cli import app
from pmosync.config import load_config

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "deploy" / "kubernetes"
TEMPORAL = MANIFESTS / "temporal"
"""The Temporal engine's manifests: a set of their own, applied instead of the daemon's."""
VERSIONS = ("1.27", kubernetes_validate.latest_version())
"""1.27: the first with CronJob's timeZone; and the newest the validator knows."""

__all__ = ["temporal_server"]  # the module fixture (a real dev server), imported for pytest


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments out."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            out.append((instruction.upper(), rest.strip()))
    return out


def _one(instruction: str) -> str:
    [value] = [rest for name, rest in _dockerfile() if name == instruction]
    return value


def _env() -> dict[str, str]:
    env: dict[str, str] = {}
    for name, rest in _dockerfile():
        if name == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(rest))
    return env


def _exec_form(value: str) -> list[str]:
    """An instruction's JSON array (exec form), after any --options such as HEALTHCHECK's."""
    return json.loads(value[value.index("[") :])


def _documents(folder: Path = MANIFESTS) -> dict[str, dict[str, Any]]:
    """Every manifest of one set (a folder, not its sub-folders), by kind."""
    found = {}
    for path in sorted(folder.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found[document["kind"]] = document
    return found


def _pod(kind: str, folder: Path = MANIFESTS) -> dict[str, Any]:
    document = _documents(folder)[kind]
    spec = document["spec"]
    template = spec["jobTemplate"]["spec"]["template"] if kind == "CronJob" else spec["template"]
    return template["spec"]


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def _health_check() -> tuple[list[str], str]:
    """The HEALTHCHECK command and the URL it reads."""
    command = _exec_form(_one("HEALTHCHECK"))
    [url] = re.findall(r"https?://[^'\" ]+", " ".join(command))
    return command, url


def test_the_manifests_are_valid_kubernetes_objects_checked_offline():
    documents = _documents()
    assert sorted(documents) == [
        "ConfigMap",
        "CronJob",
        "Deployment",
        "PersistentVolumeClaim",
        "Secret",
    ]
    temporal = _documents(TEMPORAL)
    assert sorted(temporal) == ["ConfigMap", "Deployment", "Job", "Secret"]
    for version in VERSIONS:
        for document in [*documents.values(), *temporal.values()]:
            kubernetes_validate.validate(document, version, strict=True)
    # The validator does look: a misspelt key of the probe is refused.
    broken = copy.deepcopy(documents["Deployment"])
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["livenessProbes"] = container.pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="livenessProbes"):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_image_runs_pmosync_daemon_as_a_user_on_the_state_volume():
    assert _one("FROM") == "python:3.11-slim"
    env = _env()
    assert _exec_form(_one("VOLUME")) == [env["PMOSYNC_STATE_DIR"]] == ["/var/lib/pmosync"]
    user = _one("USER").split(":")[0]
    assert user not in ("root", "0")
    run = " ".join(rest for name, rest in _dockerfile() if name == "RUN")
    assert re.search(rf"useradd --system --uid {user}\b", run)  # the uid exists in the image
    assert re.search(rf"chown pmosync:pmosync {env['PMOSYNC_STATE_DIR']}\b", run)
    # ENTRYPOINT + CMD is `pmosync daemon ...`, pmosync being the package's own command.
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert _exec_form(_one("ENTRYPOINT")) == ["pmosync"]
    assert scripts["pmosync"] == "pmosync.cli:main"
    assert _exec_form(_one("CMD"))[0] == "daemon"


def test_the_image_copies_what_the_package_build_reads_and_the_build_context_holds_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    copied = set()
    for name, rest in _dockerfile():
        if name == "COPY":
            *sources, _ = rest.split()
            copied.update(source.rstrip("/") for source in sources)
    assert {"pyproject.toml", project["readme"], "pmosync"} <= copied
    assert all((ROOT / source).exists() for source in copied)
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore  # everything else stays out of the build context
    assert {f"!{source}" for source in copied} <= set(ignore)


def _parse_as_pmosync(args: list[str], where: str) -> Any:
    """Parse ``pmosync ARGS`` as the command would, down through its command groups
    (``schedules apply``): an unknown command or option, or a missing value, raises here."""
    command: Any = typer.main.get_command(app)
    context = command.make_context("pmosync", list(args), resilient_parsing=False)
    words = list(args)
    while hasattr(command, "get_command"):  # a group (typer's own click has no Group class)
        name, words = words[0], words[1:]
        sub = command.get_command(context, name)
        assert sub is not None, f"{where}: pmosync has no command {name!r}"
        context = sub.make_context(name, list(words), parent=context)
        command = sub
    return context


def test_every_command_line_of_the_image_and_the_manifests_is_one_pmosync_accepts():
    lines = {
        "Dockerfile CMD": _exec_form(_one("CMD")),
        "Deployment": _pod("Deployment")["containers"][0]["args"],
        "CronJob": _pod("CronJob")["containers"][0]["args"],
        "temporal/ Deployment": _pod("Deployment", TEMPORAL)["containers"][0]["args"],
        "temporal/ Job": _pod("Job", TEMPORAL)["containers"][0]["args"],
    }
    assert lines["Deployment"][0] == "daemon" and lines["CronJob"][0] == "run"
    assert lines["temporal/ Deployment"][0] == "worker"
    assert lines["temporal/ Job"][:2] == ["schedules", "apply"]
    for where, args in lines.items():
        _parse_as_pmosync(args, where)
    # The workers and the Job name the config file the image reads (PMOSYNC_CONFIG).
    for where in ("temporal/ Deployment", "temporal/ Job"):
        assert _option(lines[where], "-c") == _env()["PMOSYNC_CONFIG"], where


def test_the_probes_and_the_health_check_read_the_port_and_path_the_daemon_serves():
    _, url = _health_check()
    image_port = _option(_exec_form(_one("CMD")), "--health-port")
    assert url == f"http://127.0.0.1:{image_port}/healthz"
    assert _one("EXPOSE") == image_port
    container = _pod("Deployment")["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert str(ports["health"]) == _option(container["args"], "--health-port") == image_port
    assert _option(container["args"], "--health-host") == "0.0.0.0"  # reachable by the kubelet
    for probe in ("livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/healthz"
        assert str(ports.get(get["port"], get["port"])) == image_port


def _state_volume(kind: str, folder: Path = MANIFESTS) -> dict[str, Any]:
    """The pod's volume at the image's state folder, after checking that the pod mounts the
    set's ConfigMap read-only where the image reads its config, takes the set's Secret as its
    environment, and runs as the image's user on a read-only root with writable scratch."""
    documents = _documents(folder)
    env = _env()
    config_file = Path(env["PMOSYNC_CONFIG"])
    assert config_file.name in documents["ConfigMap"]["data"]
    pod = _pod(kind, folder)
    [container] = pod["containers"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    config = mounts[str(config_file.parent)]
    assert config["readOnly"] is True
    configmap = volumes[config["name"]]["configMap"]["name"]
    assert configmap == documents["ConfigMap"]["metadata"]["name"]
    [source] = container["envFrom"]
    assert source["secretRef"]["name"] == documents["Secret"]["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == _one("USER").split(":")[0]
    # A read-only root file system leaves matplotlib's cache folder on a writable mount.
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    writable = [path for path, mount in mounts.items() if not mount.get("readOnly")]
    assert env["PMOSYNC_STATE_DIR"] in writable
    assert any(env["MPLCONFIGDIR"].startswith(path + "/") for path in writable)
    return volumes[mounts[env["PMOSYNC_STATE_DIR"]]["name"]]


def test_the_workloads_mount_the_config_secrets_and_state_the_image_expects():
    claim = _documents()["PersistentVolumeClaim"]["metadata"]["name"]
    for kind in ("Deployment", "CronJob"):
        assert _state_volume(kind)["persistentVolumeClaim"]["claimName"] == claim


def test_the_temporal_workloads_mount_the_same_and_keep_no_state_of_their_own():
    """The store is PostgreSQL and the quotas live in Redis: a worker's state folder only
    holds the reports' local copies, so it is scratch. A ReadWriteOnce claim would put every
    replica on one node and make one node's loss stop them all."""
    for kind in ("Deployment", "Job"):
        volume = _state_volume(kind, TEMPORAL)
        assert "emptyDir" in volume and "persistentVolumeClaim" not in volume, kind
        assert not any("persistentVolumeClaim" in v for v in _pod(kind, TEMPORAL)["volumes"])


def test_the_configmap_holds_a_valid_config_the_secret_fills_in(tmp_path):
    documents = _documents()
    path = tmp_path / "pmosync.yaml"
    path.write_text(documents["ConfigMap"]["data"]["pmosync.yaml"], encoding="utf-8")
    state = _env()["PMOSYNC_STATE_DIR"]
    environ = {**documents["Secret"]["stringData"], "PMOSYNC_STATE_DIR": state}

    config = load_config(path, environ=environ)

    assert config.store == "sqlite:////var/lib/pmosync/pmosync.db"
    assert config.output_path == Path("/var/lib/pmosync/reports")
    assert config.sync.schedule is not None and config.reports
    # Every variable the config names without a default comes from the Secret.
    text = path.read_text(encoding="utf-8")
    needed = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", text))
    assert needed and needed <= set(documents["Secret"]["stringData"])


def _temporal_config(tmp_path: Path):
    """The Temporal set's ConfigMap, loaded as a worker would with the set's Secret."""
    documents = _documents(TEMPORAL)
    path = tmp_path / "pmosync.yaml"
    path.write_text(documents["ConfigMap"]["data"]["pmosync.yaml"], encoding="utf-8")
    environ = {
        **documents["Secret"]["stringData"],
        "PMOSYNC_STATE_DIR": _env()["PMOSYNC_STATE_DIR"],
    }
    return load_config(path, environ=environ)


def test_the_temporal_configmap_holds_a_temporal_config_the_secret_fills_in(tmp_path):
    documents = _documents(TEMPORAL)
    secret = documents["Secret"]["stringData"]

    config = _temporal_config(tmp_path)

    assert config.engine == "temporal"
    # Every worker, on whichever node, writes one store: a database server, not a file.
    assert make_url(config.store).get_backend_name() == "postgresql"
    assert config.store == secret["PMOSYNC_STORE"]
    # Connectors that share a token share its budget across the workers, in Redis.
    assert config.sync.quota_store is not None
    assert config.sync.quota_store.get_secret_value() == secret["PMOSYNC_REDIS_URL"]
    tokens = [connector.token.get_secret_value() for connector in config.connectors.values()]
    assert len(tokens) > len(set(tokens))
    # Connectors on their own schedule and on sync.schedule, and a report, become Schedules.
    assert config.sync.schedule is not None and config.reports
    assert {connector.schedule is None for connector in config.connectors.values()} == {
        True,
        False,
    }
    # Every variable the config names without a default comes from the Secret.
    text = documents["ConfigMap"]["data"]["pmosync.yaml"]
    values = re.sub(r"(^|\s)#.*$", "", text, flags=re.M)  # a comment's ${VAR} is an example
    needed = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", values))
    assert needed and needed <= set(secret)
    # The set replaces the daemon's ConfigMap and Secret (one engine per store), and its
    # Secret still holds everything the daemon's config reads, so moving back needs no new one.
    daemon = _documents()
    for kind in ("ConfigMap", "Secret"):
        assert documents[kind]["metadata"]["name"] == daemon[kind]["metadata"]["name"]
    assert set(daemon["Secret"]["stringData"]) <= set(secret)


def test_the_workers_are_several_spread_apart_and_finish_their_page_when_stopped(tmp_path):
    documents = _documents(TEMPORAL)
    spec = documents["Deployment"]["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    assert spec["replicas"] > 1
    assert spec["strategy"]["type"] == "RollingUpdate"  # no lease to hand over, unlike the daemon
    selector = spec["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    [spread] = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert spread["labelSelector"]["matchLabels"].items() <= labels.items()
    # The workers' Deployment selects only its own pods, and the daemon's none of the workers'
    # or the Job's: neither counts (or scales away) the other's pods.
    daemon = _documents()["Deployment"]["spec"]
    cronjob = _documents()["CronJob"]["spec"]["jobTemplate"]["spec"]
    others = [daemon["template"], cronjob["template"], documents["Job"]["spec"]["template"]]
    for template in others:
        assert not selector.items() <= template["metadata"]["labels"].items()
    for template in (spec["template"], documents["Job"]["spec"]["template"]):
        assert (
            not daemon["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items()
        )
    # A page lasts at most the heartbeat timeout (Retry-After waits included): a stopped worker
    # gets longer than that to finish the page in flight before the kubelet kills it.
    heartbeat = _temporal_config(tmp_path).temporal.heartbeat_timeout_seconds
    assert pod["terminationGracePeriodSeconds"] > heartbeat
    # The Job applies the Schedules once per change; a failed attempt is retried (idempotent).
    job = documents["Job"]["spec"]
    assert job["template"]["spec"]["restartPolicy"] == "Never" and job["backoffLimit"] >= 1


def test_the_image_installs_the_extras_its_commands_need():
    """The workers run the image: ``pmosync worker`` and ``schedules`` need the temporal extra
    (temporalio, and the Redis limiter of sync.quota_store), a PostgreSQL store the postgres one."""
    run = " ".join(rest for name, rest in _dockerfile() if name == "RUN")
    [extras] = re.findall(r"pip install [\"']?\.\[([\w,-]+)\]", run)
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optional = optional["optional-dependencies"]
    assert {"postgres", "temporal"} <= set(extras.split(","))
    assert any(requirement.startswith("temporalio") for requirement in optional["temporal"])
    assert any(requirement.startswith("limits[redis]") for requirement in optional["temporal"])


def _temporal_section() -> str:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    return text.split("\n## Scale-out on Temporal\n", 1)[1].split("\n## ", 1)[0]


def test_the_temporal_config_the_docs_show_is_one_pmosync_loads(tmp_path):
    [block] = [
        block
        for block in re.findall(r"```yaml\n(.*?)```", _temporal_section(), re.S)
        if "engine: temporal" in block
    ]
    path = tmp_path / "pmosync.yaml"
    path.write_text(block, encoding="utf-8")
    environ = {"ASANA_TOKEN": "token", "PMOSYNC_REDIS_URL": "redis://127.0.0.1:6379/0"}

    config = load_config(path, environ=environ)

    assert config.engine == "temporal"
    assert make_url(config.store).get_backend_name() == "postgresql"
    assert config.sync.quota_store is not None and config.sync.schedule is not None
    assert any(connector.schedule for connector in config.connectors.values())
    assert config.organisation.timezone and config.reports


def test_the_deploy_docs_name_the_manifests_there_are():
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    named = set(re.findall(r"deploy/kubernetes/[\w/.-]+\.yaml", text))
    assert sorted(name for name in named if not (ROOT / name).is_file()) == []
    for path in TEMPORAL.glob("*.yaml"):
        assert str(path.relative_to(ROOT)) in named, path.name


def _wait_for(process: subprocess.Popen[str], lines: list[str], pattern: str) -> re.Match[str]:
    """The first of the daemon's log lines (read from its stdout as needed) matching ``pattern``."""
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    seen = 0
    while time.monotonic() < deadline:
        for line in lines[seen:]:
            if found := re.search(pattern, line):
                return found
        seen = len(lines)
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
    raise AssertionError(f"no log line matching {pattern!r}:\n" + "".join(lines))


def test_the_image_default_command_serves_the_health_check_the_image_runs(tmp_path):
    """The installed entrypoint with the image's CMD and ENV (paths moved into tmp_path, the
    port made 0 so parallel tests do not collide): /healthz answers 200, and the image's own
    HEALTHCHECK command, pointed at that port, exits 0."""
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    (sheets / "week.csv").write_text("Email,Date,Hours,Project\n")
    config = tmp_path / "etc" / "pmosync.yaml"
    config.parent.mkdir()
    config.write_text(
        "connectors:\n"
        f"  sheets: {{type: files, path: '{sheets}',"
        " columns: {person: Email, date: Date, hours: Hours, project: Project}}\n"
        "sync: {schedule: '0 3 * * *'}\n",
        encoding="utf-8",
    )
    state = tmp_path / "state"
    state.mkdir()
    env = _env()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_")},
        **env,
        "PMOSYNC_CONFIG": str(config),
        "PMOSYNC_STATE_DIR": str(state),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
    }
    args = _exec_form(_one("CMD"))
    args[args.index("--health-port") + 1] = "0"
    args[args.index("--health-host") + 1] = "127.0.0.1"
    entrypoint = Path(sys.executable).parent / _exec_form(_one("ENTRYPOINT"))[0]
    assert entrypoint.is_file()  # the console script the package installs
    process = subprocess.Popen(
        [str(entrypoint), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    lines: list[str] = []
    try:
        url = _wait_for(process, lines, r"health: (http://\S+/healthz)")[1]
        _wait_for(process, lines, "active: holding the lease")
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert json.loads(response.read())["role"] == "active"
        port = url.rsplit(":", 1)[1].split("/")[0]
        command, image_url = _health_check()
        pointed = [part.replace(image_url, url) for part in command]
        assert pointed != command
        assert pointed[0] == "python"  # the image's interpreter; here, this one
        check = subprocess.run([sys.executable, *pointed[1:]], capture_output=True, timeout=30)
        assert check.returncode == 0, check.stderr
        # The same check against a port nobody serves fails: it does test the daemon.
        elsewhere = [part.replace(f":{port}/", ":1/") for part in pointed]
        refused = subprocess.run([sys.executable, *elsewhere[1:]], capture_output=True, timeout=30)
        assert refused.returncode != 0
        assert (state / "pmosync.db").is_file()  # the store went to PMOSYNC_STATE_DIR
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)


def _image_environment(tmp_path: Path, secret: dict[str, str], config: Path) -> dict[str, str]:
    """The container's environment: the image's ENV and the Secret (envFrom), with the paths
    moved into ``tmp_path``."""
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_")},
        **_env(),
        **secret,
        "PMOSYNC_CONFIG": str(config),
        "PMOSYNC_STATE_DIR": str(state),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
    }


def _in_tmp(args: list[str], config: Path) -> list[str]:
    """A manifest's arguments with its config path (the image's) moved to ``config``."""
    moved = list(args)
    moved[moved.index("-c") + 1] = str(config)
    return moved


def test_the_job_and_the_workers_run_as_the_manifests_say_against_a_real_cluster(
    tmp_path, temporal_server
):
    """The installed entrypoint with the Job's and the workers' own arguments, the ConfigMap's
    YAML (pointed at a real dev server, on a task queue of this test's) and the Secret's
    variables (the store moved into tmp_path): the Job creates the Schedules the YAML asks for;
    a worker comes up, and SIGTERM stops it cleanly well inside the pod's grace period; with
    `engine: daemon` the same Job deletes the Schedules again."""
    documents = _documents(TEMPORAL)
    data = yaml.safe_load(documents["ConfigMap"]["data"]["pmosync.yaml"])
    data["temporal"].update(
        address=temporal_server.address, namespace="default", task_queue=unique_queue()
    )
    config = tmp_path / "etc" / "pmosync.yaml"
    config.parent.mkdir()
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    secret = {
        **documents["Secret"]["stringData"],
        "PMOSYNC_STORE": f"sqlite:///{tmp_path / 'pmosync.db'}",
        "PMOSYNC_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    environment = _image_environment(tmp_path, secret, config)
    entrypoint = Path(sys.executable).parent / _exec_form(_one("ENTRYPOINT"))[0]
    job = _in_tmp(_pod("Job", TEMPORAL)["containers"][0]["args"], config)
    pod = _pod("Deployment", TEMPORAL)
    worker = _in_tmp(pod["containers"][0]["args"], config)

    def apply() -> str:
        done = subprocess.run(
            [str(entrypoint), *job], capture_output=True, text=True, env=environment, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        return done.stdout

    created = apply()
    zone = data["organisation"]["timezone"]
    for line in (
        f"create sync asana-eng at '{data['connectors']['asana-eng']['schedule']}' ({zone})",
        f"create sync asana-ops at '{data['sync']['schedule']}' ({zone})",
        f"create report weekly-portfolio at '0 7 * * MON' ({zone})",
    ):
        assert line in created, created
    assert "3 changed, 0 unchanged" in created
    assert "0 changed, 3 unchanged" in apply()  # the Job's retries change nothing twice

    process = subprocess.Popen(
        [str(entrypoint), *worker],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    lines: list[str] = []
    try:
        up = _wait_for(process, lines, r"task queue (\S+?),")
        assert up[1] == data["temporal"]["task_queue"]
        assert json.loads(up.string)["level"]  # --log-format json: one object per line
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=pod["terminationGracePeriodSeconds"])
    assert code == 0, "".join(lines) + (process.stdout.read() if process.stdout else "")

    data["engine"] = "daemon"  # back to the daemon: the same Job deletes what pmosync owns
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    gone = apply()
    assert gone.count("delete pmosync:") == 3 and "3 changed, 0 unchanged" in gone, gone
