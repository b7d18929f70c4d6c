"""Inline SVG charts, generated here: no script, no remote asset, every label escaped.

Each bar segment carries a ``<title>`` (its day, series and count), the legend names every series in text, and
series that need attention are hatched as well as coloured, so colour is never the only signal. Colours are
presentation attributes (a CSP without ``'unsafe-inline'`` blocks ``style`` attributes, not these)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

WIDTH = 800
HEIGHT = 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 10, 12, 44


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str
    hatched: bool = False


def calendar(days: Sequence[str]) -> list[str]:
    """Every day from the first to the last of ``days`` (ISO dates), so gaps show as gaps."""
    if not days:
        return []
    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    return [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]


def _axis(top: int, plot_h: float) -> list[str]:
    parts = [f'<line class="axis" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h:.1f}"/>']
    for fraction in (0, 0.5, 1):
        value = round(top * fraction)
        y = _TOP + plot_h - plot_h * value / top
        parts.append(f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    return parts


def _day_labels(days: Sequence[str], step: float, base: float) -> list[str]:
    every = max(1, len(days) // 6)
    picked = sorted({*range(0, len(days), every), len(days) - 1})
    if len(picked) > 1 and picked[-1] - picked[-2] < every / 2:
        picked.pop(-2)  # the last label would overlap the one before
    return [
        f'<text class="tick" x="{_LEFT + step * (i + 0.5):.1f}" y="{base + 28}" text-anchor="middle">'
        f"{escape(days[i] if i == 0 else days[i][5:])}</text>"
        for i in picked
    ]


def stacked_bars(
    chart_id: str,
    title: str,
    counts: Mapping[str, Counter[str]],
    series: Sequence[Series],
    markers: Mapping[str, int] | None = None,
) -> Markup:
    """Bars per day (every day of the range), stacked by ``series``; ``markers`` puts a dot under each day that
    has snapshots (its title says how many)."""
    days = calendar([*counts, *(markers or {})])
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    top = max([sum(counts.get(d, Counter()).values()) for d in days] + [1])
    step = plot_w / max(len(days), 1)
    base = _TOP + plot_h
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t"'
        f' xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}-t">{escape(title)}</title>',
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff" fill-opacity="0.001"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2" stroke-opacity="0.45"/></pattern></defs>',
        *_axis(top, plot_h),
    ]
    for i, day in enumerate(days):
        y = float(base)
        bar = min(step * 0.8, 48.0)
        x = _LEFT + step * (i + 0.5) - bar / 2
        for s in series:
            value = counts.get(day, Counter()).get(s.key, 0)
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            label = escape(f"{day} · {s.label}: {value}")
            rect = f'x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"'
            parts.append(f'<g><title>{label}</title><rect {rect} fill="{s.colour}"/>')
            if s.hatched:
                parts.append(f'<rect {rect} fill="url(#{chart_id}-hatch)"/>')
            parts.append("</g>")
        if markers and markers.get(day):
            n = markers[day]
            parts.append(
                f"<g><title>{escape(f'{day} · {n} snapshot' + ('s' if n != 1 else ''))}</title>"
                f'<circle class="snap" cx="{_LEFT + step * (i + 0.5):.1f}" cy="{base + 10}" r="3.5"/></g>'
            )
    parts += _day_labels(days, step, base) if days else []
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text above went through escape()
