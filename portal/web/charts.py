"""Charts drawn on the server as SVG (no script, no CDN): horizontal bars, one group of bars a
row of the table behind it, with a title and a description for assistive technology. The table
itself is always shown beside the chart."""

from __future__ import annotations

from markupsafe import Markup, escape

from portal.services.dashboard import Table

COLOURS = ["#005ea2", "#c05600", "#00a398"]  # USWDS blue, orange, mint: each 3:1 on white
WIDTH = 640
LABEL_WIDTH = 190
BAR_HEIGHT = 16
GAP = 10
VALUE_ROOM = 70


def _shown(column, value) -> str:
    if value is None:
        return "none"
    if column.kind == "share":
        return f"{value:.0%}"
    if column.kind in ("days", "average"):
        return f"{value:,.1f}"
    return f"{value:,}"


def bar_chart(table: Table, chart_id: str) -> Markup:
    """The table's chart columns as horizontal bars (nothing for a breakdown or an empty table:
    the tables carry those)."""
    if not table.chart or table.by or not table.rows:
        return Markup("")
    series = [table.columns[i] for i in table.chart]
    rows = [(label, [values[i] for i in table.chart]) for label, _g, values in table.rows]
    top = max((v or 0) for _label, values in rows for v in values) or 1
    if all(c.kind == "share" for c in series):
        top = max(top, 1)
    legend = 24 if len(series) > 1 else 0
    row_height = BAR_HEIGHT * len(series) + GAP
    height = legend + row_height * len(rows) + GAP
    scale = (WIDTH - LABEL_WIDTH - VALUE_ROOM) / top
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    description = "; ".join(
        f"{label}: "
        + ", ".join(f"{c.label} {_shown(c, v)}" for c, v in zip(series, values, strict=True))
        for label, values in rows
    )
    parts = [
        f'<svg class="portal-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(table.title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
    ]
    if legend:
        x = LABEL_WIDTH
        for n, column in enumerate(series):
            colour = COLOURS[n % len(COLOURS)]
            parts.append(
                f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>'
                f'<text x="{x + 16}" y="14" font-size="12" fill="#1b1b1b">'
                f"{escape(column.label)}</text>"
            )
            x += 24 + 7 * len(column.label)
    for r, (label, values) in enumerate(rows):
        y = legend + r * row_height + GAP // 2
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + row_height / 2}" font-size="12" '
            f'text-anchor="end" dominant-baseline="middle" fill="#1b1b1b">{escape(label)}</text>'
        )
        for n, (column, value) in enumerate(zip(series, values, strict=True)):
            bar_y = y + n * BAR_HEIGHT
            length = max((value or 0) * scale, 0)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{length:.1f}" '
                f'height="{BAR_HEIGHT - 3}" fill="{COLOURS[n % len(COLOURS)]}"/>'
                f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{bar_y + BAR_HEIGHT / 2}" '
                f'font-size="11" dominant-baseline="middle" fill="#1b1b1b">'
                f"{escape(_shown(column, value))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it is escaped above)
