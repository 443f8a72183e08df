"""``healtharchive backfill``: an article's history before the first crawl, from a web archive's captures.

For each article (listed, or every live article of a center the archive holds: ``--center``):

1. **Find** its captures with one prefix query of the archive's CDX index under the article's URL: web archives file
   ``http`` and ``https``, ``www.`` or not, tracking and page parameters under one key. A row counts only when its
   ``original`` is one of the article's pages (``archive.urls.variant_key``), so pywb's fuzzy answers and the
   prefix's other articles (``/article-other``) are dropped. A page URL the prefix does not cover (a part on
   another path) gets an exact query of its own.
2. **Assemble** each moment (a *point*): every capture of the first page is one, dated by its capture time. The page
   is replayed raw (``{replay}{timestamp}id_/{url}``), decoded as Scrapy decodes it, and followed through its pager
   exactly as a crawl follows the live site (``crawler.articles``: ``next_page``, ``article_key``, ``first_part``,
   the repeated-page check, ``ARTICLE_MAX_PAGES``). Each later page is the capture of its URL closest in time within
   the window (``--window``, one day by default); a capture the archive cannot replay, of a redirect or of an error
   is passed over for the next closest. A page with no usable capture in the window makes the point ``incomplete``,
   never a partial version. A first page captured answering 404/410 makes it ``gone``, 401/403/451 ``blocked``,
   another error ``incomplete``; a captured redirect, a later part of an article or a capture the archive cannot
   replay is no point of the article (``skipped``). Identical payloads (same digest) are replayed once, and a revisit
   (the archive's record of "the same as before") is the payload of its digest.
3. **Clean** each point with the crawl's recipe, ``pipelines.clean.clean_pages`` with the profile's rules, and stage
   it in the archive (``backfill_points``) with the captures it used; payloads go to WARC files beside the archive
   (``warc/``), so ``reextract`` and ``export`` work on backfilled versions too. A point staged once is never fetched
   again: a stopped backfill continues where it stopped, and running it again adds nothing.
4. **Record**, once every article is assembled: the site's chrome is learned from every staged point (a block seen
   in ``TEMPLATE_MIN_ARTICLES`` articles, as a crawl learns it) and dropped through the crawl's own ``Recorder``;
   the points are versioned oldest first, dated by capture time, in one ``crawls`` row naming the web archive
   (``crawls.source``). How a backfilled version older than an article's crawled ones is numbered and shown:
   docs/backfill.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import threading
import time
import zlib
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import responses as REASONS

import click
from scrapy.http import HtmlResponse
from scrapy.responsetypes import responsetypes
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import Archive, queries
from archive.urls import canonical_url, host_of, page_number, variant_key
from archive.warc import WarcFiles, default_warc_dir, payload_digest, warc_date
from crawler.articles import BLOCKED_STATUSES, Assembly, article_key, first_part, next_page, signature
from crawler.bodies import problem, readable
from crawler.items import ArticleItem, Page
from crawler.profiles import UnknownProfile, load_profile
from crawler.settings import ARTICLE_MAX_PAGES, GONE_AFTER_MISSES, TEMPLATE_MIN_ARTICLES
from crawler.spiders.healthcenter import center_scope
from pipelines.clean import Cleaned, clean_pages
from pipelines.recorder import Recorder
from pipelines.reviewed import ReviewRules

from .common import db_option
from .webarchive import (
    CDX_RATE,
    REPLAY_RATE,
    WAYBACK_CDX,
    WAYBACK_REPLAY,
    Capture,
    Refused,
    WebArchive,
    WebArchiveError,
)

logger = logging.getLogger("healtharchive.backfill")

WINDOW = 86400  # seconds: the later pages of a point are captures within a day of its first page's
PROGRESS_EVERY = 10.0  # seconds between progress lines
PAYLOAD_CACHE = 256  # replayed payloads kept in memory (identical captures are replayed once)
HEADERS_DROPPED = ("content-length", "content-encoding", "transfer-encoding", "connection")


@dataclass
class Replayed:
    """A capture's payload as the archive replayed it (``error``: it could not be had)."""

    status: int | None = None
    content_type: str | None = None
    headers: list = field(default_factory=list)  # the original response's headers
    body: bytes = b""
    error: str | None = None
    warc: dict | None = None


