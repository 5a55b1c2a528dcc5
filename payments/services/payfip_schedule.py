"""When the poller asks PayFiP again about a web-service transaction still without a result.

PayFiP's notification may come at once, 2 hours later, overnight or never (PAYFIP.md §3): the
poller is what guarantees a result. Often at first (a payment takes minutes; anchors wait up to
2 hours before calling an attempt lost), then hourly for days (results stay readable about a
year). After a technical error, PayFiP's guide spaces retries by 30 minutes.
"""

import datetime

FIRST_CHECK = datetime.timedelta(minutes=5)
EARLY_PERIOD = datetime.timedelta(hours=2)
EARLY_INTERVAL = datetime.timedelta(minutes=5)
LATE_INTERVAL = datetime.timedelta(hours=1)
GIVE_UP_AFTER = datetime.timedelta(days=4)  # at least 3 days, as the issue asks
AFTER_TECHNICAL_ERROR = datetime.timedelta(minutes=30)


def payfip_first_check_delay() -> datetime.timedelta:
    return FIRST_CHECK


def payfip_next_check(
    *, created_at: datetime.datetime, now: datetime.datetime, technical_error: bool = False
) -> datetime.datetime | None:
    """The next check of an operation created at `created_at`, checked at `now`; None past the schedule."""
    age = now - created_at
    interval = EARLY_INTERVAL if age < EARLY_PERIOD else LATE_INTERVAL
    if technical_error:
        interval = max(interval, AFTER_TECHNICAL_ERROR)
    following = now + interval
    if following - created_at > GIVE_UP_AFTER:
        return None
    return following
