"""What runs when: the jobs (a sync, a report) and the engines that schedule them.

The layer above both ``sync`` and ``reports``: ``sync`` knows nothing of reports, and a report
runs on what the syncs left in the store. The jobs themselves are plain functions
(``jobs``); each engine is a thin adapter over them:

- ``pmosync run`` (cron, a systemd timer, a CronJob): one sync, then the reports due;
- ``daemon``: the embedded APScheduler daemon, one active instance per store by a lease;
- ``temporal``: workflows and activities for a Temporal cluster, its Schedules made equal to
  the YAML, many workers sharing the work (the ``pmosync[temporal]`` extra).

Nothing is imported here, so ``pmosync run`` never loads the daemon or the Temporal SDK.
"""
