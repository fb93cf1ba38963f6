"""Baselines in the store: a project's plan frozen at a moment, so variance has something to
measure against.

Planned value and schedule variance computed from today's dates and estimates erase
themselves: a re-plan moves the plan and the variance with it. A baseline keeps the plan as it
stood when it was set (PMI's performance measurement baseline): pmosync records one, named
"Baseline", the first time it sees a project (``capture_first``, after each sync), and another
whenever someone runs ``pmosync baseline set`` (``set_baseline``). A project keeps up to 11
named baselines, as Project Online did ("Baseline", "Baseline 1" .. "Baseline 10"); setting an
existing name replaces it. One of them is *active*: the one reports measure against.

What a baseline holds (``current_plans`` reads it from the canonical tables):

* **work tasks**: live tasks no live task names as its parent, that are not milestones, with
  their start, due date and estimate; parent tasks are summaries of their children and are not
  stored (their dates and estimates would count twice);
* **milestones**: live tasks marked as milestones, with their dates, whether or not they have
  children;
* the project's **start and finish**: its own start and due dates, else the earliest start
  (a task without a start counts from its due date) and the latest due date of those tasks;
* its **budget**: the budget that counts by ``resources.budget_precedence`` (default
  ``budget_api``, then ``custom_field``, then ``workbook``; origins not listed rank after, rows
  without an origin last): of the project's live budget rows, those of the first origin present,
  in money before hours and of several currencies the first by code (the others left out, never
  converted); a whole budget (no line) is the total, the largest if there are several, else
  its lines (CAPEX/OPEX, phases) added up. Different origins are never added.
  It is the rule the reports apply to today's budget, one function for both
  (``pmosync.canonical.budgets``), so a baseline freezes exactly the budget a report shows.

Every write is one ``Store.writer`` transaction: a baseline is recorded whole or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, delete, func, select, update

from pmosync.canonical.budgets import DEFAULT_PRECEDENCE, current_budget
from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import Budget, Project, Task
from pmosync.store.schema import baseline_tasks, baselines
from pmosync.store.store import Store

DEFAULT_NAME = "Baseline"
"""The baseline pmosync records on first sight, and ``baseline set`` sets without ``--name``."""
BASELINE_LIMIT = 11
"""Named baselines a project keeps at most: Project Online's Baseline and Baseline 1..10."""
NAME_LIMIT = 64
"""Characters of a baseline's name (the column's width)."""
DEFAULT_BUDGET_PRECEDENCE: tuple[str, ...] = DEFAULT_PRECEDENCE
AMOUNT_PLACES = Decimal("0.0001")
"""The default of ``resources.budget_precedence``: which budget origin a baseline keeps when a
project has several; origins a configured precedence leaves out rank after it in this order,
rows without an origin last."""

SetBy = Literal["first_sync", "command"]
_CHUNK = 500
"""Ids per ``IN (...)``: well under SQLite's bound-parameter limit."""


class BaselineError(Exception):
    """A baseline command that cannot be done as asked (no such baseline, a 12th name, an
    unknown or ambiguous project); one line saying which and what to do."""


class PlannedTask(NamedTuple):
    """One work task or milestone of a plan, as a baseline stores it (a named tuple: a plan
    of 50,000 tasks builds three times faster than with a frozen dataclass)."""

    task_id: str
    name: str
    kind: str  # work | milestone
    start_date: date | None = None
    due_date: date | None = None
    estimate_hours: float | None = None


@dataclass(frozen=True)
class Plan:
    """A project's plan: what a baseline freezes, or the plan as the store holds it now."""

    project_id: str
    start_date: date | None = None
    finish_date: date | None = None
    budget_amount: Decimal | None = None
    budget_measure: str | None = None
    budget_currency: str | None = None
    tasks: tuple[PlannedTask, ...] = ()


@dataclass(frozen=True)
class Baseline:
    """A recorded baseline. ``plan.tasks`` is empty in listings (``task_count`` says how many)."""

    id: int
    project_id: str
    name: str
    set_at: datetime
    set_by: str  # first_sync | command
    active: bool
    plan: Plan
    task_count: int = 0


