"""``load_config``: a path in, a validated ``PmosyncConfig`` or one ``ConfigError`` out.

The steps are deliberately separate (read bytes, decode, parse with positions, interpolate,
validate) so each can report its own kind of mistake precisely, and every problem from every
step that can run is collected, so one ``pmosync check`` shows all of them at once.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from pmosync.config.errors import ConfigError, Problem, sort_and_render
from pmosync.config.explain import Explainer
from pmosync.config.interpolate import interpolate_tree, make_lookup, read_dotenv
from pmosync.config.models import PmosyncConfig
from pmosync.config.state import place_state
from pmosync.config.unset import defer, deferrable
from pmosync.config.yaml_positions import YamlFatal, parse_yaml

#: A config file is a few kilobytes; anything this big is the wrong file.
MAX_BYTES = 10 * 1024 * 1024


def load_config(
    path: str | os.PathLike[str],
    environ: Mapping[str, str] | None = None,
    *,
    defer_unset: bool = False,
) -> PmosyncConfig:
    """Load, interpolate and validate the config file at ``path``.

    ``environ`` supplies ``${VAR}`` values (default ``os.environ``); a ``.env`` file beside the
    config fills in what it lacks, without changing ``os.environ``. Raises ``ConfigError``,
    whose ``problems`` are one-line messages starting with ``path`` as given, for anything wrong
    with the file.

    ``defer_unset``: an unset variable in a connector's, the smtp section's or a delivery's
    value is no error yet but a stand-in that says so when used (see ``pmosync.config.unset``), for
    commands that may never use it.
    """
    source = os.fspath(path)
    file = Path(source)
    text = _decode(_read(file, source), source)
    try:
        parsed = parse_yaml(text)
    except YamlFatal as fatal:
        raise ConfigError([fatal.problem.render(source)]) from None
    if parsed is None:
        raise ConfigError([f"{source}: the config file is empty"])

    problems: list[Problem] = list(parsed.problems)
    dotenv_source = os.path.join(os.path.dirname(source), ".env")
    try:
        dotenv = read_dotenv(file.parent / ".env")
    except UnicodeDecodeError:
        dotenv = {}
        problems.append(Problem(None, None, "", f"{dotenv_source}: not valid UTF-8"))
    except OSError as exc:
        dotenv = {}
        reason = exc.strerror or type(exc).__name__
        problems.append(Problem(None, None, "", f"{dotenv_source}: cannot read ({reason})"))
    env = os.environ if environ is None else environ
    interpolated = interpolate_tree(parsed.data, parsed.positions, make_lookup(env, dotenv))
    deferred = {
        loc: unset
        for loc, unset in interpolated.unset.items()
        if defer_unset and deferrable(loc)
    }
    waiting = [problem for unset in deferred.values() for problem in unset]
    held = {id(problem) for problem in waiting}
    problems += [problem for problem in interpolated.problems if id(problem) not in held]

    try:
        config = PmosyncConfig.model_validate(interpolated.data)
        for loc, unset in deferred.items():
            if not defer(config, loc, sort_and_render(unset, source)):
                problems += unset
    except ValidationError as exc:
        problems += waiting
        explainer = Explainer(
            PmosyncConfig,
            interpolated.data,
            parsed.positions,
            hidden=parsed.bad_paths | interpolated.failed,
            from_env=interpolated.from_env,
        )
        problems += explainer.explain(exc)
        if not problems:  # pragma: no cover - every error is shown unless another explains it
            problems.append(Problem(None, None, "", "the configuration is not valid"))
    if problems:
        raise ConfigError(sort_and_render(problems, source))
    config._config_path = file.absolute()
    _anchor_paths(config, config._config_path.parent)
    place_state(config, config._config_path.parent, env)
    return config


def _anchor_paths(config: PmosyncConfig, folder: Path) -> None:
    """Read relative file paths from the config file's folder, not from wherever pmosync was
    started (a daemon's working directory is rarely the config's): a Microsoft sign-in
    certificate and the mail server's CA file, as a ``files`` connector's ``path`` is."""
    for connector in [config.microsoft, *config.connectors.values()]:
        certificate = getattr(connector, "certificate_path", None)
        if certificate and not Path(certificate).is_absolute():
            connector.certificate_path = str(folder / certificate)
    if (
        config.smtp is not None
        and config.smtp.ca_file
        and not Path(config.smtp.ca_file).is_absolute()
    ):
        config.smtp.ca_file = str(folder / config.smtp.ca_file)


def _read(file: Path, source: str) -> bytes:
    try:
        info = file.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError([f"{source}: is a directory, not a config file"])
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError([f"{source}: is not a regular file"])
        if info.st_size > MAX_BYTES:
            raise ConfigError([f"{source}: is too large to be a config file"])
        return file.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError([f"{source}: no such file"]) from None
    except PermissionError:
        raise ConfigError([f"{source}: permission denied"]) from None
    except ValueError:  # e.g. a NUL character in the name
        raise ConfigError([f"{source!r}: not a valid file name"]) from None
    except OSError as exc:
        raise ConfigError(
            [f"{source}: cannot read ({exc.strerror or type(exc).__name__})"]
        ) from None


def _decode(raw: bytes, source: str) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ConfigError([f"{source}: the file is UTF-16; save it as UTF-8"])
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line_start = before.rfind(b"\n") + 1
        line = before.count(b"\n") + 1
        col = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        byte = raw[exc.start]
        message = f"not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"
        raise ConfigError([f"{source}:{line}:{col}: {message}"]) from None
