"""``healtharchive reextract``: what the current extractor makes of past captures, read back from the WARC files.

For every version (oldest first, article by article) the pages it was built from (``version_log.capture_ids``)
are read back from their WARC records (a revisit is followed to the response record holding the payload),
decoded as Scrapy decodes them, and cleaned by the crawl's own recipe, ``pipelines.clean.clean_article``, with
the crawl's profile's prune XPaths and the site chrome the archive knew by the end of the version's crawl
(``template_blocks`` and ``chrome_slots`` with ``crawl_id <= crawl``). Then:

- **Same text** (same ``content_hash``): the version is left alone. A ``version_texts`` row
  ``(version, extractor version, same text, how='verified')`` records that the current extractor agrees; a
  version written before page boundaries were recorded gets its ``page_starts``.
- **Different text**: a version once written never changes, so the version keeps its text; the new text is
  recorded beside it in ``version_texts`` (``how='rederived'``, with a ``how='crawl'`` row for the text it was
  crawled with). Version numbers, texts, ``crawled_at``, ``capture_ids`` and every observation stay as they were.
- **The article's current version came out different**: a new version is made, now, from the same captures, with
  the new extractor's text and ``extractor_version``; it becomes the article's current version, and its
  observation, in a ``crawls`` row of spider ``reextract``, is ``changed`` with the detail "re-extracted by
  <extractor version> from the captures of version N". It says the extractor changed, not the site.
- When two consecutive versions of an article come out with equal texts under the new extractor (their
  difference was only in what the old extractor kept), the later one's ``version_texts`` row gets
  ``same_as_previous = 1``: flagged for the analyst, never merged or deleted.

Because the current version's text is then the current extractor's, the next crawl compares like with like and
records no false ``changed`` when only the extractor changed. A version whose captures cannot be read (no
WARC record, file missing) is reported and left alone. Running it twice is harmless: versions that already
have a row for the current extractor version are skipped (``--force`` redoes them).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import click

from archive import Archive, queries
from archive.lock import ArchiveLock
from archive.text import content_hash
from archive.warc import WarcReader
from pipelines.workers import worker_pool

from .common import db_option, find_article, open_archive, warc_dir_option

logger = logging.getLogger("healtharchive.reextract")


@dataclass
class Report:
    versions: int = 0
    identical: int = 0
    rederived: int = 0
    new_versions: int = 0
    skipped: int = 0
    unavailable: int = 0
    same_as_previous: int = 0
    extractor_version: str = ""
    problems: list = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.versions} version(s) under extractor {self.extractor_version}: {self.identical} identical, "
            f"{self.rederived} re-derived, {self.new_versions} new current version(s), "
            f"{self.same_as_previous} now equal to their previous version (flagged), "
            f"{self.skipped} already done, {self.unavailable} without readable captures"
        )


def page_html(http_headers, body: bytes, url: str) -> str:
    """Decode a page as the crawl did (Scrapy's rules: Content-Type charset, BOM, <meta>)."""
    from scrapy.http import HtmlResponse

    content_type = http_headers.get_header("Content-Type") if http_headers is not None else None
    headers = {"Content-Type": content_type} if content_type else {}
    return HtmlResponse(url=url, body=body, headers=headers).text


def _clean(pages, prune):
    """Worker: the crawl's first cleaning step for one version's pages."""
    from pipelines.clean import clean_pages

    return clean_pages(pages, prune)


def reextract(
    db_path: str, warc_dir: str | None = None, force: bool = False, limit_article: int | None = None, workers: int = 1
) -> Report:
    """Re-derive every version's text with the current extractor; see the module doc."""
    from crawler.profiles import UnknownProfile, load_profile
    from pipelines import extractor
    from pipelines.chrome import SiteChrome
    from pipelines.clean import clean_pages, without_chrome

    version_now = extractor.EXTRACTOR_VERSION
    report = Report(extractor_version=version_now)
    prunes: dict[str | None, tuple] = {}
    chromes: dict[int, SiteChrome] = {}

    def prune_for(profile):
        if profile not in prunes:
            try:
                prunes[profile] = tuple(load_profile(profile).prune)
            except UnknownProfile:
                prunes[profile] = ()
        return prunes[profile]

    pool = worker_pool(workers) if workers > 1 else None
    archive = Archive(db_path)
    crawl_id = None
    try:
        reader = WarcReader(archive.conn, db_path, warc_dir)
        touched = set()
        for row in archive.versions_to_rederive(limit_article):
            report.versions += 1
            if archive.derived(row["id"], version_now) and not force:
                report.skipped += 1
                touched.add(row["article_id"])
                continue
            pages = _pages(archive, reader, row)
            if pages is None:
                report.unavailable += 1
                report.problems.append(
                    f"version {row['id']} ({row['version']} of article {row['article_id']}): "
                    "captures not readable from the WARC files"
                )
                continue
            prune = prune_for(row["profile"])
            cleaned = pool.submit(_clean, pages, prune).result() if pool else clean_pages(pages, prune)
            crawl = row["crawl_id"] or 0
            if crawl not in chromes:
                chromes[crawl] = SiteChrome(
                    archive.template_hashes(until_crawl=crawl), known_slots=archive.chrome_slots(until_crawl=crawl)
                )
            article = without_chrome(cleaned, chromes[crawl], row["host"])
            text, page_starts = article.text, article.page_starts(len(pages))
            touched.add(row["article_id"])
            if content_hash(text) == row["hash"]:
                report.identical += 1
                archive.verify(row, version_now, page_starts)
            else:
                report.rederived += 1
                archive.rederive(row, text, version_now)
                if row["id"] == row["current_version_id"] and row["status"] == "live":
                    if crawl_id is None:
                        crawl_id = archive.start_crawl("reextract", "", {"extractor_version": version_now}, None)
                    archive.add_rederived_version(crawl_id, row, text, version_now, page_starts)
                    report.new_versions += 1
        report.same_as_previous = archive.flag_same_as_previous(touched, version_now)
        if crawl_id is not None:
            archive.finish_crawl(crawl_id, "finished", "finished", 0, 0)
    except BaseException:
        if crawl_id is not None:
            archive.fail_crawl(crawl_id, "interrupted", status="stopped")
        raise
    finally:
        if pool is not None:
            pool.shutdown()
        archive.close()
    return report


def _pages(archive: Archive, reader: WarcReader, row) -> list[tuple[str, str]] | None:
    """(url, html) of the version's pages in page order, from the WARC files; None when any is unreadable."""
    ids = json.loads(row["capture_ids"] or "[]")
    if not ids:
        return None
    pages = []
    for capture in queries.captures_by_id(archive.conn, ids):
        if capture["warc_file"] is None or capture["warc_offset"] is None:
            return None
        try:
            _, http_headers, body = reader.payload(capture["warc_file"], capture["warc_offset"])
        except (OSError, ValueError, LookupError) as exc:
            logger.warning("cannot read capture %d (%s): %s", capture["id"], capture["url"], exc)
            return None
        pages.append((capture["url"], page_html(http_headers, body, capture["url"])))
    return pages


@click.command(name="reextract")
@db_option
@warc_dir_option
@click.option("--article", "article_key", default=None, help="Only this article (URL or id).")
@click.option("--force", is_flag=True, help="Redo versions already checked with the current extractor version.")
@click.option("--workers", default=1, show_default=True, type=int, help="Extraction processes.")
def reextract_command(db_path, warc_dir, article_key, force, workers):
    """Rebuild past versions' text from the WARC files with the current extractor (see docs/warc.md).

    Identical texts are recorded as verified; a different text is recorded beside its version, which keeps its
    own, and an article whose current version comes out different gets a new version made from the same captures.
    Waits while a crawl writes the archive.

    Example: healtharchive reextract --db archive.db
    """
    article_id = None
    with open_archive(db_path) as archive:
        if article_key:
            article_id = find_article(archive, article_key)["id"]
    lock = ArchiveLock(db_path).acquire(
        wait=True,
        on_wait=lambda pid: click.echo(f"waiting: the archive {db_path} is being written by pid {pid}", err=True),
    )
    try:
        t0 = time.monotonic()
        report = reextract(db_path, warc_dir, force=force, limit_article=article_id, workers=workers)
    finally:
        lock.release()
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)
    click.echo(f"{report.line()} ({time.monotonic() - t0:.1f}s)")
    if report.unavailable:
        raise SystemExit(1)
