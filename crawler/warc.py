"""WARC provenance: every request and response of a crawl, written with warcio.

``WarcWriter`` is a downloader middleware. It sits next to the downloader (order 950), so it sees each
request with the headers that are sent (User-Agent, If-None-Match, ...) and each response as it came
off the wire, before decompression, redirects or retries touch it. Files and records:

- one file after the other in ``WARC_DIR``, named ``healtharchive-<UTC start>-<serial>-<pid>.warc.gz``,
  each starting with a ``warcinfo`` record that names the software (healtharchive, Scrapy, warcio,
  trafilatura and Python versions), the crawl, the spider and its arguments; a new file is started when
  the current one reaches ``WARC_MAX_SIZE`` bytes;
- every record is its own gzip member, so it can be read (or copied) alone from its offset;
- a ``response`` record per response with a new payload, followed by its ``request`` record
  (``WARC-Concurrent-To`` the response); ``WARC-Payload-Digest`` and ``WARC-Block-Digest`` are
  ``sha1:`` in base 32;
- a ``revisit`` record (profile ``identical-payload-digest``, with ``WARC-Refers-To``,
  ``WARC-Refers-To-Target-URI`` and ``WARC-Refers-To-Date``) when the payload equals the URL's last
  payload seen earlier in this crawl or in an earlier crawl of the same archive (``capture_log``);
- a ``revisit`` record with profile ``server-not-modified`` for a 304 answer, pointing at the same
  earlier capture and carrying its payload digest (a 304 with no earlier capture known is written as
  a plain ``response`` record);
- a request that was sent but got no response (timeout, refused connection) is written as a lone
  ``request`` record; a request refused before it was sent (robots.txt, the address guard) is not written.

The location of each response's record is put in ``response.meta["warc"]`` as ``{"file", "offset",
"length", "digest"}``; the archive stores it on the page's ``captures`` row. ``file`` is relative to
the archive's folder when the WARC sits under it (the default: ``warc/...``), absolute otherwise, so
an archive and its ``warc/`` folder can be moved together. ``digest`` is the payload digest of the
content the capture stands for (for a revisit: the original's).

Responses served from Scrapy's HTTP cache (``HTTPCACHE_ENABLED``) were not fetched and are not written.
The HTTP headers are written as Scrapy received them, except ``Transfer-Encoding`` (the body is stored
de-chunked; the header is kept as ``X-Archive-Orig-Transfer-Encoding`` and a ``Content-Length`` is
added).

Settings: ``WARC_ENABLED`` (default True; False raises ``NotConfigured``), ``WARC_DIR`` (default:
``warc/`` beside ``ARCHIVE_DB``), ``WARC_MAX_SIZE`` (bytes, default 1 GB), ``WARC_GZIP_LEVEL``
(default 3), ``ARCHIVE_DB`` (earlier captures, read-only).
Stats: ``healtharchive/warc/records``, ``.../responses``, ``.../revisits``, ``.../requests``,
``.../files``, ``.../bytes``, ``.../skipped_cached``, ``.../errors``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import platform
import sqlite3
import zlib
from datetime import datetime, timezone
from http.client import responses as REASONS
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.0/revisit/server-not-modified"
DEFAULT_MAX_SIZE = 1_000_000_000
EMPTY_DIGEST = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"  # of b""


def payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(when: datetime | None = None) -> str:
    return (when or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def software() -> str:
    """The software line of the warcinfo record: healtharchive and what it is built on, with versions."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("healtharchive", "scrapy", "warcio", "trafilatura"):
        try:
            parts.append(f"{name}/{version(name)}")
        except PackageNotFoundError:
            parts.append(name)
    parts.append(f"python/{platform.python_version()}")
    return " ".join(parts)


def default_warc_dir(archive_db: str) -> Path:
    return Path(archive_db).resolve().parent / "warc"


def relative_to_archive(path: Path, archive_db: str) -> str:
    """``path`` relative to the archive's folder when it is under it, else absolute (see the module doc)."""
    base = Path(archive_db).resolve().parent
    path = path.resolve()
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def resolve_warc_path(stored: str, archive_db: str, warc_dir: str | None = None) -> Path:
    """Where a ``captures.warc_file`` value is on disk: relative names are under the archive's folder;
    ``warc_dir`` (a moved WARC folder) wins when the file is found there by name."""
    if warc_dir:
        candidate = Path(warc_dir) / Path(stored).name
        if candidate.exists():
            return candidate
    path = Path(stored)
    return path if path.is_absolute() else Path(archive_db).resolve().parent / path


