"""Charts drawn on the server as SVG (no script, no CDN): horizontal bars, one group of bars a
row of the table behind it, with a title and a description for assistive technology. This works
out the geometry; templates/components/chart.html draws it (escaped like any template). The
table itself is always shown beside the chart."""

from __future__ import annotations

from dataclasses import dataclass

from portal.services.dashboard import Column, Table

COLOURS = ["#005ea2", "#c05600", "#00a398"]  # USWDS blue, orange, mint: each 3:1 on white
WIDTH = 640
LABEL_WIDTH = 190
BAR_HEIGHT = 16
GAP = 10
VALUE_ROOM = 70


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    colour: str
    text: str


@dataclass(frozen=True)
class Row:
    label: str
    y: float  # the middle of the row's bars
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    label_width: int
    bar_height: int
    legend: list[tuple[float, str, str]]  # x, colour, label
    rows: list[Row]


def shown(column: Column, value) -> str:
    if value is None:
        return "none"
    if column.kind == "share":
        return f"{value:.0%}"
    if column.kind in ("days", "average"):
        return f"{value:,.1f}"
    return f"{value:,}"


def bar_chart(table: Table, chart_id: str) -> Chart | None:
    """The table's chart columns as bars (none for a breakdown or an empty table: the tables
    carry those)."""
    if not table.chart or table.by or not table.rows:
        return None
    series = [table.columns[i] for i in table.chart]
    rows = [(label, [values[i] for i in table.chart]) for label, _g, values in table.rows]
    top = max((v or 0) for _label, values in rows for v in values) or 1
    if all(c.kind == "share" for c in series):
        top = max(top, 1)
    legend_height = 24 if len(series) > 1 else 0
    row_height = BAR_HEIGHT * len(series) + GAP
    scale = (WIDTH - LABEL_WIDTH - VALUE_ROOM) / top
    legend, x = [], float(LABEL_WIDTH)
    for n, column in enumerate(series):
        legend.append((x, COLOURS[n % len(COLOURS)], column.label))
        x += 24 + 7 * len(column.label)
    drawn = []
    for r, (label, values) in enumerate(rows):
        top_y = legend_height + r * row_height + GAP // 2
        bars = [
            Bar(
                top_y + n * BAR_HEIGHT,
                max((value or 0) * scale, 0),
                COLOURS[n % len(COLOURS)],
                shown(column, value),
            )
            for n, (column, value) in enumerate(zip(series, values, strict=True))
        ]
        drawn.append(Row(label, top_y + (row_height - GAP) / 2, bars))
    description = "; ".join(
        f"{label}: "
        + ", ".join(f"{c.label} {shown(c, v)}" for c, v in zip(series, values, strict=True))
        for label, values in rows
    )
    return Chart(
        chart_id,
        table.title,
        description,
        WIDTH,
        legend_height + row_height * len(rows) + GAP,
        LABEL_WIDTH,
        BAR_HEIGHT,
        legend if len(series) > 1 else [],
        drawn,
    )
