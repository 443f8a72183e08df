"""Datasette plugin: table cells. Every id is a link: article ids to the article page, version ids and version numbers
to the version page (numbers also to their diff), crawl ids to the crawl, capture ids to the capture; diff and
timeline paths become links, outcomes and statuses badges, crawl arguments and scope readable lists; search
snippets get their matches highlighted, feed HTML is sanitised. Archived text is always escaped."""

from __future__ import annotations

import html
import json
import re

from datasette import hookimpl
from markupsafe import Markup, escape

from .common import (
    MARK_CLOSE,
    MARK_OPEN,
    OUTCOMES,
    article_url,
    capture_url,
    crawl_url,
    diff_url,
    version_id_url,
    version_url,
)

_DIFF_PATH = re.compile(r"^(?:/[\w.~-]+)*/-/diff/(?:[\w.~-]+/)?(\d+)(?:\?(?:from=(\d+)&)?to=(\d+))?$")
_TIMELINE_PATH = re.compile(r"^(?:/[\w.~-]+)*/[\w.~-]+/article_timeline\?article=(\d+)$")
_VERSION_COLUMNS = (
    "version",
    "to_version",
    "from_version",
    "latest_version",
    "best_version",
)  # numbers within an article


def _clean_feed_html(value: str) -> str:
    """Feed HTML shown on a page: only the few harmless tags the feed uses survive, the rest is escaped."""
    import bleach

    return bleach.clean(
        value,
        tags={"p", "strong", "b", "i", "em", "ul", "li", "br", "code", "a"},
        attributes={"a": ["href"]},
        protocols={"http", "https"},
        strip=False,
    )


def _get(row, column):
    try:
        return row[column]
    except (KeyError, IndexError):
        return None


def _link(url, label, cls="ha-link ha-id", title=None):
    if title:
        return Markup('<a class="{}" href="{}" title="{}">{}</a>').format(cls, url, title, label)
    return Markup('<a class="{}" href="{}">{}</a>').format(cls, url, label)


def _readable_json(value: str):
    """A crawl's ``args`` or ``scope`` (JSON) as a short list: ``key: value``, URLs as links."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    items = []
    for key, item in data.items():
        values = item if isinstance(item, list) else [item]
        shown = []
        for v in values:
            text = v if isinstance(v, str) else json.dumps(v)
            if isinstance(v, str) and v.startswith(("http://", "https://")):
                shown.append(Markup('<a href="{0}" rel="nofollow noopener noreferrer">{0}</a>').format(text))
            else:
                shown.append(escape(text))
        items.append(Markup("<li><b>{}</b>: {}</li>").format(key, Markup(", ").join(shown) if shown else "—"))
    return Markup('<ul class="ha-kv">') + Markup("").join(items) + Markup("</ul>")


def _ids(value: str):
    try:
        ids = json.loads(value)
    except ValueError:
        return None
    return ids if isinstance(ids, list) and all(isinstance(i, int) for i in ids) else None


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if isinstance(value, str):
        return _render_text(row, value, column, table, database, datasette)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    article_id = _get(row, "article_id")
    if column in _VERSION_COLUMNS and table in (None, "versions", "version_derivations") and article_id is not None:
        page = version_url(datasette, database, article_id, value)
        if table != "versions" or column != "version":
            return _link(page, value, title=f"read version {value} in full")
        try:  # the version before it in time (the view's column; number - 1 unless older history was backfilled)
            before = row["previous_version"]
        except (KeyError, IndexError):
            before = value - 1 if value > 1 else None
        url = diff_url(datasette, database, article_id, before, value)
        label = "diff" if before else "first text"
        return Markup('{} <a class="ha-link ha-difflink" href="{}" title="what changed in version {}">{}</a>').format(
            _link(page, value, title=f"read version {value} in full"), url, value, label
        )
    if column == "article_id" and table != "articles":
        return _link(article_url(datasette, database, value), value, title="the article page")
    if column in ("version_id", "current_version_id") or (column == "id" and table == "versions"):
        return _link(version_id_url(datasette, database, value), value, title="read this version")
    if column == "crawl_id" and table != "crawls":
        return _link(crawl_url(datasette, database, value), value)
    if (column == "id" and table == "captures") or column == "revisit_of":
        return _link(capture_url(datasette, database, value), value)
    if column == "id" and table == "observations" and article_id is not None:
        return _link(article_url(datasette, database, article_id) + f"#o{value}", value, title="on the article page")
    return None


def _render_text(row, value, column, table, database, datasette):
    match = _DIFF_PATH.match(value)
    if match:
        _article_id, a, b = match.groups()
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
    if column in ("args", "scope") and table == "crawls":
        return _readable_json(value)
    if column == "matching_versions" and _get(row, "article_id") is not None and re.fullmatch(r"\d+(, \d+)*", value):
        article_id = _get(row, "article_id")
        return Markup(", ").join(
            _link(version_url(datasette, database, article_id, int(n)), n) for n in value.split(", ")
        )
    if column == "capture_ids":
        ids = _ids(value)
        if ids is not None:
            return Markup(", ").join(_link(capture_url(datasette, database, i), i) for i in ids)
    if MARK_OPEN in value:
        text = html.escape(value).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
        return Markup(f'<span class="ha-snippet">{text}</span>')
    return None