@dataclass(frozen=True)
class TaskChange:
    """A task whose plan differs between two plans: ``added``, ``removed`` or ``changed``
    (``fields`` names what changed: start_date, due_date, estimate_hours, kind, name)."""

    task_id: str
    name: str
    change: str
    before: PlannedTask | None
    after: PlannedTask | None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanDiff:
    """How plan ``after`` differs from plan ``before`` (a baseline, or the current plan)."""

    project_id: str
    before_label: str
    after_label: str
    before: Plan
    after: Plan
    tasks: tuple[TaskChange, ...] = field(default_factory=tuple)

    @property
    def finish_slip_days(self) -> int | None:
        """Days the finish moved (positive: later), when both plans have one."""
        if self.before.finish_date is None or self.after.finish_date is None:
            return None
        return (self.after.finish_date - self.before.finish_date).days

    @property
    def budget_change(self) -> Decimal | None:
        """How much the budget grew (negative: shrank), when both are in the same measure
        and currency."""
        b, a = self.before, self.after
        if b.budget_amount is None or a.budget_amount is None:
            return None
        if (b.budget_measure, b.budget_currency) != (a.budget_measure, a.budget_currency):
            return None
        return a.budget_amount - b.budget_amount


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# -- the current plan ------------------------------------------------------------------------


def current_plans(
    connection: Connection,
    project_ids: Collection[str],
    precedence: Sequence[str] = DEFAULT_BUDGET_PRECEDENCE,
) -> dict[str, Plan]:
    """The plan of each named live project as the canonical tables hold it now (see the
    module's docstring for what is kept). Projects not in the store (or tombstoned) are left
    out."""
    ids = sorted(set(project_ids))
    projects_t, tasks_t, budgets_t = (ENTITY_TABLES[m] for m in (Project, Task, Budget))
    dates: dict[str, tuple[date | None, date | None]] = {}
    rows_by_project: dict[str, list[Any]] = defaultdict(list)
    budget_rows: dict[str, list[Any]] = defaultdict(list)
    budget_columns = ("project_id", "amount", "measure", "currency", "origin", "line")
    task_columns = ("id", "project_id", "parent_id", "name", "is_milestone")
    task_columns += ("start_date", "due_date", "estimate_hours")
    for chunk in _chunks(ids):
        live = projects_t.c.deleted_at.is_(None), projects_t.c.id.in_(chunk)
        for pid, start, due in connection.execute(
            select(projects_t.c.id, projects_t.c.start_date, projects_t.c.due_date).where(*live)
        ):
            dates[pid] = (start, due)
        for row in connection.execute(
            select(*(tasks_t.c[name] for name in task_columns)).where(
                tasks_t.c.deleted_at.is_(None), tasks_t.c.project_id.in_(chunk)
            )
        ):
            rows_by_project[row.project_id].append(row)
        for row in connection.execute(
            select(*(budgets_t.c[name] for name in budget_columns)).where(
                budgets_t.c.deleted_at.is_(None), budgets_t.c.project_id.in_(chunk)
            )
        ):
            budget_rows[row.project_id].append(row)
    return {
        pid: _plan(pid, start, due, rows_by_project[pid], budget_rows[pid], precedence)
        for pid, (start, due) in dates.items()
    }


def _plan(
    project_id: str,
    start: date | None,
    due: date | None,
    task_rows: list[Any],
    budget_rows: list[Any],
    precedence: Sequence[str],
) -> Plan:
    parents = {row.parent_id for row in task_rows if row.parent_id}
    tasks = tuple(
        sorted(
            (
                PlannedTask(
                    row.id,
                    row.name,
                    "milestone" if row.is_milestone else "work",
                    row.start_date,
                    row.due_date,
                    row.estimate_hours,
                )
                for row in task_rows
                if row.is_milestone or row.id not in parents
            ),
            key=lambda t: t.task_id,
        )
    )
    if start is None:
        starts = [d for t in tasks if (d := t.start_date or t.due_date) is not None]
        start = min(starts, default=None)
    if due is None:
        due = max((t.due_date for t in tasks if t.due_date is not None), default=None)
    amount, measure, currency = plan_budget(budget_rows, precedence)
    return Plan(project_id, start, due, amount, measure, currency, tasks)


