"""Datasette plugin: an SVG chart of an article over time (words per version, each crawl's outcome, words
added and removed by each change) on its row page and its timeline. Every text in the chart is escaped."""

from __future__ import annotations

import html

from datasette import hookimpl
from markupsafe import Markup

from .common import OUTCOMES, article_history, article_url, crawl_url, diff_url, find_article, timeline_url


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    """The article chart on an article's row page and on its timeline."""
    if request is None or database is None:
        return {}
    article_id = None
    if view_name == "row" and table == "articles":
        pks = request.url_vars.get("pks", "")
        article_id = pks if pks.isdigit() else None
    elif request.path.endswith("/article_timeline"):
        arg = (request.args.get("article") or "").strip()
        article_id = arg or None
    if article_id is None:
        return {}

    async def inner():
        db = datasette.get_database(database)
        article = await find_article(db, article_id)
        if article is None:
            return {}
        history = await article_history(db, article["id"])
        return {
            "ha_article": article,
            "ha_chart": Markup(
                chart_svg(
                    history,
                    lambda a, b: diff_url(datasette, database, article["id"], a, b),
                    crawl_link=lambda c: crawl_url(datasette, database, c),
                )
            ),
            "ha_diff_url": diff_url(datasette, database, article["id"]),
            "ha_article_url": article_url(datasette, database, article["id"]),
            "ha_timeline_url": timeline_url(datasette, database, article["id"]),
            "ha_version_count": len(history["versions"]),
            "ha_versions_url": datasette.urls.table(database, "versions") + f"?article_id={article['id']}",
        }

    return inner


_COLOURS = {
    "new": "#2f6db5",
    "changed": "#d9730d",
    "unchanged": "#9aa3ad",
    "incomplete": "#c9a227",
    "gone": "#c62828",
    "added": "#2e9d4f",
    "removed": "#d1453b",
    "line": "#2f6db5",
}


