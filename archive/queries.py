"""Read queries on the archive, as functions of a plain ``sqlite3`` connection.

The command line, the crawl and the Datasette plugin (through ``Database.execute_fn``) all read through these
functions, so each join over the storage tables is written once. Rows come back as dicts.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

from .schema import OUTCOME_CODE, OUTCOMES
from .urls import canonical_url, host_of, in_scope


def rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return [dict(r) for r in cursor.execute(sql, params)]


def one(conn: sqlite3.Connection, sql: str, params=()) -> dict | None:
    found = rows(conn, sql, params)
    return found[0] if found else None


# articles


def article(conn, url: str) -> dict | None:
    """The article whose canonical URL is exactly ``url``."""
    return one(conn, "SELECT * FROM articles WHERE url = ?", [url])


def find_article(conn, key) -> dict | None:
    """An article by id, by URL in any form (tracking parameters, ``?page=N``, a trailing slash or not), or by
    the URL of any page the archive captured for it."""
    key = str(key).strip()
    if key.isdigit():
        return one(conn, "SELECT * FROM articles WHERE id = ?", [int(key)])
    canonical = canonical_url(key) if key.startswith(("http://", "https://")) else key
    variants = list(dict.fromkeys([key, canonical, canonical.rstrip("/"), canonical.rstrip("/") + "/"]))
    marks = ",".join("?" * len(variants))
    found = one(conn, f"SELECT * FROM articles WHERE url IN ({marks}) ORDER BY id LIMIT 1", variants)
    if found is None:
        found = one(
            conn,
            f"SELECT a.* FROM urls u JOIN capture_log c ON c.url_id = u.id "
            f"JOIN articles a ON a.id = c.article_id WHERE u.url IN ({marks}) "
            f"ORDER BY c.id DESC LIMIT 1",
            variants,
        )
    return found


def live_articles(conn, hosts, paths) -> list[dict]:
    """Live articles on ``hosts`` under the path prefixes ``paths``, with the page URLs of their current version
    ([] for an article that has no version yet)."""
    found = []
    for row in rows(
        conn,
        "SELECT a.id, a.url, a.host, v.page_urls FROM articles a "
        "LEFT JOIN version_log v ON v.id = a.current_version_id WHERE a.status = 'live'",
    ):
        if in_scope(row["url"], hosts, paths):
            row["page_urls"] = json.loads(row["page_urls"]) if row["page_urls"] else []
            found.append(row)
    return found


def live_urls(conn, hosts, paths) -> list[tuple[int, str]]:
    """(id, URL) of the live articles on ``hosts`` under the path prefixes ``paths``: what ``live_articles`` says
    without their pages (two small objects an article, for a center of 50,000)."""
    return [
        (id, url)
        for id, url in conn.execute("SELECT id, url FROM articles WHERE status = 'live'")
        if in_scope(url, hosts, paths)
    ]


def known_pages(conn, url: str) -> list[str] | None:
    """Page URLs of a live article's current version ([] when it has no version yet, None when the archive has
    no live article ``url``)."""
    row = one(
        conn,
        "SELECT v.page_urls FROM articles a LEFT JOIN version_log v ON v.id = a.current_version_id "
        "WHERE a.url = ? AND a.status = 'live'",
        [url],
    )
    if row is None:
        return None
    return json.loads(row["page_urls"]) if row["page_urls"] else []


def current_pages(conn, url: str, at: str | None = None) -> dict | None:
    """The text, page URLs, page starts and extractor version of the current version of the article ``url`` (of the
    version in force at ``at``, when given), or None."""
    columns = "SELECT t.text, v.page_urls, v.page_starts, v.extractor_version, v.capture_ids FROM articles a "
    if at is None:
        sql = (
            columns
            + "JOIN version_log v ON v.id = a.current_version_id JOIN texts t ON t.id = v.text_id WHERE a.url = ?"
        )
    else:
        sql = (
            columns + "JOIN version_log v ON v.article_id = a.id JOIN texts t ON t.id = v.text_id "
            "WHERE a.url = ? AND v.crawled_at <= ? ORDER BY v.crawled_at DESC, v.version DESC LIMIT 1"
        )
    row = one(conn, sql, [url] if at is None else [url, at])
    if row is None:
        return None
    row["page_urls"] = json.loads(row["page_urls"]) if row["page_urls"] else []
    row["page_starts"] = json.loads(row["page_starts"]) if row["page_starts"] else None
    row["digests"] = payload_digests(conn, json.loads(row.pop("capture_ids") or "[]"))
    return row


def payload_digests(conn, capture_ids) -> list[str | None]:
    """The payload digest of each capture (a revisit's is the one of the capture it revisits), None when unknown."""
    found = []
    for capture_id in capture_ids:
        digest, seen = None, 0
        while capture_id is not None and digest is None and seen < 100:
            row = one(conn, "SELECT digest, revisit_of FROM capture_log WHERE id = ?", [capture_id])
            digest, capture_id, seen = (row["digest"], row["revisit_of"], seen + 1) if row else (None, None, seen)
        found.append(digest)
    return found


# versions


def version_numbers(conn, article_id: int) -> list[int]:
    """An article's version numbers in time order (by ``crawled_at``): the same as number order, unless a backfill
    added versions older than its crawled ones (numbered after them: a number never changes)."""
    return [
        r["version"]
        for r in rows(
            conn, "SELECT version FROM version_log WHERE article_id = ? ORDER BY crawled_at, version", [article_id]
        )
    ]


def versions(conn, article_id: int, numbers=None) -> dict[int, dict]:
    """Version number -> the ``versions`` row (text included) of an article, all of them or ``numbers``."""
    sql = "SELECT * FROM versions WHERE article_id = ?"
    params: list = [article_id]
    if numbers is not None:
        numbers = list(numbers)
        sql += f" AND version IN ({','.join('?' * len(numbers))})"
        params += numbers
    return {r["version"]: r for r in rows(conn, sql, params)}


def article_history(conn, article_id: int) -> dict:
    """An article's versions (without texts) in time order, each with the number of the one before it
    (``previous``, see ``version_numbers``), and its observations."""
    return {
        "versions": rows(
            conn,
            "SELECT v.id, v.version, v.title, v.crawled_at, v.crawl_id, t.words, v.reviewed_on, "
            "t.hash AS content_hash, v.page_count, v.extractor, v.extractor_version, v.previous_version AS previous "
            "FROM version_log v JOIN texts t ON t.id = v.text_id "
            "WHERE v.article_id = ? ORDER BY v.crawled_at, v.version",
            [article_id],
        ),
        "observations": rows(
            conn,
            "SELECT o.id, o.crawl_id, o.observed_at, o.outcome, v.version, o.detail "
            "FROM observations o LEFT JOIN version_log v ON v.id = o.version_id "
            "WHERE o.article_id = ? ORDER BY o.observed_at, o.id",
            [article_id],
        ),
    }


def version_key(conn, version_id: int) -> dict | None:
    """The article and number (``article_id``, ``version``) of the version with this id."""
    return one(conn, "SELECT article_id, version FROM version_log WHERE id = ?", [version_id])


def failed_captures(conn, article_id: int, crawl_id: int) -> list[dict]:
    """The captures of an article in a crawl that did not answer 200 or 304 (which page an incomplete
    observation recorded before ``observation_log.detail`` failed on, when it answered at all)."""
    return rows(
        conn,
        "SELECT c.id, c.page, c.status, u.url FROM capture_log c JOIN urls u ON u.id = c.url_id "
        "WHERE c.article_id = ? AND c.crawl_id = ? AND c.status NOT IN (200, 304) ORDER BY c.page, c.id",
        [article_id, crawl_id],
    )


def crawl_changes(conn, crawl_id: int) -> list[dict]:
    """What a crawl found that a reader wants to hear about: its new, changed and gone articles, in the order seen,
    with the version each left in force."""
    codes = [OUTCOME_CODE[k] for k in ("new", "changed", "gone")]
    found = rows(
        conn,
        "SELECT o.crawl_id, o.outcome AS code, a.id AS article_id, a.url, a.title, v.version, v.previous_version "
        "FROM observation_log o JOIN articles a ON a.id = o.article_id "
        "LEFT JOIN version_log v ON v.id = o.version_id "
        "WHERE o.crawl_id = ? AND o.outcome IN (?, ?, ?) ORDER BY o.id",
        [crawl_id, *codes],
    )
    return [{**r, "outcome": OUTCOMES[r.pop("code") - 1]} for r in found]


# full-text search

# Relevance (FTS5's bm25) is computed over the newest RANKED matching versions: scoring a word found in 100,000
# versions costs about 130 ms of CPU, 20,000 about 25 ms (bench/queries.py); a rarer word is ranked in full.
RANKED = 20_000
_FLOOR = (
    "(SELECT coalesce((SELECT rowid FROM versions_fts WHERE versions_fts MATCH ? ORDER BY rowid DESC "
    f"LIMIT 1 OFFSET {RANKED - 1}), 0))"
)


def fts_query(text: str) -> str:
    """Any input as a valid FTS5 query: each word quoted (so AND, NOT, quotes and stars are words), all required."""
    terms = re.findall(r"[^\s\"]+", text or "")
    return " ".join('"' + t + '"' for t in terms) or '""'


def search(
    conn, text: str, as_of: str | None = None, limit: int = 20, marks=("[", "]"), every_version=False, raw=False
) -> list[dict]:
    """Articles whose text in force at ``as_of`` (an ISO time; None: now, live articles; ``every_version``: any
    version) matches ``text`` (``raw``: as an FTS5 query, else each word quoted), best match first (FTS5's bm25), each
    with a snippet of the passage that matched between ``marks``. Ranked among the newest ``RANKED`` matches."""
    query = text if raw else fts_query(text)
    if every_version:
        in_force, params = "1", []
    elif as_of is None:
        in_force = "v.id = a.current_version_id AND a.status = 'live'"
        params: list = []
    else:
        in_force = (
            "v.crawled_at <= ? AND NOT EXISTS (SELECT 1 FROM version_log w WHERE w.article_id = v.article_id "
            "AND (w.crawled_at > v.crawled_at OR (w.crawled_at = v.crawled_at AND w.version > v.version)) "
            "AND w.crawled_at <= ?) "
            "AND coalesce((SELECT o.outcome FROM observation_log o WHERE o.article_id = v.article_id "
            "AND o.at <= CAST(strftime('%s', ?) AS INTEGER) ORDER BY o.at DESC, o.id DESC LIMIT 1), 0) != ?"
        )
        params = [as_of, as_of, as_of, OUTCOME_CODE["gone"]]
    return rows(
        conn,
        "SELECT v.id AS version_id, v.article_id, v.version, a.url, a.title, a.status, v.crawled_at, "
        "snippet(versions_fts, -1, ?, ?, '…', 20) AS snippet, bm25(versions_fts) AS rank "
        "FROM versions_fts JOIN version_log v ON v.id = versions_fts.rowid JOIN articles a ON a.id = v.article_id "
        f"WHERE versions_fts MATCH ? AND versions_fts.rowid >= {_FLOOR} AND {in_force} ORDER BY rank LIMIT ?",
        [*marks, query, query, *params, limit],
    )


def texts_by_version(conn, article_id: int) -> dict[int, str]:
    return {
        r["version"]: r["text"]
        for r in rows(
            conn,
            "SELECT v.version, t.text FROM version_log v JOIN texts t ON t.id = v.text_id WHERE v.article_id = ?",
            [article_id],
        )
    }


# captures and their WARC records

_CAPTURE = (
    "SELECT c.id, c.article_id, c.page, c.status, c.digest, c.at, u.url, w.path AS warc_file, "
    "c.warc_offset, c.warc_length FROM capture_log c JOIN urls u ON u.id = c.url_id "
    "LEFT JOIN warc_files w ON w.id = c.warc_file_id"
)


def captures_of_url(conn, url: str) -> list[dict]:
    """Every capture of ``url`` that has a WARC record, newest first."""
    return rows(conn, _CAPTURE + " WHERE u.url = ? AND c.warc_file_id IS NOT NULL ORDER BY c.id DESC", [url])


def captures_of_article(conn, article_id: int) -> list[dict]:
    """Every capture of an article that has a WARC record, in capture order."""
    return rows(conn, _CAPTURE + " WHERE c.article_id = ? AND c.warc_file_id IS NOT NULL ORDER BY c.id", [article_id])


def captures_by_id(conn, ids) -> list[dict]:
    """The captures ``ids`` in page order."""
    ids = list(ids)
    return rows(conn, _CAPTURE + f" WHERE c.id IN ({','.join('?' * len(ids))}) ORDER BY c.page, c.id", ids)


def last_payload(conn, url: str, empty_digest: str) -> dict | None:
    """The last full (200 or 304) capture of ``url`` that names a payload digest, with its WARC location."""
    return one(
        conn,
        _CAPTURE + " WHERE u.url = ? AND c.digest IS NOT NULL AND c.digest != ? "
        "AND c.status IN (200, 304) ORDER BY c.id DESC LIMIT 1",
        [url, empty_digest],
    )


# backfill (see healtharchive.backfill)


def staged_times(conn, article: str) -> set[str]:
    """The capture times of the points of ``article`` already assembled by a backfill, recorded or not."""
    return {r["at"] for r in rows(conn, "SELECT at FROM backfill_points WHERE article = ?", [article])}


def staged_points(conn, source: str, articles, recorded: bool = False) -> list[dict]:
    """The points of ``articles`` assembled from ``source`` that no run recorded yet (``recorded``: those too), oldest
    first, each with its cleaned pages (``data``, None when it has none or they were released)."""
    found = []
    for article in articles:
        found += rows(
            conn,
            "SELECT p.*, c.data FROM backfill_points p LEFT JOIN backfill_cleaned c ON c.hash = p.cleaned "
            "WHERE p.source = ? AND p.article = ?" + ("" if recorded else " AND p.crawl_id IS NULL"),
            [source, article],
        )
    return sorted(found, key=lambda p: (p["at"], p["id"]))


def known_to_crawl(conn, hosts, empty_digest: str) -> dict:
    """What a crawl reads from the archive about the pages of ``hosts`` (every host when None), in bulk, for a
    distributed run's workers (``crawler/distributed/knowledge.py``): ``known`` (live article URL -> its
    ``known_pages``), ``validators`` (page URL -> ETag, Last-Modified) and
    ``payloads`` (page URL -> its ``last_payload`` row)."""
    wanted = set(hosts) if hosts is not None else None

    def on_hosts(url: str) -> bool:
        return wanted is None or host_of(url) in wanted

    known = {
        r["url"]: json.loads(r["page_urls"]) if r["page_urls"] else []
        for r in rows(
            conn,
            "SELECT a.url, a.host, v.page_urls FROM articles a LEFT JOIN version_log v ON v.id = a.current_version_id "
            "WHERE a.status = 'live'",
        )
        if wanted is None or r["host"] in wanted
    }
    validators = {
        r["url"]: (r["etag"], r["last_modified"])
        for r in rows(
            conn, "SELECT url, etag, last_modified FROM urls WHERE etag IS NOT NULL OR last_modified IS NOT NULL"
        )
        if on_hosts(r["url"])
    }
    payloads = {}
    for r in rows(
        conn,
        "SELECT * FROM (SELECT c.id, c.article_id, c.page, c.status, c.digest, c.at, u.url, w.path AS warc_file, "
        "c.warc_offset, c.warc_length, row_number() OVER (PARTITION BY c.url_id ORDER BY c.id DESC) AS newest "
        "FROM capture_log c JOIN urls u ON u.id = c.url_id LEFT JOIN warc_files w ON w.id = c.warc_file_id "
        "WHERE c.digest IS NOT NULL AND c.digest != ? AND c.status IN (200, 304)) WHERE newest = 1",
        [empty_digest],
    ):
        if on_hosts(r["url"]):
            del r["newest"]
            payloads[r["url"]] = r
    return {"known": known, "validators": validators, "payloads": payloads}


def ingested(conn, run_id: str, url: str) -> bool:
    """True when the distributed run ``run_id`` has written its article ``url`` already."""
    return (
        conn.execute("SELECT 1 FROM ingest_articles WHERE run_id = ? AND url = ?", [run_id, url]).fetchone() is not None
    )


def run_blocks(conn, run_id: str):
    """(URL, (blocks before chrome removal, their slots, their pages)) of each article a distributed run has written
    or holds with blocks (slots and pages None when an older release wrote it)."""
    for url, data in conn.execute(
        "SELECT url, blocks FROM ingest_articles WHERE run_id = ? AND blocks IS NOT NULL", [run_id]
    ):
        found = json.loads(data)
        if isinstance(found, dict):
            yield url, ([tuple(b) for b in found["blocks"]], found.get("slots"), found.get("pages"))
        else:
            yield url, ([tuple(b) for b in found], None, None)


def chrome_slots(conn, until_crawl: int | None = None) -> dict[str, set[str]]:
    """Host -> box signatures known to hold the site's chrome (by the end of crawl ``until_crawl``, or now)."""
    sql, params = "SELECT host, slot FROM chrome_slots", []
    if until_crawl is not None:
        sql, params = sql + " WHERE coalesce(crawl_id, 0) <= ?", [until_crawl]
    known: dict[str, set[str]] = {}
    for host, slot in conn.execute(sql, params):
        known.setdefault(host, set()).add(slot)
    return known


def host_articles(conn, host: str) -> int:
    """How many articles of ``host`` have a version."""
    return conn.execute(
        "SELECT count(*) FROM articles WHERE host = ? AND current_version_id IS NOT NULL", [host]
    ).fetchone()[0]


def held(conn, crawl_id: int) -> list[str]:
    """The JSON of the articles held by crawl ``crawl_id`` (``held_articles``), in the order they came."""
    return [
        data for (data,) in conn.execute("SELECT item FROM held_articles WHERE crawl_id = ? ORDER BY id", [crawl_id])
    ]


def payload_urls(conn, empty_digest: str) -> Iterator[str]:
    """Every URL for which ``last_payload`` finds a capture."""
    for (url,) in conn.execute(
        "SELECT u.url FROM urls u WHERE EXISTS (SELECT 1 FROM capture_log c WHERE c.url_id = u.id "
        "AND c.digest IS NOT NULL AND c.digest != ? AND c.status IN (200, 304))",
        [empty_digest],
    ):
        yield url


def cached_urls(conn) -> Iterator[str]:
    """Every URL ``page_cache`` keeps an extraction for."""
    for (url,) in conn.execute("SELECT u.url FROM page_cache c JOIN urls u ON u.id = c.url_id"):
        yield url


def cached_pages(conn, urls) -> dict[str, tuple[str, str, bytes]]:
    """Page URL -> (digest, recipe, data) of the extraction ``page_cache`` keeps for it, for those of ``urls`` it has."""
    found = {}
    for url in urls:
        row = conn.execute(
            "SELECT c.digest, c.recipe, c.data FROM urls u JOIN page_cache c ON c.url_id = u.id WHERE u.url = ?", [url]
        ).fetchone()
        if row:
            found[url] = tuple(row)
    return found


def outcome_counts(conn, crawl_id: int) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for row in rows(
        conn, "SELECT outcome, count(*) AS n FROM observations WHERE crawl_id = ? GROUP BY outcome", [crawl_id]
    ):
        counts[row["outcome"]] = row["n"]
    return counts


def last_activity(conn) -> str | None:
    """When the archive last changed hands: the latest crawl's finish (or start) time; None before any crawl."""
    return conn.execute("SELECT max(coalesce(finished_at, started_at)) FROM crawls").fetchone()[0]
