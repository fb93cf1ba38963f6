"""What a schedule from the YAML means: the ticks of a cron expression, read with croniter.

The config is validated with croniter, so the daemon and ``pmosync run`` read it with croniter
too, rather than APScheduler's own ``CronTrigger``: the two disagree where it matters (APScheduler
counts day-of-week 0 as Monday and requires day-of-month AND day-of-week to match, where cron
means Sunday and OR). Five fields are the norm; six have seconds first (Quartz/Spring order).

Ticks are taken in the zone the caller passes: the organisation's (``organisation.timezone``),
else the machine's local one, as the crontab the PSO knows would read them; they are returned
as aware datetimes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from croniter import croniter


def local_zone() -> tzinfo:
    """The machine's time zone (TZ, /etc/localtime), the one cron itself would use."""
    from tzlocal import get_localzone

    return get_localzone()


def _iterator(expression: str, start: datetime) -> croniter:
    fields = expression.split()
    return croniter(" ".join(fields), start, second_at_beginning=len(fields) == 6)


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    zone = zone or local_zone()
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def latest_tick(expression: str, now: datetime, zone: tzinfo | None = None) -> datetime:
    """The most recent tick at or before ``now`` (a naive ``now`` is local time)."""
    now = _local(now, zone)
    # Ticks fall on whole seconds: the greatest tick before the next second is the one at or
    # before ``now``, including ``now`` itself.
    after = now.replace(microsecond=0) + timedelta(seconds=1)
    return _iterator(expression, after).get_prev(datetime)


def next_tick(expression: str, after: datetime, zone: tzinfo | None = None) -> datetime:
    """The first tick strictly after ``after``."""
    return _iterator(expression, _local(after, zone)).get_next(datetime)
