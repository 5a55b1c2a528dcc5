"""PayFiP's transaction time: ``dattrans`` (DDMMYYYY) and ``heurtrans`` (HHMM), Europe/Paris local time."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

_DATTRANS_RE = re.compile(r"[0-9]{8}")
_HEURTRANS_RE = re.compile(r"([01][0-9]|2[0-3])[0-5][0-9]")
MIN_YEAR, MAX_YEAR = 2000, 2999


def parse_paid_at(dattrans: str, heurtrans: str) -> datetime.datetime:
    """The aware datetime (Europe/Paris) of ``dattrans`` + ``heurtrans``; ValueError if either is malformed.

    Strict: exactly 8 and 4 ASCII digits, a real calendar date, 00:00 to 23:59. Around the
    changes of time, a local time seen twice (the last Sunday of October, 02:00-02:59) is taken as
    its first occurrence (summer time), and one that never exists (the last Sunday of March,
    02:00-02:59) as the instant it denotes in winter time, i.e. 03:xx summer time: PayFiP's clock
    gives no fold, and refusing such a stamp would leave a real payment unread. Years outside
    2000-2999 are refused. Compare results through UTC: Python never finds a datetime of the
    repeated hour equal to one of another zone (PEP 495).
    """
    if not _DATTRANS_RE.fullmatch(dattrans):
        raise ValueError(f"dattrans n'est pas au format JJMMAAAA : {dattrans[:20]!r}")
    if not _HEURTRANS_RE.fullmatch(heurtrans):
        raise ValueError(f"heurtrans n'est pas au format HHMM : {heurtrans[:20]!r}")
    year = int(dattrans[4:])
    # Outside these years the stamp is nonsense (and year 1 would overflow on the way to UTC).
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"dattrans hors des années {MIN_YEAR} à {MAX_YEAR} : {dattrans!r}")
    try:
        date = datetime.date(year, int(dattrans[2:4]), int(dattrans[:2]))
    except ValueError:
        raise ValueError(f"dattrans n'est pas une date : {dattrans!r}") from None
    naive = datetime.datetime.combine(date, datetime.time(int(heurtrans[:2]), int(heurtrans[2:])))
    # Through UTC and back: a time in the spring gap comes out as the real local time after it.
    return naive.replace(tzinfo=PARIS).astimezone(datetime.UTC).astimezone(PARIS)


def format_paid_at(moment: datetime.datetime) -> tuple[str, str]:
    """(dattrans, heurtrans) of an aware datetime, in Europe/Paris local time."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    local = moment.astimezone(PARIS)
    return local.strftime("%d%m%Y"), local.strftime("%H%M")
