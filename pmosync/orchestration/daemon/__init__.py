"""The embedded scheduler daemon: one active instance per store, every scheduled tick run once.

``service`` holds the lifecycle, ``lease`` who may schedule, ``ticks`` which scheduled times
have run, ``scheduler`` the APScheduler wiring, ``health`` the /healthz and /metrics server.
What a schedule means is ``pmosync.orchestration.cron``, shared with ``pmosync run`` and the
Temporal schedules. Nothing is imported here.
"""
