"""The Dataverse sandbox's data: generation, churn and the snapshot ground truth.

Roll-ups are checked two ways: on a tiny plan built by hand with the arithmetic worked in the
test, and on generated plans by summing children here (never through the roll-up code). The
quirks, the shared people and the cascades are read straight off the rows.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from pmosync.sandbox.dataverse import (
    ENVIRONMENT_SIZES,
    EnvironmentSize,
    churn,
    environment_snapshot,
    generate_environment,
)
from pmosync.sandbox.dataverse.churn import (
    add_dependency,
    add_task,
    delete_project,
    delete_task,
    edit_task,
    edit_tasks,
    move_task,
    reassign,
)
from pmosync.sandbox.dataverse.environment import Environment
from pmosync.sandbox.dataverse.rollup import roll_up
from pmosync.sandbox.tenant import generate_tenant

TODAY = date(2026, 3, 2)  # a Monday
TASK, ASSIGNMENT = "msdyn_projecttask", "msdyn_resourceassignment"
SMALL = EnvironmentSize(projects=4, tasks=240, people=8)


WALL_CLOCK = ("createdon", "msdyn_actualstart", "msdyn_actualend")
"""Columns churn stamps with the real moment of an edit (a row it adds, a task it starts or
completes), as Dataverse does: only whether they are set is deterministic after churn."""


def _stable(env: Environment, wall_clock: tuple[str, ...] = ()) -> dict[str, list[dict]]:
    """Every row in insertion order, without modifiedon (the real moment it was written);
    the ``wall_clock`` columns reduced to whether they are set."""
    return {
        table: [{k: (v is not None) if k in wall_clock else v
                 for k, v in row.items() if k != "modifiedon"} for row in rows.values()]
        for table, rows in env.rows.items()
    }  # fmt: skip


def test_same_seed_and_day_give_the_same_rows_in_the_same_order():
    first, second = (generate_environment(11, "XS", TODAY) for _ in range(2))
    assert _stable(first) == _stable(second)
    assert first.version == second.version
    assert first.application_user_id == second.application_user_id
    other = generate_environment(12, "XS", TODAY)
    assert _stable(other) != _stable(first)


def test_sizes_and_exact_task_counts():
    assert (ENVIRONMENT_SIZES["XS"].projects, ENVIRONMENT_SIZES["XS"].tasks) == (3, 90)
    assert (ENVIRONMENT_SIZES["S"].projects, ENVIRONMENT_SIZES["S"].tasks) == (8, 600)
    assert (ENVIRONMENT_SIZES["L"].projects, ENVIRONMENT_SIZES["L"].tasks) == (200, 100_000)
    env = generate_environment(3, "S", TODAY)
    assert len(env.rows["msdyn_project"]) == 8
    assert len(env.rows[TASK]) == 600
    with pytest.raises(ValueError, match="unknown environment size"):
        generate_environment(3, "XXL", TODAY)


def test_m_size_is_thirty_thousand_tasks_in_sixty_projects():
    env = generate_environment(1, "M", TODAY, quirks=False)
    assert len(env.rows["msdyn_project"]) == 60
    assert len(env.rows[TASK]) == 30_000
    per_project = Counter(t["_msdyn_project_value"] for t in env.rows[TASK].values())
    assert len(per_project) == 60


# -- people ----------------------------------------------------------------------------------


def test_people_are_the_tenants_users_with_their_entra_object_ids():
    people = [(f"{n} Lee", f"{n.lower()}.lee@contoso.example") for n in ("Ann", "Bo", "Cy", "Di")]
    tenant = generate_tenant(4, "XS", TODAY, people, quirks=True)
    graph_id = {}
    for user in tenant.users.values():
        for address in (user.mail, user.user_principal_name):
            if address:
                graph_id[address.casefold()] = user.id
    env = generate_environment(4, "XS", TODAY, people, tenant)
    users = list(env.rows["systemuser"].values())
    humans = [u for u in users if u["applicationid"] is None]
    # 4 people + the guest, the disabled user and the mailless user (quirks)
    assert len(humans) == 7
    by_email = {u["internalemailaddress"]: u for u in humans}
    for name, email in people:
        assert by_email[email]["fullname"] == name
        assert by_email[email]["domainname"] == email
        assert by_email[email]["azureactivedirectoryobjectid"] == graph_id[email]
    guest = next(u for u in humans if "#EXT#" in u["domainname"])
    assert guest["azureactivedirectoryobjectid"] == graph_id[guest["internalemailaddress"]]
    mailless = next(u for u in humans if u["internalemailaddress"] is None)
    assert mailless["azureactivedirectoryobjectid"] == graph_id[mailless["domainname"]]
    # one User resource per person, pointing at its system user
    resources = [r for r in env.rows["bookableresource"].values() if r["resourcetype"] == 3]
    assert sorted(r["_userid_value"] for r in resources) == sorted(
        u["systemuserid"] for u in humans
    )

    # the tenant alone: its members with a mailbox are the people, all with their Graph ids
    members = generate_environment(4, "XS", TODAY, tenant=tenant)
    matched = {u["fullname"]: u["azureactivedirectoryobjectid"] in set(graph_id.values())
               for u in members.rows["systemuser"].values() if not u["applicationid"]}  # fmt: skip
    assert [name for name, known in matched.items() if not known] == ["Hugo Lambert"]  # quirk
    assert len(matched) == 7

    alone = generate_environment(4, "XS", TODAY, people)
    ids = [u["azureactivedirectoryobjectid"] for u in alone.rows["systemuser"].values()]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & set(graph_id.values())


def test_the_application_user_has_an_application_id_and_no_email():
    app_user = "11111111-2222-4333-8444-555555555555"
    env = generate_environment(2, "XS", TODAY, application_user_id=app_user)
    app = env.rows["systemuser"][app_user]
    assert env.application_user_id == app["systemuserid"]
    assert app["applicationid"] and app["internalemailaddress"] is None


# -- quirks ----------------------------------------------------------------------------------


def test_quirks_are_in_the_rows():
    env = generate_environment(6, "XS", TODAY)
    users = list(env.rows["systemuser"].values())
    resources = list(env.rows["bookableresource"].values())
    projects = list(env.rows["msdyn_project"].values())
    tasks = list(env.rows[TASK].values())
    assigned = {a["_msdyn_bookableresourceid_value"] for a in env.rows[ASSIGNMENT].values()}

    guest = next(u for u in users if "#EXT#" in (u["domainname"] or ""))
    assert not guest["internalemailaddress"].endswith("@contoso.example")
    disabled = [u for u in users if u["isdisabled"]]
    assert len(disabled) == 1
    mailless = [u for u in users if u["internalemailaddress"] is None and not u["applicationid"]]
    assert len(mailless) == 1
    generic = [r for r in resources if r["resourcetype"] == 1]
    assert len(generic) == 1 and generic[0]["_userid_value"] is None
    assert generic[0]["msdyn_primaryemail"] is None and generic[0]["bookableresourceid"] in assigned
    contact = [r for r in resources if r["resourcetype"] == 2]
    assert len(contact) == 1 and contact[0]["_userid_value"] is None
    assert contact[0]["msdyn_primaryemail"] and contact[0]["bookableresourceid"] in assigned
    for user in (guest, disabled[0], mailless[0]):
        resource = next(r for r in resources if r["_userid_value"] == user["systemuserid"])
        assert resource["bookableresourceid"] in assigned
    names = Counter(p["msdyn_subject"] for p in projects)
    assert names.most_common(1)[0][1] == 2
    assert sum(p["_msdyn_projectmanager_value"] is None for p in projects) == 1
    subjects = [t["msdyn_subject"] for t in tasks]
    assert any("\x00" in s for s in subjects)
    assert any(s.startswith("=HYPERLINK(") for s in subjects)
    assert any("<b>x</b>" in s for s in subjects)
    assert any(t["_msdyn_projectbucket_value"] is None for t in tasks)

    plain = generate_environment(6, "XS", TODAY, quirks=False)
    assert not any(u["isdisabled"] for u in plain.rows["systemuser"].values())
    assert {r["resourcetype"] for r in plain.rows["bookableresource"].values()} == {3}
    assert all(p["_msdyn_projectmanager_value"] for p in plain.rows["msdyn_project"].values())
    assert not any("\x00" in t["msdyn_subject"] for t in plain.rows[TASK].values())
    assert all(t["_msdyn_projectbucket_value"] for t in plain.rows[TASK].values())


# -- the plans' arithmetic -------------------------------------------------------------------


def _hand_built() -> tuple[Environment, str]:
    """Project P: summary S with leaves A (8 h, 50 %, Mon 2 - Tue 3 March) and B (16 h, 25 %,
    Wed 4 - Tue 10 March), and a top-level milestone M on Fri 13 March."""
    env = Environment(TODAY)
    env.upsert("msdyn_project", {"msdyn_projectid": "P", "msdyn_subject": "Plan"})
    common = {"_msdyn_project_value": "P", "msdyn_ismilestone": False, "msdyn_summary": False}
    env.upsert(TASK, {**common, "msdyn_projecttaskid": "S", "msdyn_outlinelevel": 1,
                      "msdyn_displaysequence": 1.0, "msdyn_summary": True})  # fmt: skip
    for key, effort, progress, start, end, seq in (
        ("A", 8.0, 0.5, "2026-03-02T08:00:00Z", "2026-03-03T17:00:00Z", 2.0),
        ("B", 16.0, 0.25, "2026-03-04T08:00:00Z", "2026-03-10T17:00:00Z", 3.0),
    ):
        env.upsert(TASK, {
            **common, "msdyn_projecttaskid": key, "_msdyn_parenttask_value": "S",
            "msdyn_outlinelevel": 2, "msdyn_displaysequence": seq, "msdyn_effort": effort,
            "msdyn_effortcompleted": effort * progress,
            "msdyn_effortremaining": effort * (1 - progress), "msdyn_progress": progress,
            "msdyn_scheduledstart": start, "msdyn_scheduledend": end,
        })  # fmt: skip
    env.upsert(TASK, {
        **common, "msdyn_projecttaskid": "M", "msdyn_outlinelevel": 1, "msdyn_ismilestone": True,
        "msdyn_displaysequence": 4.0, "msdyn_effort": 0.0, "msdyn_effortcompleted": 0.0,
        "msdyn_effortremaining": 0.0, "msdyn_progress": 0.0, "msdyn_duration": 0,
        "msdyn_scheduledstart": "2026-03-13T17:00:00Z",
        "msdyn_scheduledend": "2026-03-13T17:00:00Z",
    })  # fmt: skip
    return env, "P"


def test_summary_and_project_roll_up_like_project_does():
    env, project = _hand_built()
    roll_up(env, project)
    summary = env.get(TASK, "S")
    # effort 8 + 16 = 24 h; completed 8 * 0.5 + 16 * 0.25 = 4 + 4 = 8 h; progress 8 / 24 = 1/3
    assert summary["msdyn_effort"] == 24
    assert summary["msdyn_effortcompleted"] == 8
    assert summary["msdyn_effortremaining"] == 16
    assert summary["msdyn_progress"] == pytest.approx(1 / 3, abs=1e-4)
    # earliest start of A, latest end of B; Mon 2 .. Tue 10 March is 7 working days
    assert summary["msdyn_scheduledstart"] == "2026-03-02T08:00:00Z"
    assert summary["msdyn_scheduledend"] == "2026-03-10T17:00:00Z"
    assert summary["msdyn_duration"] == 7
    plan = env.get("msdyn_project", project)
    # the project over S (24 h, 8 done) and the milestone M (0 h) ending Fri 13 March: 10 days
    assert (plan["msdyn_effort"], plan["msdyn_effortcompleted"]) == (24, 8)
    assert plan["msdyn_progress"] == pytest.approx(1 / 3, abs=1e-4)
    assert plan["msdyn_scheduledstart"] == "2026-03-02T08:00:00Z"
    assert plan["msdyn_finish"] == "2026-03-13T17:00:00Z"
    assert plan["msdyn_duration"] == 10
    # nothing moved: rolling up again writes nothing
    version = env.version
    assert roll_up(env, project) == []
    assert env.version == version

    # A done: completed 8 + 4 = 12 of 24 -> 0.5, on the summary and the project alike
    edit_task(env, "A", progress=1.0)
    assert env.get(TASK, "A")["msdyn_effortcompleted"] == 8
    assert env.get(TASK, "S")["msdyn_progress"] == 0.5
    assert env.get("msdyn_project", project)["msdyn_progress"] == 0.5
    # B moved two working days later: Fri 6 .. Thu 12 March; the summary ends with it
    edit_task(env, "B", shift=2)
    assert env.get(TASK, "B")["msdyn_scheduledstart"] == "2026-03-06T08:00:00Z"
    assert env.get(TASK, "S")["msdyn_scheduledend"] == "2026-03-12T17:00:00Z"


def test_actual_end_rolls_up_once_every_child_is_done_and_churn_stamps_it():
    env, project = _hand_built()
    env.upsert(TASK, {"msdyn_projecttaskid": "A", "msdyn_actualstart": "2026-03-02T08:00:00Z"})
    env.upsert(TASK, {"msdyn_projecttaskid": "B", "msdyn_actualstart": "2026-03-04T09:30:00Z"})
    roll_up(env, project)
    # S's actual start is its children's earliest (A's); no actual end while A and B run
    assert env.get(TASK, "S")["msdyn_actualstart"] == "2026-03-02T08:00:00Z"
    assert env.get(TASK, "S")["msdyn_actualend"] is None
    done = {"msdyn_progress": 1.0, "msdyn_effortremaining": 0.0}
    env.upsert(TASK, {"msdyn_projecttaskid": "A", **done, "msdyn_effortcompleted": 8.0,
                      "msdyn_actualend": "2026-03-03T15:00:00Z"})  # fmt: skip
    roll_up(env, project)
    assert env.get(TASK, "S")["msdyn_actualend"] is None  # B is still at 25 %
    env.upsert(TASK, {"msdyn_projecttaskid": "B", **done, "msdyn_effortcompleted": 16.0,
                      "msdyn_actualend": "2026-03-09T11:00:00Z"})  # fmt: skip
    roll_up(env, project)
    # both done: S ends with the later of Tue 3 March 15:00 (A) and Mon 9 March 11:00 (B)
    assert env.get(TASK, "S")["msdyn_progress"] == 1
    assert env.get(TASK, "S")["msdyn_actualend"] == "2026-03-09T11:00:00Z"
    assert "msdyn_actualend" not in env.get("msdyn_project", project)  # a task's column only

    # B back to 75 %: its actual end is cleared, and S's with it (its start stays)
    edit_task(env, "B", progress=0.75)
    assert env.get(TASK, "B")["msdyn_actualend"] is None
    assert env.get(TASK, "B")["msdyn_actualstart"] == "2026-03-04T09:30:00Z"
    assert env.get(TASK, "S")["msdyn_actualend"] is None
    # B done again: stamped with the environment's mutation moment, which S then takes
    # (later than A's 3 March); read from the rows, as the moment is the wall clock's
    edit_task(env, "B", progress=1.0)
    stamped = env.get(TASK, "B")["msdyn_actualend"]
    assert stamped is not None and stamped > "2026-03-09T11:00:00Z"
    assert stamped <= env.get(TASK, "B")["modifiedon"]  # stamped by that very edit
    assert env.get(TASK, "S")["msdyn_actualend"] == stamped
    # back to 0 %: neither an actual start nor an end; S starts with A alone
    edit_task(env, "B", progress=0.0)
    assert (env.get(TASK, "B")["msdyn_actualstart"], env.get(TASK, "B")["msdyn_actualend"]) == (
        None, None)  # fmt: skip
    assert env.get(TASK, "S")["msdyn_actualstart"] == "2026-03-02T08:00:00Z"
    # a leaf added done is stamped as of its creation
    added = add_task(env, project, "Sign off", progress=1.0, effort=2.0)
    row = env.get(TASK, added)
    assert row["msdyn_actualend"] == row["msdyn_actualstart"] <= row["createdon"]


def _children(tasks: dict[str, dict]) -> dict[str, list[dict]]:
    """Task rows by their parent task's id."""
    children: dict[str, list[dict]] = {}
    for t in tasks.values():
        if t["_msdyn_parenttask_value"]:
            children.setdefault(t["_msdyn_parenttask_value"], []).append(t)
    return children


