"""Datasette plugin: the diff page.

``GET /-/diff/{article_id}?from=A&to=B[&view=sbs|inline]``: what changed between versions A and B of an article
(per-article version numbers; default: the last two), side by side or inline, word by word, with the previous
and next change, the article's chart and its versions' metadata. Archived text is escaped (``healtharchive.diff``
builds every fragment from escaped text).
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from archive import queries

from .. import diff as differ
from .chart import chart_svg
from .common import article_history, diff_url, find_article, timeline_url


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


@hookimpl
def register_routes():
    return [(r"^/-/diff/(?P<article_id>[^/]+)$", diff_page)]


async def diff_page(datasette, request):
    db = _archive_database(datasette)
    await datasette.ensure_permissions(
        request.actor, [("view-table", (db.name, "versions")), ("view-database", db.name), "view-instance"]
    )
    raw_id = request.url_vars["article_id"]
    if not raw_id.isdigit():
        raise NotFound(f"no article {raw_id!r}: the diff page takes an article id (/-/diff/3)")
    article = await find_article(db, raw_id)
    if article is None:
        raise NotFound(f"no article {raw_id} in the archive")
    numbers = await db.execute_fn(lambda conn: queries.version_numbers(conn, article["id"]))
    if not numbers:
        raise NotFound(f"article {article['id']} has no version yet")
    a, b = differ.default_pair(numbers, _int_arg(request, "from"), _int_arg(request, "to"))
    first_text = False
    for n in (a, b):
        if n is not None and n not in numbers:
            raise NotFound(f"article {article['id']} has no version {n} (versions: {', '.join(map(str, numbers))})")
    if a is None:
        first_text = True
    view = request.args.get("view", "sbs")
    if view not in ("sbs", "inline"):
        view = "sbs"

    wanted = {a if a is not None else b, b}
    rows = await db.execute_fn(lambda conn: queries.versions(conn, article["id"], wanted))
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
