"""Connector plumbing: the request limiter, the per-item fan-out, the time-entry windows."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from pmosync.connectors.asana.streams import date_windows
from pmosync.connectors.errors import NotFound
from pmosync.connectors.limiter import RateLimiter
from pmosync.connectors.parallel import Finished, fan_out


class FakeClock:
    """Time that moves only when the limiter sleeps, so spacing is checked exactly."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_requests_are_spaced_evenly_at_the_quota():
    clock = FakeClock()
    limiter = RateLimiter(120, clock=clock, sleep=clock.sleep)  # one every 0.5 s
    for _ in range(5):
        limiter.acquire()
    assert clock.slept == [0.5, 0.5, 0.5, 0.5]
    # 5 requests took 2 s: never more than 120 in any minute


def test_retry_after_holds_every_caller_back():
    clock = FakeClock()
    limiter = RateLimiter(6000, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.pause(7)
    limiter.acquire()
    assert clock.slept == [7.0]


def test_a_lower_quota_takes_effect_at_once():
    clock = FakeClock()
    limiter = RateLimiter(1500, clock=clock, sleep=clock.sleep)
    limiter.set_rate(150)
    limiter.acquire()
    limiter.acquire()
    assert clock.slept == [0.4]


def test_fan_out_yields_every_page_of_every_item_in_item_order():
    def read(item: int):
        for page in range(item):
            yield (item, page)

    seen: dict[int, list[int]] = {}
    finished = []
    for event in fan_out(range(1, 6), read, workers=3):
        if isinstance(event, Finished):
            finished.append(event.item)
            assert seen.get(event.item, []) == list(range(event.item))
        else:
            item, (_, page) = event
            seen.setdefault(item, []).append(page)
    assert sorted(finished) == [1, 2, 3, 4, 5]
    assert seen == {n: list(range(n)) for n in range(1, 6)}


def test_fan_out_skips_an_item_that_fails_alone_and_stops_on_anything_else():
    def read(item: str):
        if item == "gone":
            raise NotFound("project gone: 404")
        if item == "bug":
            raise KeyError("boom")
        yield item

    events = list(fan_out(["a", "gone", "b"], read, workers=2, skip=(NotFound,)))
    skipped = [e for e in events if isinstance(e, Finished) and e.error is not None]
    assert [e.item for e in skipped] == ["gone"]
    assert sorted(e[1] for e in events if not isinstance(e, Finished)) == ["a", "b"]
    with pytest.raises(KeyError):
        list(fan_out(["a", "bug"], read, workers=2, skip=(NotFound,)))


def test_fan_out_stops_its_workers_when_the_consumer_stops_early():
    started = threading.Event()

    def read(item: int):
        started.set()
        yield from range(10_000)

    before = set(threading.enumerate())
    pages = fan_out(range(4), read, workers=2)
    next(pages)
    pages.close()
    assert started.is_set()
    # threads other tests left behind do not count; the fan-out's own must be gone
    assert [t for t in threading.enumerate() if t not in before and t.is_alive()] == []


@pytest.mark.parametrize(
    ("first", "span", "parts"),
    [(date(2008, 1, 1), 30, 12), (date(2026, 10, 25), 8, 4), (date(2026, 11, 24), 1, 0)],
)
def test_date_windows_cover_every_day_once(first, span, parts):
    today = date(2026, 11, 24)
    windows = date_windows(first, today, span_days=span, parts=parts)
    assert windows[0] == (date(2026, 11, 25), None)  # entries dated in the future
    assert windows[-1][0] == first
    for (begin, _), (_, older_end) in zip(windows, windows[1:], strict=False):
        assert older_end == begin - timedelta(days=1)  # no gap, no overlap
    assert len(windows) <= parts + 2
