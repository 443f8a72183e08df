"""What the healtharchive Datasette plugins share: links to diffs and timelines, change statistics."""

from __future__ import annotations

from functools import lru_cache

from .. import diff as differ

MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"  # snippet() markers the canned queries use; <mark> in HTML
OUTCOMES = ("new", "changed", "unchanged", "incomplete", "gone", "blocked")


@lru_cache(maxsize=1024)
def change_stats(old: str | None, new: str | None) -> dict:
    """Words and blocks added, removed and changed from ``old`` to ``new`` (cached: pages ask repeatedly)."""
    if old is None and new is None:
        return dict.fromkeys(("words_added", "words_removed", "blocks_added", "blocks_removed", "blocks_changed"), 0)
    return differ.stats(differ.diff(old or "", new or ""))


def diff_url(datasette, article_id, from_version=None, to_version=None) -> str | None:
    if article_id is None:
        return None
    path = f"/-/diff/{int(article_id)}"
    if to_version is not None:
        path += (
            f"?from={int(from_version)}&to={int(to_version)}" if from_version is not None else f"?to={int(to_version)}"
        )
    return datasette.urls.path(path)


def timeline_url(datasette, database, article_id) -> str | None:
    if article_id is None:
        return None
    return datasette.urls.path(f"/{database}/article_timeline?article={int(article_id)}")


def with_deltas(history: dict, texts: dict[int, str]) -> dict:
    """``history`` (``archive.queries.article_history``) plus the words each version added and removed."""
    deltas = {}
    for v in history["versions"]:
        n = v["version"]
        if n - 1 in texts and n in texts:
            s = change_stats(texts[n - 1], texts[n])
            deltas[n] = (s["words_added"], s["words_removed"])
    return {**history, "deltas": deltas}


async def article_history(db, article_id: int) -> dict:
    """An article's versions, observations and per-version word deltas, read through ``archive.queries``."""
    from archive import queries

    def read(conn):
        return with_deltas(queries.article_history(conn, article_id), queries.texts_by_version(conn, article_id))

    return await db.execute_fn(read)


async def find_article(db, key) -> dict | None:
    from archive import queries

    return await db.execute_fn(lambda conn: queries.find_article(conn, key))
