"""The dashboard's chart: dated ticks on the first axis never overlap, whatever the period."""

import datetime
import itertools

import pytest

from staff.followup.chart import TICK_LABEL_ROOM, daily_bar_chart


def days(count: int, first: datetime.date) -> list[tuple[datetime.date, int, int]]:
    return [(first + datetime.timedelta(days=n), n % 3, (n % 7) * 1000) for n in range(count)]


@pytest.mark.parametrize("count", [1, 7, 14, 30, 60, 90, 180, 365])
@pytest.mark.parametrize("weekday", range(7))
def test_labels_of_the_first_axis_are_far_enough_apart(count, weekday):
    first = datetime.date(2026, 11, 2) + datetime.timedelta(days=weekday)  # 2 November 2026 is a Monday
    chart = daily_bar_chart(days(count, first))
    positions = [tick.position for tick in chart.x_ticks]
    assert positions == sorted(positions)
    assert all(b - a >= TICK_LABEL_ROOM for a, b in itertools.pairwise(positions)), positions
    assert chart.x_ticks[0].label == f"{first:%d/%m}"  # the period's first day is always dated
    assert all(chart.left <= p <= chart.right for p in positions)


def test_ninety_days_date_every_monday_but_the_one_beside_the_first_day():
    # 90 days from a Saturday: the first Monday is two bars after the first day.
    chart = daily_bar_chart(days(90, datetime.date(2026, 10, 31)))
    labels = [tick.label for tick in chart.x_ticks]
    assert labels[0] == "31/10"
    assert "02/11" not in labels  # two bars from 31/10: they overlapped
    assert labels[1] == "09/11"
    assert chart.x_caption == "Jour (JJ/MM, les lundis)"


def test_a_year_dates_one_monday_in_a_few():
    chart = daily_bar_chart(days(365, datetime.date(2026, 1, 5)))
    assert chart.x_caption.startswith("Jour (JJ/MM, un lundi sur ")