@dataclass
class Report:
    articles: int = 0
    captures: int = 0  # CDX rows of the articles' pages
    points: int = 0  # moments staged by this run
    staged_before: int = 0  # moments a previous run had staged
    replays: int = 0
    identical: int = 0  # captures whose payload was already replayed
    refused: list = field(default_factory=list)
    outcomes: dict = field(default_factory=dict)
    crawl_id: int | None = None
    started: float = field(default_factory=time.monotonic)

    def line(self) -> str:
        seconds = time.monotonic() - self.started
        recorded = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items())) or "nothing new"
        return (
            f"{self.articles} article(s): {self.captures} captures, {self.points} moments assembled "
            f"({self.staged_before} already), {self.replays} replayed ({self.identical} identical skipped), "
            f"{self.replays / seconds if seconds else 0:.1f}/s; recorded: {recorded}"
            + (f" (crawl {self.crawl_id})" if self.crawl_id else "")
        )


def parse_window(text: str) -> int:
    """Seconds of a window written ``90s``, ``30m``, ``12h`` or ``2d`` (a bare number is seconds)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text or "")
    if not match:
        raise ValueError(f"{text!r} is not a window: write 90s, 30m, 12h or 2d")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _time(timestamp: str) -> float:
    return datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC).timestamp()


def _shift(timestamp: str, seconds: int) -> str:
    """A capture time moved by ``seconds`` (the later pages of a point may lie outside --from/--to)."""
    return datetime.fromtimestamp(max(_time(timestamp) + seconds, 0), UTC).strftime("%Y%m%d%H%M%S")


def as_response(url: str, replayed: Replayed):
    """The Scrapy response a crawl would have had for this payload (its class from the Content-Type)."""
    headers = {"Content-Type": replayed.content_type} if replayed.content_type else {}
    cls = responsetypes.from_args(headers=headers, url=url, body=replayed.body)
    return cls(url=url, status=replayed.status or 200, headers=headers, body=replayed.body)


class Backfill:
    """One backfill of a database from a web archive; ``run(urls)`` does the four steps of the module doc."""

    def __init__(
        self,
        db: str,
        webarchive: WebArchive,
        profile: str = "generic",
        window: int = WINDOW,
        since: str | None = None,
        until: str | None = None,
        concurrency: int = 2,
        progress=None,
    ):
        self.db = db
        self.webarchive = webarchive
        self.source = webarchive.cdx
        self.profile = load_profile(profile)
        self.prune, self.review = tuple(self.profile.prune), ReviewRules.of(self.profile)
        self.window, self.since, self.until = window, since, until
        self.concurrency = concurrency
        self.progress = progress or (lambda line: None)
        self.report = Report()
        self.recorder = Recorder(db, GONE_AFTER_MISSES, TEMPLATE_MIN_ARTICLES)
        self.warc = WarcFiles(
            default_warc_dir(db),
            db,
            {"isPartOf": db, "description": f"healtharchive backfill from {self.source} ({webarchive.replay})"},
        )
        self.warc_lock = threading.Lock()
        self.written: dict[str, dict] = {}  # payload digest -> its WARC record
        self.payloads: OrderedDict[str, Replayed] = OrderedDict()
        self.payload_locks: dict[str, threading.RLock] = {}
        self.lock = threading.Lock()
        self.cleaned: dict[tuple, tuple[Cleaned | None, str | None]] = {}
        self.last_tick = time.monotonic()

    # the run

    def run(self, urls) -> Report:
        self.recorder.lock.acquire(
            wait=True,
            on_wait=lambda pid: self.progress(f"waiting: the archive {self.db} is being written by pid {pid}"),
        )
        try:
            articles = list(dict.fromkeys(canonical_url(u) for u in urls))
            self.report.articles = len(articles)
            with Archive(self.db) as archive:
                for number, article in enumerate(articles, start=1):
                    self.gather(archive, article)
                    self.progress(f"{number}/{len(articles)} articles: " + self.report.line())
            self.record(articles)
        finally:
            self.warc.close()
            self.recorder.lock.release()
        return self.report

    def gather(self, archive: Archive, article: str):
        """Steps 1 to 3 for one article: its new points, assembled, cleaned and staged."""
        since = _shift(self.since, -self.window) if self.since else None
        until = _shift(self.until, self.window) if self.until else None
        try:
            rows = self.webarchive.captures(article, "prefix", since, until)
        except Refused as exc:
            logger.warning("%s", exc)
            self.report.refused.append(f"{article}: {exc}")
            return
        self.report.captures += len(rows)
        found = Found(self, article, rows, (since, until))
        staged = queries.staged_times(archive.conn, article)
        anchors = [a for a in found.anchors(self.since, self.until) if a.at not in staged]
        self.report.staged_before += len(staged)
        pool = ThreadPoolExecutor(self.concurrency)
        try:
            for point in pool.map(found.assemble, anchors):
                cleaned = point.pop("cleaned")
                if archive.stage_point(point, cleaned):
                    self.report.points += 1
                self.tick()
        finally:
            pool.shutdown(cancel_futures=True)  # stopped: the moments not yet assembled wait for the next run
        # Another article's payloads and pages are different ones: memory stays flat over a whole center.
        self.payloads.clear()
        self.payload_locks.clear()
        self.cleaned.clear()

    def record(self, articles):
        """Step 4: every staged, unrecorded point of ``articles``, oldest first, in one crawl."""
        recorder = self.recorder
        with Archive(self.db) as archive:
            points = queries.staged_points(archive.conn, self.source, articles, recorded=True)
        todo = [p for p in points if p["crawl_id"] is None and p["state"] != "skipped"]
        if not todo:
            return
        args = {"urls": articles, "replay": self.webarchive.replay, "window": self.window}
        args |= {k: v for k, v in (("from", self.since), ("to", self.until)) if v}
        self.report.crawl_id = recorder.open("backfill", self.profile.name, args, None, source=self.source)
        status, reason = "stopped", "interrupted"
        try:
            for point in points:  # the site's chrome, from every article's every moment
                if point["data"] and point["state"] == "ok":
                    data = json.loads(zlib.decompress(point["data"]))
                    blocks = [tuple(b) for b in data["blocks"]]
                    recorder.chrome.learn(host_of(point["url"]), point["url"], blocks, data.get("slots"), data["pages"])
            for point in todo:
                outcome = recorder.record(self.item(point), at=point["at"], staged=point["id"])
                if outcome:
                    self.report.outcomes[outcome] = self.report.outcomes.get(outcome, 0) + 1
            recorder.archive.release_cleaned(self.source, articles)
            status, reason = "finished", "finished"
        finally:
            recorder.close(status, reason, self.report.replays, len(self.report.refused))

    def item(self, point: dict) -> ArticleItem:
        pages = [
            Page(
                url=p["url"],
                number=p["number"],
                status=p.get("status"),
                fetched_at=p.get("at") or "",
                error=p.get("error"),
                warc=p.get("warc"),
            )
            for p in json.loads(point["pages"])
        ]
        item = ArticleItem(
            url=point["url"],
            spider="backfill",
            profile=self.profile.name,
            state=point["state"],
            pages=pages,
            listed=True,
        )
        if point["state"] == "ok":
            data = json.loads(zlib.decompress(point["data"]))
            item.title, item.meta, item.block_pages = data["title"], data["meta"], data["pages"]
            item.blocks, item.page_titles = [tuple(b) for b in data["blocks"]], data["titles"]
            item.block_slots = data.get("slots") or []
        return item

    def tick(self):
        """A progress line every few seconds while an article's moments are assembled."""
        now = time.monotonic()
        if now - self.last_tick >= PROGRESS_EVERY:
            self.last_tick = now
            self.progress(self.report.line())

    # payloads

    def replayed(self, capture: Capture, originals: dict[str, Capture]) -> Replayed:
        """The payload of ``capture``: from memory when its digest was replayed already, else from the archive; a
        revisit replayed as "not modified" is its digest's original (``originals``: the first capture of each digest
        that is not a revisit)."""
        key = capture.digest or f"{capture.timestamp} {capture.original}"
        with self.lock:
            key_lock = self.payload_locks.setdefault(key, threading.RLock())
        with key_lock:
            with self.lock:
                hit = self.payloads.get(key)
                if hit is not None and (capture.revisit or capture.status == hit.status):
                    self.payloads.move_to_end(key)
                    self.report.identical += 1
                    return hit
            memento = self.webarchive.fetch(capture)
            with self.lock:
                self.report.replays += 1
            if not memento.archived:
                return Replayed(error=memento.error or f"not replayed (HTTP {memento.status})")
            if memento.status == 304 and capture.revisit and not memento.body:
                original = originals.get(capture.digest)
                if original is None:
                    return Replayed(error="a revisit whose original the web archive does not list")
                return self.replayed(original, originals)
            result = Replayed(
                status=memento.status,
                content_type=memento.content_type,
                headers=_original_headers(memento.headers),
                body=memento.body,
            )
            result.warc = self.write_warc(capture, result, self.webarchive.memento_url(capture))
            with self.lock:
                self.payloads[key] = result
                while len(self.payloads) > PAYLOAD_CACHE:
                    self.payloads.popitem(last=False)
            return result

    def write_warc(self, capture: Capture, replayed: Replayed, source: str) -> dict:
        """The payload as a WARC response record dated by its capture (written once per payload digest)."""
        digest = payload_digest(replayed.body)
        with self.warc_lock:
            if digest not in self.written:
                headers = [*replayed.headers, ("Content-Length", str(len(replayed.body)))]
                status = replayed.status or 200
                http = StatusAndHeaders(f"{status} {REASONS.get(status, 'Unknown')}", headers, protocol="HTTP/1.1")
                record = WARCWriter(None).create_warc_record(
                    capture.original,
                    "response",
                    payload=io.BytesIO(replayed.body),
                    length=len(replayed.body),
                    http_headers=http,
                    warc_headers_dict={
                        "WARC-Date": warc_date(datetime.fromtimestamp(_time(capture.timestamp), UTC)),
                        "WARC-Payload-Digest": digest,
                        "WARC-Source-URI": source,
                    },
                )
                stored, offset, length = self.warc.write(record)
                self.written[digest] = {"file": stored, "offset": offset, "length": length, "digest": digest}
            return self.written[digest]

    def clean(self, pages: list[tuple[str, str]], digests: tuple) -> tuple[Cleaned | None, str | None]:
        """The crawl's first cleaning step for one point's pages (once per set of payloads), or why it failed."""
        with self.lock:
            if digests in self.cleaned:
                return self.cleaned[digests]
        try:
            article = clean_pages(pages, self.prune, self.review)
            result = (article, None) if article.blocks else (None, "no article text")
        except Exception as exc:  # the crawl's cleaning pipeline makes such an article incomplete too
            result = (None, f"cannot be cleaned: {type(exc).__name__}: {exc}")
        with self.lock:
            self.cleaned[digests] = result
        return result


