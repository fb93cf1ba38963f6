"""Connector plumbing: the request limiter (per token, with headroom), the per-item fan-out,
the time-entry windows."""

from __future__ import annotations

import random
import threading
from datetime import date, timedelta

import pytest

from pmosync.connectors.asana.streams import date_windows
from pmosync.connectors.errors import NotFound
from pmosync.connectors.limiter import HEADROOM, RateLimiter, shared_limiter
from pmosync.connectors.parallel import Finished, fan_out


class FakeClock:
    """Time that moves only when a caller waits out what the limiter asked, so spacing is
    checked exactly."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def take(self, limiter: RateLimiter) -> tuple[float, str]:
        """One request's slot, waited out: (seconds waited, why)."""
        wait, reason = limiter.reserve()
        self.now += wait
        return round(wait, 6), reason


def test_requests_are_spaced_evenly_with_a_tenth_of_the_quota_to_spare():
    clock = FakeClock()
    limiter = RateLimiter(120, reason="Asana quota", clock=clock)
    waits = [clock.take(limiter) for _ in range(5)]
    # 120/min less 10 % headroom is 108/min: one every 60/108 = 0.555556 s
    assert waits == [(0.0, "Asana quota")] + [(0.555556, "Asana quota")] * 4


def _most_in_any_minute(arrivals: list[float]) -> int:
    arrivals = sorted(arrivals)
    most, first = 0, 0
    for last, at in enumerate(arrivals):
        while arrivals[first] <= at - 60:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.parametrize(("headroom", "over_quota"), [(HEADROOM, False), (1.0, True)])
def test_a_server_counting_exactly_the_quota_sees_no_excess_thanks_to_the_headroom(
    headroom, over_quota
):
    """Requests leave evenly but arrive with up to 30 ms of network jitter: at the full
    quota the server's own sliding minute sees more than 1,500 now and then; 10 % below it
    never does."""
    clock, jitter = FakeClock(), random.Random(7)
    limiter = RateLimiter(1500, headroom=headroom, clock=clock)
    arrivals = []
    for _ in range(4000):
        clock.take(limiter)
        arrivals.append(clock.now + jitter.uniform(0, 0.03))
    assert (_most_in_any_minute(arrivals) > 1500) is over_quota


def test_retry_after_holds_every_caller_back_and_says_why():
    clock = FakeClock()
    limiter = RateLimiter(6000, reason="Asana quota", clock=clock)
    clock.take(limiter)
    limiter.pause(7, "HTTP 429 from Asana")
    assert clock.take(limiter) == (7.0, "HTTP 429 from Asana")
    assert clock.take(limiter)[1] == "Asana quota"


def test_a_lower_quota_takes_effect_at_once():
    clock = FakeClock()
    limiter = RateLimiter(1500, clock=clock)
    limiter.set_rate(150)
    clock.take(limiter)
    assert clock.take(limiter)[0] == 0.444444  # 60 / (150 x 0.9)


def test_connectors_with_one_token_share_one_limiter_at_the_lowest_quota():
    first = shared_limiter("Asana", "app.asana.com", "token-a", 1500)
    second = shared_limiter("Asana", "app.asana.com", "token-a", 150)
    other_token = shared_limiter("Asana", "app.asana.com", "token-b", 1500)
    other_host = shared_limiter("Asana", "127.0.0.1:8080", "token-a", 1500)
    assert first is second and first.per_minute == 150
    assert other_token is not first and other_host is not first
    assert first.reason == "Asana quota"


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
