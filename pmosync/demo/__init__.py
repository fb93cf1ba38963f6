"""``pmosync demo``: a generated organisation served by the sandboxes, synced and reported on.

``world`` builds and serves the organisation (and rebuilds the same one on the next run),
``config_file`` writes the configuration pointing at it, ``mailsink`` keeps the emails,
``tour`` runs the sync and the reports through the production code, ``summary`` says what
happened. Only the demo and the tests import the sandboxes.
"""
