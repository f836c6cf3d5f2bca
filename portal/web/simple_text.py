"""Text administrators type, shown with simple formatting and never as HTML.

Blank lines separate paragraphs, lines beginning "- " make a bulleted list, and **words**
between double asterisks are bold. Every piece of the text goes through escaping (markupsafe's
`format` and `join`), so markup typed into it (a <script>, say) is shown as the characters typed.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

BOLD = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
BULLET = "-"
BREAK, NEWLINE = Markup("<br>"), Markup("\n")
PARAGRAPH, ITEM = Markup("<p>{}</p>"), Markup("<li>{}</li>")
LIST, STRONG = Markup("<ul>{}</ul>"), Markup("<strong>{}</strong>")


def _inline(line: str) -> Markup:
    """One line, escaped, with its **bold** runs (split() alternates plain and bold)."""
    parts = BOLD.split(line.strip())
    return Markup().join(STRONG.format(p) if i % 2 else escape(p) for i, p in enumerate(parts))


def simple_text(text: str | None) -> Markup:
    """The text as paragraphs and lists."""
    blocks: list[Markup] = []
    items: list[Markup] = []
    lines: list[Markup] = []

    def close_paragraph() -> None:
        if lines:
            blocks.append(PARAGRAPH.format(BREAK.join(lines)))
            lines.clear()

    def close_list() -> None:
        if items:
            blocks.append(LIST.format(Markup().join(ITEM.format(item) for item in items)))
            items.clear()

    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            close_paragraph()
            close_list()
        elif line == BULLET or line.startswith(BULLET + " "):
            close_paragraph()
            if line[1:].strip():
                items.append(_inline(line[1:]))
        else:
            close_list()
            lines.append(_inline(line))
    close_paragraph()
    close_list()
    return NEWLINE.join(blocks)
