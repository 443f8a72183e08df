"""What the healtharchive Datasette plugins share: the URLs of the project's pages (each names its database, so two
archives in one Datasette never mix), change statistics, reading through ``archive.queries``."""

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


def _db(database: str) -> str:
    from datasette.utils import tilde_encode

    return tilde_encode(database)


def diff_url(datasette, database, article_id, from_version=None, to_version=None) -> str | None:
    """``/-/diff/{database}/{article_id}?from=A&to=B``: what changed from version A to B (default: the last two)."""
    if article_id is None:
        return None
    path = f"/-/diff/{_db(database)}/{int(article_id)}"
    if to_version is not None:
        path += (
            f"?from={int(from_version)}&to={int(to_version)}" if from_version is not None else f"?to={int(to_version)}"
        )
    return datasette.urls.path(path)


def article_url(datasette, database, article_id) -> str | None:
    """``/-/article/{database}/{article_id}``: the article page."""
    return None if article_id is None else datasette.urls.path(f"/-/article/{_db(database)}/{int(article_id)}")


def version_url(datasette, database, article_id, version) -> str | None:
    """``/-/article/{database}/{article_id}/v{version}``: one version's whole text."""
    if article_id is None or version is None:
        return None
    return datasette.urls.path(f"/-/article/{_db(database)}/{int(article_id)}/v{int(version)}")


def version_id_url(datasette, database, version_id) -> str | None:
    """``/-/version/{database}/{versions.id}``: redirects to the version page."""
    return None if version_id is None else datasette.urls.path(f"/-/version/{_db(database)}/{int(version_id)}")


def crawl_url(datasette, database, crawl_id) -> str | None:
    return None if crawl_id is None else datasette.urls.row(database, "crawls", str(int(crawl_id)))


def capture_url(datasette, database, capture_id) -> str | None:
    """A capture (``captures`` is a view: no row page; the table filtered to it)."""
    return None if capture_id is None else datasette.urls.table(database, "captures") + f"?id={int(capture_id)}"


def timeline_url(datasette, database, article_id) -> str | None:
    if article_id is None:
        return None
    return datasette.urls.path(f"/{database}/article_timeline?article={int(article_id)}")


def with_deltas(history: dict, texts: dict[int, str]) -> dict:
    """``history`` (``archive.queries.article_history``) plus the words each version added and removed."""
    deltas = {}
    for v in history["versions"]:
        n, before = v["version"], v["previous"]  # the version before it in time
        if before in texts and n in texts:
            s = change_stats(texts[before], texts[n])
            deltas[n] = (s["words_added"], s["words_removed"])
    return {**history, "deltas": deltas}


async def article_history(db, article_id: int) -> dict:
    """An article's versions, observations and per-version word deltas, read through ``archive.queries``."""
    from archive import queries

    def read(conn):
        return with_deltas(queries.article_history(conn, article_id), queries.texts_by_version(conn, article_id))

    return await db.execute_fn(read)


def page_of(starts: list[int] | None, index: int | None) -> int | None:
    """The page (1, 2, ...) of the ``index``-th block of a text whose pages start at ``starts``; None if unknown."""
    if not starts or index is None:
        return None
    return sum(start <= index for start in starts)


def get_database(datasette, name: str | None):
    """The served database ``name`` (tilde-encoded in URLs); without a name, the archive: the database named
    ``archive`` if served, else the first one. NotFound names what is served."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import NotFound

    if name is None:
        try:
            return datasette.get_database("archive")
        except KeyError:
            return datasette.get_database()
    try:
        return datasette.get_database(tilde_decode(name))
    except KeyError:
        served = ", ".join(n for n in datasette.databases if not n.startswith("_"))
        raise NotFound(f"no database {tilde_decode(name)!r} (served: {served})") from None


async def find_article(db, key) -> dict | None:
    from archive import queries

    return await db.execute_fn(lambda conn: queries.find_article(conn, key))
