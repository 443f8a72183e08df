"""URL identity: an article is known by its canonical URL.

Tracking parameters and page markers (``?page=2``, a trailing ``/2``) are removed so that every page and
every newsletter link of an article lead to the same key, and the order of the remaining parameters
is normalised.
"""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING = re.compile(
    r"^(utm_\w+|ecd|fbclid|gclid|dclid|msclkid|mc_[ce]id|_ga|_gl|icid|cmp|s_cid|spm|yclid|igshid|"
    r"vero_\w+|mkt_tok|hsCtaTracking|_hs\w+)$",
    re.I,
)
# Not "p": WordPress uses ?p=123 to name a post.
PAGE_PARAMS = re.compile(r"^(page|pg|part|pagenum|pagenumber|page_number|pn|pagina|seite)$", re.I)
PAGE_PATH = re.compile(r"/(?:page[-/]?)?(\d{1,3})/?$", re.I)


def _split(url: str):
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not (parts.scheme == "http" and port == 80 or parts.scheme == "https" and port == 443):
        host = f"{host}:{port}"
    return parts, host


def page_number(url: str) -> int:
    """The page an URL points to inside its article: 1 unless a page parameter or ``/N`` says otherwise."""
    parts, _ = _split(url)
    for key, value in parse_qsl(parts.query):
        if PAGE_PARAMS.match(key) and value.isdigit():
            return int(value)
    match = PAGE_PATH.search(parts.path)
    return int(match.group(1)) if match else 1


def canonical_url(url: str) -> str:
    """``url`` without fragment, tracking parameters or page markers; host lowercased, parameters sorted."""
    parts, host = _split(url)
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING.match(k) and not PAGE_PARAMS.match(k)
    )
    path = PAGE_PATH.sub("", parts.path) or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))


def host_of(url: str) -> str:
    return _split(url)[1]


def same_site(a: str, b: str) -> bool:
    """Same host, ignoring a leading ``www.``."""
    return host_of(a).removeprefix("www.") == host_of(b).removeprefix("www.")
