"""The scheduler daemon: one active instance per store, every scheduled tick run once.

``service`` holds the lifecycle, ``lease`` who may schedule, ``ticks`` which scheduled times
have run, ``scheduler`` the APScheduler wiring, ``health`` the /healthz and /metrics server and
``cron`` what a schedule means. Nothing is imported here: ``pmosync run`` needs only ``cron``.
"""
