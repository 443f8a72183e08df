"""Datasette plugin: table cells. Version numbers link to their diff, diff and timeline paths become links,
article ids link to their article, outcomes and statuses get badges, search snippets get their matches
highlighted, feed HTML is sanitised. Archived text is always escaped."""

from __future__ import annotations

import html
import re

from datasette import hookimpl
from markupsafe import Markup

from .common import MARK_CLOSE, MARK_OPEN, OUTCOMES, diff_url

_DIFF_PATH = re.compile(r"^(?:/[\w.~-]+)*/-/diff/(\d+)(?:\?(?:from=(\d+)&)?to=(\d+))?$")
_TIMELINE_PATH = re.compile(r"^(?:/[\w.~-]+)*/[\w.~-]+/article_timeline\?article=(\d+)$")


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
            value, url, value, label
        )
    if column == "article_id" and isinstance(value, int) and table != "articles":
        return Markup('<a class="ha-link" href="{}">{}</a>').format(
            datasette.urls.row(database, "articles", str(value)), value
        )
    return None
