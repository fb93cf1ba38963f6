"""The Temporal engine: pmosync's jobs as workflows and activities on a Temporal cluster.

- ``ids``: the names pmosync owns on the cluster (workflow and schedule ids, per store);
- ``requests``: what a workflow is started with (plain dataclasses, the payloads);
- ``calendar``: a cron expression from the YAML as Temporal calendar specs;
- ``connect``: the client, with TLS, mutual TLS or a Temporal Cloud API key;
- ``workflows``: thin, deterministic workflows (a tick, a connector's sync, a report);
- ``activities``: the work itself, through the same job functions as the daemon and
  ``pmosync run`` (``sync.run.run_sync``, ``reports.job.run_report``);
- ``schedules``: the cluster's Schedules made equal to the YAML (``pmosync schedules apply``);
- ``worker``: ``pmosync worker``; ``submit``: ``pmosync sync`` through the cluster.

Nothing is imported here: the SDK is an optional extra (``pmosync[temporal]``).
"""
