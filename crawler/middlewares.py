"""Downloader middlewares: refuse what a crawl must never fetch, send conditional requests, retry when asked to."""

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured

from .addresses import is_public

logger = logging.getLogger(__name__)

SCHEMES = ("http", "https")


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be crawled (malformed, not http(s), no host), in a few words, or None."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError as exc:
        return f"malformed URL ({exc})"
    if parts.scheme.lower() not in SCHEMES:
        return "not an http(s) URL"
    if not parts.hostname:
        return "no host in the URL"
    return None


class AddressGuard:
    """Refuses every scheme but http(s) (``file:``, ``data:``, ``ftp:``, ...: at the start and on redirects alike),
    and, unless ``ALLOW_PRIVATE_ADDRESSES``, loopback, private, link-local and other non-public addresses given as
    literals, trailing dot and IPv6 forms of IPv4 addresses included (``crawler/addresses.py``). A host name is
    not looked up here: the crawl's resolver (``PublicResolver``) refuses it when it resolves to such an address,
    on the very address the connection would use. Counted as ``healtharchive/refused_scheme`` and
    ``healtharchive/refused_address``.

    Settings: ``ALLOW_PRIVATE_ADDRESSES`` (True allows any address; other schemes stay refused).
    """

    def __init__(self, stats, allow_private: bool):
        self.stats = stats
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, crawler.settings.getbool("ALLOW_PRIVATE_ADDRESSES"))

    def process_request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme.lower() not in SCHEMES:
            self.stats.inc_value("healtharchive/refused_scheme")
            raise IgnoreRequest(f"refused {request.url[:100]}: only http(s) URLs are fetched")
        if self.allow_private:
            return None
        host = (parts.hostname or "").rstrip(".")
        try:
            public = is_public(host)
        except ValueError:
            return None  # a name: the resolver checks the address it resolves to
        if not public:
            self.stats.inc_value("healtharchive/refused_address")
            raise IgnoreRequest(
                f"refused {host}: private or loopback address (set ALLOW_PRIVATE_ADDRESSES=True to allow)"
            )
        return None


class ConditionalRequests:
    """Adds ``If-None-Match``/``If-Modified-Since`` to article page requests marked ``meta["validators"]``.

    The spider puts the ETag and Last-Modified seen at the previous capture of that URL into the
    request's meta; a 304 answer then lets the archive record "unchanged" without re-extracting.
    Counted as ``healtharchive/conditional_requests`` and ``healtharchive/not_modified``.

    Settings: ``CONDITIONAL_REQUESTS`` (default True; False switches this middleware off).
    """

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CONDITIONAL_REQUESTS", True):
            raise NotConfigured
        return cls(crawler.stats)

    def process_request(self, request):
        etag, last_modified = request.meta.get("validators") or (None, None)
        if etag:
            request.headers.setdefault(b"If-None-Match", etag)
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified)
        if etag or last_modified:
            self.stats.inc_value("healtharchive/conditional_requests")
        return None

    def process_response(self, request, response):
        if response.status == 304:
            self.stats.inc_value("healtharchive/not_modified")
        return response


def retry_after(value: bytes | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (a number, or an HTTP date), or None when it asks nothing."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds()) if when.tzinfo else None


class RetryAfter(RetryMiddleware):
    """Scrapy's retries (``RETRY_TIMES``, ``RETRY_HTTP_CODES``), except that a 429 or 503 answer's ``Retry-After`` is
    honoured: the retry waits as long as it asks (Scrapy's own middleware asks again at once). A wait longer than
    ``RETRY_AFTER_MAX`` seconds is not waited for: the page fails now and the next crawl tries again. Counted as
    ``healtharchive/retry_after_waits``.

    Settings: Scrapy's ``RETRY_*``, ``RETRY_AFTER_MAX`` (default 60).
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 60.0)

    async def process_response(self, request, response):
        wait = retry_after(response.headers.get(b"Retry-After")) if response.status in (429, 503) else None
        if wait is None or request.meta.get("dont_retry"):
            return super().process_response(request, response)
        if wait > self.max_wait:
            logger.warning(
                "%s answered %d and asks to wait %.0f s, more than RETRY_AFTER_MAX (%.0f s): not retried",
                request.url,
                response.status,
                wait,
                self.max_wait,
            )
            return response
        retry = self._retry(request, f"{response.status} with Retry-After: {wait:g} s")
        if retry is None:
            return response
        self.crawler.stats.inc_value("healtharchive/retry_after_waits")
        await asyncio.sleep(wait)
        return retry
