"""The healtharchive Datasette plugin: diff pages, SQL helpers for the canned queries, charts, links.

Loaded by the ``datasette`` entry point in pyproject.toml, so it works under ``healtharchive serve`` and
under plain ``datasette archive.db`` alike.

- ``GET /-/diff/{article_id}?from=A&to=B[&view=sbs|inline]``: what changed between versions A and B of an
  article (per-article version numbers; default: the last two), side by side or inline, word by word.
- SQL functions for canned queries: ``ha_words_added(old, new)``, ``ha_words_removed(old, new)``,
  ``ha_diff_url(article_id, from, to)``, ``ha_timeline_url(article_id)``, ``ha_fts(q)``,
  ``ha_feed_html(old, new, diff_url)``.
- Cells: version numbers link to their diff, diff/timeline paths become links, outcomes get badges,
  search snippets get their matches highlighted.
- An SVG chart of an article's versions and changes over time on its row page, timeline and diff page.

Archived text is escaped everywhere: every fragment that reaches a page as markup is built here or in
``healtharchive.diff`` from ``html.escape``d text.
"""

from __future__ import annotations

import html
import re
import sqlite3
from functools import lru_cache
from pathlib import Path

from datasette import hookimpl
from datasette.utils import escape_fts
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from . import diff as differ

PLUGIN = "healtharchive"
CSS = "healtharchive.css"
CSS_PATH = "/-/healtharchive/" + CSS
STATIC = Path(__file__).resolve().parent / "static"
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"   # snippet() markers the canned queries use; <mark> in HTML
OUTCOMES = ("new", "changed", "unchanged", "incomplete", "gone")

_DIFF_PATH = re.compile(r"^(?:/[\w.~-]+)*/-/diff/(\d+)(?:\?(?:from=(\d+)&)?to=(\d+))?$")
_TIMELINE_PATH = re.compile(r"^(?:/[\w.~-]+)*/[\w.~-]+/article_timeline\?article=(\d+)$")


# --- diff helpers -----------------------------------------------------------------------------------

@lru_cache(maxsize=1024)
def _stats(old: str | None, new: str | None) -> dict:
    if old is None and new is None:
        return dict.fromkeys(("words_added", "words_removed", "blocks_added", "blocks_removed", "blocks_changed"), 0)
    return differ.stats(differ.diff(old or "", new or ""))


def words_added(old, new):
    return None if new is None else _stats(old, new)["words_added"]


def words_removed(old, new):
    return None if new is None else _stats(old, new)["words_removed"]


@lru_cache(maxsize=256)
def feed_html(old, new, link=None) -> str | None:
    """A change as simple HTML for feed readers (tags datasette-atom keeps), every text escaped."""
    if new is None:
        return None
    esc = html.escape
    ops = differ.diff(old or "", new)
    s = differ.stats(ops)
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    parts = [f"<p><strong>+{plural(s['words_added'], 'word')}, −{plural(s['words_removed'], 'word')}</strong>"
             f" ({plural(s['blocks_changed'], 'paragraph')} edited, {s['blocks_added']} added,"
             f" {s['blocks_removed']} removed)"]
    if link:
        parts.append(f' · <a href="{esc(link)}">see the diff</a>')
    parts.append("</p>")
    if old is None:
        parts.append("<p><em>First archived version.</em></p>")
    items = []
    for op in ops:
        if op["op"] == "insert":
            items.append(f"<li><b>Added:</b> {esc(op['new'])}</li>")
        elif op["op"] == "delete":
            items.append(f"<li><b>Removed:</b> {esc(op['old'])}</li>")
        elif op["op"] == "replace":
            new_words = "".join(f"<strong>{esc(t)}</strong>" if tag == "insert" and not t.isspace() else esc(t)
                                for tag, t in op["words"] if tag != "delete")
            gone = " … ".join(esc(t.strip()) for tag, t in op["words"] if tag == "delete" and t.strip())
            item = f"<li><b>Edited:</b> {new_words}"
            if gone:
                item += f"<br><i>removed:</i> <code>{gone}</code>"
            items.append(item + "</li>")
        if len(items) >= 20:
            items.append("<li>…</li>")
            break
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    return "".join(parts)