def test_generated_leaves_carry_actuals_and_summaries_roll_them_up():
    env = generate_environment(8, SMALL, TODAY)
    tasks = env.rows[TASK]
    children = _children(tasks)
    ends = 0
    for key, t in tasks.items():
        kids = children.get(key)
        if kids:
            all_done = all(k["msdyn_progress"] >= 1 for k in kids)
            wanted = max(k["msdyn_actualend"] for k in kids) if all_done else None
            assert t["msdyn_actualend"] == wanted
            begun = [k["msdyn_actualstart"] for k in kids if k["msdyn_actualstart"]]
            assert t["msdyn_actualstart"] == (min(begun) if begun else None)
            continue
        # a leaf: an actual end iff done, an actual start iff started; none after today
        # (Mon 2 March 2026) 17:00, the end of today's working day
        assert (t["msdyn_actualend"] is not None) == (t["msdyn_progress"] >= 1)
        assert (t["msdyn_actualstart"] is not None) == (t["msdyn_progress"] > 0)
        if t["msdyn_actualend"]:
            ends += 1
            assert t["msdyn_actualend"].endswith("T17:00:00Z")
            assert t["msdyn_actualstart"] <= t["msdyn_actualend"] <= "2026-03-02T17:00:00Z"
            if t["msdyn_scheduledend"] <= "2026-03-02T17:00:00Z":  # done on schedule
                assert t["msdyn_actualend"] == t["msdyn_scheduledend"]
    assert ends > 10


