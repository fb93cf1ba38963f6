"""The connectors' one retry policy: what is tried again, how long each wait is, how a wait is
cut short by a stop and reported to whoever watches.

The figures are worked by hand from the policy's documented rules (Retry-After honoured up to
its cap; a 429 without one waits between 1x and 2x a doubling step; 5xx full jitter up to
0.5 x 2^n s), never read back from the code under test.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

import pytest

from pmosync.connectors.limiter import RateLimiter
from pmosync.connectors.paging import StopRequested
from pmosync.connectors.retry import Attempts, RetryPolicy, parse_retry_after

NOW = datetime(2026, 3, 2, 7, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("Mon, 02 Mar 2026 07:01:30 GMT", 90.0),  # an HTTP-date 90 s from NOW
        ("Mon, 02 Mar 2026 06:59:00 GMT", 0.0),  # already past: go at once
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_as_an_http_date(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def test_429_honours_retry_after_up_to_the_cap_and_pauses_everyone():
    attempts = Attempts(RetryPolicy(retry_after_cap_s=60), "Asana", random.Random(1))
    first = attempts.after_status(429, "7")
    assert (first.seconds, first.reason, first.throttled) == (7.0, "HTTP 429 from Asana", True)
    assert attempts.after_status(429, "3600").seconds == 60.0


def test_429_without_retry_after_backs_off_exponentially_with_jitter():
    """Graph's guidance: not a flat second. The n-th wait lies in [2^(n-1), 2^n] s."""
    policy = RetryPolicy(max_throttled=6, throttle_base_s=1.0, retry_after_cap_s=120)
    for seed in range(20):
        attempts = Attempts(policy, "Microsoft Graph", random.Random(seed))
        waits = [attempts.after_status(429).seconds for _ in range(6)]
        for n, wait in enumerate(waits, start=1):
            assert 2 ** (n - 1) <= wait <= 2**n, (seed, waits)
    spread = {round(Attempts(policy, "x", random.Random(s)).after_status(429).seconds, 3)
              for s in range(20)}  # fmt: skip
    assert len(spread) > 10, "jittered, so parallel workers do not retry in step"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_backs_off_with_full_jitter_or_waits_for_its_retry_after(status):
    policy = RetryPolicy(max_failures=4, backoff_base_s=0.5, backoff_cap_s=30)
    attempts = Attempts(policy, "Asana", random.Random(3))
    waits = [attempts.after_status(status) for _ in range(3)]
    assert all(not w.throttled and w.reason == f"HTTP {status} from Asana" for w in waits)
    assert [w.seconds <= 0.5 * 2**n for n, w in enumerate(waits, start=1)] == [True] * 3
    assert attempts.after_status(status, "12").seconds == 12.0


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 412, 501])
def test_other_statuses_are_never_retried(status):
    attempts = Attempts(RetryPolicy(), "Asana", random.Random(0))
    assert attempts.after_status(status) is None
    assert attempts.tries == 0


def test_attempts_are_bounded_by_count_and_by_total_wait():
    policy = RetryPolicy(max_throttled=3, max_failures=2, max_total_wait_s=100)
    attempts = Attempts(policy, "Asana", random.Random(0))
    assert [attempts.after_status(429, "1") is not None for _ in range(4)] == [
        True, True, True, False]  # fmt: skip
    assert attempts.tries == 4
    dropped = Attempts(policy, "Asana", random.Random(0))
    assert [dropped.after_drop() is not None for _ in range(3)] == [True, True, False]
    budget = Attempts(policy, "Asana", random.Random(0))
    assert budget.after_status(503, "60") is not None
    assert budget.after_status(503, "60") is None, "60 + 60 s is past the 100 s budget"


class _StopAfter:
    """A stop flag that turns on at its ``n``-th look (the run's Event, set mid-wait)."""

    def __init__(self, n: int) -> None:
        self.looks, self.n = 0, n

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks >= self.n


def test_a_stop_cuts_any_wait_short():
    stop = _StopAfter(3)
    policy = RetryPolicy().for_run(stop)
    with pytest.raises(StopRequested):
        policy.sleep(3600, "HTTP 503 from Asana")  # would hang an hour if it did not look
    assert stop.looks == 3


def test_a_stop_cuts_an_async_wait_short():
    import asyncio

    policy = RetryPolicy().for_run(_StopAfter(2))
    with pytest.raises(StopRequested):
        asyncio.run(policy.sleep_async(3600, "Asana quota"))


def test_a_stopped_run_does_not_start_a_wait():
    stop = threading.Event()
    stop.set()
    with pytest.raises(StopRequested):
        RetryPolicy().for_run(stop).sleep(0.5, "Asana quota")


def test_retry_waits_are_reported_and_quota_pacing_only_from_a_second_up():
    heard: list[tuple[float, str]] = []
    policy = RetryPolicy().for_run(None, lambda seconds, reason: heard.append((seconds, reason)))
    policy.sleep(0.2, "HTTP 503 from Asana")
    limiter = RateLimiter(6000, reason="Asana quota")  # a slot every 0.011 s
    limiter.acquire(policy)
    limiter.acquire(policy)  # ordinary pacing: not worth a mention
    limiter.pause(0.3, "HTTP 429 from Asana")
    limiter.acquire(policy)
    assert [reason for _, reason in heard] == ["HTTP 503 from Asana", "HTTP 429 from Asana"]
    assert heard[0][0] == 0.2 and 0.2 < heard[1][0] <= 0.3
