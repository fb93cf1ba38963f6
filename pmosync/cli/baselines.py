"""``pmosync baseline``: record a project's plan, list and show what was recorded, and compare
a baseline with another or with the plan as it is now.

pmosync records "Baseline" by itself the first time a sync sees a project; these commands add
named ones (a re-plan approved by the board), choose which one reports measure against, and
show what moved. A project is named by its name, its id in its tool, or its pmosync id.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    StoreOption,
    TableFormatOption,
    app,
    fail,
    load_config_or_exit,
    open_config_store,
    open_url,
)
from pmosync.cli.ledger import print_json, print_table

if TYPE_CHECKING:
    from pmosync.store import Store
    from pmosync.store.baselines import Baseline, Plan, PlanDiff, PlannedTask, ProjectRef

baseline_app = typer.Typer(
    help="A project's plan frozen (task dates, estimates, milestones, budget): set one, list "
    "them, show one, compare it with another or with the current plan.",
    no_args_is_help=True,
)
app.add_typer(baseline_app, name="baseline")

ProjectsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="PROJECT...",
        help="Projects by name, id in their tool, or pmosync id.",
        show_default=False,
    ),
]
ProjectArgument = Annotated[
    str,
    typer.Argument(
        metavar="PROJECT",
        help="A project by name, id in its tool, or pmosync id.",
        show_default=False,
    ),
]
TextFormatOption = Annotated[
    Literal["text", "json"], typer.Option("--format", help="text for people, json for scripts.")
]


def _open(config: Path, store: str | None) -> tuple[Store, tuple[str, ...]]:
    """The store (``--store``, else the config's) and the budget precedence a plan's budget is
    chosen by: the config's ``resources.budget_precedence`` when there is a config file (it
    may be left out with ``--store``), else the default."""
    from pmosync.store.baselines import DEFAULT_BUDGET_PRECEDENCE

    if store is not None and not config.exists():
        return open_url(store, None, "require"), DEFAULT_BUDGET_PRECEDENCE
    loaded = load_config_or_exit(config, defer_unset=True)
    precedence = tuple(loaded.resources.budget_precedence)
    return open_config_store(loaded, store, "require"), precedence


def _projects(opened: Store, words: list[str] | None, all_: bool) -> list[ProjectRef] | None:
    """The projects named, every live one for ``--all`` (None), or exit 2 naming neither."""
    from pmosync.store.baselines import find_projects

    if all_ and words:
        fail("name projects or give --all, not both", EXIT_USAGE)
    if all_:
        return None
    if not words:
        fail("name at least one project, or give --all for every project", EXIT_USAGE)
    return find_projects(opened, words)


def _run(action: Any) -> Any:
    """Run ``action``; a baseline problem exits 2, a store failure 1, each in one line."""
    from pmosync.store import StoreError
    from pmosync.store.baselines import BaselineError

    try:
        return action()
    except BaselineError as error:
        fail(str(error), EXIT_USAGE)
    except StoreError as error:
        fail(str(error), EXIT_FAILED)


# -- set, activate ---------------------------------------------------------------------------


@baseline_app.command("set")
def baseline_set(
    projects: ProjectsArgument = None,
    all_: Annotated[bool, typer.Option("--all", help="Every project in the store.")] = False,
    name: Annotated[
        str,
        typer.Option("--name", help="The baseline's name; setting an existing name replaces it."),
    ] = "Baseline",
    keep_active: Annotated[
        bool,
        typer.Option(
            "--keep-active",
            help="Keep each project's active baseline active (the new one is for reference).",
        ),
    ] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
) -> None:
    """Record the projects' current plan as baseline NAME, which becomes the one reports
    measure against (unless --keep-active). A project keeps at most 11 baselines."""
    from pmosync.store.baselines import set_baseline

    opened, precedence = _open(config, store)
    with opened:
        chosen = _run(lambda: _projects(opened, projects, all_))
        ids = None if chosen is None else [p.id for p in chosen]
        recorded = _run(
            lambda: set_baseline(opened, ids, name, activate=not keep_active, precedence=precedence)
        )
        names = _names(opened)
    if not recorded:
        typer.echo(f"store {opened.display_url}: no projects yet; run `pmosync sync` first")
        return
    for baseline in sorted(recorded, key=lambda b: _by_name(names, b.project_id)):
        state = "active" if baseline.active else "not active"
        typer.echo(
            f"{names.get(baseline.project_id, baseline.project_id)}: baseline "
            f"{baseline.name!r} set ({baseline.task_count} tasks, finish "
            f"{_day(baseline.plan.finish_date)}, budget {_budget(baseline.plan)}), {state}"
        )
    count = len(recorded)
    typer.echo(
        f"recorded baseline {recorded[0].name!r} for {count} project{'' if count == 1 else 's'}"
    )


@baseline_app.command("activate")
def baseline_activate(
    projects: ProjectsArgument = None,
    name: Annotated[
        str, typer.Option("--name", help="The baseline reports measure against from now on.")
    ] = "Baseline",
    all_: Annotated[bool, typer.Option("--all", help="Every project in the store.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
) -> None:
    """Make baseline NAME the one reports measure against (the projects must have it)."""
    from pmosync.store.baselines import activate_baseline, live_projects

    with _open(config, store)[0] as opened:
        chosen = _run(lambda: _projects(opened, projects, all_))
        ids = [p.id for p in (chosen if chosen is not None else live_projects(opened))]
        done = _run(lambda: activate_baseline(opened, ids, name))
        names = _names(opened)
    for baseline in sorted(done, key=lambda b: _by_name(names, b.project_id)):
        label = names.get(baseline.project_id, baseline.project_id)
        typer.echo(f"{label}: baseline {baseline.name!r} is active")


# -- list, show ------------------------------------------------------------------------------


@baseline_app.command("list")
def baseline_list(
    projects: ProjectsArgument = None,
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    format: TableFormatOption = "table",
) -> None:
    """List the baselines of the projects named (default: every project): which is active,
    when each was set and by what, its tasks, finish and budget."""
    from rich.table import Table

    from pmosync.store.baselines import list_baselines

    with _open(config, store)[0] as opened:
        chosen = _run(lambda: find_projects_or_all(opened, projects))
        found = _run(lambda: list_baselines(opened, chosen))
        names = _names(opened)
    found.sort(key=lambda b: (*_by_name(names, b.project_id), b.set_at))
    if format == "json":
        print_json([_baseline_json(b, names) for b in found])
        return
    if not found:
        typer.echo(
            f"store {opened.display_url}: no baselines yet; `pmosync sync` records one per "
            "project, `pmosync baseline set` more"
        )
        return
    table = Table(
        title=f"Baselines in {opened.display_url}",
        caption="active: the one reports measure against; `pmosync baseline show PROJECT`",
    )
    for column in ("project", "baseline", "active", "set (UTC)", "by"):
        table.add_column(column, overflow="fold")
    table.add_column("tasks", justify="right")
    for column in ("start", "finish"):
        table.add_column(column)
    table.add_column("budget", justify="right")
    for b in found:
        table.add_row(
            names.get(b.project_id, b.project_id),
            b.name,
            "yes" if b.active else "",
            _when(b.set_at),
            b.set_by,
            str(b.task_count),
            _day(b.plan.start_date),
            _day(b.plan.finish_date),
            _budget(b.plan),
        )
    print_table(table)


def find_projects_or_all(opened: Store, words: list[str] | None) -> list[str] | None:
    """Ids of the projects named, or None (every project) when none is."""
    from pmosync.store.baselines import find_projects

    return [p.id for p in find_projects(opened, words)] if words else None


@baseline_app.command("show")
def baseline_show(
    project: ProjectArgument,
    name: Annotated[
        str | None, typer.Option("--name", help="Which baseline (default: the active one).")
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    format: TextFormatOption = "text",
) -> None:
    """Show one baseline: its dates, budget, and every work task and milestone it holds."""
    from rich.table import Table

    from pmosync.store.baselines import find_projects, get_baseline

    with _open(config, store)[0] as opened:
        ref = _run(lambda: find_projects(opened, [project]))[0]
        baseline = _run(lambda: get_baseline(opened, ref.id, name))
    if format == "json":
        document = _baseline_json(baseline, {ref.id: ref.name})
        document["tasks"] = [_task_json(t) for t in baseline.plan.tasks]
        print_json(document)
        return
    plan = baseline.plan
    for label, value in (
        ("project", f"{ref.name} ({ref.source} {ref.source_id})"),
        ("baseline", baseline.name + (" (active)" if baseline.active else "")),
        ("set", f"{_when(baseline.set_at)} UTC by {baseline.set_by}"),
        ("start", _day(plan.start_date)),
        ("finish", _day(plan.finish_date)),
        ("budget", _budget(plan)),
    ):
        typer.echo(f"{label + ':':<10}{value}")
    if not plan.tasks:
        typer.echo("no work tasks or milestones")
        return
    table = Table(title=f"{len(plan.tasks)} work tasks and milestones")
    for column in ("task", "kind", "start", "due"):
        table.add_column(column, overflow="fold")
    table.add_column("estimate (h)", justify="right")
    for task in sorted(plan.tasks, key=_task_order):
        table.add_row(
            task.name,
            task.kind,
            _day(task.start_date),
            _day(task.due_date),
            _hours(task.estimate_hours),
        )
    print_table(table)


# -- diff ------------------------------------------------------------------------------------


@baseline_app.command("diff")
def baseline_diff(
    project: ProjectArgument,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The baseline to compare from (default: the active one)."),
    ] = None,
    against: Annotated[
        str | None, typer.Option("--against", help="Another baseline to compare with.")
    ] = None,
    current: Annotated[
        bool,
        typer.Option("--current", help="Compare with the current plan (the default)."),
    ] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    format: TextFormatOption = "text",
) -> None:
    """What moved between a baseline and another (--against) or the current plan: each
    task's start, due date and estimate, tasks added and removed, the finish and the budget."""
    from pmosync.store.baselines import diff_plans, find_projects

    if current and against is not None:
        fail("give --against NAME or --current, not both", EXIT_USAGE)
    opened, precedence = _open(config, store)
    with opened:
        ref = _run(lambda: find_projects(opened, [project]))[0]
        diff = _run(lambda: diff_plans(opened, ref.id, name, against, precedence=precedence))
    if format == "json":
        print_json(_diff_json(diff, ref))
        return
    _print_diff(diff, ref)


