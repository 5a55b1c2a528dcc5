"""The dashboard's bar chart of daily collected amounts, laid out here and drawn by the template as
inline SVG: readable without hovering (an axis in euros on a round scale, grid lines, dated ticks,
the best day labelled), no JavaScript. Pure Python: no Django import (amounts: tipiportal.money).
"""

import datetime
from dataclasses import dataclass, field

from tipiportal.money import format_euros

WIDTH, HEIGHT = 960, 340
LEFT, RIGHT, TOP, BOTTOM = 84, 16, 28, 52
_STEPS = (1, 2, 2.5, 5)
# The room a dated tick needs on the first axis, in the SVG's units (the text scales with the chart,
# so this holds at every width): « 22/11 » at font-size 13 (about 0.6 em a digit) plus a gap.
TICK_FONT_SIZE = 13
TICK_LABEL_ROOM = round(5 * 0.6 * TICK_FONT_SIZE) + 12


def euros_label(cents: int, *, with_cents: bool = False) -> str:
    """12345600 → « 123 456 € » (or « 123 456,00 € »), with French spaces."""
    return format_euros(cents, with_cents=with_cents)


def nice_step(max_cents: int, *, ticks: int = 5) -> int:
    """A round step (1, 2, 2.5 or 5 × 10^n euros, in cents) giving at most `ticks` intervals."""
    target = max(max_cents, 1) / ticks
    power = 100  # one euro
    while True:
        for step in _STEPS:
            if power * step >= target:
                return int(power * step)
        power *= 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: datetime.date
    cents: int
    count: int

    @property
    def title(self) -> str:
        payments = f"{self.count} paiement{'s' if self.count > 1 else ''}"
        return f"{self.day:%d/%m/%Y} : {euros_label(self.cents, with_cents=True)} ({payments})"


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class BarChart:
    width: int
    height: int
    left: int
    right: int  # x of the plot's right edge
    top: int
    bottom: int  # y of the axis
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    first_day: datetime.date | None
    last_day: datetime.date | None
    total_cents: int = 0
    total_count: int = 0
    best: Bar | None = None
    best_label_x: float = 0
    best_label_y: float = 0
    best_label_anchor: str = "middle"
    x_caption: str = "Jour (JJ/MM, les lundis)"
    summary: str = field(default="")


def daily_bar_chart(days: list[tuple[datetime.date, int, int]]) -> BarChart:
    """days: (day, count, cents) for consecutive days, oldest first."""
    plot_width = WIDTH - LEFT - RIGHT
    axis_y = HEIGHT - BOTTOM
    plot_height = axis_y - TOP
    top_cents = max((cents for _, _, cents in days), default=0)
    step = nice_step(top_cents)
    scale_max = step * max(1, -(-top_cents // step))  # the first round value at or above the best day
    slot = plot_width / max(len(days), 1)
    bars = []
    for index, (day, count, cents) in enumerate(days):
        height = plot_height * cents / scale_max if cents else 0
        if cents and height < 1:
            height = 1  # a small day stays visible
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.125, 2),
                y=round(axis_y - height, 2),
                width=round(slot * 0.75, 2),
                height=round(height, 2),
                day=day,
                cents=cents,
                count=count,
            )
        )
    y_ticks = [
        Tick(position=round(axis_y - plot_height * value / scale_max, 2), label=euros_label(value))
        for value in range(0, scale_max + 1, step)
    ]
    x_ticks, weeks = _x_ticks(bars, slot)
    chart = BarChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=axis_y,
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        first_day=days[0][0] if days else None,
        last_day=days[-1][0] if days else None,
        total_cents=sum(cents for _, _, cents in days),
        total_count=sum(count for _, count, _ in days),
        x_caption="Jour (JJ/MM, les lundis)" if weeks == 1 else f"Jour (JJ/MM, un lundi sur {weeks})",
    )
    if top_cents:
        best = max(bars, key=lambda bar: (bar.cents, bar.day))
        chart.best = best
        centre = best.x + best.width / 2
        chart.best_label_y = round(best.y - 6, 2)
        chart.best_label_x = round(centre, 2)
        if centre < LEFT + 60:
            chart.best_label_anchor = "start"
        elif centre > WIDTH - RIGHT - 60:
            chart.best_label_anchor = "end"
    chart.summary = _summary(chart)
    return chart


def _x_ticks(bars: list[Bar], slot: float) -> tuple[list[Tick], int]:
    """Dated ticks centred under their bars: the first day, then Mondays, every week or every few
    weeks, so that two labels are never closer than TICK_LABEL_ROOM (they overlapped with 90 days:
    the first day and the next Monday could be one bar apart). Returns the ticks and the weeks
    between two Monday ticks."""
    weeks = 1
    while 7 * weeks * slot < TICK_LABEL_ROOM:
        weeks += 1
    mondays = [bar for bar in bars if bar.day.weekday() == 0][::weeks]
    ticks: list[Tick] = []
    for bar in ([bars[0]] if bars else []) + mondays:
        position = round(bar.x + bar.width / 2, 2)
        if ticks and position - ticks[-1].position < TICK_LABEL_ROOM:
            continue  # too close to the previous label (the first day, a Monday or two after it)
        ticks.append(Tick(position=position, label=f"{bar.day:%d/%m}"))
    return ticks, weeks


def _summary(chart: BarChart) -> str:
    if chart.first_day is None:
        return "Aucune donnée."
    period = f"du {chart.first_day:%d/%m/%Y} au {chart.last_day:%d/%m/%Y}"
    if not chart.total_cents:
        return f"Aucun paiement encaissé {period}."
    best = chart.best
    return (
        f"Montants encaissés par jour {period} : {euros_label(chart.total_cents, with_cents=True)} au total "
        f"({chart.total_count} paiement{'s' if chart.total_count > 1 else ''}) ; le jour le plus élevé est le "
        f"{best.day:%d/%m/%Y} avec {euros_label(best.cents, with_cents=True)}. Échelle de 0 à {chart.y_ticks[-1].label}."
    )
