"""Stories: the comments on a task (the only stories the API creates)."""

from __future__ import annotations

from pmosync.sandbox.asana import body
from pmosync.sandbox.asana.call import Call, Reply
from pmosync.sandbox.asana.index import EMPTY
from pmosync.sandbox.asana.routes.tasks import org_errors
from pmosync.sandbox.asana.routing import Route


def task_stories(call: Call) -> Reply:
    """Oldest first, paged like every listing."""
    task = call.task(call.arg("task_gid"))
    keys = call.env.index.stories_by_task.get(task.gid, EMPTY)
    return call.many("story", keys.after, call.org.stories.get)


def create_story(call: Call) -> Reply:
    """``POST /tasks/{gid}/stories``: a comment by the caller, ``text`` or ``html_text`` (not
    both, as the spec says); the task's ``modified_at`` moves."""
    task = call.task(call.arg("task_gid"))
    data = call.data()
    text, html = body.text_or_html(data, exclusive=True)
    pinned = bool(body.boolean(data, "is_pinned"))
    with org_errors():
        gid = call.org.add_story(task.gid, text, call.user_gid, html_text=html, is_pinned=pinned)
    return call.one("story", call.org.stories[gid], status=201)


def get_story(call: Call) -> Reply:
    story = call.lookup("story", call.org.stories, call.arg("story_gid"))
    call.task(story.task_gid, "story")
    return call.one("story", story)


ROUTES = (
    Route("GET", "/tasks/{task_gid}/stories", task_stories),
    Route("POST", "/tasks/{task_gid}/stories", create_story),
    Route("GET", "/stories/{story_gid}", get_story),
)
