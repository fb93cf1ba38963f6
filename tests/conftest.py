"""Fixtures shared by the suite: a store URL on every backend the store supports.

The same store tests run on SQLite (a file in tmp_path) and on PostgreSQL (a fresh schema per
test in the database named by ``PMOSYNC_TEST_POSTGRES_URL``). Without that variable the
PostgreSQL half skips with the reason; with ``PMOSYNC_REQUIRE_POSTGRES=1`` (set by .ci/run) a
missing or unreachable server is a failure, so CI can never pass by skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

POSTGRES_ENV = "PMOSYNC_TEST_POSTGRES_URL"


def _postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    required = os.environ.get("PMOSYNC_REQUIRE_POSTGRES") == "1"
    if not url:
        if required:
            pytest.fail(f"{POSTGRES_ENV} is not set but PMOSYNC_REQUIRE_POSTGRES=1")
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://user@127.0.0.1/db)")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections see only a schema of their own, dropped afterwards."""
    from sqlalchemy import create_engine, exc, text

    from pmosync.store.engine import parse_store_url

    base = parse_store_url(_postgres_base_url())
    schema = f"pmosync_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except exc.OperationalError as error:
        admin.dispose()
        if os.environ.get("PMOSYNC_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at {POSTGRES_ENV} is unreachable: {error.orig}")
        pytest.skip(f"PostgreSQL at {POSTGRES_ENV} is unreachable: {error.orig}")
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request) -> str:
    """The URL of an empty database, once per backend."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def store(store_url):
    from pmosync.store import Store

    with Store.open(store_url) as opened:
        yield opened
