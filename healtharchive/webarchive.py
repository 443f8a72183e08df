"""Web archives that speak the CDX and replay protocols (the Wayback Machine, pywb): find captures, fetch them raw.

A small client of our own, because neither maintained one reads both archives (docs/backfill.md): EDGI's
``wayback`` 0.5.1 has the Wayback Machine's endpoints built in and parses only its 7-field text CDX, so pywb's
answers fail to parse and its memento URLs are refused; ``cdx_toolkit`` 0.9.39 pages pywb with ``page=``, which
pywb ignores on CDXJ indexes (the same rows again, forever), and cannot fetch a revisit, which has no status.

What the client smooths over:

- CDX answers come in several shapes. The Wayback Machine's ``output=json`` is one array whose first row names the
  fields, ending with ``[]`` and ``[resume key]`` when rows remain; pywb's is NDJSON, one object per line, with
  its own names (``url``, ``mime``, ``status``); text answers (the Wayback Machine's 7 fields, then a blank line
  and the resume key) and pywb's CDXJ lines are read too. ``parse_cdx`` makes ``Capture`` rows of them all.
- Paging: resume keys are followed (``limit`` with ``showResumeKey``); a server that fills a page without a key
  does not page (pywb ignores both) and is asked again without a limit. Rows the Wayback Machine repeats (one per
  index shard) are kept once.
- A revisit (``warc/revisit``) has no status: ``Capture.status`` is None. Its digest is its original's.
- pywb answers a query that matches nothing with another URL's captures (its fuzzy fallback): ``allowFuzzy=0`` is
  sent, and callers keep only the rows whose ``original`` is the URL they asked for.
- Replay, ``{replay}{timestamp}id_/{url}``, gives the captured payload with the captured status: a captured 404,
  503 or 301 comes back as such, and redirects are never followed. ``Memento-Datetime`` tells a capture from the
  archive's own answers (not archived, rate limited, down): only those are retried.
- Politeness: each kind of request (CDX queries, replays) keeps a minimum interval between starts, shared by every
  thread; a 429 or 5xx that is not a capture is retried after its ``Retry-After`` (seconds or a date), else after
  an exponential backoff, and pauses every thread meanwhile.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode, urlsplit

import requests

from crawler.settings import DOWNLOAD_MAXSIZE, USER_AGENT

logger = logging.getLogger(__name__)

WAYBACK_CDX = "https://web.archive.org/cdx/search/cdx"
WAYBACK_REPLAY = "https://web.archive.org/web/"
# The Wayback Machine's CDX server allows 24 queries a minute (EDGI's wayback 0.5.1 found this limit and uses it).
CDX_RATE = 0.4
REPLAY_RATE = 1.0
RETRY_STATUSES = (429, 500, 502, 503, 504)
# pywb's JSON names for the Wayback Machine's.
ALIASES = {"url": "original", "mime": "mimetype", "status": "statuscode"}
TEXT_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


class WebArchiveError(Exception):
    """A web archive could not answer; the message says why in one line."""


class Refused(WebArchiveError):
    """The archive refused a query for good (a blocked site, a bad request): asking again will not help."""


class Unavailable(WebArchiveError):
    """The archive stayed unreachable, rate limited or down through every retry: try again later."""


@dataclass(frozen=True)
class Capture:
    """One CDX row: a response (or revisit) the archive holds for ``original`` at ``timestamp`` (14 digits, UTC)."""

    timestamp: str
    original: str
    mimetype: str | None = None
    status: int | None = None  # None for a revisit
    digest: str | None = None
    length: int | None = None

    @property
    def revisit(self) -> bool:
        return self.mimetype == "warc/revisit"

    @property
    def at(self) -> str:
        """The capture time as the archive writes times (``2026-03-02T08:00:00Z``)."""
        t = self.timestamp
        return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # "-" or missing: a revisit's status, an unknown length


def _capture(fields: dict) -> Capture | None:
    fields = {ALIASES.get(k, k): v for k, v in fields.items()}
    timestamp = str(fields.get("timestamp") or "")
    if not (timestamp.isdigit() and 4 <= len(timestamp) <= 14) or not fields.get("original"):
        return None
    digest = fields.get("digest")
    return Capture(
        timestamp=timestamp.ljust(14, "0"),
        original=fields["original"],
        mimetype=fields.get("mimetype"),
        status=_number(fields.get("statuscode")),
        digest=digest if digest not in (None, "", "-") else None,
        length=_number(fields.get("length")),
    )


def parse_cdx(text: str) -> tuple[list[Capture], str | None]:
    """(captures, resume key or None) of a CDX answer in any of the shapes the module doc lists."""
    text = text.strip()
    if not text:
        return [], None
    rows: list[Capture | None] = []
    resume = None
    if text.startswith("["):  # the Wayback Machine's JSON: header row, rows, then [] and [resume key]
        table = json.loads(text)
        if not table:
            return [], None
        header, body = table[0], table[1:]
        if len(body) >= 2 and body[-2] == [] and len(body[-1]) == 1:
            resume, body = body[-1][0], body[:-2]
        rows = [_capture(dict(zip(header, row))) for row in body if row]
    else:
        lines = text.splitlines()
        for index, line in enumerate(lines):
            line = line.strip()
            if not line:  # text answers: a blank line, then the resume key
                rest = [rest.strip() for rest in lines[index + 1 :] if rest.strip()]
                resume = rest[0] if rest else None
                break
            if line.startswith("{"):  # pywb's NDJSON
                rows.append(_capture(json.loads(line)))
            elif " {" in line:  # CDXJ: urlkey timestamp {json}
                key, timestamp, blob = line.split(" ", 2)
                rows.append(_capture({"urlkey": key, "timestamp": timestamp, **json.loads(blob)}))
            else:
                parts = line.split(" ")
                if len(parts) != len(TEXT_FIELDS):
                    raise WebArchiveError(f"a CDX line of {len(parts)} fields, not 7: {line[:200]!r}")
                rows.append(_capture(dict(zip(TEXT_FIELDS, parts))))
    return [row for row in rows if row is not None], resume


@dataclass
class Memento:
    """What the archive replayed for a capture: the captured status, headers and payload, or the archive's own
    answer (``archived`` False: not in the archive, another capture served, a payload over the size cap)."""

    url: str
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    archived: bool
    error: str | None = None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")


class Pace:
    """At most one request start every ``1 / rate`` seconds, shared by threads (no limit when ``rate`` is 0);
    ``hold(seconds)`` makes every thread wait that long."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.lock = threading.Lock()
        self.next = 0.0

    def wait(self):
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next)
            self.next = start + self.interval
        if start > now:
            time.sleep(start - now)

    def hold(self, seconds: float):
        with self.lock:
            self.next = max(self.next, time.monotonic() + seconds)


