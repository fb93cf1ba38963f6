"""Report metrics: pure functions over a ``Dataset`` and the report's rules and resources.

Every figure a report shows is computed here, once, from rows a test can build by hand; builders
in ``pmosync.reports.kinds`` only arrange the results. Submodules are imported by whoever needs
them, so importing this package costs nothing.
"""