class Found:
    """One article's captures, by page address, and the points assembled from them."""

    def __init__(self, backfill: Backfill, article: str, rows: list[Capture], bounds=(None, None)):
        self.backfill, self.article, self.bounds = backfill, article, bounds  # (from, to) of the CDX queries
        self.by_key: dict[str, list[Capture]] = {}
        self.originals: dict[str, Capture] = {}
        self.queried: set[str] = set()
        self.lock = threading.Lock()
        self.add(rows)

    def add(self, rows):
        for row in rows:
            self.by_key.setdefault(variant_key(row.original), []).append(row)
            if row.digest and not row.revisit:
                self.originals.setdefault(row.digest, row)

    def anchors(self, since: str | None, until: str | None) -> list[Capture]:
        """One capture of the first page per capture time (a response before a revisit, a 200 first), in
        ``since``..``until``."""
        first = variant_key(self.article)
        best: dict[str, Capture] = {}
        for rows in self.by_key.values():
            for row in rows:
                if variant_key(canonical_url(row.original)) != first or page_number(row.original) != 1:
                    continue
                if (since and row.timestamp < since) or (until and row.timestamp > until):
                    continue
                rank = (row.revisit, row.status != 200)
                held = best.get(row.timestamp)
                if held is None or rank < (held.revisit, held.status != 200):
                    best[row.timestamp] = row
        return [best[t] for t in sorted(best)]

    def captures_of(self, url: str) -> list[Capture]:
        """Every capture of page ``url``, asked of the archive when the article's prefix query had none."""
        key = variant_key(url)
        with self.lock:
            if key not in self.by_key and key not in self.queried:
                self.queried.add(key)
                try:
                    rows = self.backfill.webarchive.captures(url, "exact", *self.bounds)
                except Refused as exc:
                    logger.warning("%s", exc)
                    rows = []
                self.add(r for r in rows if variant_key(r.original) == key)
            return list(self.by_key.get(key, ()))

    def closest(self, url: str, when: str) -> tuple[Capture | None, Replayed | None, str]:
        """The usable capture of page ``url`` closest in time to ``when`` within the window, with its payload; else
        (None, None, why). Usable: replayed, a 200, an HTML page with text (``crawler.bodies``)."""
        target, window = _time(when), self.backfill.window
        rows = [r for r in self.captures_of(url) if abs(_time(r.timestamp) - target) <= window]
        rows.sort(key=lambda r: (abs(_time(r.timestamp) - target), -_time(r.timestamp)))
        why = f"no capture within {_span(window)}"
        for row in rows:
            if row.status is not None and 300 <= row.status < 400:
                why = f"captured as a redirect (HTTP {row.status})"
                continue
            replayed = self.backfill.replayed(row, self.originals)
            if replayed.error:
                why = replayed.error
            elif replayed.status != 200:
                why = f"captured answering {replayed.status}"
            else:
                why = page_problem(readable(as_response(row.original, replayed)))
                if not why:
                    return row, replayed, ""
        return None, None, why

    def assemble(self, anchor: Capture) -> dict:
        """The point of ``anchor`` (a capture of the first page): staged as ``backfill_points`` with its cleaned
        pages under ``cleaned``; see the module doc."""
        backfill, profile = self.backfill, self.backfill.profile
        point = {"source": backfill.source, "article": self.article, "at": anchor.at, "url": self.article}
        point |= {"state": "skipped", "pages": [], "detail": None, "cleaned": None}
        first = backfill.replayed(anchor, self.originals)
        page = _page(anchor, 1, first)
        if first.error:
            return point | {"detail": f"first page: {first.error}"}
        if 300 <= first.status < 400:
            return point | {"detail": f"first page captured as a redirect (HTTP {first.status})"}
        if first.status != 200:
            state = "gone" if first.status in (404, 410) else "blocked" if first.status in BLOCKED_STATUSES else None
            page["error"] = f"answered {first.status}"
            return point | {"state": state or "incomplete", "pages": [page]}
        response = readable(as_response(anchor.original, first))
        why = page_problem(response)
        if why:
            page["error"] = why
            return point | {"state": "incomplete", "pages": [page]}
        if first_part(response, profile):
            return point | {"detail": "a later part of an article (its first part has captures of its own)"}
        point["url"] = article_key(response)
        asm = Assembly(first_url=anchor.original, key=point["url"], requested_urls={anchor.original})
        asm.pages.append(Page(url=anchor.original, number=1))
        asm.signatures.add(signature(response))
        pages, htmls, digests = [page], [(anchor.original, response.text)], [first.warc["digest"]]
        number = 1
        while True:
            url = next_page(response, profile, asm, number)
            if not url or url in asm.requested_urls:
                break
            if len(pages) >= ARTICLE_MAX_PAGES:  # as the crawl: a longer article is incomplete, never cut short
                why = f"not fetched: the article has more than {ARTICLE_MAX_PAGES} pages (ARTICLE_MAX_PAGES)"
                pages.append({"url": url, "number": number + 1, "status": None, "at": None, "error": why})
                return point | {"state": "incomplete", "pages": pages}
            asm.requested_urls.add(url)
            number += 1
            capture, replayed, why = self.closest(url, anchor.timestamp)
            if capture is None:
                pages.append({"url": url, "number": number, "status": None, "at": None, "error": why})
                return point | {"state": "incomplete", "pages": pages}
            response = readable(as_response(capture.original, replayed))
            page = _page(capture, number, replayed)
            fingerprint = signature(response)
            if fingerprint in asm.signatures:  # a "next page" repeating an earlier one ends the article
                break
            asm.signatures.add(fingerprint)
            asm.pages.append(Page(url=capture.original, number=number))
            pages.append(page)
            htmls.append((capture.original, response.text))
            digests.append(replayed.warc["digest"])
        cleaned, why = backfill.clean(htmls, tuple(digests))
        if cleaned is None:
            pages[0]["error"] = why
            return point | {"state": "incomplete", "pages": pages}
        data = {"title": cleaned.title, "blocks": cleaned.blocks, "meta": cleaned.meta, "pages": cleaned.pages}
        data["slots"] = cleaned.slots
        data = json.dumps(data | {"titles": cleaned.titles}, sort_keys=True).encode()
        return point | {"state": "ok", "pages": pages, "cleaned": (hashlib.sha1(data).hexdigest(), zlib.compress(data))}


