"""Which addresses a crawl may connect to, checked on the address the connection is actually made to.

``is_public(ip)``: a global unicast address, and so is any IPv4 address carried inside an IPv6 one (IPv4-mapped
``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48``, 6to4
``2002::/16``, Teredo): ``64:ff9b::a9fe:a9fe`` is 169.254.169.254 however it is written.

``PublicResolver`` is the crawl's DNS resolver (``TWISTED_DNS_RESOLVER``): every connection Scrapy makes asks it
for the host's address, literal addresses included, and connects to the address it answers. So the address it
vets is the address connected to: a name cannot resolve to a public address for a check and to a private one
for the connection (DNS rebinding). An unresolvable name is not remembered at all (only answers are cached).
``crawler.middlewares.AddressGuard`` refuses literal private addresses and other schemes earlier, with a clear
message and a stat, before even robots.txt is asked for.

Settings: ``ALLOW_PRIVATE_ADDRESSES`` (True: any address), ``DNSCACHE_ENABLED``, ``DNSCACHE_SIZE``, ``DNS_TIMEOUT``.
"""

from __future__ import annotations

import ipaddress
import logging

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

logger = logging.getLogger(__name__)

NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo client), or None."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if any(ip in net for net in NAT64) or (ip in COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address) -> bool:
    """True for a global unicast address whose embedded IPv4 address, if any, is global too."""
    ip = ipaddress.ip_address(address)
    if not ip.is_global or ip.is_multicast:
        return False
    inner = embedded_ipv4(ip) if ip.version == 6 else None
    return inner is None or is_public(inner)


class Refused(DNSLookupError):
    """The host resolves to an address the crawl may not connect to."""


class PublicResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that answers only public addresses (all of them with ALLOW_PRIVATE_ADDRESSES)."""

    def __init__(self, reactor, cache_size: int, timeout: float, allow_private: bool):
        super().__init__(reactor, cache_size, timeout)
        self.allow_private = allow_private
        self.refused: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, reactor):
        s = crawler.settings
        cache_size = s.getint("DNSCACHE_SIZE") if s.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache_size, s.getfloat("DNS_TIMEOUT"), s.getbool("ALLOW_PRIVATE_ADDRESSES"))

    def getHostByName(self, name: str, timeout=()):
        found = super().getHostByName(name, timeout)
        return found if self.allow_private else found.addCallback(self._vet, name)

    def _vet(self, address: str, name: str) -> str:
        if is_public(address):
            return address
        if name not in self.refused:
            self.refused.add(name)
            logger.warning(
                "refused %s: it resolves to %s, a private or loopback address (set ALLOW_PRIVATE_ADDRESSES=True to "
                "allow)",
                name,
                address,
            )
        raise Refused(f"{name} resolves to {address}, a private or loopback address")