def _clean_feed_html(value: str) -> str:
    """Feed HTML shown on a page: only the few harmless tags the feed uses survive, the rest is escaped."""
    import bleach

    return bleach.clean(value, tags={"p", "strong", "b", "i", "em", "ul", "li", "br", "code", "a"},
                        attributes={"a": ["href"]}, protocols={"http", "https"}, strip=False)


def fts_query(q):
    """Quote each term so that any user input is a valid FTS5 query (Datasette's own escaping)."""
    return escape_fts(q or "") or '""'


# --- hooks ------------------------------------------------------------------------------------------

# SQLite actions that never write: everything else is denied on the archive's connections.
_READ_ACTIONS = {sqlite3.SQLITE_READ, sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE,
                 sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT}

_PRAGMAS_WITH_ARGUMENT = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
                          "foreign_key_list", "table_list"}


def _read_only(action, arg1, arg2, db_name, source):
    """SQLite authorizer: reads and read-only pragmas pass, anything that writes is denied."""
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master" and source is None:
        return sqlite3.SQLITE_OK  # SQLite's own check when it connects a virtual table (versions_fts)
    if action == sqlite3.SQLITE_PRAGMA and (arg2 is None or (arg1 or "").lower() in _PRAGMAS_WITH_ARGUMENT):
        return sqlite3.SQLITE_OK  # reading a pragma (or a table's columns, indexes, keys), not setting one
    return sqlite3.SQLITE_DENY


@hookimpl
def prepare_connection(conn, database, datasette):
    if not database.startswith("_"):  # Datasette's own _internal database is its to write
        conn.set_authorizer(_read_only)
    conn.create_function("ha_words_added", 2, words_added, deterministic=True)
    conn.create_function("ha_words_removed", 2, words_removed, deterministic=True)
    conn.create_function("ha_feed_html", 3, feed_html, deterministic=True)
    conn.create_function("ha_fts", 1, fts_query, deterministic=True)
    conn.create_function("ha_diff_url", 3, lambda aid, a, b: diff_url(datasette, aid, a, b), deterministic=True)
    conn.create_function("ha_timeline_url", 1, lambda aid: timeline_url(datasette, database, aid),
                         deterministic=True)


def diff_url(datasette, article_id, from_version=None, to_version=None) -> str | None:
    if article_id is None:
        return None
    path = f"/-/diff/{int(article_id)}"
    if to_version is not None:
        path += f"?from={int(from_version)}&to={int(to_version)}" if from_version is not None else f"?to={int(to_version)}"
    return datasette.urls.path(path)


def timeline_url(datasette, database, article_id) -> str | None:
    if article_id is None:
        return None
    return datasette.urls.path(f"/{database}/article_timeline?article={int(article_id)}")


@lru_cache(maxsize=1)
def _css_version() -> str:
    import hashlib

    return hashlib.sha256((STATIC / CSS).read_bytes()).hexdigest()[:10]


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path(CSS_PATH) + "?v=" + _css_version()]  # a new stylesheet, a new URL


async def stylesheet():
    return Response((STATIC / CSS).read_text(encoding="utf-8"), content_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "max-age=300"})


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if isinstance(value, str):
        match = _DIFF_PATH.match(value)
        if match:
            article_id, a, b = match.groups()
            if a:
                label = f"diff v{a} → v{b}"
            elif b:
                label = "first version (v1)" if b == "1" else f"v{b} and its changes"
            else:
                label = "latest version"
            return Markup('<a class="ha-link ha-difflink" href="{}">{}</a>').format(value, label)
        if _TIMELINE_PATH.match(value):
            return Markup('<a class="ha-link" href="{}">timeline</a>').format(value)
        if column == "status" and table in (None, "articles") and value in ("live", "gone"):
            return Markup('<span class="ha-badge ha-status-{0}">{0}</span>').format(value)
        if column == "outcome" and value in OUTCOMES:
            return Markup('<span class="ha-badge ha-o-{0}">{0}</span>').format(value)
        if column == "atom_content_html":
            return Markup(_clean_feed_html(value))  # sanitised: a custom query could name any column so
        if MARK_OPEN in value:
            text = html.escape(value).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
            return Markup(f'<span class="ha-snippet">{text}</span>')
        return None
    if table == "versions" and column == "version" and isinstance(value, int):
        try:
            article_id = row["article_id"]
        except (KeyError, IndexError):
            return None
        if article_id is None:
            return None
        url = diff_url(datasette, article_id, value - 1 if value > 1 else None, value)
        label = "diff" if value > 1 else "first text"
        return Markup('{} <a class="ha-link ha-difflink" href="{}" title="what changed in version {}">{}</a>').format(
            value, url, value, label)
    if column == "article_id" and isinstance(value, int) and table != "articles":
        return Markup('<a class="ha-link" href="{}">{}</a>').format(
            datasette.urls.row(database, "articles", str(value)), value)
    return None


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
        article = await _find_article(db, article_id)
        if article is None:
            return {}
        history = await article_history(db, article["id"])
        return {
            "ha_article": article,
            "ha_chart": Markup(chart_svg(history, lambda a, b: diff_url(datasette, article["id"], a, b))),
            "ha_diff_url": diff_url(datasette, article["id"]),
            "ha_timeline_url": timeline_url(datasette, database, article["id"]),
            "ha_version_count": len(history["versions"]),
            "ha_versions_url": datasette.urls.table(database, "versions") + f"?article_id={article['id']}",
        }

    return inner


