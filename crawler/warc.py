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

Records are made (digests, gzip) and appended on a writer thread of this middleware, one after the other in the
order the responses came, so the reactor thread goes on fetching meanwhile; a response goes on to the spider once
its record is written (its location is known).

Responses served from Scrapy's HTTP cache (``HTTPCACHE_ENABLED``) were not fetched and are not written.
The HTTP headers are written as Scrapy received them, except ``Transfer-Encoding`` (the body is stored
de-chunked; the header is kept as ``X-Archive-Orig-Transfer-Encoding`` and a ``Content-Length`` is
added).

Settings: ``WARC_ENABLED`` (default True; False raises ``NotConfigured``), ``WARC_DIR`` (default:
``warc/`` beside ``ARCHIVE_DB``), ``WARC_MAX_SIZE`` (bytes, default 1 GB), ``WARC_GZIP_LEVEL``
(default 3), ``ARCHIVE_DB`` (earlier captures, read-only, through the spider's view of the archive when it has
one: ``ArticleSpider.open_archive``).
Stats: ``healtharchive/warc/records``, ``.../responses``, ``.../revisits``, ``.../requests``,
``.../files``, ``.../bytes``, ``.../skipped_cached``, ``.../errors``.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.client import responses as REASONS
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import Archive, ArchiveError
from archive.urls import UrlSet
from archive.warc import (
    EMPTY_DIGEST,
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    WarcFiles,
    default_warc_dir,
    payload_digest,
    read_headers,
    resolve_warc_path,
    warc_date,
)

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
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="warc-writer")

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
        crawler.signals.connect(mw.close, signal=signals.spider_closed)
        return mw

    def _write(self, record, counts: dict) -> tuple[str, int, int]:
        """Append ``record`` (on the writer thread); what it adds to the stats goes in ``counts``."""
        opened = self.files.opened
        stored, offset, length = self.files.write(record)
        for key, n in (("files", self.files.opened - opened), ("records", 1), ("bytes", length)):
            counts[key] = counts.get(key, 0) + n
        return stored, offset, length

    def _count(self, counts: dict):
        for key, n in counts.items():
            self.stats.inc_value(f"healtharchive/warc/{key}", n)

    async def _on_writer(self, call, *args):
        """``call(*args, counts)`` on the writer thread; its counts go in the stats (on the reactor's thread)."""
        counts = {}
        try:
            return await asyncio.wrap_future(self.writer.submit(call, *args, counts))
        finally:
            self._count(counts)

    async def close(self, spider=None, reason=None):
        try:
            await asyncio.wrap_future(self.writer.submit(self.files.close))
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
        try:
            request.meta["warc"] = await self.record(request, response)
        except OSError as exc:
            self.stats.inc_value("healtharchive/warc/errors")
            logger.error("cannot write WARC record for %s: %s", response.url, exc)
            request.meta.pop("warc", None)
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
        try:
            await self._on_writer(self._lone_request, request)
        except OSError as exc:
            self.stats.inc_value("healtharchive/warc/errors")
            logger.error("cannot write WARC record for %s: %s", request.url, exc)
        return None

    def _lone_request(self, request, counts: dict):
        self._write(self._request_record(request, None), counts)
        counts["requests"] = 1

    async def record(self, request, response) -> dict:
        """Write the response's record (and its request's); returns its location (see the module doc)."""
        earlier = self.earlier(response.url)  # (reads the archive: here, on the reactor's thread)
        location, payload = await self._on_writer(self._records, request, response, earlier)
        if payload is not None:  # only a page's content may be what a later revisit repeats
            self._remember(response.url, payload)
        return location

    def _records(self, request, response, earlier, counts: dict):
        """On the writer thread: the response's record, a revisit of ``earlier`` when it repeats it, and the request's;
        returns (location, the URL's new last payload or None)."""
        writer = WARCWriter(None)
        url = response.url
        body = response.body
        date = warc_date()
        http = self._http_headers(response, len(body))
        extra = {"WARC-Date": date}
        ip = getattr(response, "ip_address", None)
        if ip is not None:
            extra["WARC-IP-Address"] = str(ip)
        if "dataloss" in response.flags:
            extra["WARC-Truncated"] = "unspecified"
        digest = payload_digest(body)
        payload = None
        if response.status == 304 and earlier:
            digest = earlier[0]
            record = self._revisit(writer, url, PROFILE_NOT_MODIFIED, earlier, http, extra, body)
            counts["revisits"] = 1
        elif response.status == 200 and body and earlier and earlier[0] == digest:
            record = self._revisit(writer, url, PROFILE_IDENTICAL, earlier, http, extra, None)
            counts["revisits"] = 1
        else:
            extra["WARC-Payload-Digest"] = digest
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http, warc_headers_dict=extra
            )
            counts["responses"] = 1
            if response.status == 304:
                digest = None  # a 304 with no earlier capture known: it stands for content we never saw
            elif response.status == 200:
                payload = (digest, record.rec_headers.get_header("WARC-Record-ID"), date)
        stored, offset, length = self._write(record, counts)
        self._write(self._request_record(request, record.rec_headers.get_header("WARC-Record-ID"), date), counts)
        counts["requests"] = 1
        return {"file": stored, "offset": offset, "length": length, "digest": digest}, payload

    @staticmethod
    def _revisit(writer, url, profile, earlier, http, extra, body):
        digest, record_id, refers_date = earlier
        headers = dict(extra)
        headers["WARC-Profile"] = profile
        if record_id:
            headers["WARC-Refers-To"] = record_id
        headers["WARC-Refers-To-Target-URI"] = url
        headers["WARC-Refers-To-Date"] = refers_date
        headers["WARC-Payload-Digest"] = digest
        # A revisit record holds the HTTP headers only (the 304's empty body included).
        return writer.create_warc_record(url, "revisit", http_headers=http, warc_headers_dict=headers)

    @staticmethod
    def _http_headers(response, body_length: int) -> StatusAndHeaders:
        headers = []
        has_length = False
        for name, values in response.headers.items():
            key = name.decode("latin-1")
            lower = key.lower()
            for value in values:
                value = value.decode("latin-1")
                if lower == "transfer-encoding":
                    headers.append(("X-Archive-Orig-Transfer-Encoding", value))
                    continue
                if lower == "content-length":
                    has_length = True
                headers.append((key, value))
        if not has_length and response.status not in (204, 304) and not 100 <= response.status < 200:
            headers.append(("Content-Length", str(body_length)))
        protocol = getattr(response, "protocol", None) or "HTTP/1.1"
        statusline = f"{response.status} {REASONS.get(response.status, 'Unknown')}"
        return StatusAndHeaders(statusline, headers, protocol=protocol)

    @staticmethod
    def _request_record(request, concurrent_to: str | None, date: str | None = None):
        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = []
        if b"Host" not in request.headers:
            headers.append(("Host", parts.netloc))
        for name, values in request.headers.items():
            for value in values:
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
        # StatusAndHeaders writes "protocol statusline": the request line "METHOD target HTTP/1.1".
        http = StatusAndHeaders(f"{target} HTTP/1.1", headers, protocol=request.method)
        extra = {"WARC-Date": date or warc_date()}
        if concurrent_to:
            extra["WARC-Concurrent-To"] = concurrent_to
        body = request.body or b""
        return WARCWriter(None).create_warc_record(
            request.url,
            "request",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict=extra,
        )