def test_deleting_the_last_children_makes_the_summary_a_leaf_again():
    env, project = _hand_built()
    roll_up(env, project)
    delete_task(env, "A")
    # only B left: 16 h, 4 done -> 0.25
    assert env.get(TASK, "S")["msdyn_effort"] == 16
    assert env.get(TASK, "S")["msdyn_progress"] == 0.25
    delete_task(env, "B")
    assert env.get(TASK, "S")["msdyn_summary"] is False


def test_generated_plans_hold_the_plans_rules():
    env = generate_environment(8, SMALL, TODAY)
    tasks = env.rows[TASK]
    children = _children(tasks)
    for key, t in tasks.items():
        kids = children.get(key, [])
        assert t["msdyn_summary"] == bool(kids)
        if kids:
            assert 2 <= len(kids) <= 6
            assert t["msdyn_effort"] == pytest.approx(sum(k["msdyn_effort"] for k in kids))
            done = sum(k["msdyn_effortcompleted"] for k in kids)
            assert t["msdyn_effortcompleted"] == pytest.approx(done)
            assert t["msdyn_progress"] == pytest.approx(done / t["msdyn_effort"], abs=1e-4)
            assert t["msdyn_scheduledstart"] == min(k["msdyn_scheduledstart"] for k in kids)
            assert t["msdyn_scheduledend"] == max(k["msdyn_scheduledend"] for k in kids)
            assert all(k["msdyn_outlinelevel"] == t["msdyn_outlinelevel"] + 1 for k in kids)
        elif t["msdyn_ismilestone"]:
            assert t["msdyn_duration"] == 0 and t["msdyn_effort"] == 0
            assert t["msdyn_scheduledstart"] == t["msdyn_scheduledend"]
        else:
            assert t["msdyn_effort"] > 0 and 0 <= t["msdyn_progress"] <= 1
            assert t["msdyn_effortcompleted"] == round(t["msdyn_effort"] * t["msdyn_progress"], 2)
            assert t["msdyn_scheduledstart"].endswith("T08:00:00Z")
            assert t["msdyn_scheduledend"].endswith("T17:00:00Z")
    levels = Counter(t["msdyn_outlinelevel"] for t in tasks.values())
    assert set(levels) == {1, 2, 3}
    progress = Counter(t["msdyn_progress"] for t in tasks.values() if not t["msdyn_summary"])
    assert progress[0.0] and progress[1.0] and len(progress) > 2
    for p in env.rows["msdyn_project"].values():
        top = [t for t in tasks.values() if t["_msdyn_project_value"] == p["msdyn_projectid"]
               and t["_msdyn_parenttask_value"] is None]  # fmt: skip
        assert p["msdyn_effort"] == pytest.approx(sum(t["msdyn_effort"] for t in top))
        assert p["msdyn_finish"] == max(t["msdyn_scheduledend"] for t in top)
        mine = sorted((t for t in tasks.values()
                       if t["_msdyn_project_value"] == p["msdyn_projectid"]),
                      key=lambda t: t["msdyn_displaysequence"])  # fmt: skip
        seen: set[str] = set()
        for t in mine:  # plan order: a parent before its children
            assert t["_msdyn_parenttask_value"] in seen | {None}
            seen.add(t["msdyn_projecttaskid"])
    late = [p for p in env.rows["msdyn_project"].values()
            if p["msdyn_finish"] < "2026-03-02" and p["msdyn_progress"] < 1]  # fmt: skip
    assert late


