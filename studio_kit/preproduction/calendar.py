"""The shoot calendar: which calendar dates are shoot days, and when the sun rises on them.

A schedule numbers shoot days 1..N; the calendar turns those numbers into dates, skipping the
company's non-working weekdays (weekends on a five-day week), public holidays and extra company
days off. The Day Out of Days and the call sheets read their dates from here, so a change of start
date or an added holiday moves every downstream report at once.

Sunrise and sunset use NOAA's solar calculator equations (Meeus, *Astronomical Algorithms*): no
network and no dependency, accurate to about a minute between the polar circles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..common.errors import Invalid

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CalendarError(Invalid):
    """A calendar that cannot be built or asked: says which field or date is wrong and what to do."""


class DayKind(StrEnum):
    """What a calendar date is to the company."""

    SHOOT = "shoot"
    WEEKEND = "weekend"      # a weekday the company does not work (Sat/Sun on a five-day week)
    DAY_OFF = "day_off"      # an extra company day off on a working weekday
    HOLIDAY = "holiday"      # a public holiday (paid to performers carried through it)
    PREP = "prep"            # a working weekday before the first shoot day
    WRAP = "wrap"            # a working weekday after the last shoot day


def _next_day(d: date) -> date:
    try:
        return d + timedelta(1)
    except OverflowError:
        raise CalendarError(f"the shoot calendar runs past {d}, the last date there is; start earlier") from None


@dataclass(frozen=True)
class CalendarDay:
    """One calendar date: its kind and, on a shoot day, its 1-based shoot day number."""

    date: date
    kind: DayKind
    shoot_day: int | None = None

    @property
    def weekday(self) -> str:
        return WEEKDAY_NAMES[self.date.weekday()]


@dataclass
class ShootCalendar:
    """Shoot days from ``start`` on ``work_weekdays`` (0 = Monday), skipping holidays and days off.

    ``start`` itself need not be a shoot day: day 1 is the first shoot date on or after it.
    """

    start: date
    work_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: set[date] = field(default_factory=set)
    days_off: set[date] = field(default_factory=set)

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime) or not isinstance(self.start, date):
            raise CalendarError(f"start must be a date (not {type(self.start).__name__}): {self.start!r}")
        days = tuple(self.work_weekdays)
        bad = [d for d in days if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6]
        if bad:
            raise CalendarError(f"work_weekdays must be 0 (Monday) .. 6 (Sunday); got {bad}")
        if not days:
            raise CalendarError("work_weekdays is empty: name at least one working weekday, e.g. (0, 1, 2, 3, 4)")
        self.work_weekdays = tuple(sorted(set(days)))
        for name in ("holidays", "days_off"):
            values = set(getattr(self, name) or ())
            wrong = [v for v in values if isinstance(v, datetime) or not isinstance(v, date)]
            if wrong:
                raise CalendarError(f"{name} must hold dates; got {wrong[0]!r}")
            setattr(self, name, values)

    # -- single dates -----------------------------------------------------------------------

    def is_shoot_date(self, d: date) -> bool:
        """True when the company shoots on ``d`` (on or after start, a work weekday, not off)."""
        return (d >= self.start and d.weekday() in self.work_weekdays
                and d not in self.holidays and d not in self.days_off)

    def kind(self, d: date, shoot_days: int | None = None) -> DayKind:
        """The kind of ``d``; with ``shoot_days`` (N), working weekdays after day N are WRAP."""
        if d in self.holidays:
            return DayKind.HOLIDAY
        if d.weekday() not in self.work_weekdays:
            return DayKind.WEEKEND
        if d in self.days_off:
            return DayKind.DAY_OFF
        if d < self.start:
            return DayKind.PREP
        if shoot_days is not None and d > self.date_of(shoot_days):
            return DayKind.WRAP
        return DayKind.SHOOT

    def index_of(self, d: date) -> int | None:
        """The 1-based shoot day number of ``d``, or None when the company does not shoot that day."""
        if not self.is_shoot_date(d):
            return None
        # Whole weeks first, then the remainder, then the holidays and days off removed from both.
        days = (d - self.start).days
        weeks, rest = divmod(days, 7)
        count = weeks * len(self.work_weekdays)
        count += sum(1 for i in range(rest + 1) if (self.start + timedelta(i)).weekday() in self.work_weekdays)
        skipped = {x for x in self.holidays | self.days_off
                   if self.start <= x <= d and x.weekday() in self.work_weekdays}
        return count - len(skipped)

    def day_number(self, d: date) -> int:
        """Like :meth:`index_of`, but a date that is not a shoot day is an error that says why."""
        n = self.index_of(d)
        if n is None:
            kind = self.kind(d)
            why = {DayKind.HOLIDAY: "a holiday", DayKind.WEEKEND: f"a {d.strftime('%A')} (not a work weekday)",
                   DayKind.DAY_OFF: "a company day off", DayKind.PREP: f"before the start date {self.start}"}[kind]
            raise CalendarError(f"{d} is {why}, not a shoot day")
        return n

    def date_of(self, day: int) -> date:
        """The calendar date of shoot day ``day`` (1-based)."""
        if isinstance(day, bool) or not isinstance(day, int) or day < 1:
            raise CalendarError(f"shoot day must be a whole number from 1; got {day!r}")
        return self.dates(day)[-1]

    # -- ranges -----------------------------------------------------------------------------

    def dates(self, n: int) -> list[date]:
        """The first ``n`` shoot dates, in order."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise CalendarError(f"number of shoot days must be a whole number >= 0; got {n!r}")
        out: list[date] = []
        d = self.start
        while len(out) < n:
            if self.is_shoot_date(d):
                out.append(d)
            d = _next_day(d)
        return out

    def days_between(self, first: date, last: date, shoot_days: int | None = None) -> list[CalendarDay]:
        """Every calendar date from ``first`` to ``last`` inclusive, with its kind and shoot day number."""
        if last < first:
            raise CalendarError(f"days_between: {last} is before {first}")
        out = []
        count = self._count_before(first)
        end = self.date_of(shoot_days) if shoot_days else None
        d = first
        while d <= last:
            kind = self.kind(d)
            number = None
            if kind is DayKind.SHOOT:
                count += 1
                if end is not None and d > end:
                    kind = DayKind.WRAP
                else:
                    number = count
            out.append(CalendarDay(d, kind, number))
            d = _next_day(d)
        return out

    def span(self, shoot_days: int) -> list[CalendarDay]:
        """The calendar from shoot day 1 to shoot day ``shoot_days``: shoot days and the days between."""
        if shoot_days < 1:
            raise CalendarError(f"a shoot needs at least one day; got {shoot_days}")
        return self.days_between(self.date_of(1), self.date_of(shoot_days), shoot_days)

    def _count_before(self, d: date) -> int:
        """Shoot days strictly before ``d``."""
        count, x = 0, self.start
        while x < d:
            count += self.is_shoot_date(x)
            x = _next_day(x)
        return count


