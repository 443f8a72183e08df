"""Datasette plugin: Atom feeds (RFC 4287) of any query with ``atom_id``, ``atom_title`` and ``atom_updated`` columns
(``atom_link``, ``atom_content_html``/``atom_content``, ``atom_author_name`` optional: datasette-atom's columns),
such as ``/archive/changes_feed.atom``.

What readers rely on: every link absolute (on the host the feed was requested from, https under Datasette's
``force_https_urls``); a feed ``<author>`` (healtharchive); a feed id that depends only on the query and its
parameters, never on the host or ``_`` options; ``updated`` the newest entry's time (or the archive's last crawl when
there is no entry, never "now"); each entry's content sanitised HTML. Entries keep their query's order.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urljoin

from datasette import __version__ as datasette_version
from datasette import hookimpl
from datasette.utils.asgi import Response

ATOM = "http://www.w3.org/2005/Atom"
REQUIRED = {"atom_id", "atom_title", "atom_updated"}
EPOCH = "1970-01-01T00:00:00Z"
_HREF = re.compile(r'href="(/[^"]*)"')  # site-relative links in content: made absolute too
_ALLOWED_TAGS = {"a", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre", "strong", "ul"}


def _clean(html: str) -> str:
    import bleach

    return bleach.clean(
        html or "", tags=_ALLOWED_TAGS, attributes={"a": ["href", "title"]}, protocols={"http", "https"}
    )


def _add(parent, tag, text=None, **attributes):
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: str(v) for k, v in attributes.items()})
    if text is not None:
        element.text = str(text)
    return element


def _text(value) -> str:
    """Text safe in XML 1.0 (no control characters but tab and newlines)."""
    return "".join(c for c in str(value) if c in "\t\n\r" or ord(c) >= 0x20)


async def render_atom(datasette, request, rows, columns, database, table, query_name, data):
    from datasette.views.base import DatasetteError

    if not REQUIRED.issubset(columns):
        raise DatasetteError(f"an Atom feed needs the columns {', '.join(sorted(REQUIRED))}", status=400)
    base = datasette.absolute_url(request, datasette.urls.path("/"))
    html_page = datasette.absolute_url(request, request.path.removesuffix(".atom"))
    params = sorted((k, v) for k in request.args if not k.startswith("_") for v in request.args.getlist(k))
    name = query_name or table or "query"
    title = name
    if query_name:
        title = (datasette.metadata(database=database) or {}).get("queries", {}).get(query_name, {}).get("title", name)
    updated = max((str(r["atom_updated"]) for r in rows if r["atom_updated"]), default=None)
    if updated is None:
        from archive import queries

        db = datasette.get_database(database)
        updated = await db.execute_fn(queries.last_activity) or EPOCH

    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", f"tag:healtharchive,2024:feed:{database}/{name}" + (f"?{urlencode(params)}" if params else ""))
    _add(feed, "title", _text(title))
    _add(feed, "updated", updated)
    author = _add(feed, "author")
    _add(author, "name", "healtharchive")
    _add(author, "uri", base)
    _add(feed, "link", rel="self", type="application/atom+xml", href=datasette.absolute_url(request, request.full_path))
    alternate = html_page + (f"?{urlencode(params)}" if params else "")
    _add(feed, "link", rel="alternate", type="text/html", href=alternate)
    _add(feed, "generator", "healtharchive on Datasette", version=datasette_version)
    for row in rows:
        entry = _add(feed, "entry")
        _add(entry, "id", _text(row["atom_id"]))
        _add(entry, "title", _text(row["atom_title"]))
        _add(entry, "updated", row["atom_updated"] or updated)
        if "atom_link" in columns and row["atom_link"]:
            _add(entry, "link", rel="alternate", type="text/html", href=urljoin(base, str(row["atom_link"])))
        if "atom_author_name" in columns and row["atom_author_name"]:
            _add(_add(entry, "author"), "name", _text(row["atom_author_name"]))
        if "atom_content_html" in columns and row["atom_content_html"] is not None:
            html = _HREF.sub(lambda m: f'href="{urljoin(base, m.group(1))}"', _clean(row["atom_content_html"]))
            _add(entry, "content", _text(html), type="html")
        elif "atom_content" in columns and row["atom_content"] is not None:
            _add(entry, "content", _text(row["atom_content"]), type="text")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response(
        '<?xml version="1.0" encoding="utf-8"?>\n' + body, content_type="application/atom+xml; charset=utf-8"
    )


def can_render(columns):
    return REQUIRED.issubset(columns)


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "atom", "render": render_atom, "can_render": can_render}