def test_dependencies_assignments_and_teams_are_consistent():
    env = generate_environment(9, SMALL, TODAY)
    tasks = env.rows[TASK]
    leaves = [t for t in tasks.values() if not t["msdyn_summary"]]
    links = list(env.rows["msdyn_projecttaskdependency"].values())
    assert 0.6 <= len(links) / len(leaves) <= 1.0  # about 0.8 per leaf
    for d in links:
        before = tasks[d["_msdyn_predecessortask_value"]]
        after = tasks[d["_msdyn_successortask_value"]]
        assert d["msdyn_projecttaskdependencylinktype"] == 1
        assert not before["msdyn_summary"] and not after["msdyn_summary"]
        assert before["_msdyn_project_value"] == after["_msdyn_project_value"]
        assert before["msdyn_displaysequence"] < after["msdyn_displaysequence"]  # so no cycle
        assert before["msdyn_scheduledend"] <= after["msdyn_scheduledstart"] or (
            after["msdyn_ismilestone"]
            and before["msdyn_scheduledend"][:10] <= after["msdyn_scheduledstart"][:10]
        )
    team = env.rows["msdyn_projectteam"]
    per_project = Counter(m["_msdyn_project_value"] for m in team.values())
    assert all(4 <= n <= 10 + 5 for n in per_project.values())  # + the quirks' five
    by_task: dict[str, list[dict]] = {}
    for a in env.rows[ASSIGNMENT].values():
        by_task.setdefault(a["_msdyn_taskid_value"], []).append(a)
        member = team[a["_msdyn_projectteamid_value"]]
        assert member["_msdyn_bookableresourceid_value"] == a["_msdyn_bookableresourceid_value"]
        assert member["_msdyn_project_value"] == a["_msdyn_projectid_value"]
    for t in tasks.values():
        mine = by_task.get(t["msdyn_projecttaskid"], [])
        if t["msdyn_summary"] or t["msdyn_ismilestone"]:
            assert not mine
            continue
        assert 1 <= len(mine) <= 2
        assert sum(a["msdyn_effort"] for a in mine) == pytest.approx(t["msdyn_effort"])
        assert {(a["msdyn_start"], a["msdyn_finish"]) for a in mine} == {
            (t["msdyn_scheduledstart"], t["msdyn_scheduledend"])
        }
    priorities = Counter(t["msdyn_priority"] for t in tasks.values())
    assert {1, 3, 5, 9} <= set(priorities) and set(priorities) <= set(range(11))