# -- sunrise and sunset (NOAA solar calculator) ------------------------------------------------

SUNRISE_ZENITH = 90.833   # geometric zenith plus refraction and the sun's radius
CIVIL_TWILIGHT_ZENITH = 96.0


def _tz(tz: float | int | str | tzinfo) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"unknown time zone {tz!r}: use an IANA name such as 'America/Los_Angeles'") from exc
    if isinstance(tz, bool) or not isinstance(tz, int | float) or not -14 <= tz <= 14:
        raise CalendarError(f"time zone offset must be hours from UTC in -14..14 or a zone name; got {tz!r}")
    return timezone(timedelta(hours=tz))


def _solar(jd: float) -> tuple[float, float]:
    """Equation of time (minutes) and solar declination (degrees) at Julian day ``jd``."""
    t = (jd - 2451545.0) / 36525.0
    l0 = (280.46646 + t * (36000.76983 + t * 0.0003032)) % 360.0
    m = 357.52911 + t * (35999.05029 - 0.0001537 * t)
    e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    mr = math.radians(m)
    c = (math.sin(mr) * (1.914602 - t * (0.004817 + 0.000014 * t))
         + math.sin(2 * mr) * (0.019993 - 0.000101 * t) + math.sin(3 * mr) * 0.000289)
    omega = math.radians(125.04 - 1934.136 * t)
    app_long = math.radians(l0 + c - 0.00569 - 0.00478 * math.sin(omega))
    eps0 = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    eps = math.radians(eps0 + 0.00256 * math.cos(omega))
    decl = math.degrees(math.asin(math.sin(eps) * math.sin(app_long)))
    y = math.tan(eps / 2) ** 2
    l0r = math.radians(l0)
    eqtime = 4 * math.degrees(y * math.sin(2 * l0r) - 2 * e * math.sin(mr)
                              + 4 * e * y * math.sin(mr) * math.cos(2 * l0r)
                              - 0.5 * y * y * math.sin(4 * l0r) - 1.25 * e * e * math.sin(2 * mr))
    return eqtime, decl


