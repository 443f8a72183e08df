"""URL identity: an article is known by its canonical URL.

``canonical_url`` drops the fragment, tracking parameters and page parameters (``?page=2``), sorts the
remaining parameters and normalises percent-encoding (w3lib's ``canonicalize_url``), lowercases the host and
drops a default port, so that every page and every newsletter link of an article lead to the same key.

A path is never shortened: ``/node/123`` and ``/node/456`` are two articles. A page marker in the path
(``/article/2``, ``/article/page/2``) is recognised only against a page the spider already holds
(``path_page``): pagination proves it, the URL alone does not.
"""

import re
from array import array
from bisect import bisect_left
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

TRACKING = re.compile(
    r"^(utm_\w+|ecd|fbclid|gclid|dclid|msclkid|mc_[ce]id|_ga|_gl|icid|cmp|s_cid|spm|yclid|igshid|"
    r"vero_\w+|mkt_tok|hsCtaTracking|_hs\w+)$",
    re.I,
)
# Not "p": WordPress uses ?p=123 to name a post.
PAGE_PARAMS = re.compile(r"^(page|pg|part|pagenum|pagenumber|page_number|pn|pagina|seite)$", re.I)
PATH_PAGE = re.compile(r"^/(?:page[-/]?)?(\d{1,3})/?$", re.I)
DEFAULT_PORTS = {"http": 80, "https": 443}


def host_of(url: str) -> str:
    """Lowercased host, with the port when it is not the scheme's default."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{parts.port}"
    return host


def path_of(url: str) -> str:
    """The path and query of ``url`` (what follows its host)."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def page_number(url: str) -> int:
    """The page a URL names with a page parameter (``?page=3`` -> 3); 1 when it names none."""
    for key, value in parse_qsl(urlsplit(url).query):
        if PAGE_PARAMS.match(key) and value.isdigit():
            return int(value)
    return 1


def path_page(url: str, first: str) -> int | None:
    """N when ``url`` is ``first`` (an article's first page) with a page marker ``/N`` or ``/page/N`` appended."""
    a, b = urlsplit(canonical_url(url)), urlsplit(canonical_url(first))
    if (a.scheme, a.netloc, a.query) != (b.scheme, b.netloc, b.query):
        return None
    base = b.path.rstrip("/")
    if not a.path.startswith(base + "/"):
        return None
    match = PATH_PAGE.match(a.path[len(base) :])
    return int(match.group(1)) if match else None


@lru_cache(maxsize=4096)
def canonical_url(url: str) -> str:
    """``url`` without fragment, tracking parameters or page parameters; see the module doc. Cached: a crawl asks
    for the same links (a site's navigation, an article's related links) on page after page."""
    return _normalized(url, drop_pages=True)


def variant_key(url: str) -> str:
    """What every variant of a page's address has in common, as web archives file captures (``//host/path?query``):
    ``canonical_url``'s form without the scheme or a leading ``www.``, its page parameters kept (``?page=2`` is
    another page). ``http://www.Site.org:80/a?utm_source=x&page=2#top`` and ``https://site.org/a?page=2`` share
    one key."""
    parts = urlsplit(_normalized(url, drop_pages=False))
    return urlunsplit(("", parts.netloc.removeprefix("www."), parts.path, parts.query, ""))


def _normalized(url: str, drop_pages: bool) -> str:
    url = url.strip()
    dropped = [
        k
        for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)
        if TRACKING.match(k) or (drop_pages and PAGE_PARAMS.match(k))
    ]
    if dropped:
        url = url_query_cleaner(url, dropped, remove=True, unique=False, keep_fragments=False)
    canonical = canonicalize_url(url, keep_blank_values=True)
    parts = urlsplit(canonical)
    return urlunsplit((parts.scheme, host_of(canonical), parts.path or "/", parts.query, ""))


def same_site(a: str, b: str) -> bool:
    """Same host, ignoring a leading ``www.``."""
    return host_of(a).removeprefix("www.") == host_of(b).removeprefix("www.")


def in_scope(url: str, hosts, paths) -> bool:
    """True when ``url`` is on one of ``hosts`` under one of the path prefixes ``paths`` (any path when empty)."""
    if host_of(url) not in hosts:
        return False
    path = path_of(url)
    return not paths or any(path.startswith(p) for p in paths)


class UrlSet:
    """A set of URLs that only says whether a URL may be in it, to skip the look-ups that cannot find anything: a URL
    added is always found, another one almost never (two URLs of one hash, about one chance in 2**64 / n). 8 bytes a
    URL (its hash, in a sorted array; the latest additions in a small set until they are merged), where a set of the
    strings would take about 100: a center's 150,000 page URLs in 1.2 MB."""

    MERGE = 4096  # additions kept aside before they are merged into the sorted array

    def __init__(self, urls=()):
        self.sorted = array("q", sorted({hash(url) for url in urls}))
        self.added: set[int] = set()

    def add(self, url: str) -> None:
        self.added.add(hash(url))
        if len(self.added) >= self.MERGE:
            self._merge()

    def update(self, other: "UrlSet") -> None:
        self.added.update(other.added)
        self._merge(other.sorted)

    def _merge(self, more: array | None = None) -> None:
        """The additions (and the sorted ``more``) merged into the sorted array by slices of it, without a Python
        int per URL: merging 150,000 URLs as a set took 10 MB for a moment, every ``MERGE`` additions."""
        for keys in (more, array("q", sorted(self.added))):
            if not keys:
                continue
            old, new, start = self.sorted, array("q"), 0
            if not old:
                self.sorted = array("q", keys)
                continue
            for key in keys:
                i = bisect_left(old, key, start)
                new.extend(old[start:i])
                if i == len(old) or old[i] != key:
                    new.append(key)
                start = i
            new.extend(old[start:])
            self.sorted = new
        self.added = set()

    def __contains__(self, url: str) -> bool:
        key = hash(url)
        if key in self.added:
            return True
        i = bisect_left(self.sorted, key)
        return i < len(self.sorted) and self.sorted[i] == key
