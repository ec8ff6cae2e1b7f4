"""Charts drawn on the server as inline SVG: no script, no third-party host.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that say
in words what it shows (the text alternative screen readers read), followed by a
legend with the numbers. Values and labels are escaped (``markupsafe``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import count

from flask_babel import gettext as _
from markupsafe import Markup, escape

#: The console's colours for outcomes (Bootstrap's success, secondary, danger, warning, dark).
COLOURS = {
    "read": "#198754",
    "unread": "#adb5bd",
    "failed": "#dc3545",
    "forbidden": "#ffc107",
    "invalid": "#343a40",
    "bar": "#0d6efd",
}
_ids = count(1)


def _svg(width: int, height: int, title: str, desc: str, body: str, *, name: str) -> Markup:
    uid = f"chart-{next(_ids)}"
    return Markup(  # noqa: S704  (every value escaped above)
        f'<svg class="chart-svg" data-chart="{escape(name)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{uid}-title {uid}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{uid}-title">{escape(title)}</title>'
        f'<desc id="{uid}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def _legend(parts: Sequence[tuple[str, int, str]]) -> str:
    items = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{escape(label)}: '
        f"<strong>{value}</strong></li>"
        for label, value, colour in parts
    )
    return f'<ul class="chart-legend mt-2 mb-0">{items}</ul>'


def stacked_bar(
    parts: Sequence[tuple[str, int, str]], *, title: str, name: str = "outcome"
) -> Markup:
    """One bar split into (label, value, colour) parts, with a legend of the numbers."""
    total = sum(value for _label, value, _colour in parts)
    width, height = 600, 28
    rects, x = [], 0.0
    for label, value, colour in parts:
        if not value:
            continue
        w = width * value / total
        rects.append(
            f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="{height}" fill="{colour}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        x += w
    if not rects:
        rects.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#e9ecef"/>')
    desc = "; ".join(f"{label}: {value}" for label, value, _colour in parts)
    svg = _svg(width, height, title, desc, "".join(rects), name=name)
    return Markup(f'<figure class="chart mb-0">{svg}{_legend(parts)}</figure>')  # noqa: S704  (every value escaped above)


def outcome_chart(outcome) -> Markup:
    """Read / unread / failed / not delivered / invalid of a send (results.Outcome)."""
    parts = [
        (_("Read"), len(outcome.read), COLOURS["read"]),
        (_("Unread"), len(outcome.unread), COLOURS["unread"]),
        (_("Failed"), len(outcome.failed), COLOURS["failed"]),
        (_("Not delivered"), len(outcome.forbidden), COLOURS["forbidden"]),
        (_("Invalid"), len(outcome.invalid_users) + len(outcome.invalid_depts), COLOURS["invalid"]),
    ]
    return stacked_bar(parts, title=_("Result per recipient"), name="outcome")


def read_chart(read: int, unread: int) -> Markup:
    """Read and not yet read of a chat message."""
    parts = [
        (_("Read"), read, COLOURS["read"]),
        (_("Not yet read"), unread, COLOURS["unread"]),
    ]
    return stacked_bar(parts, title=_("Who read it"), name="read")


def read_bar(read: int, total: int) -> Markup:
    """A history row's small read-rate bar: "Read 3/9"."""
    percent = round(100 * read / total) if total else 0
    text = _("Read %(read)d/%(total)d", read=read, total=total)
    return Markup(  # noqa: S704  (every value escaped above)
        f'<span class="read-bar" data-read="{read}" data-total="{total}">'
        f'<span class="progress" role="progressbar" aria-label="{escape(text)}" '
        f'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{percent}">'
        f'<span class="progress-bar bg-success" style="width: {percent}%"></span></span>'
        f"<span>{escape(text)}</span></span>"
    )


def bars(rows: Sequence[tuple[str, int]], *, title: str, name: str = "bars") -> Markup:
    """Horizontal bars, one per (label, value), longest first as given; labels on the left."""
    if not rows:
        return Markup("")
    top = max(value for _label, value in rows) or 1
    row_h, label_w, width = 26, 170, 600
    body = []
    for i, (label, value) in enumerate(rows):
        y = i * row_h
        w = (width - label_w - 50) * value / top
        short = label if len(label) <= 14 else label[:13] + "…"
        body.append(
            f"<g><title>{escape(label)}: {value}</title>"
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'fill="#212529">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.2f}" height="{row_h - 8}" rx="3" '
            f'fill="{COLOURS["bar"]}"/>'
            f'<text x="{label_w + w + 6:.2f}" y="{y + 17}" font-size="12" fill="#495057">'
            f"{value}</text></g>"
        )
    desc = "; ".join(f"{label}: {value}" for label, value in rows)
    svg = _svg(width, row_h * len(rows), title, desc, "".join(body), name=name)
    return Markup(f'<figure class="chart mb-0">{svg}</figure>')  # noqa: S704  (every value escaped above)


def timeline(points: Sequence[tuple[datetime, int]], *, total: int, title: str) -> Markup:
    """Reads over time: a step line of how many had read at each look, out of `total`."""
    if not points:
        return Markup("")
    width, height, pad = 600, 140, 28
    start, end = points[0][0], points[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    top = max(total, max(v for _t, v in points), 1)

    def xy(when: datetime, value: int) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (when - start).total_seconds() / span
        y = height - pad - (height - 2 * pad) * value / top
        return x, y

    path, previous = [], None
    for when, value in points:
        x, y = xy(when, value)
        if previous is None:
            path.append(f"M{x:.1f},{y:.1f}")
        else:
            path.append(f"H{x:.1f}V{y:.1f}")
        previous = (x, y)
    dots = "".join(
        f'<circle cx="{xy(t, v)[0]:.1f}" cy="{xy(t, v)[1]:.1f}" r="3" fill="{COLOURS["read"]}">'
        f"<title>{t:%Y-%m-%d %H:%M}: {v}</title></circle>"
        for t, v in points
    )
    axis = (
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        f'stroke="#ced4da"/><text x="{pad}" y="{height - 8}" font-size="11" fill="#6c757d">'
        f'{start:%m-%d %H:%M}</text><text x="{width - pad}" y="{height - 8}" '
        f'font-size="11" text-anchor="end" fill="#6c757d">{end:%m-%d %H:%M}</text>'
        f'<text x="{pad}" y="{pad - 8}" font-size="11" fill="#6c757d">{top}</text>'
    )
    line = f'<path d="{"".join(path)}" fill="none" stroke="{COLOURS["read"]}" stroke-width="2"/>'
    desc = "; ".join(f"{t:%Y-%m-%d %H:%M}: {v}/{total}" for t, v in points)
    svg = _svg(width, height, title, desc, axis + line + dots, name="timeline")
    return Markup(f'<figure class="chart mb-0">{svg}</figure>')  # noqa: S704  (every value escaped above)