def chart_svg(history: dict, diff_link=None, width: int = 720, crawl_link=None) -> str:
    """A small SVG of an article over time: words per version (line), each crawl's outcome (markers),
    words added and removed by each change (bars); ``diff_link(a, b)`` and ``crawl_link(id)`` make the marks and
    the crawl labels links. Every text in it is escaped."""
    esc = lambda s: html.escape(str(s), quote=True)  # noqa: E731
    obs = history["observations"]
    versions = {v["version"]: v for v in history["versions"]}
    if not obs and not versions:
        return ""
    if not obs:  # an archive without observations: plot the versions themselves
        obs = [
            {
                "crawl_id": v["crawl_id"],
                "observed_at": v["crawled_at"],
                "outcome": "changed" if v.get("previous") else "new",
                "version": v["version"],
            }
            for v in history["versions"]
        ]
    left, right, top, line_h, bar_h, bottom = 56, 48, 34, 70, 44, 34
    height = top + line_h + 14 + bar_h + bottom
    plot_w = width - left - right
    n = len(obs)
    xs = [left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1)) for i in range(n)]

    # Words in force at each observation (carried over incomplete/gone ones).
    words, current = [], None
    changes = []
    for o in obs:
        v = versions.get(o["version"]) if o["version"] is not None else None
        if v is not None:
            current = v
        words.append(current["words"] if current and current["words"] is not None else None)
        if o["outcome"] == "changed" and v is not None and v.get("previous") in versions:
            changes.append(v["version"])
    known = [w for w in words if w is not None] or [0]
    lo, hi = 0, max(known) or 10  # from zero: 324 -> 330 words is a small step, not a cliff
    y_of = lambda w: top + line_h - (w - lo) / (hi - lo) * line_h  # noqa: E731

    # Words added/removed by each change (article_history computes them from the texts' diff).
    deltas = history.get("deltas", {})
    max_delta = max([1] + [max(d) for d in deltas.values()])
    bar_mid = top + line_h + 14 + bar_h / 2

    out = [
        f'<svg class="ha-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="versions and changes over time">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfbfd" rx="6"/>',
    ]
    # Legend.
    lx = left
    for key, label in (
        ("new", "new"),
        ("changed", "changed"),
        ("unchanged", "unchanged"),
        ("incomplete", "incomplete"),
        ("gone", "gone"),
        ("added", "words added"),
        ("removed", "words removed"),
    ):
        colour = _COLOURS[key]
        if key in ("added", "removed"):
            out.append(f'<rect x="{lx}" y="10" width="10" height="10" fill="{colour}"/>')
        else:
            out.append(f'<circle cx="{lx + 5}" cy="15" r="5" fill="{colour}"/>')
        out.append(f'<text x="{lx + 14}" y="19" font-size="11" fill="#444">{esc(label)}</text>')
        lx += 22 + 6.5 * len(label)
    # Axes.
    out.append(f'<text x="{left - 8}" y="{top + 4}" font-size="10" fill="#666" text-anchor="end">{hi}</text>')
    out.append(f'<text x="{left - 8}" y="{top + line_h + 4}" font-size="10" fill="#666" text-anchor="end">{lo}</text>')
    out.append(
        f'<text x="10" y="{top + line_h / 2 + 4}" font-size="10" fill="#666" '
        f'transform="rotate(-90 10 {top + line_h / 2})" text-anchor="middle">words</text>'
    )
    out.append(f'<line x1="{left}" y1="{top + line_h}" x2="{width - right}" y2="{top + line_h}" stroke="#ddd"/>')
    out.append(f'<line x1="{left}" y1="{bar_mid}" x2="{width - right}" y2="{bar_mid}" stroke="#ccc"/>')
    if deltas:
        out.append(
            f'<text x="{left - 8}" y="{bar_mid - bar_h / 2 + 8}" font-size="10" fill="{_COLOURS["added"]}" '
            f'text-anchor="end">+{max_delta}</text>'
        )
        out.append(
            f'<text x="{left - 8}" y="{bar_mid + bar_h / 2}" font-size="10" fill="{_COLOURS["removed"]}" '
            f'text-anchor="end">−{max_delta}</text>'
        )
    else:
        out.append(f'<text x="{left}" y="{bar_mid - 6}" font-size="10" fill="#888">no change in the text yet</text>')
    # Step line of the word count.
    points = []
    for x, w in zip(xs, words):
        if w is None:
            continue
        y = y_of(w)
        if points:
            points.append(f"{x:.1f},{points[-1].split(',')[1]}")
        points.append(f"{x:.1f},{y:.1f}")
    if len(points) > 1:
        out.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{_COLOURS["line"]}" '
            f'stroke-width="2" stroke-opacity="0.55"/>'
        )
    # Bars and markers.
    for i, (o, x, w) in enumerate(zip(obs, xs, words)):
        outcome = o["outcome"] if o["outcome"] in OUTCOMES else "unchanged"
        version = o["version"]
        tip = f"crawl {o['crawl_id']} · {o['observed_at']} · {outcome}"
        if version is not None:
            tip += f" · v{version}"
        delta = deltas.get(version) if outcome == "changed" else None
        if delta:
            added, removed = delta
            tip += f" · +{added} −{removed} words"
            ha = bar_h / 2 * added / max_delta
            hr = bar_h / 2 * removed / max_delta
            out.append(
                f'<rect x="{x - 6:.1f}" y="{bar_mid - ha:.1f}" width="12" height="{ha:.1f}" '
                f'fill="{_COLOURS["added"]}"/>'
            )
            out.append(
                f'<rect x="{x - 6:.1f}" y="{bar_mid:.1f}" width="12" height="{hr:.1f}" fill="{_COLOURS["removed"]}"/>'
            )
        y = y_of(w) if w is not None else top + line_h
        colour = _COLOURS[outcome]
        if outcome == "gone":
            shape = (
                f'<path d="M{x - 5:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 5:.1f} M{x + 5:.1f},{y - 5:.1f} '
                f'L{x - 5:.1f},{y + 5:.1f}" stroke="{colour}" stroke-width="3"/>'
            )
        elif outcome == "incomplete":
            shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#fff" stroke="{colour}" stroke-width="2.5"/>'
        else:
            r = {"new": 6, "changed": 7, "unchanged": 4}[outcome]
            shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}" stroke="#fff" stroke-width="1.5"/>'
        shape = f'<g class="ha-mark ha-o-{outcome}"><title>{esc(tip)}</title>{shape}</g>'
        if diff_link is not None and version is not None and outcome in ("new", "changed"):
            before = versions[version].get("previous") if version in versions else None  # before it in time
            href = diff_link(before if outcome == "changed" and before in versions else None, version)
            shape = f'<a href="{esc(href)}">{shape}</a>'
        out.append(shape)
        if n <= 14 or i in (0, n - 1):
            label = str(o["observed_at"] or "")[:16].replace("T", " ")
            out.append(
                f'<text x="{x:.1f}" y="{height - 20}" font-size="10" fill="#555" text-anchor="middle">'
                f"{esc(label[5:] if n > 1 else label)}</text>"
            )
            label = (
                f'<text x="{x:.1f}" y="{height - 8}" font-size="10" fill="#888" text-anchor="middle">'
                f"crawl {esc(o['crawl_id'])}</text>"
            )
            if crawl_link is not None and o["crawl_id"] is not None:
                label = f'<a href="{esc(crawl_link(o["crawl_id"]))}">{label}</a>'
            out.append(label)
    out.append("</svg>")
    return "".join(out)