def _print_diff(diff: PlanDiff, ref: ProjectRef) -> None:
    from rich.table import Table

    typer.echo(f"{ref.name}: baseline {diff.before_label!r} -> {_after_label(diff)}")
    before, after = diff.before, diff.after
    slip = diff.finish_slip_days
    moved = "" if slip is None else f" ({slip:+d} days)"
    typer.echo(f"start:    {_day(before.start_date)} -> {_day(after.start_date)}")
    typer.echo(f"finish:   {_day(before.finish_date)} -> {_day(after.finish_date)}{moved}")
    change = diff.budget_change
    grew = "" if change is None else f" ({change:+,.2f})"
    typer.echo(f"budget:   {_budget(before)} -> {_budget(after)}{grew}")
    added = sum(1 for t in diff.tasks if t.change == "added")
    removed = sum(1 for t in diff.tasks if t.change == "removed")
    changed = len(diff.tasks) - added - removed
    typer.echo(f"tasks:    {changed} changed, {added} added, {removed} removed")
    if not diff.tasks:
        return
    table = Table()
    for column in ("task", "change", "start", "due", "estimate (h)"):
        table.add_column(column, overflow="fold")
    for task in diff.tasks:
        b, a = task.before, task.after
        table.add_row(
            task.name,
            task.change + (f" ({a.kind})" if a and "kind" in task.fields else ""),
            _moved(b and b.start_date, a and a.start_date, _day),
            _moved(b and b.due_date, a and a.due_date, _day),
            _moved(b and b.estimate_hours, a and a.estimate_hours, _hours),
        )
    print_table(table)


