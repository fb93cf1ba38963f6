"""Pausing CPython's cyclic garbage collector while a report makes its many small objects.

A report on a large store makes hundreds of thousands of short tuples, cells and strings at once
(dataset rows, workbook cells, template output). CPython runs a collection every few hundred new
objects, and the older generations' runs traverse everything made so far: on the bench's M store
that was a third of a report's time. Reports make few reference cycles (matplotlib figures are
the known ones), so collecting once afterwards instead frees the same memory a moment later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; nested blocks leave it to the outermost."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
