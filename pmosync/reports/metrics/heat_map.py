"""The capacity heat map: hours over capacity per person (and team, and role) per week.

Past weeks hold logged hours (``metrics.utilisation``), forward weeks planned hours
(``metrics.forward_load``); both over the same capacity (contract less public holidays and
leave). A group's cell is its members' hours over their capacity, so a part-timer weighs by
their hours, not as a whole person, and a member on leave adds neither.

Nobody tells pmosync which team a person is in, so a person's team is the team of the projects
that hold most of their hours (logged in the past weeks plus planned in the forward ones; a tie
goes to the team name first in order); hours on projects without a team do not decide, and a
person with none on a team's project counts under "No team". A person's role is
``resources.roles`` (the rate cards' roles, by email), else "No role".

Logging above capacity is flagged per past person-week: more hours logged than the week holds,
or any hours logged in a week with no capacity left (holidays and leave took it all).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pmosync.config.models import Resources
from pmosync.reports.dataset import Dataset, PersonRow
from pmosync.reports.metrics.forward_load import ForwardLoad
from pmosync.reports.metrics.utilisation import PersonWeek, Utilisation, exceeds, percent

NO_TEAM = "No team"
NO_ROLE = "No role"


@dataclass(frozen=True, slots=True)
class Cell:
    """Hours (logged in a past week, planned in a forward one) and capacity."""

    hours: float
    capacity: float

    @property
    def pct(self) -> float | None:
        return percent(self.hours, self.capacity)


@dataclass(frozen=True, slots=True)
class HeatMap:
    """Past weeks (oldest first), forward weeks (soonest first), the roster, and a cell per
    (person id, Monday)."""

    past: list[date]
    forward: list[date]
    people: list[PersonRow]
    cells: dict[tuple[str, date], Cell]

    @property
    def weeks(self) -> list[date]:
        return [*self.past, *self.forward]


def heat_map(past: Utilisation, forward: ForwardLoad) -> HeatMap:
    """One grid of the past weeks' logged hours and the forward weeks' planned hours."""
    cells = {(r.person.id, r.week): Cell(r.logged, r.capacity) for r in past.rows}
    cells.update({(r.person.id, r.week): Cell(r.planned, r.capacity) for r in forward.rows})
    return HeatMap(past=past.weeks, forward=forward.weeks, people=past.people, cells=cells)


def over_capacity(rows: Iterable[PersonWeek]) -> list[PersonWeek]:
    """Past person-weeks logged above capacity, newest week first, then by person."""
    flagged = [r for r in rows if logged_over(r)]
    flagged.sort(key=lambda r: (-r.week.toordinal(), r.person.label.casefold(), r.person.id))
    return flagged


def logged_over(row: PersonWeek) -> bool:
    """More hours logged than the week's capacity (any hours when it has none)."""
    return exceeds(row.logged, row.capacity)


def teams_of(dataset: Dataset, past: Utilisation, forward: ForwardLoad) -> dict[str, str]:
    """Each roster person's team (see the module docstring)."""
    team_of_project = {p.id: p.team for p in dataset.projects if p.team}
    roster = {p.id for p in past.people}
    hours: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    if past.weeks:
        first, last = past.weeks[0], past.weeks[-1]
        for entry in dataset.time_entries:
            team = team_of_project.get(entry.project_id)
            if team is None or entry.person_id not in roster:
                continue
            if first <= entry.entry_date and (entry.entry_date - last).days <= 6:
                hours[entry.person_id][team] += entry.minutes / 60
    for (person_id, project_id), planned in forward.by_project.items():
        team = team_of_project.get(project_id)
        if team is not None and planned > 0:
            hours[person_id][team] += planned
    out = {}
    for person in past.people:
        by_team = hours.get(person.id)
        if by_team:
            out[person.id] = min(by_team, key=lambda team: (-by_team[team], team))
        else:
            out[person.id] = NO_TEAM
    return out


def roles_of(people: Iterable[PersonRow], resources: Resources) -> dict[str, str]:
    """Each person's role from ``resources.roles`` (emails compared in lower case)."""
    roles = {email.lower(): role for email, role in resources.roles.items()}
    return {p.id: roles.get(p.email.lower(), NO_ROLE) if p.email else NO_ROLE for p in people}


def roll_up(grid: HeatMap, group_of: dict[str, str]) -> list[tuple[str, int, dict[date, Cell]]]:
    """(group, members, cell per week) for each group, named groups in name order, then the
    catch-all ("No team", "No role") last; a cell sums its members' hours and capacity."""
    members: dict[str, list[str]] = defaultdict(list)
    for person in grid.people:
        members[group_of.get(person.id, NO_TEAM)].append(person.id)
    out = []
    for group in sorted(members, key=lambda g: (g in (NO_TEAM, NO_ROLE), g.casefold(), g)):
        cells = {}
        for monday in grid.weeks:
            own = [
                grid.cells[(pid, monday)] for pid in members[group] if (pid, monday) in grid.cells
            ]
            cells[monday] = Cell(sum(c.hours for c in own), sum(c.capacity for c in own))
        out.append((group, len(members[group]), cells))
    return out