# -- churn -----------------------------------------------------------------------------------


def test_delete_project_cascades_to_its_schedule_and_nothing_else():
    env = generate_environment(5, "XS", TODAY)
    gone, kept = sorted(env.rows["msdyn_project"])[:2]
    before = {table: len(rows) for table, rows in env.rows.items()}
    owned = {
        "msdyn_projectbucket": "_msdyn_project_value", TASK: "_msdyn_project_value",
        "msdyn_projecttaskdependency": "_msdyn_project_value",
        ASSIGNMENT: "_msdyn_projectid_value", "msdyn_projectteam": "_msdyn_project_value",
    }  # fmt: skip
    counts = {table: sum(r[column] == gone for r in env.rows[table].values())
              for table, column in owned.items()}  # fmt: skip
    assert all(counts.values())
    version = env.version
    deletions = delete_project(env, gone)
    assert len(deletions) == sum(counts.values()) + 1
    assert env.get("msdyn_project", gone) is None and env.get("msdyn_project", kept)
    for table, column in owned.items():
        assert not any(r[column] == gone for r in env.rows[table].values())
        assert len(env.rows[table]) == before[table] - counts[table]
    assert len(env.rows["systemuser"]) == before["systemuser"]
    _, deleted = env.changes_since(TASK, version)
    assert len(deleted) == counts[TASK]


