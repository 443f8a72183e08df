"""Datasette plugin: the article page and the version page.

- ``/-/article/{database}/{article_id}``: an article's versions (each linked to its text and its diff, with words
  added and removed), every crawl that looked at it (outcome; for an incomplete one, which page failed), its chart.
- ``/-/article/{database}/{article_id}/v{N}``: version N's whole cleaned text, page by page where the page
  boundaries were recorded, with its metadata (title, review date, author, ...), its pages with their URLs and
  captures, and its neighbours' diffs.
- ``/-/version/{database}/{versions.id}``: redirects to the version page (what ``version_id`` cells link to).

Every id on these pages is a link. Archived text is escaped by the templates (autoescape); links out to archived
URLs are made for http(s) URLs only.
"""

from __future__ import annotations

import json
import time

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from archive import queries
from archive.text import blocks as text_blocks

from .chart import chart_svg
from .common import (
    article_history,
    article_url,
    capture_url,
    change_stats,
    crawl_url,
    diff_url,
    get_database,
    timeline_url,
    version_url,
)
from .diffpage import article_of


@hookimpl
def register_routes():
    return [
        (r"^/-/article/(?P<database>[^/]+)/(?P<article_id>[^/]+)$", article_page),
        (r"^/-/article/(?P<database>[^/]+)/(?P<article_id>[^/]+)/v(?P<version>[^/]+)$", version_page),
        (r"^/-/version/(?P<database>[^/]+)/(?P<version_id>[^/]+)$", version_redirect),
    ]


def _http(url):
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def _links(datasette, db, article_id):
    return {
        "article": article_url(datasette, db.name, article_id),
        "timeline": timeline_url(datasette, db.name, article_id),
        "row": datasette.urls.row(db.name, "articles", str(article_id)),
        "versions": datasette.urls.table(db.name, "versions") + f"?article_id={article_id}",
        "observations": datasette.urls.table(db.name, "observations") + f"?article_id={article_id}",
        "captures": datasette.urls.table(db.name, "captures") + f"?article_id={article_id}",
        "latest_diff": diff_url(datasette, db.name, article_id),
    }


def _why_incomplete(conn, article_id, observation) -> str:
    """Which page an incomplete observation failed on: recorded, else read from the crawl's captures."""
    if observation.get("detail"):
        return observation["detail"]
    failed = queries.failed_captures(conn, article_id, observation["crawl_id"])
    if failed:
        return "; ".join(
            f"page {c['page']} ({c['url']}): HTTP {c['status']} (from the crawl's captures)" for c in failed
        )
    return "which page failed was not recorded"


async def article_page(datasette, request):
    db = get_database(datasette, request.url_vars["database"])
    article = await article_of(datasette, request, db)
    aid = article["id"]
    history = await article_history(db, aid)

    def incomplete(conn):
        return {o["id"]: _why_incomplete(conn, aid, o) for o in history["observations"] if o["outcome"] == "incomplete"}

    why = await db.execute_fn(incomplete)
    versions = []
    for v in history["versions"]:
        n = v["version"]
        added, removed = history["deltas"].get(n, (None, None))
        versions.append(
            {
                **v,
                "url": version_url(datasette, db.name, aid, n),
                "diff": diff_url(datasette, db.name, aid, v["previous"], n),
                "crawl_url": crawl_url(datasette, db.name, v["crawl_id"]),
                "added": added,
                "removed": removed,
            }
        )
    observations = [
        {
            **o,
            "crawl_url": crawl_url(datasette, db.name, o["crawl_id"]),
            "version_url": version_url(datasette, db.name, aid, o["version"]),
            "why": why.get(o["id"]),
        }
        for o in history["observations"]
    ]
    context = {
        "database": db.name,
        "article": article,
        "article_href": _http(article["url"]),
        "versions": versions,
        "observations": observations,
        "links": _links(datasette, db, aid),
        "chart": Markup(
            chart_svg(
                history,
                lambda x, y: diff_url(datasette, db.name, aid, x, y),
                crawl_link=lambda c: crawl_url(datasette, db.name, c),
            )
        ),
    }
    page = await datasette.render_template("ha_article.html", context, request=request, view_name="ha_article")
    return Response.html(page)