def plan_budget(
    rows: Iterable[Any], precedence: Sequence[str] = DEFAULT_BUDGET_PRECEDENCE
) -> tuple[Decimal | None, str | None, str | None]:
    """(amount, measure, currency) of the budget that counts among one project's budget rows:
    the reports' rule (``pmosync.canonical.budgets``), so a baseline freezes exactly the budget
    the reports show as current; (None, None, None) without any row."""
    chosen = current_budget(list(rows), precedence)
    if chosen is None:
        return None, None, None
    # the rule adds floats; the store keeps four decimal places, as its Numeric column does
    amount = Decimal(repr(chosen.amount)).quantize(AMOUNT_PLACES)
    return amount, chosen.measure, chosen.currency


# -- writing ---------------------------------------------------------------------------------


def set_baseline(
    store: Store,
    project_ids: Sequence[str] | None = None,
    name: str = DEFAULT_NAME,
    *,
    by: SetBy = "command",
    activate: bool = True,
    precedence: Sequence[str] = DEFAULT_BUDGET_PRECEDENCE,
) -> list[Baseline]:
    """Record the current plan of the named projects (every live project when None) as the
    baseline ``name``, replacing a baseline of that name; returns what was recorded.

    The new baseline becomes the project's active one unless ``activate`` is False (a project's
    only baseline, or a replaced active one, is active whatever it says). A project that already
    keeps ``BASELINE_LIMIT`` other names refuses a new one with ``BaselineError`` and nothing
    is written for any project: all of it is one transaction.
    """
    name = check_name(name)
    with store.writer() as writer:
        connection = writer.connection
        ids = _live_project_ids(connection) if project_ids is None else list(project_ids)
        if not ids:
            return []
        return _record(connection, ids, name, by, activate, writer.now, precedence)


def capture_first(
    store: Store,
    *,
    sources: Collection[str] | None = None,
    precedence: Sequence[str] = DEFAULT_BUDGET_PRECEDENCE,
) -> list[str]:
    """Record "Baseline" (``set_by`` first_sync) for every live project (of ``sources``, the
    connectors whose sync just completed, when given) that has no baseline yet; returns their
    ids. One query when every project has one already, as after any sync but the first."""
    if sources is not None and not sources:
        return []
    with store.engine.connect() as connection:
        if not _projects_without_baseline(connection, sources):
            return []
    with store.writer() as writer:  # look again under the write lock: another sync may have
        connection = writer.connection  # recorded them since
        ids = _projects_without_baseline(connection, sources)
        if not ids:
            return []
        _record(connection, ids, DEFAULT_NAME, "first_sync", True, writer.now, precedence)
        return ids


def activate_baseline(store: Store, project_ids: Sequence[str], name: str) -> list[Baseline]:
    """Make ``name`` the active baseline of each project; ``BaselineError`` (and nothing
    changed) when a project has no baseline of that name."""
    with store.writer() as writer:
        connection = writer.connection
        found = _by_name(connection, project_ids, name)
        missing = [pid for pid in project_ids if pid not in found]
        if missing:
            raise BaselineError(_no_baseline(name, [_label(connection, m) for m in missing]))
        for chunk in _chunks(list(project_ids)):
            connection.execute(
                update(baselines).where(baselines.c.project_id.in_(chunk)).values(active=False)
            )
        ids = [b.id for b in found.values()]
        for chunk in _chunks(ids):
            connection.execute(
                update(baselines).where(baselines.c.id.in_(chunk)).values(active=True)
            )
        return [
            Baseline(b.id, b.project_id, b.name, b.set_at, b.set_by, True, b.plan, b.task_count)
            for b in found.values()
        ]


def check_name(name: str) -> str:
    """A baseline name as stored: stripped; ``BaselineError`` when empty or too long."""
    cleaned = _clean(name)
    if not cleaned:
        raise BaselineError("a baseline name cannot be empty")
    if len(cleaned) > NAME_LIMIT:
        raise BaselineError(
            f"a baseline name has at most {NAME_LIMIT} characters, not {len(cleaned)}"
        )
    return cleaned


def _clean(name: str) -> str:
    """A name with its runs of white space made one space, as names are stored and looked up."""
    return " ".join(name.split())


