"""Where the tests find Asana's official OpenAPI description, and what they do without it.

The spec lives beside the repository in ``../shared/specs/asana_oas.yaml`` on the developers'
machines and in CI; a user's clone has no such folder. ``PMOSYNC_ASANA_SPEC`` names another copy
(for instance one downloaded from the public Asana/openapi repository). Without either, the tests
that read it skip with the reason; under ``PMOSYNC_REQUIRE_SPEC=1`` (set by .ci/run) a missing
spec is a failure, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SPEC_ENV = "PMOSYNC_ASANA_SPEC"
REQUIRE_ENV = "PMOSYNC_REQUIRE_SPEC"
BESIDE_REPOSITORY = Path(__file__).resolve().parents[2] / "shared" / "specs" / "asana_oas.yaml"


def asana_spec_path() -> Path:
    """The spec's path, or a skip (a failure under ``PMOSYNC_REQUIRE_SPEC=1``) saying why."""
    named = os.environ.get(SPEC_ENV)
    path = Path(named) if named else BESIDE_REPOSITORY
    if path.is_file():
        return path
    where = f"{SPEC_ENV}={named}" if named else f"{BESIDE_REPOSITORY} (or set {SPEC_ENV})"
    reason = f"Asana's OpenAPI spec is not at {where}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, but {REQUIRE_ENV}=1")
    pytest.skip(reason)
