"""A request's score history: each (request, model) score kept when it changes.

The intake pipeline report scores every open request under every model on each run; a run for
today (never a back-dated ``--as-of``, whose scores are a reconstruction) keeps a score in
``request_scores`` only when it differs from the latest kept one for that request and model:
another score, a gate that now holds or fails, or a model whose YAML changed (its hash). So the
table grows with changes, not with runs, and the scoreboard's "change since" column reads the
latest score kept before this run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from pmosync.config.intake import ScoringModel
from pmosync.reports.metrics.intake import Scored
from pmosync.store import Store
from pmosync.store.engine import write_transaction
from pmosync.store.schema import request_scores

_ROWS_AT_ONCE = 1_000


@dataclass(frozen=True, slots=True)
class KeptScore:
    """The latest score kept for a request under a model."""

    score: float | None
    passed: bool
    model_hash: str
    as_of: date
    scored_at: datetime


def model_hash(model: ScoringModel) -> str:
    """A fingerprint of the model as written in the YAML (32 hex digits): a score under an
    edited model is another score even when the number is the same."""
    text = json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _latest(connection: Connection, as_of: date | None) -> dict[tuple[str, str], KeptScore]:
    c = request_scores.c
    newest = select(func.max(c.id).label("id")).group_by(c.request_id, c.model)
    if as_of is not None:
        newest = newest.where(c.as_of <= as_of)
    query = select(
        c.request_id, c.model, c.score, c.passed, c.model_hash, c.as_of, c.scored_at
    ).where(c.id.in_(newest.scalar_subquery()))
    return {
        (row.request_id, row.model): KeptScore(
            row.score, bool(row.passed), row.model_hash, row.as_of, row.scored_at
        )
        for row in connection.execute(query)
    }


def previous_scores(store: Store, as_of: date) -> dict[tuple[str, str], KeptScore]:
    """The latest score kept on or before ``as_of`` for each (request id, model): what the
    scoreboard's change column compares with (read before this run keeps its own)."""
    with store.engine.connect() as connection:
        return _latest(connection, as_of)


def _changed(scored: Scored, digest: str, kept: KeptScore | None) -> bool:
    if kept is None:
        return True
    same_score = (scored.score is None and kept.score is None) or (
        scored.score is not None
        and kept.score is not None
        and abs(scored.score - kept.score) < 1e-9
    )
    return not same_score or scored.passed != kept.passed or digest != kept.model_hash


def _terms(scored: Scored) -> dict[str, object]:
    return {
        "terms": [asdict(term) for term in scored.terms],
        "gates": [asdict(gate) for gate in scored.gates],
        "problems": list(scored.problems),
    }


def keep_scores(
    store: Store,
    scored: Iterable[Scored],
    models: Mapping[str, ScoringModel],
    as_of: date,
    run_id: str | None = None,
) -> int:
    """Keep each score of ``scored`` that differs from the latest kept for its request and
    model; returns how many rows were added. Scores of a model no longer configured are
    skipped (there is no YAML to fingerprint)."""
    digests = {name: model_hash(model) for name, model in models.items()}
    now = datetime.now(UTC)
    with write_transaction(store.engine) as connection:
        kept = _latest(connection, None)
        rows = [
            {
                "request_id": s.request_id,
                "model": s.model,
                "model_hash": digests[s.model],
                "scored_at": now,
                "as_of": as_of,
                "score": s.score,
                "passed": s.passed,
                "terms": _terms(s),
                "run_id": run_id,
            }
            for s in scored
            if s.model in digests
            and _changed(s, digests[s.model], kept.get((s.request_id, s.model)))
        ]
        for start in range(0, len(rows), _ROWS_AT_ONCE):
            connection.execute(request_scores.insert(), rows[start : start + _ROWS_AT_ONCE])
    return len(rows)
