"""Datasette plugin: a full-text search of ``versions`` (``/archive/versions?_search=metformin``) opens with the best
matches, ranked by relevance (FTS5's bm25), each with the passage that matched highlighted and links to its version
and article; Datasette's own table of every match (in id order, as it pages) follows."""

from __future__ import annotations

import sqlite3

from datasette import hookimpl
from markupsafe import Markup, escape

from archive import queries

from .common import MARK_CLOSE, MARK_OPEN, article_url, version_url

BEST = 10


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    if view_name != "table" or table != "versions" or request is None or not request.args.get("_search"):
        return {}
    text, raw = request.args["_search"], request.args.get("_searchmode") == "raw"

    async def inner():
        db = datasette.get_database(database)
        try:
            hits = await db.execute_fn(
                lambda conn: queries.search(
                    conn, text, limit=BEST, marks=(MARK_OPEN, MARK_CLOSE), every_version=True, raw=raw
                )
            )
        except sqlite3.OperationalError:
            return {}  # a raw query FTS5 cannot parse: Datasette's own table says so
        for hit in hits:
            hit["snippet_html"] = Markup(
                str(escape(hit["snippet"])).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
            )
            hit["version_url"] = version_url(datasette, database, hit["article_id"], hit["version"])
            hit["article_url"] = article_url(datasette, database, hit["article_id"])
        return {"ha_best": hits, "ha_search_text": text}

    return inner
