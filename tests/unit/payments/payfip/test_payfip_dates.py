"""dattrans (DDMMYYYY) and heurtrans (HHMM) read strictly, in Europe/Paris time, across DST changes."""

from __future__ import annotations

import datetime

import pytest

from payments.payfip import PARIS, format_paid_at, parse_paid_at

UTC = datetime.UTC


def test_winter_and_summer_offsets():
    assert parse_paid_at("15012026", "0930").astimezone(UTC) == datetime.datetime(2026, 1, 15, 8, 30, tzinfo=UTC)
    assert parse_paid_at("15072026", "0930").astimezone(UTC) == datetime.datetime(2026, 7, 15, 7, 30, tzinfo=UTC)


def test_result_is_aware_in_paris():
    paid_at = parse_paid_at("01022026", "0000")
    assert paid_at.tzinfo is PARIS
    assert (paid_at.year, paid_at.month, paid_at.day, paid_at.hour, paid_at.minute) == (2026, 2, 1, 0, 0)


def test_spring_forward_edges():
    # 29 March 2026: 01:59 CET is followed by 03:00 CEST.
    assert parse_paid_at("29032026", "0159").astimezone(UTC) == datetime.datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert parse_paid_at("29032026", "0300").astimezone(UTC) == datetime.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    # 02:30 never exists that day: read in winter time, it is the instant 03:30 summer time.
    gap = parse_paid_at("29032026", "0230")
    assert gap.astimezone(UTC) == datetime.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert (gap.hour, gap.minute, gap.utcoffset()) == (3, 30, datetime.timedelta(hours=2))


def test_fall_back_edges():
    # 25 October 2026: 02:00-02:59 happens twice; the first occurrence (summer time) is taken.
    assert parse_paid_at("25102026", "0230").astimezone(UTC) == datetime.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert parse_paid_at("25102026", "0300").astimezone(UTC) == datetime.datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert parse_paid_at("25102026", "0159").astimezone(UTC) == datetime.datetime(2026, 10, 24, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("dattrans", "heurtrans"),
    [
        ("1212201", "1652"),
        ("121220190", "1652"),
        ("2019-12-12", "1652"),
        ("31022026", "1200"),  # no such date
        ("00012026", "1200"),
        ("12132026", "1200"),
        ("29022025", "1200"),  # not a leap year
        ("12122019", "2400"),
        ("12122019", "1260"),
        ("12122019", "165"),
        ("12122019", "16:52"),
        ("١٢١٢٢٠١٩", "1652"),  # Arabic-Indic digits are digits to str.isdigit, not to PayFiP
        ("12122019", " 1652"),
        ("01010001", "0000"),  # year 1: overflowed on the way to UTC (OverflowError, found by hypothesis)
        ("01011999", "1200"),
        ("01013000", "1200"),
        ("", ""),
    ],
)
def test_malformed_stamps_are_refused(dattrans, heurtrans):
    with pytest.raises(ValueError):
        parse_paid_at(dattrans, heurtrans)


def test_leap_day_is_read():
    assert parse_paid_at("29022028", "2359").date() == datetime.date(2028, 2, 29)


def test_format_is_local_time_and_round_trips():
    moment = datetime.datetime(2026, 7, 1, 22, 15, tzinfo=UTC)  # 00:15 on 2 July in Paris
    assert format_paid_at(moment) == ("02072026", "0015")
    assert parse_paid_at(*format_paid_at(moment)) == moment
    with pytest.raises(ValueError):
        format_paid_at(datetime.datetime(2026, 7, 1, 22, 15))  # naive