class WarcWriter:
    """Downloader middleware writing the crawl's requests and responses to WARC files (see the module doc)."""

    def __init__(self, crawler, directory: Path, max_size: int, level: int, archive_db: str):
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory = directory
        self.max_size = max_size
        self.level = level
        self.archive_db = archive_db
        self.file = None
        self.path: Path | None = None
        self.stored_name = ""
        self.serial = 0
        self.started = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        # url -> (payload digest, record id, WARC-Date) of the URL's last full response record
        self.seen: dict[str, tuple[str, str, str]] = {}
        self.db: sqlite3.Connection | None = None
        self.db_checked = False

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("WARC_ENABLED", True):
            raise NotConfigured
        archive_db = s.get("ARCHIVE_DB") or "archive.db"
        directory = Path(s.get("WARC_DIR") or default_warc_dir(archive_db))
        mw = cls(crawler, directory, s.getint("WARC_MAX_SIZE", DEFAULT_MAX_SIZE) or DEFAULT_MAX_SIZE,
                 s.getint("WARC_GZIP_LEVEL", 3), archive_db)
        crawler.signals.connect(mw.close, signal=signals.spider_closed)
        return mw

    # files

    def _open(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"healtharchive-{self.started}-{self.serial:05d}-{os.getpid()}.warc.gz"
            self.serial += 1
            path = self.directory / name
            if not path.exists():
                break
        self.file = open(path, "xb")
        self.path = path
        self.stored_name = relative_to_archive(path, self.archive_db)
        self.stats.inc_value("healtharchive/warc/files")
        spider = self.crawler.spider
        info = {
            "software": software(),
            "format": "WARC File Format 1.0",
            "conformsTo": "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf",
            "hostname": platform.node(),
            "isPartOf": f"{Path(self.archive_db).name} crawl {self.stats.get_value('healtharchive/crawl_id')}",
            "description": f"scrapy crawl {getattr(spider, 'name', '?')} {getattr(spider, 'args', {})}",
            "http-header-user-agent": self.crawler.settings.get("USER_AGENT"),
            "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        }
        writer = WARCWriter(None, gzip=False)
        self._write(writer.create_warcinfo_record(name, info))

    def _write(self, record) -> tuple[int, int]:
        """Write one record as its own gzip member; returns (offset, length)."""
        buf = io.BytesIO()
        WARCWriter(buf, gzip=False).write_record(record)
        gz = zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        data = gz.compress(buf.getbuffer()) + gz.flush()
        offset = self.file.tell()
        self.file.write(data)
        self.file.flush()  # the archive may point at this record before the crawl ends
        self.stats.inc_value("healtharchive/warc/records")
        self.stats.inc_value("healtharchive/warc/bytes", len(data))
        return offset, len(data)

    def _writable(self):
        if self.file is None:
            self._open()
        elif self.file.tell() >= self.max_size:
            self.file.close()
            self._open()

    def close(self, spider=None, reason=None):
        if self.file is not None:
            self.file.close()
            self.file = None
        if self.db is not None:
            self.db.close()
            self.db = None

    # earlier captures

    def _archive(self) -> sqlite3.Connection | None:
        if not self.db_checked:
            self.db_checked = True
            if Path(self.archive_db).is_file():
                try:
                    self.db = sqlite3.connect(f"file:{self.archive_db}?mode=ro", uri=True)
                    self.db.execute("SELECT 1 FROM capture_log LIMIT 1")
                except sqlite3.Error:
                    self.db = None
        return self.db

    def earlier(self, url: str) -> tuple[str, str | None, str] | None:
        """(payload digest, record id or None, WARC-Date) of the URL's last full capture, or None."""
        if url in self.seen:
            return self.seen[url]
        db = self._archive()
        if db is None:
            return None
        try:
            row = db.execute(
                "SELECT c.digest, c.at, w.path, c.warc_offset FROM capture_log c JOIN urls u ON u.id = c.url_id "
                "LEFT JOIN warc_files w ON w.id = c.warc_file_id "
                "WHERE u.url = ? AND c.digest IS NOT NULL AND c.digest != ? AND c.status IN (200, 304) "
                "ORDER BY c.id DESC LIMIT 1", [url, EMPTY_DIGEST]).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        digest, at, path, offset = row
        found = (digest, None, warc_date(datetime.fromtimestamp(at, timezone.utc)))
        if path and offset is not None:
            headers = read_headers(resolve_warc_path(path, self.archive_db), offset)
            if headers is not None:
                if headers.get_header("WARC-Type") == "revisit" and headers.get_header("WARC-Refers-To-Date"):
                    found = (digest, headers.get_header("WARC-Refers-To"), headers.get_header("WARC-Refers-To-Date"))
                elif headers.get_header("WARC-Type") == "response":
                    found = (digest, headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Date"))
        self.seen[url] = found
        return found

    # the middleware

    def process_response(self, request, response):
        if "cached" in response.flags:
            self.stats.inc_value("healtharchive/warc/skipped_cached")
            request.meta.pop("warc", None)
            return response
        try:
            request.meta["warc"] = self.record(request, response)
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

    def process_exception(self, request, exception):
        if request.meta.get("_warc_sent") != id(request):
            return None  # refused before it was sent (robots.txt, IgnoreRequest): nothing went on the wire
        try:
            self._writable()
            self._write(self._request_record(request, None))
            self.stats.inc_value("healtharchive/warc/requests")
        except OSError as exc:
            self.stats.inc_value("healtharchive/warc/errors")
            logger.error("cannot write WARC record for %s: %s", request.url, exc)
        return None

    def record(self, request, response) -> dict:
        self._writable()
        writer = WARCWriter(None, gzip=False)
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
        earlier = self.earlier(url)
        if response.status == 304 and earlier:
            digest = earlier[0]
            record = self._revisit(writer, url, PROFILE_NOT_MODIFIED, earlier, http, extra, body)
            self.stats.inc_value("healtharchive/warc/revisits")
        elif body and earlier and earlier[0] == digest:
            record = self._revisit(writer, url, PROFILE_IDENTICAL, earlier, http, extra, None)
            self.stats.inc_value("healtharchive/warc/revisits")
        else:
            extra["WARC-Payload-Digest"] = digest
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                               http_headers=http, warc_headers_dict=extra)
            self.stats.inc_value("healtharchive/warc/responses")
            if response.status == 304:
                digest = None  # a 304 with no earlier capture known: it stands for content we never saw
            else:
                self.seen[url] = (digest, record.rec_headers.get_header("WARC-Record-ID"), date)
        offset, length = self._write(record)
        self._write(self._request_record(request, record.rec_headers.get_header("WARC-Record-ID"), date))
        self.stats.inc_value("healtharchive/warc/requests")
        return {"file": self.stored_name, "offset": offset, "length": length, "digest": digest}

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
        return WARCWriter(None, gzip=False).create_warc_record(
            request.url, "request", payload=io.BytesIO(body), length=len(body), http_headers=http,
            warc_headers_dict=extra)


# reading back

def read_headers(path: Path, offset: int):
    """The WARC headers of the record at ``offset`` of ``path`` (None when it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            for record in ArchiveIterator(fh):
                return record.rec_headers
    except (OSError, Exception):  # a missing file, a bad offset: the caller falls back
        return None
    return None


def read_record(path: Path, offset: int):
    """(WARC headers, HTTP headers, payload) of the record at ``offset``; the payload is decoded from
    any ``Content-Encoding``/chunking (what a browser would see), empty for a revisit."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            return record.rec_headers, record.http_headers, record.content_stream().read()
    raise ValueError(f"no WARC record at {path}:{offset}")


def read_raw(path: Path, offset: int, length: int) -> bytes:
    """The record's bytes as stored (one gzip member), to copy it into another WARC unchanged."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise ValueError(f"{path} is shorter than {offset}+{length}")
    return data


class WarcReader:
    """Reads the archive's captures back from their WARC records, following revisits to their originals.

    ``db`` is an open sqlite3 connection to the archive at ``archive_db``; ``warc_dir`` is where the WARC
    files are when they were moved (see ``resolve_warc_path``).
    """

    def __init__(self, db, archive_db: str, warc_dir: str | None = None):
        self.db = db
        self.archive_db = archive_db
        self.warc_dir = warc_dir
        self._originals: dict[tuple[str, str], tuple[Path, int, int] | None] = {}

    def path(self, stored: str) -> Path:
        return resolve_warc_path(stored, self.archive_db, self.warc_dir)

    def locations(self, url: str):
        """(path, offset, length) of every capture of ``url`` that has a record, newest first."""
        rows = self.db.execute(
            "SELECT w.path, c.warc_offset, c.warc_length FROM capture_log c JOIN urls u ON u.id = c.url_id "
            "JOIN warc_files w ON w.id = c.warc_file_id WHERE u.url = ? ORDER BY c.id DESC", [url]).fetchall()
        return [(self.path(r[0]), r[1], r[2]) for r in rows]

    def original(self, url: str, digest: str) -> tuple[Path, int, int] | None:
        """Location of the ``response`` record of ``url`` whose payload digest is ``digest``."""
        key = (url, digest)
        if key not in self._originals:
            self._originals[key] = None
            for path, offset, length in self.locations(url):
                headers = read_headers(path, offset)
                if (headers is not None and headers.get_header("WARC-Type") == "response"
                        and headers.get_header("WARC-Payload-Digest") == digest):
                    self._originals[key] = (path, offset, length)
                    break
        return self._originals[key]

    def payload(self, stored: str, offset: int):
        """(WARC headers of the capture's record, HTTP headers of the original response, decoded payload)."""
        path = self.path(stored)
        rec_headers, http_headers, body = read_record(path, offset)
        if rec_headers.get_header("WARC-Type") == "revisit":
            url = rec_headers.get_header("WARC-Refers-To-Target-URI") or rec_headers.get_header("WARC-Target-URI")
            found = self.original(url, rec_headers.get_header("WARC-Payload-Digest"))
            if found is None:
                raise LookupError(f"the original of revisit {rec_headers.get_header('WARC-Record-ID')} "
                                  f"({url}) is not in the archive's WARC files")
            _, http_headers, body = read_record(found[0], found[1])
        return rec_headers, http_headers, body
