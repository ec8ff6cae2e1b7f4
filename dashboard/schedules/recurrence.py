"""When a schedule is due: its recurrence as a cron expression, read by croniter.

Every recurrence the form offers is a cron expression in the schedule's timezone
(daily ``M H * * *``, workdays ``M H * * 1-5``, weekly ``M H * * 1,3``, monthly
``M H D * *`` or ``M H L * *`` for the last day), so one library does every date
computation: month lengths, leap years, and the local time of the zone. Workdays
are Monday to Friday (DingTalk's holiday calendar is not published to apps).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadCronError, croniter
from flask_babel import gettext as _

#: ISO weekday (Monday = 1 ... Sunday = 7) -> cron's (Sunday = 0).
_CRON_DOW = {1: "1", 2: "2", 3: "3", 4: "4", 5: "5", 6: "6", 7: "0"}


class RecurrenceError(ValueError):
    """A recurrence that cannot be used; the message is for the admin."""


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (RecurrenceError when unknown)."""
    try:
        if not name or name not in _zone_names():
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecurrenceError(
            _("Unknown time zone %(zone)s: use an IANA name such as Asia/Shanghai.", zone=name)
        ) from None


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def parse_time_of_day(value: str | None) -> tuple[int, int]:
    """ "HH:MM" -> (hour, minute)."""
    try:
        hour_text, minute_text = (value or "").strip().split(":")
        hour, minute = int(hour_text), int(minute_text)
        if 0 <= hour <= 23 and 0 <= minute <= 59 and hour_text.isdigit() and minute_text.isdigit():
            return hour, minute
    except ValueError:
        pass
    raise RecurrenceError(_("Give the time of day as HH:MM, for example 09:30."))


def build_cron(
    kind: str,
    time_of_day: str | None = None,
    weekdays: list[int] | None = None,
    monthday: str | None = None,
    cron: str | None = None,
) -> str:
    """The cron expression of a recurrence (RecurrenceError with the admin's message)."""
    if kind == "cron":
        expression = " ".join((cron or "").split())
        if not expression:
            raise RecurrenceError(_("Give a cron expression, for example 0 9 * * 1-5."))
        if len(expression.split()) != 5 or not croniter.is_valid(expression):
            raise RecurrenceError(
                _(
                    "%(cron)s is not a cron expression of five fields "
                    "(minute hour day-of-month month day-of-week).",
                    cron=expression,
                )
            )
        return expression
    hour, minute = parse_time_of_day(time_of_day)
    if kind == "daily":
        return f"{minute} {hour} * * *"
    if kind == "workdays":
        return f"{minute} {hour} * * 1-5"
    if kind == "weekly":
        days = sorted({int(d) for d in weekdays or [] if int(d) in _CRON_DOW})
        if not days:
            raise RecurrenceError(_("Choose at least one day of the week."))
        return f"{minute} {hour} * * {','.join(_CRON_DOW[d] for d in days)}"
    if kind == "monthly":
        day = (monthday or "").strip().upper()
        if day != "L" and not (day.isdigit() and 1 <= int(day) <= 31):
            raise RecurrenceError(_("Choose a day of the month, 1 to 31, or the last day."))
        return f"{minute} {hour} {day} * *"
    raise RecurrenceError(_("Unknown recurrence %(kind)s.", kind=kind))


def _aware_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def occurrences(cron: str, tz: str, after: datetime) -> Iterator[datetime]:
    """The due times of ``cron`` in zone ``tz`` strictly after ``after``, as naive UTC."""
    local = _aware_utc(after).astimezone(zone(tz))
    for moment in croniter(cron, local).all_next(datetime):
        yield moment.astimezone(UTC).replace(tzinfo=None)


def next_after(cron: str, tz: str, after: datetime) -> datetime:
    """The first due time of ``cron`` after ``after`` (naive UTC)."""
    return next(occurrences(cron, tz, after))


def count_between(cron: str, tz: str, start: datetime, end: datetime, limit: int = 10_000) -> int:
    """How many due times fall in (start, end] (at most ``limit``)."""
    count = 0
    for moment in occurrences(cron, tz, start):
        if moment > end or count >= limit:
            break
        count += 1
    return count


def smallest_gap(cron: str, tz: str, after: datetime, samples: int = 30) -> timedelta:
    """The shortest time between two consecutive due times among the next ``samples``."""
    times = []
    for moment in occurrences(cron, tz, after):
        times.append(moment)
        if len(times) >= samples:
            break
    return min((b - a for a, b in zip(times, times[1:], strict=False)), default=timedelta.max)


def local(moment: datetime | None, tz: str) -> datetime | None:
    """A naive-UTC time in zone ``tz`` (for display)."""
    if moment is None:
        return None
    return _aware_utc(moment).astimezone(zone(tz))


def to_utc(moment: datetime, tz: str) -> datetime:
    """A time read in zone ``tz`` (naive = that zone's wall clock) as naive UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz))
    return moment.astimezone(UTC).replace(tzinfo=None)


def is_cron_error(exc: Exception) -> bool:
    return isinstance(exc, CroniterBadCronError | RecurrenceError)