def test_churn_touches_the_fraction_asked_and_says_what_it_did():
    env = generate_environment(7, "S", TODAY)
    before = {k: dict(v) for k, v in env.rows[TASK].items()}
    version = env.version
    report = churn(env, seed=3, fraction=0.05)
    # 5 % of 600 tasks = 30 leaves edited; a tenth of that (3) of each structural edit
    assert len(report.edited) == 30
    assert len(report.added) == 3 and len(report.deleted) >= 3 and len(report.moved) == 3
    assert len(report.dependencies_added) == 3 and len(report.dependencies_deleted) == 3
    assert len(report.reassigned) == 3 and len(report.renamed) == 1
    for task_id in report.edited:
        now = env.rows[TASK][task_id]
        assert now["versionnumber"] > version
        columns = ("msdyn_progress", "msdyn_scheduledstart", "msdyn_effort")
        assert any(now[c] != before[task_id][c] for c in columns)
    changed, deleted = env.changes_since(TASK, version)
    assert sorted(r["msdyn_projecttaskid"] for r in changed) == report.changed[TASK]
    assert set(report.edited) | set(report.added) | set(report.moved) <= set(report.changed[TASK])
    assert set(deleted) == set(report.deleted)
    assert report.tasks_touched == set(report.changed[TASK]) | set(deleted)
    untouched = set(before) - report.tasks_touched
    assert all(env.rows[TASK][k]["versionnumber"] < version for k in untouched)

    again = generate_environment(7, "S", TODAY)
    second = churn(again, seed=3, fraction=0.05)
    assert (second.edited, second.added, second.deleted) == (
        report.edited, report.added, report.deleted,
    )  # fmt: skip
    assert _stable(again, WALL_CLOCK) == _stable(env, WALL_CLOCK)