def _record(
    connection: Connection,
    project_ids: Sequence[str],
    name: str,
    by: SetBy,
    activate: bool,
    now: datetime,
    precedence: Sequence[str],
) -> list[Baseline]:
    ids = sorted(set(project_ids))
    plans = current_plans(connection, ids, precedence)
    if missing := [pid for pid in ids if pid not in plans]:
        raise BaselineError(f"no live project with id {', '.join(missing[:5])} in the store")
    names: dict[str, dict[str, tuple[int, bool]]] = defaultdict(dict)
    for chunk in _chunks(ids):
        for row in connection.execute(
            select(
                baselines.c.id, baselines.c.project_id, baselines.c.name, baselines.c.active
            ).where(baselines.c.project_id.in_(chunk))
        ):
            names[row.project_id][row.name] = (row.id, bool(row.active))
    full = [pid for pid in ids if name not in names[pid] and len(names[pid]) >= BASELINE_LIMIT]
    if full:
        others = f" (and {len(full) - 1} other projects)" if len(full) > 1 else ""
        raise BaselineError(
            f"project {_label(connection, full[0])}{others} already keeps {BASELINE_LIMIT} "
            f"baselines, the most kept; set one of its names again to replace it instead of "
            f"adding {name!r} (`pmosync baseline list` names them)"
        )
    replaced = [names[pid][name][0] for pid in ids if name in names[pid]]
    active = {  # asked to, or the project has no active one, or this name was the active one
        pid: activate
        or not any(on for _, on in names[pid].values())
        or names[pid].get(name, (0, False))[1]
        for pid in ids
    }
    for chunk in _chunks(replaced):
        connection.execute(delete(baseline_tasks).where(baseline_tasks.c.baseline_id.in_(chunk)))
        connection.execute(delete(baselines).where(baselines.c.id.in_(chunk)))
    made_active = [pid for pid in ids if active[pid]]
    for chunk in _chunks(made_active):
        connection.execute(
            update(baselines).where(baselines.c.project_id.in_(chunk)).values(active=False)
        )
    connection.execute(
        baselines.insert(),
        [
            {
                "project_id": pid,
                "name": name,
                "set_at": now,
                "set_by": by,
                "active": active[pid],
                "start_date": plans[pid].start_date,
                "finish_date": plans[pid].finish_date,
                "budget_amount": plans[pid].budget_amount,
                "budget_measure": plans[pid].budget_measure,
                "budget_currency": plans[pid].budget_currency,
            }
            for pid in ids
        ],
    )
    new_ids: dict[str, int] = {}
    for chunk in _chunks(ids):
        query = select(baselines.c.project_id, baselines.c.id).where(
            baselines.c.name == name, baselines.c.project_id.in_(chunk)
        )
        new_ids.update({pid: bid for pid, bid in connection.execute(query)})
    task_rows = [
        {
            "baseline_id": new_ids[pid],
            "task_id": t.task_id,
            "name": t.name,
            "kind": t.kind,
            "start_date": t.start_date,
            "due_date": t.due_date,
            "estimate_hours": t.estimate_hours,
        }
        for pid in ids
        for t in plans[pid].tasks
    ]
    for chunk in _chunks(task_rows):
        connection.execute(baseline_tasks.insert(), list(chunk))
    return [
        Baseline(new_ids[pid], pid, name, now, by, active[pid], plans[pid], len(plans[pid].tasks))
        for pid in ids
    ]


def _live_project_ids(connection: Connection) -> list[str]:
    projects_t = ENTITY_TABLES[Project]
    return list(
        connection.scalars(select(projects_t.c.id).where(projects_t.c.deleted_at.is_(None)))
    )


def _projects_without_baseline(
    connection: Connection, sources: Collection[str] | None
) -> list[str]:
    """Live projects (of ``sources``) no baseline names: one query."""
    projects_t = ENTITY_TABLES[Project]
    has_one = select(baselines.c.id).where(baselines.c.project_id == projects_t.c.id).exists()
    query = select(projects_t.c.id).where(projects_t.c.deleted_at.is_(None), ~has_one)
    if sources is not None:
        query = query.where(projects_t.c.source.in_(sorted(sources)))
    return sorted(connection.scalars(query))


# -- reading ---------------------------------------------------------------------------------