def retry_after(headers) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (a number or an HTTP date), None without one."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class WebArchive:
    """A web archive's CDX endpoint and replay prefix, queried politely; see the module doc.

    ``rate`` and ``cdx_rate``: replays and CDX queries per second (0: no limit); ``retries``: attempts after the
    first for an archive's 429/5xx or a network error; ``backoff``: the first wait, doubled each retry, when the
    archive names none.
    """

    def __init__(
        self,
        cdx: str = WAYBACK_CDX,
        replay: str = WAYBACK_REPLAY,
        rate: float = REPLAY_RATE,
        cdx_rate: float = CDX_RATE,
        retries: int = 5,
        backoff: float = 10.0,
        timeout: float = 60.0,
        page_size: int = 5000,
        max_size: int = DOWNLOAD_MAXSIZE,
    ):
        for name, value in (("CDX endpoint", cdx), ("replay prefix", replay)):
            if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname:
                raise WebArchiveError(f"the {name} must be an http(s) URL, not {value!r}")
        self.cdx, self.replay = cdx, replay if replay.endswith("/") else replay + "/"
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self.page_size, self.max_size = page_size, max_size
        self.paces = {"cdx": Pace(cdx_rate), "replay": Pace(rate)}
        self.local = threading.local()

    def session(self) -> requests.Session:
        """One connection pool per thread (a ``requests.Session`` is not meant to be shared between threads)."""
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
            self.local.session.headers["User-Agent"] = USER_AGENT
        return self.local.session

    def _get(self, url: str, kind: str) -> tuple[int, dict, bytes, str | None]:
        """(status, headers, body, error) of a GET that follows no redirect; the archive's own 429/5xx answers
        and network errors are retried (see the class doc), captures never."""
        pace = self.paces[kind]
        for attempt in range(self.retries + 1):
            pace.wait()
            try:
                with self.session().get(url, allow_redirects=False, timeout=self.timeout, stream=True) as response:
                    body, error = self._read(response)
                    status, headers = response.status_code, response.headers
            except requests.RequestException as exc:
                why, delay = f"failed ({type(exc).__name__})", None
            else:
                if "Memento-Datetime" in headers or status not in RETRY_STATUSES:
                    return status, headers, body, error
                why, delay = f"answered {status}", retry_after(headers)
            if attempt == self.retries:
                raise Unavailable(f"{url} {why} {self.retries + 1} times; run the backfill again later to continue")
            delay = self.backoff * 2**attempt if delay is None else delay
            logger.warning("%s %s: every request waits %.0f s", url, why, delay)
            pace.hold(delay)
        raise AssertionError("unreachable")

    def _read(self, response) -> tuple[bytes, str | None]:
        """The body (decoded from any Content-Encoding), cut at ``max_size`` with an error saying so."""
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > self.max_size:
                return b"".join(chunks), f"larger than {self.max_size // 2**20} MB"
            chunks.append(chunk)
        return b"".join(chunks), None

    def captures(self, url: str, match_type: str = "exact", since: str | None = None, until: str | None = None):
        """Every capture of ``url`` (``match_type`` ``prefix``: of every URL under it), oldest first; ``since`` and
        ``until`` bound the capture times (1 to 14 digits, inclusive). Refused for a query the archive rejects."""
        params = {"url": url, "output": "json", "matchType": match_type, "allowFuzzy": "0"}
        params |= {k: v for k, v in (("from", since), ("to", until)) if v}
        paged = {"limit": str(self.page_size), "showResumeKey": "true"}
        found: dict[tuple, Capture] = {}
        resume = None
        while True:
            query = params | (paged if paged else {}) | ({"resumeKey": resume} if resume else {})
            status, headers, body, _ = self._get(f"{self.cdx}?{urlencode(query)}", "cdx")
            if status != 200:
                why = headers.get("X-Archive-Wayback-Runtime-Error") or body[:200].decode("utf-8", "replace").strip()
                raise Refused(f"{self.cdx} refused {url}: HTTP {status}" + (f": {why.splitlines()[0]}" if why else ""))
            try:
                rows, resume = parse_cdx(body.decode("utf-8", "replace"))
            except (ValueError, WebArchiveError) as exc:
                raise WebArchiveError(f"{self.cdx} answered something that is not CDX for {url}: {exc}") from None
            if paged and resume is None and len(rows) >= self.page_size and not found:
                paged = None  # a full page and no key: a server that does not page; ask for everything at once
                continue
            for row in rows:
                found.setdefault((row.timestamp, row.original, row.status, row.digest), row)
            if not resume:
                return sorted(found.values(), key=lambda c: c.timestamp)

    def memento_url(self, capture: Capture) -> str:
        return f"{self.replay}{capture.timestamp}id_/{quote(capture.original, safe=':/?#[]@!$&()*+,;=%~')}"

    def fetch(self, capture: Capture) -> Memento:
        """The capture as the archive replays it, raw (see ``Memento``)."""
        url = self.memento_url(capture)
        status, headers, body, error = self._get(url, "replay")
        dated = headers.get("Memento-Datetime")
        memento = Memento(url, status, headers, body, archived=dated is not None, error=error)
        if error:
            memento.archived = False
        elif dated and _timestamp(dated) not in (None, capture.timestamp):
            memento.archived, memento.error = False, f"the archive served another capture ({dated})"
        elif not dated:
            memento.error = f"not replayed by the archive (HTTP {status})"
        return memento


def _timestamp(http_date: str) -> str | None:
    try:
        return parsedate_to_datetime(http_date).strftime("%Y%m%d%H%M%S")
    except (TypeError, ValueError):
        return None
