"""Datasette plugin: the diff page.

``GET /-/diff/{database}/{article_id}?from=A&to=B[&view=sbs|inline]``: what changed between versions A and B of an
article of that database (per-article version numbers; default: the last two), side by side or inline, word by
word, each change labelled with the page of the article it is on, with the previous and next change, the
article's chart and its versions' metadata. ``/-/diff/{article_id}`` (the public contract's form) reads the archive
named ``archive``, else the first database served. Archived text is escaped (``healtharchive.diff`` builds every
fragment from escaped text).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from archive import queries

from .. import diff as differ
from .chart import chart_svg
from .common import (
    article_history,
    article_url,
    crawl_url,
    diff_url,
    find_article,
    get_database,
    page_of,
    timeline_url,
    version_url,
)


def _int_arg(request, name):
    value = request.args.get(name)
    if value in (None, ""):
        return None
    value = value.strip().lstrip("v")
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise NotFound(f"{name}= must be a version number, not {request.args.get(name)!r}")
    return int(value)


@hookimpl
def register_routes():
    return [
        (r"^/-/diff/(?P<article_id>[^/]+)$", diff_page),
        (r"^/-/diff/(?P<database>[^/]+)/(?P<article_id>[^/]+)$", diff_page),
    ]


async def article_of(datasette, request, db):
    """The article the route names, once the actor may see the database's versions; NotFound otherwise."""
    await datasette.ensure_permissions(
        request.actor, [("view-table", (db.name, "versions")), ("view-database", db.name), "view-instance"]
    )
    raw_id = request.url_vars["article_id"]
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 18:
        raise NotFound(f"no article {raw_id!r}: give an article id (/-/diff/{db.name}/3)")
    article = await find_article(db, raw_id)
    if article is None:
        raise NotFound(f"no article {raw_id} in {db.name}")
    return article


def page_finder(row):
    """Block index -> page of a ``versions`` row (None when its page boundaries were not recorded)."""
    starts = json.loads(row["page_starts"]) if row and row.get("page_starts") else None
    return (lambda index: page_of(starts, index)) if starts else None


async def diff_page(datasette, request):
    db = get_database(datasette, request.url_vars.get("database"))
    article = await article_of(datasette, request, db)
    numbers = await db.execute_fn(lambda conn: queries.version_numbers(conn, article["id"]))
    if not numbers:
        raise NotFound(f"article {article['id']} has no version yet")
    a, b = differ.default_pair(numbers, _int_arg(request, "from"), _int_arg(request, "to"))
    for n in (a, b):
        if n is not None and n not in numbers:
            raise NotFound(f"article {article['id']} has no version {n} (versions: {', '.join(map(str, numbers))})")
    first_text = a is None
    view = request.args.get("view", "sbs")
    if view not in ("sbs", "inline"):
        view = "sbs"

    wanted = {a if a is not None else b, b}
    rows = await db.execute_fn(lambda conn: queries.versions(conn, article["id"], wanted))
    old_row = rows[a] if a is not None else None
    old, new = (old_row["text"] if old_row else ""), rows[b]["text"]
    ops = differ.diff(old, new)
    stats = differ.stats(ops)
    unchanged = all(op["op"] == "equal" for op in ops)
    old_page, new_page = page_finder(old_row), page_finder(rows[b])
    render = differ.html_side_by_side if view == "sbs" else differ.html_inline
    body = render(ops, old_page, new_page)
    pages_known = new_page is not None and (old_row is None or old_page is not None)
    pages = differ.changed_pages(ops, old_page, new_page) if pages_known else None

    def link(x, y, v=view):
        url = diff_url(datasette, db.name, article["id"], x, y)
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
    version_links = {n: version_url(datasette, db.name, article["id"], n) for n in numbers}
    crawl_links = {r["crawl_id"]: crawl_url(datasette, db.name, r["crawl_id"]) for r in rows.values()}
    context = {
        "article": article,
        "article_href": safe_url,
        "numbers": numbers,
        "from_version": a,
        "to_version": b,
        "old": old_row,
        "new": rows[b],
        "first_text": first_text,
        "view": view,
        "diff_html": Markup(body),
        "stats": stats,
        "unchanged": unchanged,
        "pages": pages,
        "pages_known": pages_known,
        "prev_change": prev_change,
        "next_change": next_change,
        "sbs_url": link(a, b, "sbs"),
        "inline_url": link(a, b, "inline"),
        "latest_url": diff_url(datasette, db.name, article["id"]),
        "chart": Markup(
            chart_svg(
                history,
                lambda x, y: diff_url(datasette, db.name, article["id"], x, y),
                crawl_link=lambda c: crawl_url(datasette, db.name, c),
            )
        ),
        "timeline_url": timeline_url(datasette, db.name, article["id"]),
        "article_url": article_url(datasette, db.name, article["id"]),
        "version_links": version_links,
        "crawl_links": crawl_links,
        "row_url": datasette.urls.row(db.name, "articles", str(article["id"])),
        "versions_url": datasette.urls.table(db.name, "versions") + f"?article_id={article['id']}",
        "database": db.name,
        "diff_path": diff_url(datasette, db.name, article["id"]),
        "feed_url": datasette.urls.table(db.name, "changes_feed", format="atom")
        + "?"
        + urlencode({"center": article["url"]}),
    }
    page = await datasette.render_template("ha_diff.html", context, request=request, view_name="ha_diff")
    return Response.html(page)
