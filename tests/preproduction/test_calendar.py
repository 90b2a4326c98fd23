"""Shoot calendar: shoot dates skip weekends, holidays and days off; sunrise/sunset match published tables."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from studio_kit.preproduction.calendar import (
    CIVIL_TWILIGHT_ZENITH,
    CalendarError,
    DayKind,
    ShootCalendar,
    sun_times,
)

JUNETEENTH = date(2024, 6, 19)


def test_dates_skip_weekends_and_holidays():
    cal = ShootCalendar(date(2024, 6, 3), holidays={JUNETEENTH})  # a Monday
    got = cal.dates(13)
    assert got[:6] == [date(2024, 6, d) for d in (3, 4, 5, 6, 7, 10)]
    assert got[10:] == [date(2024, 6, 17), date(2024, 6, 18), date(2024, 6, 20)]  # Wed 19th is a holiday
    assert JUNETEENTH not in got
    assert all(d.weekday() < 5 for d in got)
    assert cal.dates(0) == []


def test_start_on_a_weekend_begins_on_monday_and_days_off_are_skipped():
    cal = ShootCalendar(date(2024, 6, 1), days_off={date(2024, 6, 4)})  # a Saturday; Tue 4th off
    assert cal.dates(3) == [date(2024, 6, 3), date(2024, 6, 5), date(2024, 6, 6)]
    assert cal.kind(date(2024, 6, 4)) is DayKind.DAY_OFF
    assert cal.kind(date(2024, 6, 1)) is DayKind.WEEKEND


def test_six_day_location_week():
    cal = ShootCalendar(date(2024, 6, 3), work_weekdays=(0, 1, 2, 3, 4, 5))
    assert cal.dates(7)[-2:] == [date(2024, 6, 8), date(2024, 6, 10)]  # Saturday works, Sunday does not
    assert cal.index_of(date(2024, 6, 8)) == 6
    assert cal.index_of(date(2024, 6, 9)) is None


def test_index_of_agrees_with_dates_over_a_long_shoot():
    hol = {date(2024, 7, 4), date(2024, 9, 2), date(2024, 7, 6)}  # the 6th is a Saturday: no effect
    cal = ShootCalendar(date(2024, 6, 5), work_weekdays=(1, 2, 3, 4, 5), holidays=hol,
                        days_off={date(2024, 8, 16)})
    dates = cal.dates(90)
    for i, d in enumerate(dates, 1):
        assert cal.index_of(d) == i
        assert cal.day_number(d) == i
        assert cal.date_of(i) == d
    non_shoot = {dates[0] + timedelta(k) for k in range((dates[-1] - dates[0]).days)} - set(dates)
    assert non_shoot and all(cal.index_of(d) is None for d in non_shoot)
    assert cal.index_of(date(2024, 6, 4)) is None  # before start


def test_day_number_says_why_a_date_is_not_a_shoot_day():
    cal = ShootCalendar(date(2024, 6, 3), holidays={JUNETEENTH})
    with pytest.raises(CalendarError, match="2024-06-19 is a holiday"):
        cal.day_number(JUNETEENTH)
    with pytest.raises(CalendarError, match="Saturday"):
        cal.day_number(date(2024, 6, 8))
    with pytest.raises(CalendarError, match="before the start date"):
        cal.day_number(date(2024, 5, 31))


def test_days_between_gives_kinds_and_day_numbers():
    cal = ShootCalendar(date(2024, 6, 3), holidays={JUNETEENTH})
    days = cal.days_between(date(2024, 6, 14), date(2024, 6, 20))
    assert [(d.date.day, d.kind, d.shoot_day) for d in days] == [
        (14, DayKind.SHOOT, 10), (15, DayKind.WEEKEND, None), (16, DayKind.WEEKEND, None),
        (17, DayKind.SHOOT, 11), (18, DayKind.SHOOT, 12), (19, DayKind.HOLIDAY, None),
        (20, DayKind.SHOOT, 13)]
    assert days[1].weekday == "Sat"
    span = cal.span(12)
    assert span[0].date == date(2024, 6, 3) and span[-1].date == date(2024, 6, 18)
    assert [d.shoot_day for d in span if d.shoot_day] == list(range(1, 13))
    # With the number of shoot days known, working weekdays after the wrap are not shoot days.
    tail = cal.days_between(date(2024, 6, 18), date(2024, 6, 21), shoot_days=12)
    assert [d.kind for d in tail] == [DayKind.SHOOT, DayKind.HOLIDAY, DayKind.WRAP, DayKind.WRAP]


def test_leap_years():
    leap = ShootCalendar(date(2024, 2, 26))
    assert leap.dates(5) == [date(2024, 2, 26), date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29),
                             date(2024, 3, 1)]
    assert leap.index_of(date(2024, 2, 29)) == 4
    common = ShootCalendar(date(2023, 2, 27))
    assert common.dates(4) == [date(2023, 2, 27), date(2023, 2, 28), date(2023, 3, 1), date(2023, 3, 2)]
    century = ShootCalendar(date(2100, 2, 25))  # 2100 is not a leap year
    assert date(2100, 3, 1) in century.dates(4)


def test_bad_calendars_are_refused():
    with pytest.raises(CalendarError, match="work_weekdays"):
        ShootCalendar(date(2024, 6, 3), work_weekdays=(0, 7))
    with pytest.raises(CalendarError, match="empty"):
        ShootCalendar(date(2024, 6, 3), work_weekdays=())
    with pytest.raises(CalendarError, match="holidays"):
        ShootCalendar(date(2024, 6, 3), holidays={"2024-06-19"})
    with pytest.raises(CalendarError, match="start"):
        ShootCalendar("2024-06-03")
    with pytest.raises(CalendarError, match="shoot day"):
        ShootCalendar(date(2024, 6, 3)).date_of(0)


# Published values (NOAA Solar Calculator / timeanddate.com), to the minute.
SUN_CASES = [
    # place, lat, lon, date, zone, sunrise, sunset (local, sunset may fall after midnight)
    ("Los Angeles", 34.05, -118.24, date(2024, 6, 21), "America/Los_Angeles", "05:42", "20:08"),
    ("Sydney winter", -33.8688, 151.2093, date(2024, 6, 21), "Australia/Sydney", "07:00", "16:54"),
    ("Sydney summer", -33.8688, 151.2093, date(2024, 12, 21), "Australia/Sydney", "05:41", "20:05"),
    ("London", 51.5074, -0.1278, date(2024, 12, 21), "Europe/London", "08:04", "15:54"),
    ("Reykjavik", 64.1466, -21.9426, date(2024, 6, 21), "Atlantic/Reykjavik", "02:55", "00:03"),
]


def _minutes(dt: datetime) -> int:
    return dt.hour * 60 + dt.minute + dt.second / 60


def _hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


@pytest.mark.parametrize("place,lat,lon,day,zone,rise,sset", SUN_CASES, ids=[c[0] for c in SUN_CASES])
def test_sun_times_match_published_values(place, lat, lon, day, zone, rise, sset):
    sunrise, sunset = sun_times(lat, lon, day, zone)
    assert sunrise.date() == day
    assert abs(_minutes(sunrise) - _hm(rise)) <= 2, (place, sunrise)
    assert abs((_minutes(sunset) - _hm(sset) + 720) % 1440 - 720) <= 2, (place, sunset)
    assert sunrise < sunset


def test_sun_times_follow_daylight_saving_and_accept_offsets():
    pdt = sun_times(34.05, -118.24, date(2024, 6, 21), "America/Los_Angeles")
    fixed = sun_times(34.05, -118.24, date(2024, 6, 21), -7)  # PDT as an offset
    assert pdt == fixed
    assert pdt[0].utcoffset() == timedelta(hours=-7)
    winter = sun_times(34.05, -118.24, date(2024, 12, 21), "America/Los_Angeles")
    assert winter[0].utcoffset() == timedelta(hours=-8)
    assert abs(_minutes(winter[0]) - _hm("06:55")) <= 2 and abs(_minutes(winter[1]) - _hm("16:48")) <= 2
    # Leap day: sunrise falls between Feb 28th's and Mar 1st's (days getting longer), a minute apart.
    before, leap, after = (sun_times(34.05, -118.24, d, "America/Los_Angeles")[0]
                           for d in (date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)))
    assert leap.date() == date(2024, 2, 29)
    assert _minutes(after) < _minutes(leap) < _minutes(before) <= _minutes(after) + 3


def test_civil_twilight_comes_before_sunrise():
    rise, sset = sun_times(34.05, -118.24, date(2024, 6, 21), "America/Los_Angeles")
    dawn, dusk = sun_times(34.05, -118.24, date(2024, 6, 21), "America/Los_Angeles", CIVIL_TWILIGHT_ZENITH)
    assert timedelta(minutes=25) < rise - dawn < timedelta(minutes=35)
    assert timedelta(minutes=25) < dusk - sset < timedelta(minutes=35)


def test_polar_day_and_night_have_no_sunrise():
    assert sun_times(69.65, 18.96, date(2024, 6, 21), "Europe/Oslo") == (None, None)  # Tromso, midnight sun
    assert sun_times(69.65, 18.96, date(2024, 12, 21), "Europe/Oslo") == (None, None)  # polar night


def test_bad_sun_inputs_are_refused():
    with pytest.raises(CalendarError, match="latitude"):
        sun_times(91, 0, date(2024, 6, 21), 0)
    with pytest.raises(CalendarError, match="longitude"):
        sun_times(0, 200, date(2024, 6, 21), 0)
    with pytest.raises(CalendarError, match="time zone"):
        sun_times(0, 0, date(2024, 6, 21), "Mars/Olympus_Mons")
    with pytest.raises(CalendarError, match="offset"):
        sun_times(0, 0, date(2024, 6, 21), 20)
