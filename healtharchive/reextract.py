"""``healtharchive reextract``: rebuild the text of past versions from the WARC files with the current extractor.

For every version (oldest first, article by article) the pages it was built from (``version_log.capture_ids``)
are read back from their WARC records (a revisit is followed to the response record holding the payload),
and cleaned exactly as the crawl does: ``extract_page`` on each page with the crawl's profile's prune
XPaths, ``merge_pages``, then the site's template blocks are dropped (those the archive knew by the end of
the version's crawl, ``template_blocks.crawl_id <= crawl``), and ``blocks_to_text``. Then:

- **Same text** (same ``content_hash``): the version is left alone. A ``version_texts`` row
  ``(version, extractor version, same text, how='verified')`` records that the current extractor agrees.
- **Different text**: the version is re-derived *in place*. The text it had is kept in ``version_texts``
  (``how='crawl'``, under the extractor version that made it; nothing is deleted), the new text gets a
  ``how='rederived'`` row, and ``version_log`` points at the new text with the new ``extractor_version``
  (``versions.text``, ``content_hash`` and full-text search follow). Version numbers, ``crawled_at``,
  ``capture_ids`` and every observation stay as they were: no version is added, merged or removed and no
  observation is created, so the article's history shows no change that the site did not make.
- When two consecutive versions of an article come out with equal texts under the new extractor (their
  difference was only in what the old extractor kept), the later one's ``version_texts`` row gets
  ``same_as_previous = 1``: flagged for the analyst, never merged or deleted.

Because the current version's text is the current extractor's, the next crawl compares like with like and
records no false ``changed`` when only the extractor changed. A version whose captures cannot be read (no
WARC record, file missing) is reported and left alone. Running it twice is harmless: versions that already
have a row for the current extractor version are skipped (``--force`` redoes them).
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

import click

logger = logging.getLogger("healtharchive.reextract")


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Report:
    versions: int = 0
    identical: int = 0
    rederived: int = 0
    skipped: int = 0
    unavailable: int = 0
    same_as_previous: int = 0
    extractor_version: str = ""
    problems: list = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.versions} version(s) under extractor {self.extractor_version}: {self.identical} identical, "
                f"{self.rederived} re-derived, {self.same_as_previous} now equal to their previous version (flagged), "
                f"{self.skipped} already done, {self.unavailable} without readable captures")


def page_html(http_headers, body: bytes, url: str) -> str:
    """Decode a page as the crawl did (Scrapy's rules: Content-Type charset, BOM, <meta>)."""
    from scrapy.http import HtmlResponse

    content_type = http_headers.get_header("Content-Type") if http_headers is not None else None
    headers = {"Content-Type": content_type} if content_type else {}
    return HtmlResponse(url=url, body=body, headers=headers).text


def reextract(db_path: str, warc_dir: str | None = None, force: bool = False, limit_article: int | None = None,
              workers: int = 1) -> Report:
    """Re-derive every version's text with the current extractor; see the module doc."""
    from crawler.profiles import UnknownProfile, load_profile
    from crawler.warc import WarcReader
    from pipelines import extract
    from pipelines.merge import blocks_to_text, merge_pages
    from pipelines.normalize import content_hash, normalize_text
    from pipelines.store import Archive

    archive = Archive(db_path)
    db = archive.db
    conn = db.conn
    version_now = extract.EXTRACTOR_VERSION
    report = Report(extractor_version=version_now)
    reader = WarcReader(conn, db_path, warc_dir)
    templates: dict[str, dict[str, int]] = defaultdict(dict)  # host -> block hash -> crawl that found it
    for row in db.query("SELECT host, hash, crawl_id FROM template_blocks"):
        templates[row["host"]][row["hash"]] = row["crawl_id"] or 0
    prunes: dict[str | None, tuple] = {}

    def prune_for(profile):
        if profile not in prunes:
            try:
                prunes[profile] = tuple(load_profile(profile).prune)
            except UnknownProfile:
                prunes[profile] = ()
        return prunes[profile]

    def is_template(host, crawl_id, text):
        key = content_hash(normalize_text(text.removeprefix("- ")).casefold())
        found = templates.get(host, {}).get(key)
        return found is not None and found <= (crawl_id or 0)

    sql = ("SELECT v.id, v.article_id, v.version, v.capture_ids, v.crawl_id, v.extractor_version, v.text_id, "
           "v.title, t.hash, t.text, a.host, c.profile FROM version_log v JOIN texts t ON t.id = v.text_id "
           "JOIN articles a ON a.id = v.article_id LEFT JOIN crawls c ON c.id = v.crawl_id")
    params = []
    if limit_article is not None:
        sql += " WHERE v.article_id = ?"
        params.append(limit_article)
    rows = list(db.query(sql + " ORDER BY v.article_id, v.version", params))
    touched_articles = set()
    pool = None
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor
        import multiprocessing

        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        for row in rows:
            report.versions += 1
            done = list(db.query("SELECT 1 FROM version_texts WHERE version_id = ? AND extractor_version = ?",
                                 [row["id"], version_now]))
            if done and not force:
                report.skipped += 1
                touched_articles.add(row["article_id"])
                continue
            pages = _pages(conn, reader, row)
            if pages is None:
                report.unavailable += 1
                report.problems.append(f"version {row['id']} ({row['version']} of article {row['article_id']}): "
                                       "captures not readable from the WARC files")
                continue
            prune = prune_for(row["profile"])
            if pool is not None:
                extracted = list(pool.map(extract.extract_page, [h for _, h in pages], [u for u, _ in pages],
                                          [prune] * len(pages)))
            else:
                extracted = [extract.extract_page(html, url, prune) for url, html in pages]
            merged = merge_pages(extracted)
            blocks = [b for b in merged["blocks"] if not is_template(row["host"], row["crawl_id"], b[1])]
            text = blocks_to_text(blocks)
            digest = content_hash(text)
            touched_articles.add(row["article_id"])
            with db.atomic():
                if digest == row["hash"]:
                    report.identical += 1
                    _put(db, row["id"], version_now, row["text_id"], "verified")
                    continue
                report.rederived += 1
                _put(db, row["id"], row["extractor_version"] or "unknown", row["text_id"], "crawl", replace=False)
                text_id = archive._text_id(text, digest)
                _put(db, row["id"], version_now, text_id, "rederived")
                db.execute("UPDATE version_log SET text_id = ?, extractor_version = ? WHERE id = ?",
                           [text_id, version_now, row["id"]])
                db.execute("INSERT INTO versions_fts (versions_fts, rowid, title, text) VALUES ('delete', ?, ?, ?)",
                           [row["id"], row["title"], row["text"]])
                db.execute("INSERT INTO versions_fts (rowid, title, text) VALUES (?, ?, ?)",
                           [row["id"], row["title"], text])
        report.same_as_previous = _flag(db, touched_articles, version_now)
    finally:
        if pool is not None:
            pool.shutdown()
        archive.close()
    return report


def _put(db, version_id, extractor_version, text_id, how, replace=True):
    verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
    db.execute(f"{verb} INTO version_texts (version_id, extractor_version, text_id, how, derived_at, same_as_previous) "
               "VALUES (?, ?, ?, ?, ?, 0)", [version_id, extractor_version, text_id, how, utcnow()])


def _pages(conn, reader, row) -> list[tuple[str, str]] | None:
    """(url, html) of the version's pages in page order, from the WARC files; None when any is unreadable."""
    ids = json.loads(row["capture_ids"] or "[]")
    if not ids:
        return None
    marks = ",".join("?" * len(ids))
    caps = conn.execute(
        f"SELECT c.id, c.page, u.url, w.path, c.warc_offset FROM capture_log c JOIN urls u ON u.id = c.url_id "
        f"LEFT JOIN warc_files w ON w.id = c.warc_file_id WHERE c.id IN ({marks}) ORDER BY c.page, c.id", ids).fetchall()
    pages = []
    for _id, _page, url, path, offset in caps:
        if path is None or offset is None:
            return None
        try:
            _, http_headers, body = reader.payload(path, offset)
        except (OSError, ValueError, LookupError) as exc:
            logger.warning("cannot read capture %d (%s): %s", _id, url, exc)
            return None
        pages.append((url, page_html(http_headers, body, url)))
    return pages


def _flag(db, article_ids, extractor_version) -> int:
    """Set ``same_as_previous`` on rows of ``extractor_version`` whose text equals the previous version's."""
    flagged = 0
    with db.atomic():
        for article_id in article_ids:
            rows = list(db.query(
                "SELECT vt.version_id, vt.text_id, v.version FROM version_texts vt JOIN version_log v ON v.id = vt.version_id "
                "WHERE v.article_id = ? AND vt.extractor_version = ? ORDER BY v.version", [article_id, extractor_version]))
            previous = None
            for r in rows:
                same = int(previous is not None and previous["version"] == r["version"] - 1
                           and previous["text_id"] == r["text_id"])
                db.execute("UPDATE version_texts SET same_as_previous = ? WHERE version_id = ? AND extractor_version = ?",
                           [same, r["version_id"], extractor_version])
                flagged += same
                previous = r
    return flagged


@click.command(name="reextract")
@click.option("--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
              help="The archive (SQLite file).")
@click.option("--warc-dir", default=None, type=click.Path(file_okay=False),
              help="Where the WARC files are, if they were moved away from the archive's warc/ folder.")
@click.option("--article", "article_url", default=None, help="Only this article (URL).")
@click.option("--force", is_flag=True, help="Redo versions already checked with the current extractor version.")
@click.option("--workers", default=1, show_default=True, type=int, help="Extraction processes.")
def reextract_command(db_path, warc_dir, article_url, force, workers):
    """Rebuild past versions' text from the WARC files with the current extractor (see docs/warc.md).

    Identical texts are left alone; different texts are re-derived in place under the new extractor
    version, the old text kept, with no new version or observation.

    Example: healtharchive reextract --db archive.db
    """
    from pathlib import Path

    if not Path(db_path).is_file():
        raise click.ClickException(f"no archive at {db_path}")
    article_id = None
    if article_url:
        from .cli import find_article, open_db

        article_id = find_article(open_db(db_path), article_url)["id"]
    t0 = time.monotonic()
    report = reextract(db_path, warc_dir, force=force, limit_article=article_id, workers=workers)
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)
    click.echo(f"{report.line()} ({time.monotonic() - t0:.1f}s)")
    if report.unavailable:
        raise SystemExit(1)