def _baseline(row: Any, tasks: tuple[PlannedTask, ...] = (), count: int = 0) -> Baseline:
    plan = Plan(
        row.project_id,
        row.start_date,
        row.finish_date,
        None if row.budget_amount is None else Decimal(row.budget_amount),
        row.budget_measure,
        row.budget_currency,
        tasks,
    )
    return Baseline(
        row.id, row.project_id, row.name, row.set_at, row.set_by, bool(row.active), plan, count
    )


def _tasks_of(connection: Connection, baseline_ids: Sequence[int]) -> dict[int, list[PlannedTask]]:
    found: dict[int, list[PlannedTask]] = defaultdict(list)
    for chunk in _chunks(list(baseline_ids)):
        query = select(baseline_tasks).where(baseline_tasks.c.baseline_id.in_(chunk))
        for row in connection.execute(query):
            found[row.baseline_id].append(
                PlannedTask(
                    row.task_id,
                    row.name,
                    row.kind,
                    row.start_date,
                    row.due_date,
                    row.estimate_hours,
                )
            )
    for tasks in found.values():
        tasks.sort(key=lambda t: t.task_id)
    return found


def _by_name(connection: Connection, project_ids: Sequence[str], name: str) -> dict[str, Baseline]:
    found: dict[str, Baseline] = {}
    for chunk in _chunks(list(project_ids)):
        query = select(baselines).where(
            baselines.c.project_id.in_(chunk), baselines.c.name == _clean(name)
        )
        for row in connection.execute(query):
            found[row.project_id] = _baseline(row)
    return found


def list_baselines(store: Store, project_ids: Sequence[str] | None = None) -> list[Baseline]:
    """The baselines of the named projects (all when None), without their tasks
    (``task_count`` says how many), by project then set time."""
    counts = (
        select(baseline_tasks.c.baseline_id, func.count().label("n"))
        .group_by(baseline_tasks.c.baseline_id)
        .subquery()
    )
    query = select(baselines, counts.c.n).outerjoin(counts, counts.c.baseline_id == baselines.c.id)
    out: list[Baseline] = []
    with store.engine.connect() as connection:
        if project_ids is None:
            rows = list(connection.execute(query))
        else:
            rows = []
            for chunk in _chunks(list(project_ids)):
                rows += connection.execute(query.where(baselines.c.project_id.in_(chunk)))
    for row in rows:
        out.append(_baseline(row, count=row.n or 0))
    out.sort(key=lambda b: (b.project_id, b.set_at, b.name))
    return out


def get_baseline(store: Store, project_id: str, name: str | None = None) -> Baseline:
    """One baseline with its tasks: ``name``, or the project's active one when None;
    ``BaselineError`` when there is none."""
    with store.engine.connect() as connection:
        return _get(connection, project_id, name)


def _get(connection: Connection, project_id: str, name: str | None) -> Baseline:
    query = select(baselines).where(baselines.c.project_id == project_id)
    if name is None:
        query = query.where(baselines.c.active.is_(True))
    else:
        query = query.where(baselines.c.name == _clean(name))
    row = connection.execute(query).first()
    if row is None:
        label = _label(connection, project_id)
        if name is None:
            raise BaselineError(
                f"project {label} has no baseline yet; `pmosync baseline set` records one"
            )
        raise BaselineError(_no_baseline(name, [label]))
    tasks = tuple(_tasks_of(connection, [row.id]).get(row.id, ()))
    return _baseline(row, tasks, len(tasks))


def _no_baseline(name: str, projects: Sequence[str]) -> str:
    which = ", ".join(projects[:5]) + ("…" if len(projects) > 5 else "")
    return f"project {which} has no baseline named {name!r} (`pmosync baseline list` names them)"


def _label(connection: Connection, project_id: str) -> str:
    """A project as a message names it: its name in quotes, else its id."""
    projects_t = ENTITY_TABLES[Project]
    name = connection.scalar(select(projects_t.c.name).where(projects_t.c.id == project_id))
    return repr(name) if name else project_id


