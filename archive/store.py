"""The archive: an SQLite file of crawls, articles, their versions, observations and captures.

``Archive`` is the only writer of the archive's tables. ``record()`` writes one crawled article in one
``BEGIN IMMEDIATE`` transaction, so a crash never leaves half an article and a second writer waits its turn
instead of failing half-way. A new version is made only when the text's hash differs from the current
version's; an article that could not be fetched completely keeps its last good version. Reads go through
``archive.queries``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import zlib
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from . import queries
from .clock import epoch, utcnow
from .schema import LATEST, OUTCOME_CODE, migrate
from .text import content_hash, count_words, normalize_text
from .urls import UrlSet, host_of


def process_alive(pid: int) -> bool:
    """True if a process with this pid runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ArchiveError(Exception):
    """The archive cannot be opened or written; the message says why in one line."""


def check_file(path: str) -> None:
    """Refuse, before anything is written, a file that is not an SQLite database or whose schema is newer.

    The file is read through SQLite only: opening and closing it any other way (``open()``) would drop every
    lock this process's SQLite connections hold on it (POSIX locks belong to the process, not to the
    descriptor), and another process could then delete the write-ahead log under a live writer.
    """
    file = Path(path)
    if not file.exists() or (file.is_file() and file.stat().st_size == 0):
        return
    if file.is_dir():
        raise ArchiveError(f"{path} is a folder, not an archive")
    conn = sqlite3.connect(f"file:{quote(str(file.resolve()))}?mode=ro", uri=True)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise ArchiveError(f"{path} is not an SQLite database (not a healtharchive archive)") from None
        raise ArchiveError(f"{path} cannot be read: {exc}") from exc
    finally:
        conn.close()
    if version > LATEST:
        raise ArchiveError(
            f"{path} has archive schema version {version}, newer than this healtharchive's "
            f"({LATEST}): upgrade healtharchive"
        )


