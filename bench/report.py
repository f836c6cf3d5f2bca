"""`make bench`'s results: the table printed, the JSON kept and an SVG bar chart (hand-written:
one bar per page, its throughput as a share of the minimal page's, the goal's 0.7 marked)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

GOAL_RATIO = 0.7
GOAL_P95_MS = 50.0
COLUMNS = [
    ("role", "role", 13, "<"),
    ("page", "page", 24, "<"),
    ("p50 ms", "p50_ms", 7, ">"),
    ("p95 ms", "p95_ms", 7, ">"),
    ("srv p95", "server_p95_ms", 7, ">"),
    ("req/s", "throughput", 7, ">"),
    ("ratio", "ratio", 6, ">"),
    ("queries", "queries", 7, ">"),
    ("KB", "kb", 7, ">"),
    ("errors", "errors", 6, ">"),
]


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 10 else f"{value:.0f}"
    return str(value)


def table(rows: list[dict]) -> str:
    """The results as a Markdown table (what the README shows)."""
    lines = [
        "| " + " | ".join(title for title, *_ in COLUMNS) + " |",
        "|" + "|".join("---" if align == "<" else "---:" for *_, align in COLUMNS) + "|",
    ]
    for row in rows:
        cells = [f"{_cell(row.get(key)):{align}{width}}" for _, key, width, align in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path: Path, meta: dict, rows: list[dict], queries: list[dict] | None = None) -> None:
    found = {"meta": meta, "pages": rows}
    if queries is not None:
        found["queries"] = queries
    path.write_text(json.dumps(found, indent=2) + "\n")


def write_svg(path: Path, title: str, rows: list[dict]) -> None:
    """Horizontal bars: each page's throughput ratio (0 to the largest, at least 1.2)."""
    label_w, bar_w, row_h, top = 300, 420, 22, 48
    scale_max = max([1.2, *(r["ratio"] or 0 for r in rows)])
    height = top + row_h * len(rows) + 40
    width = label_w + bar_w + 140

    def x(value: float) -> float:
        return label_w + bar_w * value / scale_max

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="10" y="20" font-size="15" font-weight="bold">{escape(title)}</text>',
        '<text x="10" y="38" fill="#444">Throughput as a share of the minimal page '
        f"(goal: at least {GOAL_RATIO}); p95 in ms at the bar's end</text>",
    ]
    for i, row in enumerate(rows):
        y = top + i * row_h
        ratio = row["ratio"] or 0.0
        ok = ratio >= GOAL_RATIO and row["p95_ms"] <= GOAL_P95_MS
        colour = "#2e7d32" if ok else "#c62828"
        label = f"{row['role']}: {row['page']}"
        out += [
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{label_w}" y="{y + 3}" width="{x(ratio) - label_w:.1f}" height="{row_h - 6}"'
            f' fill="{colour}"/>',
            f'<text x="{x(ratio) + 5:.1f}" y="{y + 15}">{ratio:.2f} · p95 {row["p95_ms"]:.0f}'
            "</text>",
        ]
    bottom = top + row_h * len(rows)
    for mark, dash in ((GOAL_RATIO, "4 3"), (1.0, "")):
        out.append(
            f'<line x1="{x(mark):.1f}" y1="{top}" x2="{x(mark):.1f}" y2="{bottom}" '
            f'stroke="#333" stroke-dasharray="{dash}"/>'
        )
        out.append(f'<text x="{x(mark):.1f}" y="{bottom + 16}" text-anchor="middle">{mark}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")