def page_problem(response) -> str | None:
    """Why a 200 response cannot be a page of an article, as the crawl judges it (not HTML, empty, binary), or None."""
    if not isinstance(response, HtmlResponse):
        return "is not an HTML page"
    return problem(response)


def _page(capture: Capture, number: int, replayed: Replayed) -> dict:
    return {
        "url": capture.original,
        "number": number,
        "status": replayed.status,
        "at": capture.at,
        "warc": replayed.warc,
    }


def _original_headers(headers) -> list[tuple[str, str]]:
    """The captured response's headers in a replay: its Content-Type, and what the archive prefixed
    ``X-Archive-Orig-`` (the body is stored decoded, so its length and encodings are not kept)."""
    found = [("Content-Type", headers["Content-Type"])] if headers.get("Content-Type") else []
    for name, value in headers.items():
        if name.lower().startswith("x-archive-orig-"):
            original = name[len("x-archive-orig-") :]
            if original.lower() not in HEADERS_DROPPED + ("content-type",):
                found.append((original, value))
    return found


def _span(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _stamp(value: str | None, name: str, end: bool) -> str | None:
    """A --from/--to day (YYYYMMDD, or YYYY-MM-DD) as a capture time: its first second, or its last (``end``)."""
    if value is None:
        return None
    digits = value.strip().replace("-", "")
    try:
        datetime.strptime(digits, "%Y%m%d")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a day: write YYYYMMDD (20190301)", param_hint=name) from None
    return digits + ("235959" if end else "000000")


@click.command(name="backfill")
@click.argument("urls", nargs=-1)
@db_option
@click.option("--center", "hub", default=None, help="Also every live article the archive holds under this hub.")
@click.option("--from", "since", default=None, help="Only captures from this day on (YYYYMMDD).")
@click.option("--to", "until", default=None, help="Only captures up to this day (YYYYMMDD).")
@click.option("--cdx", default=WAYBACK_CDX, show_default=True, help="The web archive's CDX endpoint.")
@click.option(
    "--replay", default=WAYBACK_REPLAY, show_default=True, help="Its replay prefix ({replay}{time}id_/{url})."
)
@click.option("--profile", default="generic", show_default=True, help="Site profile: pagination and cleaning rules.")
@click.option(
    "--window",
    default="1d",
    show_default=True,
    help="How far in time from its first page an article's later pages may be taken (90s, 30m, 12h, 2d).",
)
@click.option(
    "--rate",
    default=REPLAY_RATE,
    show_default=True,
    type=click.FloatRange(0),
    help="Captures fetched per second (0: no limit).",
)
@click.option(
    "--cdx-rate",
    default=CDX_RATE,
    show_default=True,
    type=click.FloatRange(0),
    help="CDX queries per second (0: no limit).",
)
@click.option(
    "--concurrency", default=2, show_default=True, type=click.IntRange(1, 16), help="Captures fetched at once."
)
def backfill_command(urls, db_path, hub, since, until, cdx, replay, profile, window, rate, cdx_rate, concurrency):
    """Versions of articles from a web archive's captures (the Wayback Machine by default; pywb with --cdx
    http://HOST/COLL/cdx --replay http://HOST/COLL/), cleaned and merged as a crawl does, dated by capture time.

    URLS are article URLs; --center adds every live article the archive holds for that center. Running it again
    adds nothing; a stopped backfill continues where it stopped. See docs/backfill.md.

    \b
    Example:
      healtharchive backfill https://www.webmd.com/breast-cancer/guide/understanding-breast-cancer-basics \\
        --db archive.db --from 20150101 --to 20191231
    """
    try:
        seconds = parse_window(window)
        loaded = load_profile(profile)
        client = WebArchive(cdx, replay, rate=rate, cdx_rate=cdx_rate)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--window") from None
    except UnknownProfile as exc:
        raise click.BadParameter(str(exc), param_hint="--profile") from None
    except WebArchiveError as exc:
        raise click.UsageError(str(exc)) from None
    since, until = _stamp(since, "--from", end=False), _stamp(until, "--to", end=True)
    articles = list(urls)
    if hub:
        with Archive(db_path) as archive:
            found = archive.live_articles(*center_scope(hub, loaded))
        if not found:
            raise click.ClickException(f"the archive holds no live article of {hub}: crawl it first, or list URLs")
        articles += [a["url"] for a in found]
    if not articles:
        raise click.UsageError("name the articles (URL ...) or a center (--center HUB)")
    job = Backfill(
        db_path,
        client,
        profile,
        seconds,
        since,
        until,
        concurrency,
        progress=lambda line: click.echo(f"backfill: {line}", err=True),
    )
    try:
        report = job.run(articles)
    except WebArchiveError as exc:
        click.echo(f"backfill: {job.report.line()}", err=True)
        raise click.ClickException(f"{exc} (the {job.report.points} moments assembled so far are kept)") from None
    except KeyboardInterrupt:
        click.echo(f"backfill stopped: {job.report.line()}; run it again to continue", err=True)
        raise SystemExit(3) from None
    for refusal in report.refused:
        click.echo(f"warning: {refusal}", err=True)
    click.echo(report.line())
    if report.refused:
        raise SystemExit(1)