def _after_label(diff: PlanDiff) -> str:
    return diff.after_label if diff.after_label == "current plan" else repr(diff.after_label)


def _moved(before: Any, after: Any, show: Any) -> str:
    """One cell of a diff: the value, or ``old -> new`` (with the days moved) when it moved."""
    if before == after:
        return show(after)
    if before is None or after is None:
        return f"{show(before)} -> {show(after)}"
    if isinstance(before, date):
        return f"{show(before)} -> {show(after)} ({(after - before).days:+d} d)"
    return f"{show(before)} -> {show(after)}"


# -- shown values ----------------------------------------------------------------------------


def _names(opened: Store) -> dict[str, str]:
    from pmosync.store.baselines import live_projects

    return {p.id: p.name for p in live_projects(opened)}


def _by_name(names: dict[str, str], project_id: str) -> tuple[str, str]:
    """Sort key: projects by name, then id."""
    return names.get(project_id, project_id).casefold(), project_id


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else "-"


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _budget(plan: Plan) -> str:
    if plan.budget_amount is None:
        return "-"
    if plan.budget_measure == "hours":
        return f"{plan.budget_amount:,.1f} h"
    return f"{plan.budget_amount:,.2f} {plan.budget_currency or ''}".rstrip()


def _task_order(task: PlannedTask) -> tuple[Any, ...]:
    return (task.due_date or date.max, task.name.casefold(), task.task_id)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "start_date": _iso(plan.start_date),
        "finish_date": _iso(plan.finish_date),
        "budget_amount": _money(plan.budget_amount),
        "budget_measure": plan.budget_measure,
        "budget_currency": plan.budget_currency,
    }


def _baseline_json(baseline: Baseline, names: dict[str, str]) -> dict[str, Any]:
    return {
        "project_id": baseline.project_id,
        "project": names.get(baseline.project_id),
        "name": baseline.name,
        "active": baseline.active,
        "set_at": baseline.set_at.isoformat(),
        "set_by": baseline.set_by,
        "tasks": baseline.task_count,
        **_plan_json(baseline.plan),
    }


def _task_json(task: PlannedTask | None) -> dict[str, Any] | None:
    if task is None:
        return None
    return {
        "task_id": task.task_id,
        "name": task.name,
        "kind": task.kind,
        "start_date": _iso(task.start_date),
        "due_date": _iso(task.due_date),
        "estimate_hours": task.estimate_hours,
    }


def _diff_json(diff: PlanDiff, ref: ProjectRef) -> dict[str, Any]:
    return {
        "project_id": ref.id,
        "project": ref.name,
        "from": diff.before_label,
        "to": diff.after_label,
        "before": _plan_json(diff.before),
        "after": _plan_json(diff.after),
        "finish_slip_days": diff.finish_slip_days,
        "budget_change": _money(diff.budget_change),
        "tasks": [
            {
                "task_id": t.task_id,
                "name": t.name,
                "change": t.change,
                "fields": list(t.fields),
                "before": _task_json(t.before),
                "after": _task_json(t.after),
            }
            for t in diff.tasks
        ],
    }
