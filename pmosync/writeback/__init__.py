"""Write-back: the PMO's conclusions returned to each team's own tool, governed.

``verdicts`` judges the projects as the named report does, ``plan`` decides which owned fields
need writing (pure), a connector's ``Target`` (``asana``, ``planner``) reads and writes its
tool, and ``run`` ties them together with the write ledger (``store.write_ledger``), so a plan
shows exactly what an apply will do, and an apply run twice writes nothing the second time.
Nothing here is imported by the sync engine or the reports: they sit below it.
"""
