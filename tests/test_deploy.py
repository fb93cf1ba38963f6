"""The container image and the Kubernetes manifests hold together with the code they deploy.

Docker cannot build here, so the Dockerfile is read, not built: its entrypoint is the installed
``pmosync`` command, started here with the image's own default arguments and environment (the
config path from PMOSYNC_CONFIG, the state folder from PMOSYNC_STATE_DIR); its HEALTHCHECK
command is run against that daemon; its user is not root and its volume is the state folder.
The manifests are validated against the Kubernetes JSON schemas that kubernetes-validate ships
inside its wheel (no network), and their probes, ports, arguments, mounts and names are checked
against the image, the daemon and one another.
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

from pmosync.cli import app
from pmosync.config import load_config

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "deploy" / "kubernetes"
VERSIONS = ("1.27", kubernetes_validate.latest_version())
"""1.27: the first with CronJob's timeZone; and the newest the validator knows."""


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


def _documents() -> dict[str, dict[str, Any]]:
    """Every manifest, by kind."""
    found = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found[document["kind"]] = document
    return found


def _pod(kind: str) -> dict[str, Any]:
    document = _documents()[kind]
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
    for version in VERSIONS:
        for document in documents.values():
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


def test_every_command_line_of_the_image_and_the_manifests_is_one_pmosync_accepts():
    command = typer.main.get_command(app)
    lines = {
        "Dockerfile CMD": _exec_form(_one("CMD")),
        "Deployment": _pod("Deployment")["containers"][0]["args"],
        "CronJob": _pod("CronJob")["containers"][0]["args"],
    }
    assert lines["Deployment"][0] == "daemon" and lines["CronJob"][0] == "run"
    for where, args in lines.items():
        # click parses the options as `pmosync ARGS` would: an unknown one raises here.
        with command.make_context("pmosync", list(args), resilient_parsing=False) as context:
            sub = command.get_command(context, args[0])
            assert sub is not None, where
            sub.make_context(args[0], list(args[1:]), parent=context)


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


def test_the_workloads_mount_the_config_secrets_and_state_the_image_expects():
    documents = _documents()
    env = _env()
    config_file = Path(env["PMOSYNC_CONFIG"])
    assert config_file.name in documents["ConfigMap"]["data"]
    for kind in ("Deployment", "CronJob"):
        pod = _pod(kind)
        [container] = pod["containers"]
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
        config = mounts[str(config_file.parent)]
        assert config["readOnly"] is True
        configmap = volumes[config["name"]]["configMap"]["name"]
        assert configmap == documents["ConfigMap"]["metadata"]["name"]
        state = volumes[mounts[env["PMOSYNC_STATE_DIR"]]["name"]]
        claim = state["persistentVolumeClaim"]["claimName"]
        assert claim == documents["PersistentVolumeClaim"]["metadata"]["name"]
        [source] = container["envFrom"]
        assert source["secretRef"]["name"] == documents["Secret"]["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert str(pod["securityContext"]["runAsUser"]) == _one("USER").split(":")[0]
        # A read-only root file system leaves matplotlib's cache folder on a writable mount.
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        writable = [path for path, mount in mounts.items() if not mount.get("readOnly")]
        assert any(env["MPLCONFIGDIR"].startswith(path + "/") for path in writable)


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
