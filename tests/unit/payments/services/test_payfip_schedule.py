"""The poller's schedule: often at first, then hourly, for 4 days; 30 minutes after a technical error."""

import datetime

from payments.services.payfip_schedule import payfip_next_check

T0 = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)


def after(**delta) -> datetime.datetime:
    return T0 + datetime.timedelta(**delta)


def test_every_five_minutes_for_two_hours_then_hourly():
    assert payfip_next_check(created_at=T0, now=after(minutes=5)) == after(minutes=10)
    assert payfip_next_check(created_at=T0, now=after(minutes=115)) == after(minutes=120)
    assert payfip_next_check(created_at=T0, now=after(hours=2)) == after(hours=3)


def test_the_schedule_covers_more_than_three_days_then_stops():
    now, checks = T0, 0
    while (following := payfip_next_check(created_at=T0, now=now)) is not None:
        now, checks = following, checks + 1
    assert now - T0 >= datetime.timedelta(days=3)
    assert now - T0 <= datetime.timedelta(days=4)
    assert 24 + 3 * 24 < checks < 24 + 4 * 24 + 1  # 24 early checks, then hourly


def test_after_a_technical_error_the_next_check_waits_30_minutes():
    assert payfip_next_check(created_at=T0, now=after(minutes=10), technical_error=True) == after(minutes=40)
    assert payfip_next_check(created_at=T0, now=after(hours=5), technical_error=True) == after(hours=6)