def test_edit_tasks_keeps_assignments_in_step():
    env = generate_environment(2, SMALL, TODAY)
    edited = edit_tasks(env, random.Random(1), 0.1)
    assert len(edited) == 24  # 10 % of 240
    for task_id in edited:
        task = env.rows[TASK][task_id]
        mine = [a for a in env.rows[ASSIGNMENT].values() if a["_msdyn_taskid_value"] == task_id]
        assert sum(a["msdyn_effort"] for a in mine) == pytest.approx(task["msdyn_effort"])
        for a in mine:
            assert (a["msdyn_start"], a["msdyn_finish"]) == (
                task["msdyn_scheduledstart"], task["msdyn_scheduledend"],
            )  # fmt: skip


def test_structural_edits():
    env, project = _hand_built()
    env.upsert("msdyn_projectbucket", {"msdyn_projectbucketid": "K", "msdyn_name": "Do",
                                       "_msdyn_project_value": project})  # fmt: skip
    env.upsert("bookableresource", {"bookableresourceid": "R", "name": "Designer",
                                    "resourcetype": 1})  # fmt: skip
    roll_up(env, project)
    add_dependency(env, "A", "B")
    with pytest.raises(ValueError, match="cycle"):
        add_dependency(env, "B", "A")
    with pytest.raises(ValueError, match="exists"):
        add_dependency(env, "A", "B")
    env.upsert(ASSIGNMENT, {"msdyn_resourceassignmentid": "X", "_msdyn_taskid_value": "A",
                            "_msdyn_projectid_value": project, "msdyn_effort": 8.0})  # fmt: skip
    # a child under leaf A: A becomes a summary of the new 8 h task, its order right after A,
    # and loses its own assignment (a summary task has none)
    new = add_task(env, project, "Sub", parent_id="A", effort=8.0, resource_ids=["R"])
    row = env.get(TASK, new)
    assert env.get(TASK, "A")["msdyn_summary"] is True
    assert env.get(ASSIGNMENT, "X") is None
    assert 2.0 < row["msdyn_displaysequence"] < 3.0 and row["msdyn_outlinelevel"] == 3
    # S: A (now 8 h, 0 done) + B (16 h, 4 done) = 24 h, 4 done
    assert env.get(TASK, "S")["msdyn_effortcompleted"] == 4
    [assignment] = env.find(ASSIGNMENT, _msdyn_taskid_value=new)
    member = env.get("msdyn_projectteam", assignment["_msdyn_projectteamid_value"])
    assert member["_msdyn_bookableresourceid_value"] == "R"
    move_task(env, new, "K")
    assert env.get(TASK, new)["_msdyn_projectbucket_value"] == "K"
    env.upsert("bookableresource", {"bookableresourceid": "Q", "name": "Writer",
                                    "resourcetype": 1})  # fmt: skip
    reassign(env, assignment["msdyn_resourceassignmentid"], "Q")
    moved = env.get(ASSIGNMENT, assignment["msdyn_resourceassignmentid"])
    assert moved["_msdyn_bookableresourceid_value"] == "Q"
    member = env.get("msdyn_projectteam", moved["_msdyn_projectteamid_value"])
    assert member["msdyn_name"] == "Writer"


