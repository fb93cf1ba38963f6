"""The canonical types refuse what would make a report wrong, and ids are stable."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from pmosync.canonical import (
    ENTITY_TYPES,
    RAG_VALUES,
    Allocation,
    Budget,
    Person,
    Project,
    StatusUpdate,
    Task,
)
from pmosync.canonical.tables import ENTITY_TABLES, STORE_ONLY_COLUMNS


def test_canonical_ids_are_stable_and_distinct_per_entity_and_source():
    one = Task(source="asana-eng", source_id="42", project_id="p", name="a")
    again = Task(source="asana-eng", source_id="42", project_id="p", name="renamed")
    assert one.id == again.id == Task.ref("asana-eng", "42")
    assert uuid.UUID(one.id).version == 5
    assert Task.ref("asana-ops", "42") != one.id  # another connector's gid 42
    assert Project.ref("asana-eng", "42") != one.id  # a project with the same gid


def test_an_id_that_is_not_the_canonical_one_is_refused():
    with pytest.raises(ValidationError, match="is not the canonical id"):
        Task(id="made-up", source="s", source_id="1", project_id="p", name="a")


def test_naive_datetimes_are_refused_and_aware_ones_become_utc():
    with pytest.raises(ValidationError, match="timezone"):
        Task(source="s", source_id="1", project_id="p", name="a", updated_at=datetime(2026, 1, 1))
    task = Task(
        source="s",
        source_id="1",
        project_id="p",
        name="a",
        completed_at=datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=-5))),
    )
    assert task.completed_at == datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    assert task.completed_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("percent", [-1, 100.5])
def test_percent_complete_stays_between_0_and_100(percent):
    with pytest.raises(ValidationError):
        Task(source="s", source_id="1", project_id="p", name="a", percent_complete=percent)


def test_rag_vocabulary_is_the_pmo_one():
    assert set(RAG_VALUES) == {"green", "amber", "red", "blue", "complete"}
    posted = datetime(2026, 11, 2, tzinfo=UTC)
    with pytest.raises(ValidationError):
        StatusUpdate(source="s", source_id="1", project_id="p", posted_at=posted, rag="on_track")


def test_a_money_budget_needs_a_currency_and_an_hours_budget_does_not():
    with pytest.raises(ValidationError, match="needs a currency"):
        Budget(source="s", source_id="1", project_id="p", amount=Decimal("10"))
    Budget(source="s", source_id="1", project_id="p", amount=Decimal("10"), measure="hours")
    with pytest.raises(ValidationError):
        Budget(source="s", source_id="1", project_id="p", amount=Decimal("1"), currency="euro")


def test_an_allocation_cannot_end_before_it_starts():
    with pytest.raises(ValidationError, match="ends .* before it starts"):
        Allocation(
            source="s",
            source_id="1",
            identity_id="i",
            project_id="p",
            start_date=date(2026, 2, 1),
            end_date=date(2026, 1, 1),
        )


def test_emails_are_compared_lowercase():
    assert Person(source="s", source_id="1", email=" Jane.Doe@Contoso.COM ").email == (
        "jane.doe@contoso.com"
    )


def test_unknown_fields_are_refused_so_a_mapping_typo_cannot_pass_silently():
    with pytest.raises(ValidationError, match="percent_done"):
        Task(source="s", source_id="1", project_id="p", name="a", percent_done=5)


def test_every_field_of_every_type_has_its_column():
    for model in ENTITY_TYPES:
        columns = [c.name for c in ENTITY_TABLES[model].columns]
        assert columns == [*model.model_fields, *STORE_ONLY_COLUMNS], model.entity