def _event_minutes(lat: float, lon: float, jd0: float, rising: bool, zenith: float) -> float | None:
    """Minutes after 0h UTC of Julian day ``jd0`` when the sun crosses ``zenith``; None if it never does."""
    minutes = 720.0 - 4 * lon  # first guess: solar noon
    for _ in range(3):  # re-evaluate the sun's position at the event itself
        eqtime, decl = _solar(jd0 + minutes / 1440.0)
        la, de = math.radians(lat), math.radians(decl)
        cos_ha = (math.cos(math.radians(zenith)) / (math.cos(la) * math.cos(de))) - math.tan(la) * math.tan(de)
        if not -1.0 <= cos_ha <= 1.0:
            return None
        ha = math.degrees(math.acos(cos_ha))
        minutes = 720.0 - 4 * (lon + (ha if rising else -ha)) - eqtime
    return minutes


def sun_times(lat: float, lon: float, day: date, tz: float | int | str | tzinfo,
              zenith: float = SUNRISE_ZENITH) -> tuple[datetime | None, datetime | None]:
    """Local sunrise and sunset on ``day`` at latitude ``lat``, longitude ``lon`` (east positive).

    ``tz`` is an IANA zone name (daylight saving follows the date), an offset in hours, or a tzinfo.
    Both are None where the sun neither rises nor sets that day (polar day or night). Pass
    ``zenith=CIVIL_TWILIGHT_ZENITH`` for first and last light.
    """
    if not -90 <= lat <= 90:
        raise CalendarError(f"latitude must be -90..90 degrees (north positive); got {lat}")
    if not -180 <= lon <= 180:
        raise CalendarError(f"longitude must be -180..180 degrees (east positive); got {lon}")
    zone = _tz(tz)
    # The UTC day whose solar noon falls on the local date: start from local noon.
    local_noon = datetime.combine(day, time(12), zone).astimezone(UTC)
    utc_day = local_noon.date()
    noon_utc = datetime.combine(utc_day, time(0), UTC) + timedelta(minutes=720 - 4 * lon)
    utc_day += timedelta(days=round((local_noon - noon_utc) / timedelta(days=1)))
    jd0 = utc_day.toordinal() + 1721424.5
    base = datetime.combine(utc_day, time(0), UTC)
    out: list[datetime | None] = []
    for rising in (True, False):
        minutes = _event_minutes(lat, lon, jd0, rising, zenith)
        out.append(None if minutes is None
                   else (base + timedelta(seconds=round(minutes * 60))).astimezone(zone))
    if out[0] is None or out[1] is None:
        return None, None
    return out[0], out[1]