# -- the snapshot ----------------------------------------------------------------------------


def test_snapshot_people_keys_scope_and_predecessors():
    env = generate_environment(6, "XS", TODAY)
    users = {u["systemuserid"]: u for u in env.rows["systemuser"].values()}
    resources = list(env.rows["bookableresource"].values())
    snap = environment_snapshot(env)
    assert set(snap["projects"]) == set(env.rows["msdyn_project"])
    assert len(snap["tasks"]) == 90
    generic = next(r for r in resources if r["resourcetype"] == 1)
    contact = next(r for r in resources if r["resourcetype"] == 2)
    assert snap["people"][f"resource:{generic['bookableresourceid']}"]["email"] is None
    assert snap["people"][f"resource:{contact['bookableresourceid']}"]["email"] == (
        contact["msdyn_primaryemail"]
    )
    for resource in resources:
        user = users.get(resource["_userid_value"] or "")
        if user is not None and user["azureactivedirectoryobjectid"] in snap["people"]:
            person = snap["people"][user["azureactivedirectoryobjectid"]]
            assert person["name"] == user["fullname"]
            assert person["email"] == user["internalemailaddress"]
    for key, project in snap["projects"].items():
        manager = users.get(env.rows["msdyn_project"][key]["_msdyn_projectmanager_value"] or "")
        assert project["manager"] == (manager["azureactivedirectoryobjectid"] if manager else None)
    for d in env.rows["msdyn_projecttaskdependency"].values():
        assert d["_msdyn_predecessortask_value"] in (
            snap["tasks"][d["_msdyn_successortask_value"]]["predecessors"]
        )
    # the actual end as an instant with its UTC offset: "...T17:00:00Z" -> "...T17:00:00+00:00"
    for key, t in env.rows[TASK].items():
        end = t["msdyn_actualend"]
        assert snap["tasks"][key]["actualend"] == (end[:-1] + "+00:00" if end else None)
    assert any(t["actualend"] for t in snap["tasks"].values())
    assert all(t["predecessors"] == sorted(t["predecessors"]) for t in snap["tasks"].values())
    for key, a in snap["assignments"].items():
        row = env.rows[ASSIGNMENT][key]
        assert (a["task"], a["effort"]) == (row["_msdyn_taskid_value"], row["msdyn_effort"])
        assert a["start"] == row["msdyn_start"][:10]

    # scope: a name (case and spacing ignored) takes both projects of that name
    shared = Counter(p["msdyn_subject"] for p in env.rows["msdyn_project"].values())
    name = next(n for n, c in shared.items() if c == 2)
    scoped = environment_snapshot(env, ["  " + name.upper().replace(" ", "   ")])
    assert len(scoped["projects"]) == 2
    assert {t["project"] for t in scoped["tasks"].values()} == set(scoped["projects"])
    one = next(iter(env.rows["msdyn_project"]))
    assert list(environment_snapshot(env, [one])["projects"]) == [one]
