"""Migrations and opening a store: what a user sees when the database is not as expected."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from pmosync.store import Store, StoreError
from pmosync.store.migrate import head_revision
from pmosync.store.schema import metadata


def test_the_migrations_build_exactly_the_models_tables(store):
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == head_revision()


def test_an_empty_database_gets_the_schema_on_first_open(store_url):
    with Store.open(store_url) as store, store.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    with Store.open(store_url, schema="require"):  # and a second open finds it current
        pass


def test_a_store_from_a_newer_pmosync_is_refused(store_url):
    with Store.open(store_url) as store, store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    with pytest.raises(StoreError, match="revision f00dfeed, which this pmosync does not know"):
        Store.open(store_url)


def test_tables_without_a_version_row_are_refused_never_overwritten(store_url):
    with Store.open(store_url) as store, store.engine.begin() as connection:
        connection.execute(text("DROP TABLE status_update"))
        connection.execute(text("DELETE FROM alembic_version"))
    with pytest.raises(StoreError, match="tables that pmosync did not create"):
        Store.open(store_url)


def test_require_does_not_create_a_sqlite_file(tmp_path):
    target = tmp_path / "absent.db"
    with pytest.raises(StoreError, match="no such database file yet"):
        Store.open(f"sqlite:///{target}", schema="require")
    assert not target.exists()


def test_require_refuses_an_empty_database(store_url, tmp_path):
    if store_url.startswith("sqlite"):
        create_engine(store_url).connect().close()  # an empty file
    with pytest.raises(StoreError, match="has no pmosync schema yet"):
        Store.open(store_url, schema="require")


def test_a_relative_sqlite_path_is_taken_from_the_config_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)
    with Store.open("sqlite:///pmosync.db", base_dir=tmp_path):
        pass
    assert (tmp_path / "pmosync.db").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "is not a database URL"),
        ("mysql+nosuchdriver://u@h/db", "no database driver for 'mysql+nosuchdriver'"),
        (
            "postgresql://pmo:Sup3rS3cret@127.0.0.1:1/pmo",
            "store postgresql+psycopg://pmo:***@127.0.0.1:1/pmo cannot be opened: ",
        ),
        ("sqlite:////nonexistent-dir/deeper/pmosync.db", "sqlite:////nonexistent-dir/deeper"),
    ],
)
def test_a_store_that_cannot_be_opened_is_named_without_its_password(url, expected):
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    message = str(caught.value)
    assert expected in message
    assert "Sup3rS3cret" not in message and "\n" not in message
    assert caught.value.__cause__ is None or "Sup3rS3cret" not in str(caught.value.__cause__)


def test_upgrading_to_0007_seeds_history_from_the_rows_a_store_holds(store_url):
    """A store from before field history gets one version per live project, task and budget,
    valid from when each was last synced, so a back-dated report can read from the upgrade on.
    Tombstoned rows have no present to seed from and get none."""
    from alembic import command

    from pmosync.store.engine import write_transaction
    from pmosync.store.migrate import _config, upgrade

    engine = create_engine(store_url)
    with write_transaction(engine) as connection:
        command.upgrade(_config(connection), "0006")
    synced = "2026-11-20 08:00:00+00:00"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO project (id, source, source_id, name, status, due_date, synced_at) "
                "VALUES ('p1', 'asana', '1', 'Apollo', 'active', '2026-12-31', :at)"
            ),
            {"at": synced},
        )
        for task_id, deleted in (("t1", None), ("t2", synced)):
            connection.execute(
                text(
                    "INSERT INTO task (id, source, source_id, project_id, name, is_milestone, "
                    "status, estimate_hours, tags, dependency_ids, synced_at, deleted_at) VALUES "
                    "(:id, 'asana', :id, 'p1', 'Design', :no, 'in_progress', 12.5, '[]', '[]', "
                    ":at, :deleted)"
                ),
                {"id": task_id, "no": False, "at": synced, "deleted": deleted},
            )
        connection.execute(
            text(
                "INSERT INTO budget (id, source, source_id, project_id, amount, measure, currency,"
                " synced_at) VALUES ('b1', 'asana', 'b', 'p1', 1000.5, 'money', 'EUR', :at)"
            ),
            {"at": synced},
        )
    assert upgrade(engine) == ("0006", head_revision())
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT entity, record_id, deleted, valid_from, fields FROM record_history")
        ).all()
    engine.dispose()
    by_record = {row.record_id: row for row in rows}
    assert sorted(by_record) == ["b1", "p1", "t1"]
    assert {row.entity for row in rows} == {"project", "task", "budget"}

    def fields(row):
        return row.fields if isinstance(row.fields, dict) else json.loads(row.fields)

    assert fields(by_record["p1"])["due_date"] == "2026-12-31"
    task = fields(by_record["t1"])
    assert task["status"] == "in_progress" and task["estimate_hours"] == 12.5
    assert task["is_milestone"] is False
    assert Decimal(fields(by_record["b1"])["amount"]) == Decimal("1000.5")
    assert all(not row.deleted for row in rows)
