"""Datasette plugin: SQL functions for the canned queries and the feed.

``ha_words_added(old, new)``, ``ha_words_removed(old, new)``, ``ha_preview(old, new)`` (a change in one line),
``ha_diff_url(article_id, from, to)``,
``ha_article_url(article_id)``, ``ha_version_url(article_id, version)``, ``ha_timeline_url(article_id)`` (links into
the connection's own database), ``ha_fts(q)`` (any input as a valid FTS5 query) and
``ha_feed_html(old, new, diff_url)`` (a change as simple HTML for feed readers, every text escaped).
"""

from __future__ import annotations

import html
from functools import lru_cache

from datasette import hookimpl
from datasette.utils import escape_fts

from .. import diff as differ
from .common import article_url, change_stats, diff_url, timeline_url, version_url


def words_added(old, new):
    return None if new is None else change_stats(old, new)["words_added"]


def words_removed(old, new):
    return None if new is None else change_stats(old, new)["words_removed"]


@lru_cache(maxsize=256)
def feed_html(old, new, link=None) -> str | None:
    """A change as simple HTML for feed readers (tags datasette-atom keeps), every text escaped."""
    if new is None:
        return None
    esc = html.escape
    ops = differ.diff(old or "", new)
    s = differ.stats(ops)
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    parts = [
        f"<p><strong>+{plural(s['words_added'], 'word')}, −{plural(s['words_removed'], 'word')}</strong>"
        f" ({plural(s['blocks_changed'], 'paragraph')} edited, {s['blocks_added']} added,"
        f" {s['blocks_removed']} removed)"
    ]
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
            new_words = "".join(
                f"<strong>{esc(t)}</strong>" if tag == "insert" and not t.isspace() else esc(t)
                for tag, t in op["words"]
                if tag != "delete"
            )
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


PREVIEW = 160  # characters of a one-line preview


def _clip(text: str, size: int = PREVIEW) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1].rsplit(" ", 1)[0] + "…"


@lru_cache(maxsize=1024)
def preview(old, new) -> str | None:
    """A change in one line: its first edited, added or removed paragraph (the new words of an edit, with what they
    replaced), and how many more; a first version's opening words."""
    if new is None:
        return None
    if old is None:
        return _clip("First version: " + new)
    ops = [op for op in differ.diff(old, new) if op["op"] != "equal"]
    if not ops:
        return "No change in the text"
    op = ops[0]
    if op["op"] == "insert":
        line = "Added: " + op["new"]
    elif op["op"] == "delete":
        line = "Removed: " + op["old"]
    else:
        added = " … ".join(t.strip() for tag, t in op["words"] if tag == "insert" and t.strip())
        removed = " … ".join(t.strip() for tag, t in op["words"] if tag == "delete" and t.strip())
        line = (
            "Edited: "
            + (f"“{_clip(added, 70)}”" if added else "")
            + (f" (was “{_clip(removed, 50)}”)" if removed else "")
        )
    more = f" (+{len(ops) - 1} more)" if len(ops) > 1 else ""
    return _clip(line, PREVIEW - len(more)) + more


def fts_query(q):
    """Quote each term so that any user input is a valid FTS5 query (Datasette's own escaping)."""
    return escape_fts(q or "") or '""'


@hookimpl
def prepare_connection(conn, database, datasette):
    conn.create_function("ha_words_added", 2, words_added, deterministic=True)
    conn.create_function("ha_words_removed", 2, words_removed, deterministic=True)
    conn.create_function("ha_feed_html", 3, feed_html, deterministic=True)
    conn.create_function("ha_preview", 2, preview, deterministic=True)
    conn.create_function("ha_fts", 1, fts_query, deterministic=True)
    conn.create_function(
        "ha_diff_url", 3, lambda aid, a, b: diff_url(datasette, database, aid, a, b), deterministic=True
    )
    conn.create_function("ha_article_url", 1, lambda aid: article_url(datasette, database, aid), deterministic=True)
    conn.create_function(
        "ha_version_url", 2, lambda aid, n: version_url(datasette, database, aid, n), deterministic=True
    )
    conn.create_function("ha_timeline_url", 1, lambda aid: timeline_url(datasette, database, aid), deterministic=True)