async def version_page(datasette, request):
    db = get_database(datasette, request.url_vars["database"])
    article = await article_of(datasette, request, db)
    aid = article["id"]
    raw = request.url_vars["version"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise NotFound(f"no version {raw!r}: versions are numbered 1, 2, ... (/v2)")
    number = int(raw)

    def read(conn):
        numbers = queries.version_numbers(conn, aid)
        if number not in numbers:
            return numbers, None, [], {}
        row = queries.versions(conn, aid, [number])[number]
        ids = json.loads(row["capture_ids"]) if row["capture_ids"] else []
        captures = queries.captures_by_id(conn, ids) if ids else []
        at = numbers.index(number)  # numbers are in time order: its neighbours in time
        neighbours = queries.versions(conn, aid, numbers[max(at - 1, 0) : at + 2])
        return numbers, row, captures, neighbours

    numbers, row, captures, neighbours = await db.execute_fn(read)
    if row is None:
        raise NotFound(f"article {aid} has no version {number} (versions: {', '.join(map(str, numbers)) or 'none'})")
    starts = json.loads(row["page_starts"]) if row["page_starts"] else None
    page_urls = json.loads(row["page_urls"]) if row["page_urls"] else []
    by_page = {c["page"]: c for c in captures}
    pages = [
        {
            "number": n,
            "url": url,
            "href": _http(url),
            "capture": by_page.get(n),
            "capture_url": capture_url(datasette, db.name, by_page[n]["id"]) if n in by_page else None,
            "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(by_page[n]["at"])) if n in by_page else "",
            "start": starts[n - 1] if starts and n - 1 < len(starts) else None,
        }
        for n, url in enumerate(page_urls, start=1)
    ]
    sections = []  # [(page or None, [(index, block)])]
    for index, block in enumerate(text_blocks(row["text"])):
        page = sum(s <= index for s in starts) if starts else None
        if not sections or sections[-1]["page"] != page:
            sections.append({"page": page, "url": page_urls[page - 1] if page and page <= len(page_urls) else None})
            sections[-1]["blocks"] = []
        sections[-1]["blocks"].append((index, block))

    def change(a, b):
        if a is None or b is None:
            return None
        stats = change_stats(a["text"], b["text"])
        return {
            "from": a["version"],
            "to": b["version"],
            "url": diff_url(datasette, db.name, aid, a["version"], b["version"]),
            **stats,
        }

    at = numbers.index(number)
    before = neighbours.get(numbers[at - 1]) if at > 0 else None
    after = neighbours.get(numbers[at + 1]) if at + 1 < len(numbers) else None
    context = {
        "database": db.name,
        "article": article,
        "article_href": _http(article["url"]),
        "version": row,
        "numbers": numbers,
        "pages": pages,
        "pages_known": starts is not None,
        "sections": sections,
        "previous": change(before, row),
        "next": change(row, after),
        "first_url": diff_url(datasette, db.name, aid, None, number) if number == numbers[0] else None,
        "previous_url": version_url(datasette, db.name, aid, before["version"]) if before else None,
        "next_url": version_url(datasette, db.name, aid, after["version"]) if after else None,
        "previous_number": before["version"] if before else None,
        "next_number": after["version"] if after else None,
        "crawl_url": crawl_url(datasette, db.name, row["crawl_id"]),
        "version_row_url": datasette.urls.table(db.name, "versions") + f"?id={row['id']}",
        "version_links": {n: version_url(datasette, db.name, aid, n) for n in numbers},
        "links": _links(datasette, db, aid),
    }
    page = await datasette.render_template("ha_version.html", context, request=request, view_name="ha_version")
    return Response.html(page)


async def version_redirect(datasette, request):
    db = get_database(datasette, request.url_vars["database"])
    raw = request.url_vars["version_id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise NotFound(f"no version {raw!r}: give a version id (/-/version/{db.name}/6)")
    await datasette.ensure_permissions(
        request.actor, [("view-table", (db.name, "versions")), ("view-database", db.name), "view-instance"]
    )
    found = await db.execute_fn(lambda conn: queries.version_key(conn, int(raw)))
    if found is None:
        raise NotFound(f"no version {raw} in {db.name}")
    return Response.redirect(version_url(datasette, db.name, found["article_id"], found["version"]))