def baselines_in_effect(
    connection: Connection, project_ids: Collection[str], until: datetime
) -> dict[str, Baseline]:
    """The baseline each project's report measures against, as it stood before ``until`` (the
    end of the report's day): its active baseline when that was set before ``until``, else the
    latest of its baselines set before then, else none. With tasks. Two queries."""
    wanted = set(project_ids)
    chosen: dict[str, Any] = {}
    query = select(baselines).where(baselines.c.set_at < until)
    for row in connection.execute(query):
        if row.project_id not in wanted:
            continue
        held = chosen.get(row.project_id)
        if held is None or (row.active, row.set_at, row.id) > (held.active, held.set_at, held.id):
            chosen[row.project_id] = row
    tasks = _tasks_of(connection, [row.id for row in chosen.values()])
    return {
        pid: _baseline(row, tuple(tasks.get(row.id, ())), len(tasks.get(row.id, ())))
        for pid, row in chosen.items()
    }


# -- comparing -------------------------------------------------------------------------------


def diff_plans(
    store: Store,
    project_id: str,
    name: str | None = None,
    against: str | None = None,
    *,
    precedence: Sequence[str] = DEFAULT_BUDGET_PRECEDENCE,
) -> PlanDiff:
    """How the plan moved from baseline ``name`` (the active one when None) to baseline
    ``against``, or to the current plan when ``against`` is None."""
    with store.engine.connect() as connection:
        before = _get(connection, project_id, name)
        if against is None:
            plans = current_plans(connection, [project_id], precedence)
            if project_id not in plans:
                raise BaselineError(f"project {project_id} is no longer in the store")
            after_plan, after_label = plans[project_id], "current plan"
        else:
            after = _get(connection, project_id, against)
            after_plan, after_label = after.plan, after.name
    return PlanDiff(
        project_id,
        before.name,
        after_label,
        before.plan,
        after_plan,
        compare_tasks(before.plan.tasks, after_plan.tasks),
    )


_COMPARED = ("kind", "start_date", "due_date", "estimate_hours", "name")


def compare_tasks(
    before: Iterable[PlannedTask], after: Iterable[PlannedTask]
) -> tuple[TaskChange, ...]:
    """Tasks added, removed or changed from ``before`` to ``after``, by task id."""
    old = {t.task_id: t for t in before}
    new = {t.task_id: t for t in after}
    changes: list[TaskChange] = []
    for task_id in sorted(old.keys() | new.keys()):
        a, b = old.get(task_id), new.get(task_id)
        if a is None and b is not None:
            changes.append(TaskChange(task_id, b.name, "added", None, b))
        elif b is None and a is not None:
            changes.append(TaskChange(task_id, a.name, "removed", a, None))
        elif a is not None and b is not None:
            moved = tuple(f for f in _COMPARED if getattr(a, f) != getattr(b, f))
            if moved:
                changes.append(TaskChange(task_id, b.name, "changed", a, b, moved))
    return tuple(changes)


# -- naming projects -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectRef:
    """A live project as a command names it."""

    id: str
    source: str
    source_id: str
    name: str


def live_projects(store: Store) -> list[ProjectRef]:
    """Every live project, by name."""
    projects_t = ENTITY_TABLES[Project]
    query = select(
        projects_t.c.id, projects_t.c.source, projects_t.c.source_id, projects_t.c.name
    ).where(projects_t.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        found = [ProjectRef(*row) for row in connection.execute(query)]
    return sorted(found, key=lambda p: (p.name.casefold(), p.id))


def find_projects(store: Store, words: Sequence[str]) -> list[ProjectRef]:
    """The live projects ``words`` name, each by canonical id, its tool's id, or its name
    (case aside), in the order named; ``BaselineError`` for a word that names none, or
    several by name (the line lists them with their ids)."""
    projects = live_projects(store)
    chosen: dict[str, ProjectRef] = {}
    for word in words:
        exact = [p for p in projects if word in (p.id, p.source_id)]
        named = exact or [p for p in projects if p.name.casefold() == word.strip().casefold()]
        if not named:
            raise BaselineError(
                f"no project named {word!r} in the store (a name, its id in its tool, or its "
                "pmosync id; `pmosync baseline list` lists them)"
            )
        if len(named) > 1:
            shown = "; ".join(f"{p.name!r} {p.source} {p.source_id}" for p in named[:6])
            raise BaselineError(
                f"{word!r} names {len(named)} projects: {shown}; name one by its id in its tool"
            )
        chosen.setdefault(named[0].id, named[0])
    return list(chosen.values())
