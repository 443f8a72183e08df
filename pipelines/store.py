"""The archive: an SQLite file of crawls, articles, their versions, observations and captures.

``Archive.record()`` writes one crawled article in one transaction, so a crash never leaves half an
article. A new version is made only when the cleaned text's hash differs from the current version's;
an article that could not be fetched completely keeps its last good version.
"""

import json
import os
import time
from datetime import datetime, timezone

import sqlite_utils

from .merge import blocks_to_text
from .normalize import content_hash, normalize_text
from .schema import OUTCOME_CODE, migrate


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(iso: str | None) -> int:
    if not iso:
        return int(time.time())
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


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


class Archive:
    """An ``archive.db`` opened for reading and writing (schema created or upgraded on open)."""

    def __init__(self, path: str, readonly: bool = False):
        self.path = str(path)
        try:
            if readonly:
                import sqlite3

                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
                self.db = sqlite_utils.Database(conn)
            else:
                self.db = sqlite_utils.Database(self.path)
                self.db.execute("PRAGMA busy_timeout = 30000")
                self.db.enable_wal()
                self.db.execute("PRAGMA synchronous = NORMAL")
                migrate(self.db.conn)
        except Exception as exc:  # sqlite3 errors name no file: add it
            raise ArchiveError(f"cannot open archive {self.path}: {exc}") from exc

    def close(self):
        self.db.close()

    # crawls

    def start_crawl(self, spider: str, profile: str, args: dict, scope: dict | None) -> int:
        with self.db.atomic():
            self._close_dead_crawls()
            return self.db.table("crawls").insert(
                {
                    "spider": spider,
                    "profile": profile,
                    "args": json.dumps(args, sort_keys=True),
                    "scope": json.dumps(scope) if scope else None,
                    "started_at": utcnow(),
                    "status": "running",
                    "pid": os.getpid(),
                }
            ).last_pk

    def _close_dead_crawls(self):
        """A crawl left 'running' by a process that no longer exists was interrupted (killed, crashed)."""
        for row in list(self.db.query("SELECT id, pid FROM crawls WHERE status = 'running'")):
            if row["pid"] and not process_alive(row["pid"]):
                self.db.execute("UPDATE crawls SET status = 'interrupted', finish_reason = 'process died' "
                                "WHERE id = ?", [row["id"]])

    def finish_crawl(self, crawl_id: int, status: str, reason: str, pages: int, errors: int):
        with self.db.atomic():
            self.db.table("crawls").update(
                crawl_id,
                {"finished_at": utcnow(), "status": status, "finish_reason": reason,
                 "pages_fetched": pages, "errors": errors},
            )

    # reading what the archive holds

    def article(self, url: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM articles WHERE url = ?", [url]))
        return rows[0] if rows else None

    def live_articles(self, hosts, paths) -> list[dict]:
        """Live articles in a center's scope, with the page URLs of their current version."""
        rows = self.db.query(
            "SELECT a.id, a.url, a.host, v.page_urls FROM articles a "
            "LEFT JOIN version_log v ON v.id = a.current_version_id WHERE a.status = 'live'"
        )
        found = []
        for row in rows:
            path = row["url"].split(row["host"], 1)[-1] if row["host"] else ""
            if row["host"] in hosts and (not paths or any(path.startswith(p) for p in paths)):
                row["page_urls"] = json.loads(row["page_urls"]) if row["page_urls"] else [row["url"]]
                found.append(row)
        return found

    def known_pages(self, url: str) -> list[str]:
        """Page URLs of a live article's current version ([] when the archive has no such article)."""
        rows = list(self.db.query(
            "SELECT v.page_urls FROM articles a JOIN version_log v ON v.id = a.current_version_id "
            "WHERE a.url = ? AND a.status = 'live'", [url]))
        return json.loads(rows[0]["page_urls"]) if rows and rows[0]["page_urls"] else []

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified last seen for ``url``."""
        row = list(self.db.query("SELECT etag, last_modified FROM urls WHERE url = ?", [url]))
        return (row[0]["etag"], row[0]["last_modified"]) if row else (None, None)

    def stale_versions(self, extractor_version: str) -> int:
        """How many live articles' current versions were made by another extractor version."""
        return next(self.db.query(
            "SELECT count(*) AS n FROM articles a JOIN version_log v ON v.id = a.current_version_id "
            "WHERE a.status = 'live' AND v.extractor_version IS NOT ?", [extractor_version]))["n"]

    def template_texts(self) -> dict[str, set[str]]:
        known: dict[str, set[str]] = {}
        for row in self.db.query("SELECT host, hash FROM template_blocks"):
            known.setdefault(row["host"], set()).add(row["hash"])
        return known

    # writing

    def record(self, crawl_id: int, item, extractor: str, extractor_version: str, host: str) -> str | None:
        """Archive one crawled article; returns its outcome (None when there was nothing to record)."""
        with self.db.atomic():
            article = self.article(item.url)
            if item.state == "gone" and article is None:
                return None  # never archived: nothing to mark gone
            now = utcnow()
            if article is None:
                article_id = self.db.table("articles").insert(
                    {"url": item.url, "host": host, "title": item.title, "status": "live",
                     "first_seen": now, "last_seen": now, "missed": 0}
                ).last_pk
                article = {"id": article_id, "current_version_id": None, "status": "live"}
            article_id = article["id"]
            captures = self._captures(crawl_id, article_id, item.pages)
            current = article["current_version_id"]
            update = {"last_seen": now, "missed": 0, "status": "live"}
            if item.state == "gone":
                outcome, update = "gone", {"last_seen": now, "status": "gone"}
            elif item.state == "incomplete":
                outcome = "incomplete"
            elif item.state == "not_modified" and current is not None:
                outcome = "unchanged"
            else:
                text = blocks_to_text(item.blocks)
                digest = content_hash(text)
                if current is not None and self._hash_of(current) == digest:
                    outcome = "unchanged"
                else:
                    outcome = "changed" if current is not None else "new"
                    current = self._add_version(crawl_id, article_id, item, text, digest, captures,
                                                extractor, extractor_version, now)
                    update["current_version_id"] = current
                if item.title:
                    update["title"] = item.title
            self.db.table("articles").update(article_id, update)
            self._observe(article_id, crawl_id, outcome, current)
            return outcome

    def _hash_of(self, version_id: int) -> str:
        return next(self.db.query(
            "SELECT t.hash FROM version_log v JOIN texts t ON t.id = v.text_id WHERE v.id = ?", [version_id]
        ))["hash"]

    def _text_id(self, text: str, digest: str) -> int:
        row = list(self.db.query("SELECT id FROM texts WHERE hash = ?", [digest]))
        if row:
            return row[0]["id"]
        return self.db.table("texts").insert(
            {"hash": digest, "text": text, "words": len(text.split())}
        ).last_pk

    def _add_version(self, crawl_id, article_id, item, text, digest, captures, extractor, extractor_version, now):
        number = next(self.db.query(
            "SELECT coalesce(max(version), 0) + 1 AS n FROM version_log WHERE article_id = ?", [article_id]
        ))["n"]
        meta = item.meta or {}
        version_id = self.db.table("version_log").insert(
            {
                "article_id": article_id,
                "version": number,
                "title": item.title,
                "text_id": self._text_id(text, digest),
                "page_count": len(item.pages),
                "page_urls": json.dumps([p.url for p in item.pages]),
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
            }
        ).last_pk
        self.db.execute(
            "INSERT INTO versions_fts (rowid, title, text) VALUES (?, ?, ?)", [version_id, item.title, text]
        )
        return version_id

    def _observe(self, article_id, crawl_id, outcome, version_id):
        self.db.table("observation_log").insert(
            {"article_id": article_id, "crawl_id": crawl_id, "at": int(time.time()),
             "outcome": OUTCOME_CODE[outcome], "version_id": version_id}
        )

    def _url_id(self, url: str, etag: str | None = None, last_modified: str | None = None) -> int:
        """The URL's id; new validators replace the old ones in place (only the latest are ever sent)."""
        row = list(self.db.query("SELECT id, etag, last_modified FROM urls WHERE url = ?", [url]))
        if not row:
            return self.db.table("urls").insert({"url": url, "etag": etag, "last_modified": last_modified}).last_pk
        if (etag or last_modified) and (etag, last_modified) != (row[0]["etag"], row[0]["last_modified"]):
            self.db.execute("UPDATE urls SET etag = ?, last_modified = ? WHERE id = ?", [etag, last_modified, row[0]["id"]])
        return row[0]["id"]

    def _warc_file_id(self, path: str) -> int:
        row = list(self.db.query("SELECT id FROM warc_files WHERE path = ?", [path]))
        return row[0]["id"] if row else self.db.table("warc_files").insert({"path": path}).last_pk

    def _captures(self, crawl_id, article_id, pages) -> list[int]:
        """One ``capture_log`` row per response; a payload equal to the URL's previous capture is not repeated."""
        ids = []
        for page in pages:
            if page.status is None:
                continue  # no response: nothing was captured
            url_id = self._url_id(page.url, page.etag, page.last_modified)
            prev = list(self.db.query(
                "SELECT id, digest FROM capture_log WHERE url_id = ? AND status IN (200, 304) ORDER BY id DESC LIMIT 1",
                [url_id]
            ))
            warc = page.warc or {}
            row = {
                "crawl_id": crawl_id, "article_id": article_id, "url_id": url_id, "page": page.number,
                "status": page.status, "at": epoch(page.fetched_at), "digest": warc.get("digest"),
                "warc_file_id": self._warc_file_id(warc["file"]) if warc.get("file") else None,
                "warc_offset": warc.get("offset"), "warc_length": warc.get("length"),
            }
            if prev and page.status in (200, 304):
                same = page.not_modified or (row["digest"] is not None and row["digest"] == prev[0]["digest"])
                if same:
                    row["revisit_of"] = prev[0]["id"]
                    if row["digest"] in (None, prev[0]["digest"]):
                        row["digest"] = None
            ids.append(self.db.table("capture_log").insert(row).last_pk)
        return ids

    def mark_missing(self, crawl_id: int, hosts, paths, gone_after: int) -> int:
        """Count a miss for each live article of the scope this crawl did not observe; ``gone`` after N."""
        seen = {r["article_id"] for r in self.db.query(
            "SELECT article_id FROM observation_log WHERE crawl_id = ?", [crawl_id])}
        gone = 0
        with self.db.atomic():
            for article in self.live_articles(hosts, paths):
                if article["id"] in seen:
                    continue
                missed = next(self.db.query("SELECT missed FROM articles WHERE id = ?", [article["id"]]))["missed"] + 1
                update = {"missed": missed}
                if missed >= gone_after:
                    update["status"] = "gone"
                    current = next(self.db.query(
                        "SELECT current_version_id AS v FROM articles WHERE id = ?", [article["id"]]))["v"]
                    self._observe(article["id"], crawl_id, "gone", current)
                    gone += 1
                self.db.table("articles").update(article["id"], update)
        return gone

    def amend_templates(self, crawl_id: int, is_template) -> int:
        """Strip blocks found to be template by the end of a crawl from the versions this crawl made.

        Template blocks are recognised by their repetition across articles, so the first articles of a
        crawl are written before the block is known. A version whose amended text equals the article's
        previous version is withdrawn and its observation becomes ``unchanged``. Returns how many
        versions were amended.
        """
        amended = 0
        rows = list(self.db.query(
            "SELECT v.id, v.article_id, v.version, v.title, t.text, a.host FROM version_log v "
            "JOIN texts t ON t.id = v.text_id JOIN articles a ON a.id = v.article_id WHERE v.crawl_id = ?",
            [crawl_id],
        ))
        for row in rows:
            blocks = row["text"].split("\n\n")
            kept = [b for b in blocks if not is_template(row["host"], b)]
            if len(kept) == len(blocks):
                continue
            amended += 1
            text = "\n\n".join(kept)
            digest = content_hash(text)
            with self.db.atomic():
                self.db.execute(
                    "INSERT INTO versions_fts (versions_fts, rowid, title, text) VALUES ('delete', ?, ?, ?)",
                    [row["id"], row["title"], row["text"]],
                )
                prev = list(self.db.query(
                    "SELECT v.id, t.hash FROM version_log v JOIN texts t ON t.id = v.text_id "
                    "WHERE v.article_id = ? AND v.version = ?", [row["article_id"], row["version"] - 1]
                ))
                if prev and prev[0]["hash"] == digest:
                    self.db.execute("DELETE FROM version_log WHERE id = ?", [row["id"]])
                    self.db.execute(
                        "UPDATE observation_log SET outcome = ?, version_id = ? WHERE version_id = ? AND crawl_id = ?",
                        [OUTCOME_CODE["unchanged"], prev[0]["id"], row["id"], crawl_id],
                    )
                    self.db.execute("UPDATE articles SET current_version_id = ? WHERE id = ?",
                                    [prev[0]["id"], row["article_id"]])
                else:
                    self.db.execute("UPDATE version_log SET text_id = ? WHERE id = ?",
                                    [self._text_id(text, digest), row["id"]])
                    self.db.execute("INSERT INTO versions_fts (rowid, title, text) VALUES (?, ?, ?)",
                                    [row["id"], row["title"], text])
        if amended:
            with self.db.atomic():
                self.db.execute("DELETE FROM texts WHERE id NOT IN (SELECT text_id FROM version_log) "
                                "AND id NOT IN (SELECT text_id FROM version_texts)")
        return amended

    def remember_templates(self, crawl_id: int, host: str, texts) -> None:
        with self.db.atomic():
            for text in texts:
                self.db.execute(
                    "INSERT OR IGNORE INTO template_blocks (host, hash, text, crawl_id) VALUES (?, ?, ?, ?)",
                    [host, content_hash(text), normalize_text(text), crawl_id],
                )
