"""WARC provenance: every request and response of a crawl, written with warcio.

``WarcWriter`` is a downloader middleware. It sits next to the downloader (order 950), so it sees each
request with the headers that are sent (User-Agent, If-None-Match, ...) and each response as it came
off the wire, before decompression, redirects or retries touch it. Files and records:

- files and their rotation are ``archive.warc.WarcFiles``: one file after the other in ``WARC_DIR``, named
  ``healtharchive-<UTC start>-<serial>-<host>-<pid>.warc.gz``, each starting with a ``warcinfo`` record that
  names the software (healtharchive, Scrapy, warcio, trafilatura and Python versions), the archive, the
  spider and its arguments; every record is its own gzip member, readable alone from its offset;
- a ``response`` record per response with a new payload, followed by its ``request`` record
  (``WARC-Concurrent-To`` the response); ``WARC-Payload-Digest`` and ``WARC-Block-Digest`` are
  ``sha1:`` in base 32;
- a ``revisit`` record (profile ``identical-payload-digest``, with ``WARC-Refers-To``,
  ``WARC-Refers-To-Target-URI`` and ``WARC-Refers-To-Date``) when a 200's payload equals the URL's last
  200 payload seen earlier in this crawl or in an earlier crawl of the same archive (``capture_log``); an
  error page (a retried 503 answering the same body twice) is always a ``response`` record of its own;
- a ``revisit`` record with profile ``server-not-modified`` for a 304 answer, pointing at the same
  earlier capture and carrying its payload digest (a 304 with no earlier capture known is written as
  a plain ``response`` record);
- a request that was sent but got no response (timeout, refused connection) is written as a lone
  ``request`` record; a request refused before it was sent (robots.txt, the address guard) is not written.

The location of each response's record is put in ``response.meta["warc"]`` as ``{"file", "offset",
"length", "digest"}``; the archive stores it on the page's ``captures`` row. ``digest`` is the payload
digest of the content the capture stands for (for a revisit: the original's).

Records are made (digests, warcio records, gzip) and appended in a writer process of this middleware (``ha-warc``:
``crawler/warcrecords.py``'s ``Records`` in a ``pipelines.workers.Resident``, which ignores Ctrl-C and dies with the
crawl), one after the other in the order the responses came, so the crawl process goes on fetching meanwhile and
none of that work holds its GIL. The crawl process sends plain data (URL, status, headers, body, the request's line
and headers) and decides which earlier capture a response repeats (``earlier``: it reads the archive); a response
goes on to the spider once its record is written (its location is known). The counts of each call come back with
it. A writer process that dies (killed, out of memory) loses the records it was writing (``healtharchive/warc/errors``:
their pages are archived without a record, as when a write fails) and another takes its place, in a new file
(``healtharchive/warc/writer_restarted``).

Responses served from Scrapy's HTTP cache (``HTTPCACHE_ENABLED``) were not fetched and are not written.
The HTTP headers are written as Scrapy received them, except ``Transfer-Encoding`` (the body is stored
de-chunked; the header is kept as ``X-Archive-Orig-Transfer-Encoding`` and a ``Content-Length`` is
added).

Settings: ``WARC_ENABLED`` (default True; False raises ``NotConfigured``), ``WARC_DIR`` (default:
``warc/`` beside ``ARCHIVE_DB``), ``WARC_MAX_SIZE`` (bytes, default 1 GB), ``WARC_GZIP_LEVEL``
(default 3), ``ARCHIVE_DB`` (earlier captures, read-only, through the spider's view of the archive when it has
one: ``ArticleSpider.open_archive``).
Stats: ``healtharchive/warc/records``, ``.../responses``, ``.../revisits``, ``.../requests``,
``.../files``, ``.../bytes``, ``.../skipped_cached``, ``.../errors``, ``.../writer_restarted``.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive import Archive, ArchiveError
from archive.urls import UrlSet
from archive.warc import EMPTY_DIGEST, WarcFiles, default_warc_dir, read_headers, resolve_warc_path, warc_date
from pipelines.workers import Resident

from .warcrecords import Records, request_data, response_data

logger = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 1_000_000_000
RECENT_URLS = 4096  # payloads remembered per crawl for revisits (older ones are read back from the archive)


class WarcWriter:
    """Downloader middleware writing the crawl's requests and responses to WARC files (see the module doc)."""

    def __init__(self, crawler, files: WarcFiles, archive_db: str):
        self.crawler = crawler
        self.stats = crawler.stats
        self.files = files
        self.archive_db = archive_db
        # url -> (payload digest, record id, WARC-Date) of the URL's last full response record
        # The URLs met lately (bounded: a crawl rarely fetches a URL twice, and the archive answers for older ones).
        self.last_payload: OrderedDict[str, tuple[str, str | None, str]] = OrderedDict()
        self.archive: Archive | None = None  # opened here (closed here)
        self.earlier_from = None  # where earlier captures are read: the spider's archive view, or self.archive
        self.archive_checked = False
        # The URLs the archive has a payload of, and those this crawl met: earlier() asks the archive about these only
        # (on a first crawl, about none). None: the archive view cannot list them, every URL is asked about.
        self.captured: UrlSet | None = UrlSet()
        self.writer = Resident("ha-warc", Records, files)  # started when the spider opens

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("WARC_ENABLED", True):
            raise NotConfigured
        archive_db = s.get("ARCHIVE_DB") or "archive.db"
        directory = Path(s.get("WARC_DIR") or default_warc_dir(archive_db))
        spider = crawler.spidercls
        info = {
            "isPartOf": f"{Path(archive_db).name}" + (f" run {s.get('CRAWL_RUN')}" if s.get("CRAWL_RUN") else ""),
            "description": f"scrapy crawl {getattr(spider, 'name', '?')}",
            "http-header-user-agent": s.get("USER_AGENT"),
            "robots": "obey" if s.getbool("ROBOTSTXT_OBEY") else "ignore",
        }
        files = WarcFiles(
            directory,
            archive_db,
            info,
            s.getint("WARC_MAX_SIZE", DEFAULT_MAX_SIZE) or DEFAULT_MAX_SIZE,
            s.getint("WARC_GZIP_LEVEL", 3),
        )
        mw = cls(crawler, files, archive_db)
        crawler.signals.connect(mw.writer.start, signal=signals.spider_opened)
        crawler.signals.connect(mw.close, signal=signals.spider_closed)
        return mw

    async def _on_writer(self, method: str, url: str, *args):
        """``method(*args)`` of the writer process's ``Records``; the counts it returns go in the stats. None when it
        failed (counted and said)."""
        writer = self.writer
        try:
            result, counts = await writer.call(method, *args)
        except OSError as exc:
            self.stats.inc_value("healtharchive/warc/errors")
            logger.error("cannot write WARC record for %s: %s", url, exc)
            return None
        except BrokenProcessPool:
            self.stats.inc_value("healtharchive/warc/errors")
            if writer is self.writer:  # the first record to find it dead starts another; those in flight are lost
                logger.error(
                    "cannot write WARC record for %s: the WARC writer process (ha-warc) died; another takes its place",
                    url,
                )
                self.stats.inc_value("healtharchive/warc/writer_restarted")
                writer.shutdown(wait=False)
                self.writer = Resident("ha-warc", Records, self.files)
                self.writer.start()
            return None
        for key, n in counts.items():
            self.stats.inc_value(f"healtharchive/warc/{key}", n)
        return result

    async def close(self, spider=None, reason=None):
        try:
            if self.writer.pool is not None:  # (started when the spider opened)
                await self.writer.call("close")
        except BrokenProcessPool:
            pass  # said when it died; what it wrote is flushed already
        finally:
            self.writer.shutdown(wait=True)
            if self.archive is not None:
                self.archive.close()
                self.archive = None

    # earlier captures

    def earlier(self, url: str) -> tuple[str, str | None, str] | None:
        """(payload digest, record id or None, WARC-Date) of the URL's last full capture, or None."""
        if url in self.last_payload:
            return self.last_payload[url]
        if not self.archive_checked:
            self.archive_checked = True
            opened = getattr(self.crawler.spider, "open_archive", None)
            if opened is not None:
                self.earlier_from = opened()  # the spider's view (a distributed worker's: what the ingest published)
            elif Path(self.archive_db).is_file():
                try:
                    self.archive = self.earlier_from = Archive(self.archive_db, readonly=True)
                except ArchiveError:
                    self.archive = None
            listed = getattr(self.earlier_from, "payload_urls", None)
            if listed is None:
                self.captured = None
            else:
                self.captured.update(listed(EMPTY_DIGEST))
        if self.earlier_from is None or (self.captured is not None and url not in self.captured):
            return None
        row = self.earlier_from.last_payload(url, EMPTY_DIGEST)
        if row is None:
            return None
        found = (row["digest"], None, warc_date(datetime.fromtimestamp(row["at"], UTC)))
        if row["warc_file"] and row["warc_offset"] is not None:
            headers = read_headers(resolve_warc_path(row["warc_file"], self.archive_db), row["warc_offset"])
            if headers is not None:
                if headers.get_header("WARC-Type") == "revisit" and headers.get_header("WARC-Refers-To-Date"):
                    found = (
                        row["digest"],
                        headers.get_header("WARC-Refers-To"),
                        headers.get_header("WARC-Refers-To-Date"),
                    )
                elif headers.get_header("WARC-Type") == "response":
                    found = (row["digest"], headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Date"))
        self._remember(url, found)
        return found

    def _remember(self, url: str, payload: tuple[str, str | None, str]):
        if self.captured is not None:
            self.captured.add(url)  # (the archive will have it once its article is recorded)
        self.last_payload[url] = payload
        self.last_payload.move_to_end(url)
        if len(self.last_payload) > RECENT_URLS:
            self.last_payload.popitem(last=False)

    # the middleware

    async def process_response(self, request, response):
        if "cached" in response.flags:
            self.stats.inc_value("healtharchive/warc/skipped_cached")
            request.meta.pop("warc", None)
            return response
        location = await self.record(request, response)
        if location is None:
            request.meta.pop("warc", None)
        else:
            request.meta["warc"] = location
        return response

    def process_request(self, request):
        # Reached only by requests that every earlier middleware let through (robots.txt, the address
        # guard, the HTTP cache): those go to the downloader. Marked with the object's id, since a
        # redirect or retry copies meta into a new request.
        request.meta["_warc_sent"] = id(request)
        return None

    async def process_exception(self, request, exception):
        if request.meta.get("_warc_sent") != id(request):
            return None  # refused before it was sent (robots.txt, IgnoreRequest): nothing went on the wire
        await self._on_writer("lone_request", request.url, request_data(request))
        return None

    async def record(self, request, response) -> dict | None:
        """Write the response's record (and its request's); returns its location (see the module doc), None when it
        could not be written."""
        earlier = self.earlier(response.url)  # (reads the archive: here, in the crawl process)
        written = await self._on_writer(
            "response", response.url, response_data(response), request_data(request), earlier
        )
        if written is None:
            return None
        location, payload = written
        if payload is not None:  # only a page's content may be what a later revisit repeats
            self._remember(response.url, payload)
        return location
