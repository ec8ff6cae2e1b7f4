"""Recurrences as cron expressions, computed by croniter in the schedule's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice

import pytest

from dashboard.schedules import recurrence
from dashboard.schedules.recurrence import RecurrenceError, build_cron
from tests.schedules.conftest import shanghai

TZ = "Asia/Shanghai"


def next_n(cron: str, after: datetime, n: int, tz: str = TZ) -> list[datetime]:
    return list(islice(recurrence.occurrences(cron, tz, after), n))


def test_each_kind_is_a_cron_expression():
    assert build_cron("daily", "09:30") == "30 9 * * *"
    assert build_cron("workdays", "18:05") == "5 18 * * 1-5"
    assert build_cron("weekly", "09:00", weekdays=[7, 1, 3]) == "0 9 * * 1,3,0"
    assert build_cron("monthly", "09:00", monthday="15") == "0 9 15 * *"
    assert build_cron("monthly", "09:00", monthday="l") == "0 9 L * *"
    assert build_cron("cron", cron="  0  9 * *   1-5 ") == "0 9 * * 1-5"


@pytest.mark.parametrize(
    "kind, kwargs",
    [
        ("daily", {"time_of_day": "25:00"}),
        ("daily", {"time_of_day": "9"}),
        ("weekly", {"time_of_day": "09:00", "weekdays": []}),
        ("monthly", {"time_of_day": "09:00", "monthday": "32"}),
        ("cron", {"cron": "every day"}),
        ("cron", {"cron": "0 9 * *"}),
        ("cron", {"cron": "0 9 * * * *"}),
        ("cron", {"cron": ""}),
        ("hourly", {"time_of_day": "09:00"}),
    ],
)
def test_bad_recurrences_are_refused_with_a_message(kind, kwargs):
    with pytest.raises(RecurrenceError) as err:
        build_cron(kind, **kwargs)
    assert str(err.value)


def test_daily_in_shanghai_is_01_00_utc():
    times = next_n("0 9 * * *", shanghai(2027, 1, 15, 8, 0), 2)
    assert times == [datetime(2027, 1, 15, 1, 0), datetime(2027, 1, 16, 1, 0)]


def test_monthly_on_the_31st_skips_the_short_months():
    times = next_n("0 9 31 * *", shanghai(2027, 1, 15), 4)
    assert times == [
        shanghai(2027, 1, 31, 9, 0),
        shanghai(2027, 3, 31, 9, 0),
        shanghai(2027, 5, 31, 9, 0),
        shanghai(2027, 7, 31, 9, 0),
    ]


def test_the_last_day_of_the_month_across_a_leap_february():
    times = next_n("0 9 L * *", shanghai(2028, 1, 15), 3)
    assert times == [shanghai(2028, 1, 31, 9), shanghai(2028, 2, 29, 9), shanghai(2028, 3, 31, 9)]


def test_workdays_skip_the_weekend():
    # 2027-01-15 is a Friday
    times = next_n("0 9 * * 1-5", shanghai(2027, 1, 15, 10, 0), 2)
    assert times == [shanghai(2027, 1, 18, 9), shanghai(2027, 1, 19, 9)]


def test_a_zone_with_summer_time_keeps_its_wall_clock():
    before, after = next_n("0 9 * * 0", datetime(2027, 3, 1), 3, "America/New_York")[1:3]
    assert before == datetime(2027, 3, 14, 13, 0)  # 09:00 EDT, the day summer time starts
    assert after - before == timedelta(days=7)


def test_an_unknown_zone_is_refused():
    with pytest.raises(RecurrenceError):
        recurrence.zone("Mars/Olympus")
    with pytest.raises(RecurrenceError):
        recurrence.zone("")


def test_the_smallest_gap_and_the_count_between():
    assert recurrence.smallest_gap("0 9 * * *", TZ, shanghai(2027, 1, 1)) == timedelta(days=1)
    assert recurrence.smallest_gap("0 9,17 * * *", TZ, shanghai(2027, 1, 1)) == timedelta(hours=8)
    assert (
        recurrence.count_between("0 9 * * *", TZ, shanghai(2027, 1, 1, 9), shanghai(2027, 1, 4, 10))
        == 3
    )