@hookimpl
def startup(datasette):
    """Make the plugin's templates available under plain ``datasette archive.db`` too."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    loader = datasette.jinja_env.loader
    templates = str(STATIC.parent / "templates")
    if isinstance(loader, ChoiceLoader) and not any(
            isinstance(l, FileSystemLoader) and templates in l.searchpath for l in loader.loaders):
        loader.loaders.insert(0, FileSystemLoader([templates]))


@hookimpl
def register_routes():
    return [(r"^/-/diff/(?P<article_id>[^/]+)$", diff_page), (r"^" + re.escape(CSS_PATH) + "$", stylesheet)]


# --- data -------------------------------------------------------------------------------------------

async def _find_article(db, key):
    """An article by id or by URL, as a dict, or None."""
    key = str(key)
    if key.isdigit():
        rows = await db.execute("select * from articles where id = ?", [int(key)])
    else:
        rows = await db.execute("select * from articles where url = ?", [key])
    row = rows.first()
    return dict(row) if row else None


async def article_history(db, article_id: int) -> dict:
    versions = [dict(r) for r in await db.execute(
        "select v.id, v.version, v.title, v.crawled_at, v.crawl_id, t.words, t.hash as content_hash, v.page_count "
        "from version_log v join texts t on t.id = v.text_id where v.article_id = ? order by version",
        [article_id])]
    observations = [dict(r) for r in await db.execute(
        "select o.id, o.crawl_id, o.observed_at, o.outcome, v.version from observations o "
        "left join version_log v on v.id = o.version_id where o.article_id = ? order by o.observed_at, o.id",
        [article_id])]
    texts = {r["version"]: r["text"] for r in await db.execute(
        "select v.version, t.text from version_log v join texts t on t.id = v.text_id where v.article_id = ?",
        [article_id])}
    deltas = {}
    for v in versions:
        n = v["version"]
        if n - 1 in texts:
            s = _stats(texts[n - 1], texts[n])
            deltas[n] = (s["words_added"], s["words_removed"])
    return {"versions": versions, "observations": observations, "deltas": deltas}


def _archive_database(datasette):
    """The archive: the database named ``archive`` if served, else the first one."""
    try:
        return datasette.get_database("archive")
    except KeyError:
        return datasette.get_database()


def _int_arg(request, name):
    value = request.args.get(name)
    if value in (None, ""):
        return None
    value = value.strip().lstrip("v")
    if not value.isdigit():
        raise NotFound(f"{name}= must be a version number, not {request.args.get(name)!r}")
    return int(value)


# --- the diff page ----------------------------------------------------------------------------------

async def diff_page(datasette, request):
    db = _archive_database(datasette)
    await datasette.ensure_permissions(request.actor, [
        ("view-table", (db.name, "versions")), ("view-database", db.name), "view-instance"])
    raw_id = request.url_vars["article_id"]
    if not raw_id.isdigit():
        raise NotFound(f"no article {raw_id!r}: the diff page takes an article id (/-/diff/3)")
    article = await _find_article(db, raw_id)
    if article is None:
        raise NotFound(f"no article {raw_id} in the archive")
    numbers = [r[0] for r in await db.execute(
        "select version from version_log where article_id = ? order by version", [article["id"]])]
    if not numbers:
        raise NotFound(f"article {article['id']} has no version yet")
    a, b = _int_arg(request, "from"), _int_arg(request, "to")
    first_text = False
    if a is None and b is None:
        a, b = (numbers[-2], numbers[-1]) if len(numbers) > 1 else (None, numbers[-1])
    elif b is None:
        b = numbers[-1]
    elif a is None:
        a = b - 1 if b - 1 in numbers else None
    for n in (a, b):
        if n is not None and n not in numbers:
            raise NotFound(f"article {article['id']} has no version {n} (versions: {', '.join(map(str, numbers))})")
    if a is None:
        first_text = True
    view = request.args.get("view", "sbs")
    if view not in ("sbs", "inline"):
        view = "sbs"

    rows = {r["version"]: dict(r) for r in await db.execute(
        "select id, version, title, text, content_hash, crawled_at, crawl_id, words, page_count, extractor, "
        "extractor_version from versions where article_id = ? and version in (?, ?)",
        [article["id"], a if a is not None else b, b])}
    old, new = (rows[a]["text"] if a is not None else ""), rows[b]["text"]
    ops = differ.diff(old, new)
    stats = differ.stats(ops)
    unchanged = all(op["op"] == "equal" for op in ops)
    body = differ.html_side_by_side(ops) if view == "sbs" else differ.html_inline(ops)

    def link(x, y, v=view):
        url = diff_url(datasette, article["id"], x, y)
        return url + ("&view=inline" if v == "inline" else "")

    # Changes are consecutive pairs: the one before this diff ends at its "from", the next starts at "to".
    start = a if a is not None else b
    prev_change = None
    if start in numbers and numbers.index(start) > 0:
        i = numbers.index(start)
        prev_change = {"from": numbers[i - 1], "to": start, "url": link(numbers[i - 1], start)}
    elif a is not None and start == numbers[0]:
        prev_change = {"from": None, "to": start, "url": link(None, start)}
    next_change = None
    if numbers.index(b) + 1 < len(numbers):
        nb = numbers[numbers.index(b) + 1]
        next_change = {"from": b, "to": nb, "url": link(b, nb)}

    history = await article_history(db, article["id"])
    safe_url = article["url"] if str(article["url"]).startswith(("http://", "https://")) else None
    context = {
        "article": article,
        "article_href": safe_url,
        "numbers": numbers,
        "from_version": a,
        "to_version": b,
        "old": rows.get(a) if a is not None else None,
        "new": rows[b],
        "first_text": first_text,
        "view": view,
        "diff_html": Markup(body),
        "stats": stats,
        "unchanged": unchanged,
        "prev_change": prev_change,
        "next_change": next_change,
        "sbs_url": link(a, b, "sbs"),
        "inline_url": link(a, b, "inline"),
        "latest_url": diff_url(datasette, article["id"]),
        "chart": Markup(chart_svg(history, lambda x, y: diff_url(datasette, article["id"], x, y))),
        "timeline_url": timeline_url(datasette, db.name, article["id"]),
        "row_url": datasette.urls.row(db.name, "articles", str(article["id"])),
        "versions_url": datasette.urls.table(db.name, "versions") + f"?article_id={article['id']}",
        "database": db.name,
        "diff_path": datasette.urls.path(f"/-/diff/{article['id']}"),
    }
    page = await datasette.render_template("ha_diff.html", context, request=request, view_name="ha_diff")
    return Response.html(page)


# --- the chart --------------------------------------------------------------------------------------

_COLOURS = {"new": "#2f6db5", "changed": "#d9730d", "unchanged": "#9aa3ad", "incomplete": "#c9a227",
            "gone": "#c62828", "added": "#2e9d4f", "removed": "#d1453b", "line": "#2f6db5"}


def chart_svg(history: dict, diff_link=None, width: int = 720) -> str:
    """A small SVG of an article over time: words per version (line), each crawl's outcome (markers),
    words added and removed by each change (bars). Every text in it is escaped."""
    esc = lambda s: html.escape(str(s), quote=True)  # noqa: E731
    obs = history["observations"]
    versions = {v["version"]: v for v in history["versions"]}
    if not obs and not versions:
        return ""
    if not obs:  # an archive without observations: plot the versions themselves
        obs = [{"crawl_id": v["crawl_id"], "observed_at": v["crawled_at"], "outcome": "new" if v["version"] == 1
                else "changed", "version": v["version"]} for v in history["versions"]]
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
        if o["outcome"] == "changed" and v is not None and v["version"] - 1 in versions:
            changes.append(v["version"])
    known = [w for w in words if w is not None] or [0]
    lo, hi = min(known), max(known)
    if hi == lo:
        lo, hi = max(0, lo - 10), hi + 10
    y_of = lambda w: top + line_h - (w - lo) / (hi - lo) * line_h  # noqa: E731

    # Words added/removed by each change (article_history computes them from the texts' diff).
    deltas = history.get("deltas", {})
    max_delta = max([1] + [max(d) for d in deltas.values()])
    bar_mid = top + line_h + 14 + bar_h / 2

    out = [f'<svg class="ha-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="versions and changes over time">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfbfd" rx="6"/>']
    # Legend.
    lx = left
    for key, label in (("new", "new"), ("changed", "changed"), ("unchanged", "unchanged"),
                       ("incomplete", "incomplete"), ("gone", "gone"), ("added", "words added"),
                       ("removed", "words removed")):
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
    out.append(f'<text x="10" y="{top + line_h / 2 + 4}" font-size="10" fill="#666" '
               f'transform="rotate(-90 10 {top + line_h / 2})" text-anchor="middle">words</text>')
    out.append(f'<line x1="{left}" y1="{top + line_h}" x2="{width - right}" y2="{top + line_h}" stroke="#ddd"/>')
    out.append(f'<line x1="{left}" y1="{bar_mid}" x2="{width - right}" y2="{bar_mid}" stroke="#ccc"/>')
    if deltas:
        out.append(f'<text x="{left - 8}" y="{bar_mid - bar_h / 2 + 8}" font-size="10" fill="{_COLOURS["added"]}" '
                   f'text-anchor="end">+{max_delta}</text>')
        out.append(f'<text x="{left - 8}" y="{bar_mid + bar_h / 2}" font-size="10" fill="{_COLOURS["removed"]}" '
                   f'text-anchor="end">−{max_delta}</text>')
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
        out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{_COLOURS["line"]}" '
                   f'stroke-width="2" stroke-opacity="0.55"/>')
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
            out.append(f'<rect x="{x - 6:.1f}" y="{bar_mid - ha:.1f}" width="12" height="{ha:.1f}" '
                       f'fill="{_COLOURS["added"]}"/>')
            out.append(f'<rect x="{x - 6:.1f}" y="{bar_mid:.1f}" width="12" height="{hr:.1f}" '
                       f'fill="{_COLOURS["removed"]}"/>')
        y = y_of(w) if w is not None else top + line_h
        colour = _COLOURS[outcome]
        if outcome == "gone":
            shape = (f'<path d="M{x - 5:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 5:.1f} M{x + 5:.1f},{y - 5:.1f} '
                     f'L{x - 5:.1f},{y + 5:.1f}" stroke="{colour}" stroke-width="3"/>')
        elif outcome == "incomplete":
            shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#fff" stroke="{colour}" stroke-width="2.5"/>'
        else:
            r = {"new": 6, "changed": 7, "unchanged": 4}[outcome]
            shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}" stroke="#fff" stroke-width="1.5"/>'
        shape = f'<g class="ha-mark ha-o-{outcome}"><title>{esc(tip)}</title>{shape}</g>'
        if diff_link is not None and version is not None and outcome in ("new", "changed"):
            href = diff_link(version - 1 if outcome == "changed" and version - 1 in versions else None, version)
            shape = f'<a href="{esc(href)}">{shape}</a>'
        out.append(shape)
        if n <= 14 or i in (0, n - 1):
            label = str(o["observed_at"] or "")[:16].replace("T", " ")
            out.append(f'<text x="{x:.1f}" y="{height - 20}" font-size="10" fill="#555" text-anchor="middle">'
                       f'{esc(label[5:] if n > 1 else label)}</text>')
            out.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="10" fill="#888" text-anchor="middle">'
                       f'crawl {esc(o["crawl_id"])}</text>')
    out.append("</svg>")
    return "".join(out)
