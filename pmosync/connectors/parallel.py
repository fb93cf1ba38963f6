"""Fetch several independent listings at once and hand their pages over one by one.

Each item (a project, say) is read by a worker thread from start to end; its pages reach the
consumer in order, interleaved with other items' pages, through a bounded queue so a slow store
holds the workers back instead of letting pages pile up in memory. A failure confined to one
item (``skip``) is reported and the others go on; any other exception stops everything and is
re-raised in the consumer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Out = TypeVar("Out")


@dataclass(frozen=True, slots=True)
class Finished(Generic[Item]):
    """The last word about one item: done, or skipped with the error that skipped it."""

    item: Item
    error: Exception | None = None


_STOP = object()
_worker = threading.local()


def abandoned() -> bool:
    """True inside a ``fan_out`` worker whose fan-out was given up (a sibling failed, the
    consumer stopped reading): a long listing in that worker stops at its next page instead of
    running on unseen (``PageGuard`` asks this before every request)."""
    cancelled = getattr(_worker, "cancelled", None)
    return cancelled is not None and cancelled.is_set()


def fan_out(
    items: Iterable[Item],
    read: Callable[[Item], Iterator[Out]],
    *,
    workers: int,
    skip: tuple[type[Exception], ...] = (),
) -> Iterator[tuple[Item, Out] | Finished[Item]]:
    """Yield ``(item, page)`` for every page of every item, then ``Finished(item)`` per item."""
    pending: queue.Queue[Item] = queue.Queue()
    for item in items:
        pending.put(item)
    results: queue.Queue[object] = queue.Queue(maxsize=max(2, workers * 2))
    cancelled = threading.Event()

    def put(value: object) -> bool:
        while not cancelled.is_set():
            try:
                results.put(value, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        _worker.cancelled = cancelled
        try:
            while not cancelled.is_set():
                try:
                    item = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    for out in read(item):
                        if not put((item, out)):
                            return
                except skip as error:
                    put(Finished(item, error))
                    continue
                put(Finished(item))
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(error)
        finally:
            put(_STOP)

    count = max(1, min(workers, pending.qsize()))
    threads = [threading.Thread(target=work, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    running = count
    try:
        while running:
            value = results.get()
            if value is _STOP:
                running -= 1
            elif isinstance(value, BaseException):
                raise value
            else:
                yield value  # type: ignore[misc]
    finally:
        cancelled.set()
        for thread in threads:
            thread.join(timeout=5)