class Archive:
    """An ``archive.db`` opened for reading and writing (schema created or upgraded on open), or read-only."""

    def __init__(self, path, readonly: bool = False):
        self.path = str(path)
        check_file(self.path)
        try:
            if readonly:
                if not Path(self.path).is_file():
                    raise ArchiveError(f"no archive at {self.path}")
                uri = f"file:{quote(str(Path(self.path).resolve()))}?mode=ro"
                self.db = sqlite_utils.Database(sqlite3.connect(uri, uri=True))
            else:
                self.db = sqlite_utils.Database(self.path)
                self.db.execute("PRAGMA busy_timeout = 60000")
                self.db.enable_wal()
                self.db.execute("PRAGMA synchronous = NORMAL")
                migrate(self.db.conn)
        except ArchiveError:
            raise
        except Exception as exc:  # sqlite3 errors name no file: add it
            raise ArchiveError(f"cannot open archive {self.path}: {exc}") from exc
        self.conn = self.db.conn

    def close(self):
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextmanager
    def transaction(self):
        """One write transaction that takes the write lock at its start (``BEGIN IMMEDIATE``): a second writer
        waits up to the busy timeout here, never between two statements of one article."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.rollback()
            raise
        self.conn.execute("COMMIT")

    def _id_of(self, table: str, column: str, value: str) -> int:
        """The id of the ``table`` row whose ``column`` is ``value``, inserted if new. One statement: sqlite-utils'
        ``lookup()`` also checks the table's existence and indexes on every call (5 queries a page)."""
        return self.conn.execute(
            f"INSERT INTO {table} ({column}) VALUES (?) ON CONFLICT ({column}) DO UPDATE SET {column} = excluded.{column} "
            "RETURNING id",
            [value],
        ).fetchone()[0]

    def _insert(self, table: str, row: dict) -> int:
        """Insert ``row`` (scalar values) into ``table``; its id. One statement: sqlite-utils' ``insert()`` spends
        more Python on building it than SQLite on running it, on the rows written for every page."""
        columns = ", ".join(f"[{column}]" for column in row)
        return self.conn.execute(
            f"INSERT INTO [{table}] ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        ).lastrowid

    def _update(self, table: str, row_id: int, values: dict) -> None:
        """Set ``values`` (scalars) on the ``table`` row ``row_id``."""
        assignments = ", ".join(f"[{column}] = ?" for column in values)
        self.conn.execute(f"UPDATE [{table}] SET {assignments} WHERE id = ?", [*values.values(), row_id])

    # crawls

    def start_crawl(
        self,
        spider: str,
        profile: str,
        args: dict,
        scope: dict | None,
        started_at: str | None = None,
        pid: int | None = None,
        source: str | None = None,
        run: tuple[str, str] | None = None,
    ) -> int:
        """A new ``crawls`` row, running; ``source``: the web archive a backfill reads (None for the site itself);
        ``run`` (id, name): the distributed run it is (see ``ingest_runs``)."""
        with self.transaction():
            self.close_dead_crawls()
            crawl_id = (
                self.db.table("crawls")
                .insert(
                    {
                        "spider": spider,
                        "profile": profile,
                        "args": json.dumps(args, sort_keys=True),
                        "scope": json.dumps(scope) if scope else None,
                        "started_at": started_at or utcnow(),
                        "status": "running",
                        "pid": os.getpid() if pid is None else pid,
                        "source": source,
                    }
                )
                .last_pk
            )
            if run:
                self.conn.execute("INSERT INTO ingest_runs (id, name, crawl_id) VALUES (?, ?, ?)", [*run, crawl_id])
            return crawl_id

    # distributed runs (see healtharchive.ingest)

    def run_crawl(self, run_id: str) -> dict | None:
        """The ``ingest_runs`` row of a distributed run (its ``crawl_id``, ``closed``), None if it never started."""
        return queries.one(self.conn, "SELECT * FROM ingest_runs WHERE id = ?", [run_id])

    def resume_crawl(self, crawl_id: int) -> None:
        """A distributed run's crawl goes on under this process (its ingest was restarted)."""
        with self.transaction():
            self.conn.execute(
                "UPDATE crawls SET status = 'running', finish_reason = NULL, finished_at = NULL, pid = ? WHERE id = ?",
                [os.getpid(), crawl_id],
            )

    def ingested(self, run_id: str, url: str) -> bool:
        """True when the run's article ``url`` is written already."""
        return queries.ingested(self.conn, run_id, url)

    def run_blocks(self, run_id: str):
        """(URL, blocks before chrome removal) of the run's articles written so far, in the order they were."""
        return queries.run_blocks(self.conn, run_id)

    def close_dead_crawls(self):
        """A crawl left 'running' by a process that no longer exists was interrupted (killed, crashed)."""
        for row in queries.rows(self.conn, "SELECT id, pid FROM crawls WHERE status = 'running'"):
            if row["pid"] and not process_alive(row["pid"]):
                self.conn.execute(
                    "UPDATE crawls SET status = 'interrupted', finish_reason = 'process died' WHERE id = ?", [row["id"]]
                )

    def finish_crawl(self, crawl_id: int, status: str, reason: str, pages: int, errors: int):
        with self.transaction():
            self._finish(crawl_id, status, reason, pages, errors)

    def _finish(self, crawl_id: int, status: str, reason: str, pages: int, errors: int):
        self.db.table("crawls").update(
            crawl_id,
            {
                "finished_at": utcnow(),
                "status": status,
                "finish_reason": reason,
                "pages_fetched": pages,
                "errors": errors,
            },
        )

    def fail_crawl(self, crawl_id: int, reason: str, status: str = "failed"):
        """Mark a crawl failed (or ``stopped``) after the fact (its process exited non-zero or was stopped by its
        supervisor), keeping the reason it gave."""
        with self.transaction():
            self.conn.execute(
                "UPDATE crawls SET status = ?, finish_reason = coalesce(finish_reason || '; ', '') || ?, "
                "finished_at = coalesce(finished_at, ?) WHERE id = ?",
                [status, reason, utcnow(), crawl_id],
            )

    def crawls_after(self, crawl_id: int) -> list[dict]:
        return queries.rows(self.conn, "SELECT * FROM crawls WHERE id > ? ORDER BY id", [crawl_id])

    def last_crawl_id(self) -> int:
        return self.conn.execute("SELECT coalesce(max(id), 0) FROM crawls").fetchone()[0]

    def outcome_counts(self, crawl_id: int) -> dict[str, int]:
        return queries.outcome_counts(self.conn, crawl_id)

    # what the archive holds

    def article(self, url: str) -> dict | None:
        return queries.article(self.conn, url)

    def find_article(self, key) -> dict | None:
        return queries.find_article(self.conn, key)

    def live_articles(self, hosts, paths) -> list[dict]:
        return queries.live_articles(self.conn, hosts, paths)

    def live_urls(self, hosts, paths) -> list[tuple[int, str]]:
        return queries.live_urls(self.conn, hosts, paths)

    def known_pages(self, url: str) -> list[str] | None:
        return queries.known_pages(self.conn, url)

    def current_pages(self, url: str, at: str | None = None) -> dict | None:
        return queries.current_pages(self.conn, url, at)

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified last seen for ``url``."""
        row = queries.one(self.conn, "SELECT etag, last_modified FROM urls WHERE url = ?", [url])
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def last_payload(self, url: str, empty_digest: str) -> dict | None:
        return queries.last_payload(self.conn, url, empty_digest)

    def payload_urls(self, empty_digest: str) -> UrlSet:
        """The URLs ``last_payload`` finds a capture for, as a ``UrlSet``."""
        return UrlSet(queries.payload_urls(self.conn, empty_digest))

    def cached_urls(self) -> UrlSet:
        """The URLs ``cached_pages`` finds an extraction for, as a ``UrlSet``."""
        return UrlSet(queries.cached_urls(self.conn))

    def cached_pages(self, urls) -> dict[str, tuple[str, str, str]]:
        """Page URL -> (digest, recipe, JSON) of the extraction the cleaning cache keeps for it (``page_cache``)."""
        return {
            url: (d, r, zlib.decompress(data).decode())
            for url, (d, r, data) in queries.cached_pages(self.conn, urls).items()
        }

    def stale_versions(self, extractor_version: str) -> int:
        """How many live articles' current versions were made by another extractor version."""
        return self.conn.execute(
            "SELECT count(*) FROM articles a JOIN version_log v ON v.id = a.current_version_id "
            "WHERE a.status = 'live' AND v.extractor_version IS NOT ?",
            [extractor_version],
        ).fetchone()[0]

    def template_hashes(self, until_crawl: int | None = None) -> dict[str, set[str]]:
        """Host -> hashes of the blocks known as site template (by the end of crawl ``until_crawl``, or now)."""
        sql, params = "SELECT host, hash FROM template_blocks", []
        if until_crawl is not None:
            sql, params = sql + " WHERE coalesce(crawl_id, 0) <= ?", [until_crawl]
        known: dict[str, set[str]] = {}
        for row in queries.rows(self.conn, sql, params):
            known.setdefault(row["host"], set()).add(row["hash"])
        return known

    # writing one article

    def record(
        self,
        crawl_id: int,
        item,
        extractor: str,
        extractor_version: str,
        at: str | None = None,
        staged=None,
        run_id: str | None = None,
        blocks=None,
        held: bool = False,
        cache=None,
    ) -> str | None:
        """Archive one crawled article (its pages, and ``item.text`` when it is complete); returns its outcome,
        or None when there was nothing to record (an article the archive never had that answers 404 or is
        blocked, unless the crawl was asked for it by name: ``item.listed``).

        ``at``: when the article was seen, if not now (a web archive's capture, for a backfill). Its observation and
        any new version are dated then, its text is compared with the version in force at that time, and the
        article's status, title and current version change only when nothing newer is known of it; a new version is
        numbered after the article's others, whatever its time (numbers never change: see docs/backfill.md).
        ``staged``: the ``backfill_points`` row this is, marked recorded by this crawl in the same transaction.
        ``run_id``: the distributed run this is, which records the article as written in the same transaction, with
        its ``blocks`` before chrome removal (``ingest_articles``). ``held``: the article was held (``hold``), which it
        leaves now (and was recorded as written then). ``cache``: [(page URL, digest, recipe, JSON)] of the pages
        whose extraction is new, kept compressed in ``page_cache`` (one row per URL: the body it had last)."""
        with self.transaction():
            if held:
                self.conn.execute("DELETE FROM held_articles WHERE crawl_id = ? AND url = ?", [crawl_id, item.url])
            elif run_id is not None:
                self.conn.execute(
                    "INSERT INTO ingest_articles (run_id, url, blocks) VALUES (?, ?, ?)",
                    [run_id, item.url, json.dumps(blocks, ensure_ascii=False) if blocks else None],
                )
            article = self.article(item.url)
            if item.state in ("gone", "blocked") and article is None and not item.listed:
                return None
            now = at or utcnow()
            if article is None:
                article_id = self._insert(
                    "articles",
                    {
                        "url": item.url,
                        "host": host_of(item.url),
                        "title": item.title,
                        "status": "gone" if item.state == "gone" else "live",
                        "first_seen": now,
                        "last_seen": None if item.state in ("gone", "blocked") else now,
                        "missed": 0,
                    },
                )
                article = {"id": article_id, "current_version_id": None}
            article_id = article["id"]
            # (a backfill's old capture says nothing of what the site answers today: its validators are not kept)
            captures = self._captures(
                crawl_id, article_id, item.pages, at is None and item.state in ("ok", "not_modified")
            )
            for url, digest, recipe, data in cache or ():
                self.conn.execute(
                    "INSERT OR REPLACE INTO page_cache (url_id, digest, recipe, data) VALUES (?, ?, ?, ?)",
                    [self._id_of("urls", "url", url), digest, recipe, zlib.compress(data.encode(), 6)],
                )
            latest = at is None or self._latest(article_id, at)
            current = article["current_version_id"] if at is None else self._in_force(article_id, at)
            update = {"last_seen": now, "missed": 0, "status": "live"}
            if item.state == "gone":
                outcome, update = "gone", {"last_seen": now, "status": "gone"}
            elif item.state == "blocked":
                outcome, update = "blocked", {}  # the site refused: nothing is known about the article
            elif item.state == "incomplete" or (item.state == "not_modified" and current is None):
                outcome = "incomplete"  # (a 304 for an article with no version: there is no text to keep)
            elif item.state == "not_modified":
                outcome = "unchanged"
            else:
                digest = content_hash(item.text)
                if current is not None and self._hash_of(current) == digest:
                    outcome = "unchanged"
                else:
                    outcome = "changed" if current is not None else "new"
                    current = self._add_version(
                        crawl_id, article_id, item, digest, captures, extractor, extractor_version, now
                    )
                    update["current_version_id"] = current
                if item.title:
                    update["title"] = item.title
            if not latest:  # older news of the article: its row keeps what newer observations said
                update = {"first_seen": now} if now < (article.get("first_seen") or now) else {}
            if update:
                self._update("articles", article_id, update)
            detail = failed_page(item) if outcome in ("incomplete", "blocked") else None
            self._observe(article_id, crawl_id, outcome, current, detail, epoch(now) if at else None)
            if staged is not None:
                self.conn.execute("UPDATE backfill_points SET crawl_id = ? WHERE id = ?", [crawl_id, staged])
            return outcome

    def _latest(self, article_id: int, at: str) -> bool:
        """True when nothing was observed of the article after ``at``."""
        return (
            self.conn.execute(
                "SELECT 1 FROM observation_log WHERE article_id = ? AND at > ? LIMIT 1", [article_id, epoch(at)]
            ).fetchone()
            is None
        )

    def _in_force(self, article_id: int, at: str) -> int | None:
        """The id of the article's version in force at ``at``: the latest made by then."""
        row = self.conn.execute(
            "SELECT id FROM version_log WHERE article_id = ? AND crawled_at <= ? ORDER BY crawled_at DESC, id DESC "
            "LIMIT 1",
            [article_id, at],
        ).fetchone()
        return row[0] if row else None

    def _hash_of(self, version_id: int) -> str:
        return self.conn.execute(
            "SELECT t.hash FROM version_log v JOIN texts t ON t.id = v.text_id WHERE v.id = ?", [version_id]
        ).fetchone()[0]

    def text_id(self, text: str, digest: str | None = None) -> int:
        """The id of ``text`` in ``texts`` (each distinct text is stored once), inserted if new; ``digest``: its
        ``content_hash`` when the caller has it."""
        digest = digest or content_hash(text)
        row = self.conn.execute("SELECT id FROM texts WHERE hash = ?", [digest]).fetchone()
        if row:
            return row[0]
        return self._insert("texts", {"hash": digest, "text": text, "words": count_words(text)})

    def _add_version(self, crawl_id, article_id, item, digest, captures, extractor, extractor_version, now) -> int:
        number = self.conn.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM version_log WHERE article_id = ?", [article_id]
        ).fetchone()[0]
        meta = item.meta or {}
        return self._insert(
            "version_log",
            {
                "article_id": article_id,
                "version": number,
                "title": item.title,
                "text_id": self.text_id(item.text, digest),
                "page_count": len(item.pages),
                "page_urls": json.dumps([p.url for p in item.pages]),
                "page_starts": json.dumps(item.page_starts) if getattr(item, "page_starts", None) else None,
                "capture_ids": json.dumps(captures),
                "crawl_id": crawl_id,
                "crawled_at": now,
                "extractor": extractor,
                "extractor_version": extractor_version,
                "author": meta.get("author"),
                "published": meta.get("date"),
                "description": meta.get("description"),
                "reviewed_by": meta.get("reviewed_by"),
                "reviewed_on": meta.get("reviewed_on"),
            },
        )

    def _observe(self, article_id, crawl_id, outcome, version_id, detail=None, at: int | None = None):
        self.conn.execute(
            "INSERT INTO observation_log (article_id, crawl_id, at, outcome, version_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
            [article_id, crawl_id, int(time.time()) if at is None else at, OUTCOME_CODE[outcome], version_id, detail],
        )

    def _url_id(self, url: str, etag: str | None, last_modified: str | None, exact: bool = False) -> int:
        """The URL's id; new validators replace the old ones in place (only the latest are ever sent). ``exact``:
        these are the validators of the content the archive now holds for the URL, none included, so a page that
        came without them is next asked for in full, never answered "not modified" against older content."""
        url_id = self._id_of("urls", "url", url)
        if etag or last_modified or exact:
            self.conn.execute(
                "UPDATE urls SET etag = ?, last_modified = ? WHERE id = ? "
                "AND (etag IS NOT ? OR last_modified IS NOT ?)",
                [etag, last_modified, url_id, etag, last_modified],
            )
        return url_id

    def _captures(self, crawl_id, article_id, pages, complete: bool) -> list[int]:
        """One ``capture_log`` row per response; a payload equal to the URL's previous capture (a 304, or a 200 with the
        same payload digest) is not repeated: the row points at the capture holding it (``revisit_of``). The
        validators of a complete article's 200 pages become the URL's; a failed article's leave them alone."""
        ids = []
        for page in pages:
            if page.status is None:
                continue  # no response: nothing was captured
            exact = complete and page.status == 200
            url_id = self._url_id(page.url, page.etag, page.last_modified, exact)
            prev = self.conn.execute(
                "SELECT id, digest, revisit_of FROM capture_log WHERE url_id = ? AND status IN (200, 304) "
                "ORDER BY id DESC LIMIT 1",
                [url_id],
            ).fetchone()
            warc = page.warc or {}
            row = {
                "crawl_id": crawl_id,
                "article_id": article_id,
                "url_id": url_id,
                "page": page.number,
                "status": page.status,
                "at": epoch(page.fetched_at),
                "digest": warc.get("digest"),
                "warc_file_id": self._id_of("warc_files", "path", warc["file"]) if warc.get("file") else None,
                "warc_offset": warc.get("offset"),
                "warc_length": warc.get("length"),
            }
            if prev and page.status in (200, 304):
                original, digest = self._original(*prev)
                if page.not_modified or (row["digest"] is not None and row["digest"] == digest):
                    row["revisit_of"] = original
                    if row["digest"] in (None, digest):
                        row["digest"] = None
            ids.append(self._insert("capture_log", row))
        return ids

    def _original(self, capture_id: int, digest: str | None, revisit_of: int | None) -> tuple[int, str | None]:
        """(id, digest) of the capture that holds the content of capture ``capture_id``: itself when it names its
        digest, else the capture it revisits (a revisit points at the original, so one step; an older archive may
        chain revisits of revisits, followed back)."""
        while digest is None and revisit_of is not None:  # (always an earlier capture: no cycle)
            row = self.conn.execute(
                "SELECT id, digest, revisit_of FROM capture_log WHERE id = ?", [revisit_of]
            ).fetchone()
            if row is None:
                break
            capture_id, digest, revisit_of = row
        return capture_id, digest

    # the end of a crawl

    def mark_missing(self, crawl_id: int, hosts, paths, gone_after: int) -> int:
        """Count a miss for each live article of the scope this crawl did not observe; ``gone`` after N misses.
        Only for a crawl that went through its whole frontier."""
        with self.transaction():
            return self._mark_missing(crawl_id, hosts, paths, gone_after)

    def _mark_missing(self, crawl_id: int, hosts, paths, gone_after: int) -> int:
        seen = {
            r[0] for r in self.conn.execute("SELECT article_id FROM observation_log WHERE crawl_id = ?", [crawl_id])
        }
        gone = 0
        for article_id, _ in self.live_urls(hosts, paths):
            if article_id in seen:
                continue
            row = self.conn.execute(
                "SELECT missed + 1, current_version_id FROM articles WHERE id = ?", [article_id]
            ).fetchone()
            update = {"missed": row[0]}
            if row[0] >= gone_after:
                update["status"] = "gone"
                self._observe(article_id, crawl_id, "gone", row[1])
                gone += 1
            self.db.table("articles").update(article_id, update)
        return gone

    def close_run(
        self, run_id: str, crawl_id: int, status: str, reason: str, pages: int, errors: int, missing=None
    ) -> int:
        """Close a distributed run's books in one transaction, so that an ingest killed meanwhile either did all of
        it or none (misses are never counted twice): misses counted (``missing``: hosts, paths, gone_after; only
        for a run that finished its frontier), the crawl finished, the run closed and its written-article records
        dropped. Returns how many articles became ``gone``."""
        with self.transaction():
            gone = self._mark_missing(crawl_id, *missing) if missing else 0
            self._finish(crawl_id, status, reason, pages, errors)
            self.conn.execute("UPDATE ingest_runs SET closed = 1 WHERE id = ?", [run_id])
            self.conn.execute("DELETE FROM ingest_articles WHERE run_id = ?", [run_id])
        return gone

    def remember_templates(self, crawl_id: int, host: str, texts) -> None:
        with self.transaction():
            for text in texts:
                self.conn.execute(
                    "INSERT OR IGNORE INTO template_blocks (host, hash, text, crawl_id) VALUES (?, ?, ?, ?)",
                    [host, content_hash(text), normalize_text(text), crawl_id],
                )

    def remember_chrome_slots(self, crawl_id: int, host: str, slots) -> None:
        """Keep the box signatures found to hold ``host``'s chrome (``pipelines.chrome``) for the next crawls."""
        with self.transaction():
            self.conn.executemany(
                "INSERT OR IGNORE INTO chrome_slots (host, slot, crawl_id) VALUES (?, ?, ?)",
                [[host, slot, crawl_id] for slot in slots],
            )

    def chrome_slots(self, until_crawl: int | None = None) -> dict[str, set[str]]:
        """Host -> box signatures known to hold chrome (by the end of crawl ``until_crawl``, or now)."""
        return queries.chrome_slots(self.conn, until_crawl)

    def host_articles(self, host: str) -> int:
        """How many articles of ``host`` have a version."""
        return queries.host_articles(self.conn, host)

    # articles held until the site's chrome is known (see pipelines.recorder)

    def hold(self, crawl_id: int, url: str, data: str, run_id: str | None = None, blocks=None) -> None:
        """Keep a complete article (``data``: its JSON) until it is recorded; for a distributed run, it counts as
        written (``ingest_articles``, with its ``blocks``) from now on, in the same transaction."""
        with self.transaction():
            if run_id is not None:
                self.conn.execute(
                    "INSERT INTO ingest_articles (run_id, url, blocks) VALUES (?, ?, ?)",
                    [run_id, url, json.dumps(blocks, ensure_ascii=False) if blocks else None],
                )
            self.conn.execute(
                "INSERT OR REPLACE INTO held_articles (crawl_id, url, item) VALUES (?, ?, ?)", [crawl_id, url, data]
            )

    def held(self, crawl_id: int) -> list[str]:
        """The JSON of the articles crawl ``crawl_id`` holds, in the order they came."""
        return queries.held(self.conn, crawl_id)

    def drop_stale_held(self) -> int:
        """Forget the held articles of crawls that ended or died (a later crawl fetches them again); not those of
        distributed runs still open."""
        with self.transaction():
            return self.conn.execute(
                "DELETE FROM held_articles WHERE crawl_id IN (SELECT c.id FROM crawls c WHERE c.status != 'running' "
                "AND c.id NOT IN (SELECT crawl_id FROM ingest_runs WHERE closed = 0))"
            ).rowcount

    # re-extraction (see healtharchive.reextract)

    def versions_to_rederive(self, article_id: int | None = None) -> list[dict]:
        sql = (
            "SELECT v.id, v.article_id, v.version, v.capture_ids, v.crawl_id, v.extractor_version, v.text_id, "
            "t.hash, t.text, a.host, a.status, a.current_version_id, c.profile FROM version_log v "
            "JOIN texts t ON t.id = v.text_id "
            "JOIN articles a ON a.id = v.article_id LEFT JOIN crawls c ON c.id = v.crawl_id"
        )
        params = []
        if article_id is not None:
            sql, params = sql + " WHERE v.article_id = ?", [article_id]
        return queries.rows(self.conn, sql + " ORDER BY v.article_id, v.version", params)

    def derived(self, version_id: int, extractor_version: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM version_texts WHERE version_id = ? AND extractor_version = ?",
                [version_id, extractor_version],
            ).fetchone()
            is not None
        )

    def verify(self, version: dict, extractor_version: str, page_starts=None) -> None:
        """Record that ``extractor_version`` gives ``version`` the text it has (and, if they were not recorded,
        where its pages start: the same text from the same pages)."""
        with self.transaction():
            self._derivation(version["id"], extractor_version, version["text_id"], "verified")
            if page_starts:
                self.conn.execute(
                    "UPDATE version_log SET page_starts = ? WHERE id = ? AND page_starts IS NULL",
                    [json.dumps(page_starts), version["id"]],
                )

    def rederive(self, version: dict, text: str, extractor_version: str) -> None:
        """Record that ``extractor_version`` makes ``text`` of ``version``'s pages. The version keeps its own text
        (a version once written never changes); the text it was crawled with is recorded beside it."""
        with self.transaction():
            self._derivation(
                version["id"], version["extractor_version"] or "unknown", version["text_id"], "crawl", replace=False
            )
            self._derivation(version["id"], extractor_version, self.text_id(text), "rederived")

    def add_rederived_version(
        self, crawl_id: int, version: dict, text: str, extractor_version: str, page_starts=None
    ) -> int:
        """A new version of ``version``'s article, now: ``text``, made by ``extractor_version`` from the same
        captures (pages starting at ``page_starts``), which becomes the article's current version. Its observation
        in ``crawl_id`` (a ``reextract`` run) is ``changed`` and says where it comes from. Returns its id."""
        now = utcnow()
        with self.transaction():
            old = queries.one(self.conn, "SELECT * FROM version_log WHERE id = ?", [version["id"]])
            number = self.conn.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM version_log WHERE article_id = ?", [old["article_id"]]
            ).fetchone()[0]
            keep = ("article_id", "title", "page_count", "page_urls", "capture_ids", "extractor", "author", "published")
            keep += ("description", "reviewed_by", "reviewed_on")
            row = {key: old[key] for key in keep} | {
                "version": number,
                "text_id": self.text_id(text),
                "page_starts": json.dumps(page_starts) if page_starts else None,
                "crawl_id": crawl_id,
                "crawled_at": now,
                "extractor_version": extractor_version,
            }
            new_id = self.db.table("version_log").insert(row).last_pk
            self.conn.execute("UPDATE articles SET current_version_id = ? WHERE id = ?", [new_id, old["article_id"]])
            detail = f"re-extracted by {extractor_version} from the captures of version {old['version']}"
            self._observe(old["article_id"], crawl_id, "changed", new_id, detail)
        return new_id

    def _derivation(self, version_id, extractor_version, text_id, how, replace=True):
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        self.conn.execute(
            f"{verb} INTO version_texts (version_id, extractor_version, text_id, how, derived_at, "
            "same_as_previous) VALUES (?, ?, ?, ?, ?, 0)",
            [version_id, extractor_version, text_id, how, utcnow()],
        )

    def flag_same_as_previous(self, article_ids, extractor_version: str) -> int:
        """Set ``same_as_previous`` on derivations whose text equals the previous version's under the same
        extractor version; returns how many are flagged."""
        flagged = 0
        with self.transaction():
            for article_id in article_ids:
                previous = None
                for r in queries.rows(
                    self.conn,
                    "SELECT vt.version_id, vt.text_id, v.version, v.previous_version FROM version_texts vt "
                    "JOIN versions v ON v.id = vt.version_id WHERE v.article_id = ? "
                    "AND vt.extractor_version = ? ORDER BY v.crawled_at, v.version",
                    [article_id, extractor_version],
                ):
                    same = int(
                        previous is not None
                        and previous["version"] == r["previous_version"]  # the version before it in time
                        and previous["text_id"] == r["text_id"]
                    )
                    self.conn.execute(
                        "UPDATE version_texts SET same_as_previous = ? WHERE version_id = ? AND extractor_version = ?",
                        [same, r["version_id"], extractor_version],
                    )
                    flagged += same
                    previous = r
        return flagged

    # backfill from web archives (see healtharchive.backfill)

    def stage_point(self, point: dict, cleaned: tuple[str, bytes] | None) -> bool:
        """Keep one assembled moment of an article's history until a backfill run records it (``backfill_points``:
        source, article, at, state, url, pages, detail) with its cleaned pages (``(hash, data)``, stored once per
        hash); False when the same point was staged before."""
        with self.transaction():
            if cleaned:
                self.conn.execute(
                    "INSERT OR IGNORE INTO backfill_cleaned (hash, data) VALUES (?, ?)", [cleaned[0], cleaned[1]]
                )
            return (
                self.conn.execute(
                    "INSERT OR IGNORE INTO backfill_points (source, article, at, state, url, pages, detail, cleaned) "
                    "VALUES (:source, :article, :at, :state, :url, :pages, :detail, :cleaned)",
                    {**point, "pages": json.dumps(point["pages"]), "cleaned": cleaned[0] if cleaned else None},
                ).rowcount
                == 1
            )

    def release_cleaned(self, source: str, articles) -> None:
        """Drop the cleaned pages of the recorded points of ``articles`` (a backfill run has finished with them)."""
        with self.transaction():
            for article in articles:
                self.conn.execute(
                    "UPDATE backfill_points SET cleaned = NULL WHERE source = ? AND article = ? AND crawl_id IS NOT NULL",
                    [source, article],
                )
            self.conn.execute(
                "DELETE FROM backfill_cleaned WHERE hash NOT IN "
                "(SELECT cleaned FROM backfill_points WHERE cleaned IS NOT NULL)"
            )

    # scheduled runs (see healtharchive.schedule)

    def schedule_last_started(self, name: str) -> str | None:
        return self.conn.execute(
            "SELECT max(started_at) FROM schedule_runs WHERE name = ? AND coalesce(status, '') != 'stopped'", [name]
        ).fetchone()[0]

    def schedule_started(self, name: str, spider: str, started_at: str) -> int:
        with self.transaction():
            return (
                self.db.table("schedule_runs")
                .insert({"name": name, "spider": spider, "started_at": started_at, "status": "running"})
                .last_pk
            )

    def schedule_finished(self, run_id: int, **values) -> None:
        with self.transaction():
            self.db.table("schedule_runs").update(run_id, {"finished_at": utcnow(), **values})


def failed_page(item) -> str | None:
    """Which page of an incomplete article failed, and how: "page 2 (URL): HTTP 503"; None when no page did (its
    text could not be cleaned)."""
    for page in item.pages:
        if page.error or page.status not in (200, 304):
            why = f"HTTP {page.status}" if page.status not in (None, 200, 304) else page.error or "no response"
            return f"page {page.number} ({page.url}): {why}"
    return None
