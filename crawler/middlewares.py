"""Downloader middlewares: refuse private addresses, send conditional requests."""

import asyncio
import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured

logger = logging.getLogger(__name__)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


class AddressGuard:
    """Refuses requests to loopback, private, link-local and other non-public addresses.

    A host name is resolved first, so a public-looking name that points inside the network is refused
    too. Counted in the stats as ``healtharchive/refused_address``.

    Settings: ``ALLOW_PRIVATE_ADDRESSES`` (True switches this middleware off).
    """

    def __init__(self, stats):
        self.stats = stats
        self.verdicts: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler):
        if crawler.settings.getbool("ALLOW_PRIVATE_ADDRESSES"):
            raise NotConfigured
        return cls(crawler.stats)

    async def process_request(self, request):
        host = urlsplit(request.url).hostname or ""
        if host not in self.verdicts:
            self.verdicts[host] = await self._resolves_public(host)
        if not self.verdicts[host]:
            self.stats.inc_value("healtharchive/refused_address")
            raise IgnoreRequest(
                f"refused {host}: private or loopback address (set ALLOW_PRIVATE_ADDRESSES=True to allow)"
            )
        return None

    @staticmethod
    async def _resolves_public(host: str) -> bool:
        try:
            return is_public(host)
        except ValueError:
            pass  # a name, not an address literal
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except OSError:
            return True  # unresolvable: the download fails with a DNS error of its own
        return all(is_public(info[4][0]) for info in infos)


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
