"""Charts as inline SVG drawn on the server: no script, no CDN, readable without colour (every
bar carries its number) and described for screen readers."""

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

INK, ACCENT, TARGET, WARN, MUTED = "#1f2933", "#0f766e", "#b45309", "#b91c1c", "#cbd2d9"


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _svg(width: int, height: int, label: str, body: str) -> Markup:
    # every text part that came from data went through escape() above
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img"'
        f' aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def progress(value: float, target: float, *, label: str) -> Markup:
    width, height = 900, 36
    share = min(value / target, 1.0) if target else 0.0
    percent = f"{100 * share:.1f}".replace(".", ",")
    text = f"{_number(value)} / {_number(target)} ({percent}%)"
    inside = share > 0.35  # the label sits on the filled part only where it fits
    x, colour = (12, "#fff") if inside else (width * share + 8, INK)
    body = (
        f'<rect x="0" y="6" width="{width}" height="24" rx="4" fill="{MUTED}"/>'
        f'<rect x="0" y="6" width="{width * share:.1f}" height="24" rx="4" fill="{ACCENT}"/>'
        f'<text x="{x:.1f}" y="23" fill="{colour}" font-size="14" font-weight="600">'
        f"{text}</text>"
    )
    return _svg(width, height, label, body)


def bars(
    rows: Sequence[tuple[str, float]],
    *,
    label: str,
    marker: float | None = None,
    unit: str = "",
    highlight: Sequence[bool] | None = None,
) -> Markup:
    """Horizontal bars, one per row; `marker` draws a vertical line (a threshold)."""
    if not rows:
        return Markup('<p class="muted">Belum ada data / no data yet</p>')
    gutter, bar_area, row_h = 230, 300, 22
    width, height = gutter + bar_area + 90, row_h * len(rows) + 8
    top = max([v for _, v in rows] + [marker or 0]) or 1
    parts = []
    for i, (name, value) in enumerate(rows):
        y = 4 + i * row_h
        colour = WARN if highlight and highlight[i] else ACCENT
        length = bar_area * value / top
        parts.append(
            f'<text x="{gutter - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="{INK}">'
            f"{escape(name[:34])}</text>"
            f'<rect x="{gutter}" y="{y + 3}" width="{length:.1f}" height="{row_h - 6}"'
            f' fill="{colour}"/>'
            f'<text x="{gutter + length + 4:.1f}" y="{y + 15}" font-size="12" fill="{INK}">'
            f"{_number(value) if not unit else f'{value:.1f}{unit}'}</text>"
        )
    if marker is not None:
        x = gutter + bar_area * marker / top
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" stroke="{TARGET}"'
            f' stroke-dasharray="4 3" stroke-width="2"/>'
        )
    return _svg(width, height, label, "".join(parts))


def cumulative(
    actual: Sequence[tuple[date, float]],
    pace: Sequence[tuple[date, float]],
    *,
    target: float,
    working_days: int,
    label: str,
) -> Markup:
    """Cumulative hires per working day against the even pace to the target."""
    width, height, left, bottom = 640, 260, 56, 28
    plot_w, plot_h = width - left - 12, height - bottom - 12
    top = max([target] + [v for _, v in actual]) or 1

    def x(i: int) -> float:
        return left + plot_w * i / max(working_days, 1)

    def y(v: float) -> float:
        return 12 + plot_h * (1 - v / top)

    def line(points: Sequence[tuple[date, float]], colour: str, dash: str = "") -> str:
        if not points:
            return ""
        path = " ".join(f"{x(i + 1):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
        return (
            f'<polyline points="{x(0):.1f},{y(0):.1f} {path}" fill="none" stroke="{colour}"'
            f' stroke-width="2.5" {dash}/>'
        )

    grid = "".join(
        f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - 12}" y2="{y(v):.1f}" stroke="{MUTED}"/>'
        f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">'
        f"{_number(v)}</text>"
        for v in (0, top / 2, top)
    )
    axis = (
        f'<text x="{left}" y="{height - 8}" font-size="11">hari kerja 1</text>'
        f'<text x="{width - 12}" y="{height - 8}" font-size="11" text-anchor="end">'
        f"{working_days} / working days</text>"
        f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - 12}" y2="{y(target):.1f}"'
        f' stroke="{TARGET}" stroke-width="1.5"/>'
    )
    body = grid + axis + line(pace, TARGET, 'stroke-dasharray="6 4"') + line(actual, ACCENT)
    return _svg(width, height, label, body)


def stacked(parts: Sequence[tuple[str, float, str]], *, label: str) -> Markup:
    """One bar split into parts (name, value, colour), with a legend below."""
    width, total = 900, sum(v for _, v, _ in parts) or 1
    x, body = 0.0, []
    for i, (name, value, colour) in enumerate(parts):
        w = width * value / total
        body.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="28" fill="{colour}"/>')
        body.append(
            f'<rect x="{i * 225}" y="40" width="12" height="12" fill="{colour}"/>'
            f'<text x="{i * 225 + 16}" y="51" font-size="13">'
            f"{escape(name)}: {_number(value)}</text>"
        )
        x += w
    return _svg(width, 60, label, "".join(body))
