"""FaultSite: a small health center on 127.0.0.1 whose URLs can be made to misbehave, for reliability tests.

Usage (one site per test or module; it starts in a few milliseconds)::

    with FaultSite(seed=0) as site:                       # start() / stop()
        site.hub_url                                      # http://127.0.0.1:PORT/center/
        site.url("/center/article-3?page=2")              # absolute URL on the main host
        site.other_url("/offers/x")                       # the second host: http://127.0.0.2:PORT2/... (see below)
        site.fault("/center/article-3?page=2", "soft404") # switch a fault on for one URL (replaces its old one)
        site.fault("/center/article-1", 429, retry_after=2, times=1)
        site.clear("/center/article-1"); site.clear()     # switch one fault / every fault off
        site.set_round(2)                                 # normal content edits; faults stay on
        site.articles()                                   # what a perfect archiver keeps (this round, no faults)
        site.clutter()                                    # chrome strings that must never reach the archive
        site.requests                                     # [Request(method, host, path, key, headers, time,
                                                          #          status, fault)], both hosts
        site.hits(path); site.waits(path)                 # requests for one URL; seconds the client waited
                                                          # after each 429/503 answer before asking again

The site (main host, 127.0.0.1, HTTP/1.1 keep-alive)
----------------------------------------------------
``/robots.txt`` allows everything but ``/center/private/``. ``/`` links to the hub ``/center/``, which lists
``/center/article-1`` .. ``article-6`` (1, 2, 3, 3, 2 and 1 pages). Page N > 1 of an article is ``?page=N``;
every page has the header, nav, breadcrumbs and footer, an ``<h1>`` title, a byline ("Medically reviewed by
NAME on <time>"), the text, and a numbered pager ``< Prev 1 | 2 | 3 Next >`` (``rel=next``/``rel=prev`` on
the links, and ``<link rel=next|prev>`` in the head; long articles show ``1 ... 4 5 [6] 7 8 ... 200``).
An out-of-range or non-numeric ``page`` answers 404; other query parameters are ignored. Anything else
answers a 404 page in the site chrome.

Identity pages, always served, linked from the hub only with ``FaultSite(identity=True)`` (or
``site.identity = True``): Drupal-style nodes ``/center/node/123`` and ``/center/node/456`` (two distinct
2-page articles, page 2 is ``?page=2``) and ``/center/node/789``, a 3-page article paged by path
(``/center/node/789/2``, ``/center/node/789/3``); the hub then also links straight to
``/center/article-3?page=2`` (a page-2 URL linked from elsewhere).

Normal behaviour, always on:
- 304: every 200 page of the site carries a strong ``ETag`` computed from its article content (title,
  byline, text, pager), not from the rotating chrome; a request with a matching ``If-None-Match`` (or ``*``)
  gets ``304`` with the ETag and no body. Faulted URLs never send an ETag.
- round edits (``set_round``): round r shows variant (r - 1) % 3 of one sentence of
  ``/center/article-2?page=2`` (``faultsite_text.EDITS``); nothing else in the text changes.
- rotating chrome: each article and the hub have a "Recommended" box (inside the article, after the second
  block) whose title and teaser change every round, with opaque class names and id that change every round.
- volatile chrome (``volatile=True``, the default): "Page last updated: HH:MM:SS" inside the article and
  "You are visitor number N this month." in the footer change on every request (derived from a request
  counter, so a fixed request order gives fixed pages).

Second host: every path on ``other_url`` (127.0.0.2, or ``localhost`` bound on 127.0.0.1 where 127.0.0.2
cannot be bound) answers 200 with a spam page (online pharmacy, casino, crypto) and a ``?page=N+1`` next
link on that host; ``/robots.txt`` there allows everything.

Fault modes (``site.fault(url, mode, times=None, **options)``; url is a path with query, or a full URL on
the main host; matched on path and query, parameter order ignored; one mode per URL; ``times=K`` makes
the fault answer K requests, then the URL behaves normally again)
-----------------------------------------------------------------------------------------------------
Status codes (a realistic error page; no ETag):
- ``404``, ``410``: the site's "Page Not Found" / "This page has been removed" page in the chrome.
- ``500``: a bare "Internal Server Error" page. ``502``: nginx's "502 Bad Gateway" page.
- ``503``: a bare maintenance page; ``retry_after=N`` adds ``Retry-After: N``.
- ``401``: ``WWW-Authenticate: Basic realm="Riverside staff area"``, a sign-in page. ``403``: a bare
  "Access Denied" page. ``451``: "Unavailable For Legal Reasons" in the chrome with
  ``Link: <https://www.example.org/legal/notice-2026-014>; rel="blocked-by"``.
- ``429``: ``Retry-After: N`` (``retry_after``, default 2) and a "Too Many Requests" page. A request that
  arrives less than N seconds after the last 429 for that URL is answered 429 again and does not count
  towards ``times`` (so ``times=1`` means: one 429, then 200 for the first request that waited long enough).
  ``site.waits(url)`` gives the seconds between each 429/503 and the next request for the URL.
Soft failures (status 200):
- ``soft404``: the chrome with a "not found" message; ``variant=0..3`` (default: chosen by the URL):
  "Sorry, the page you are looking for cannot be found", "Oops! We can't find that page.", "This content is
  no longer available", "Hmm, nothing here" (with a list of popular topics).
- ``empty``: 200, ``Content-Length: 0``. ``binary``: 200 ``text/html; charset=utf-8`` whose body is a PNG
  image (``kind="png"``, default; 96x96 noise) or 16 KB of random bytes (``kind="random"``).
- ``tiny``: 200, the full chrome and one line: "This article is being updated. Please check back soon."
Redirects:
- ``offsite``: 301 (``status=302`` etc.) to ``other_url("/offers" + path?query)``: the spam host.
- ``chain``: (an article page only) 301 to ``/center/moved/{name}-page-{n}``, which 302s to
  ``/center/final/{name}-page-{n}``, where ``name`` is the last segment of the article's path. The final URL
  serves page n of the article with *relative* pager links written for the article's own folder
  (``href="article-3?page=3"``), which resolve under ``/center/final/`` and answer 404.
- ``loop``: 302 to ``/center/loop/{crc}-a``, which 302s to ``...-b``, which 302s back to ``...-a``, forever.
- ``file-redirect``: 302 ``Location: file:///etc/passwd``. ``data-redirect``: 302 to a ``data:text/html``
  URL (base64 spam). Both take ``status=``.
Network:
- ``hang``: reads the request, sends nothing for ``seconds`` (default 30, cut short by ``stop()``), closes.
  Other requests are served meanwhile.
- ``reset``: full headers (true Content-Length), the first ``fraction`` (default 0.5) of the normal body,
  then an RST (SO_LINGER 0). ``truncate``: the same, then a normal close (FIN): Content-Length larger
  than the bytes sent.
- ``drip``: the normal response, its body sent in pieces every 0.1 s over ``seconds`` (default 5).
Content (the URL's normal page, changed):
- ``huge``: the page with generated medical paragraphs (sentences of the site's articles, seeded, with
  "Part N: ..." headings) added after its text, exactly ``size`` bytes (default 6,000,000), streamed;
  ``huge40``: the same, 40,000,000 bytes (above a 32 MB cap). ``declare_length=False``: no
  Content-Length, ``Connection: close``, the end of the body marked by the close.
- ``gzip-bomb``: ``Content-Encoding: gzip``, about 1 MB on the wire (Content-Length declared, or not with
  ``declare_length=False``), expanding to an HTML page with ``mib`` MiB (default 1024, so > 1 GB) of spaces
  in a ``<p>``; a valid gzip member (CRC and size trailer), streamed, never held in memory.
- ``cp1252``: the page encoded as windows-1252 while the header and ``<meta charset>`` say utf-8 (every
  article page's byline names a reviewer with accents, e.g. "José Núñez"; the texts use typographic quotes). ``utf16``: the page as UTF-16 with a BOM,
  ``Content-Type: text/html; charset=utf-16`` and ``<meta charset="utf-16">``; pager as usual.
- ``deep``: the article text inside ``depth`` (default 10,000) nested ``<div>``s.
Article modes (keyed by the article's page-1 path, e.g. ``/center/article-3``; apply to all its pages):
- ``pager-loop``: the last page's Next links to ``?page=1`` (page 1 again, under another URL).
- ``pager-self``: the last page's Next links to the last page itself with another query (``&sort=recent``).
- ``pager-ignored``: the server ignores ``page``: every ``?page=N`` answers page 1 (same HTML but for the
  volatile chrome, same ETag), whose pager still offers ``Next > ?page=2``.
- ``pages-200``: the article has ``pages`` (default 200) pages; pages past its own are generated prose.
"""

import base64
import contextlib
import hashlib
import random
import re
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import date
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from posixpath import dirname
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from . import faultsite_text as text

HUB = "/center/"
ROBOTS = "User-agent: *\nDisallow: /center/private/\n"
PAGE_TEXT = "\n".join


# --- content model ---------------------------------------------------------------------------


def smarten(s):
    """Typographic quotes, as a CMS would print them."""
    return re.sub(r'"([^"]*)"', "\u201c\\1\u201d", s).replace("'", "\u2019")


@dataclass(frozen=True)
class Article:
    path: str
    title: str
    summary: str
    author: str
    reviewer: str
    reviewed: str
    pages: tuple  # per page, a tuple of (kind, text) blocks; kind is "h2" or "p"
    paging: str = "query"  # "query": ?page=N; "path": PATH/N
    linked: bool = True  # on the hub without identity=True

    def page_url(self, n):
        if n == 1:
            return self.path
        return f"{self.path}/{n}" if self.paging == "path" else f"{self.path}?page={n}"

    @property
    def name(self):
        return self.path.rsplit("/", 1)[-1]


def parse_page(markup):
    blocks = []
    for chunk in re.split(r"\n\s*\n", markup.strip()):
        line = " ".join(chunk.split())
        if line.startswith("## "):
            blocks.append(("h2", smarten(line[3:])))
        else:
            blocks.append(("p", line if line == "{EDIT}" else smarten(line)))
    return tuple(blocks)


def make_article(spec, linked):
    return Article(
        spec["path"],
        spec["title"],
        spec["summary"],
        spec["author"],
        spec["reviewer"],
        spec["reviewed"],
        tuple(parse_page(p) for p in spec["pages"]),
        spec.get("paging", "query"),
        linked,
    )


ARTICLES = [make_article(s, True) for s in text.ARTICLES] + [make_article(s, False) for s in text.NODES]
BY_PATH = {a.path: a for a in ARTICLES}
SENTENCES = [
    s
    for a in ARTICLES
    for page in a.pages
    for kind, t in page
    if kind == "p" and t != "{EDIT}"
    for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", t)
]


def generated_blocks(rng, part, paragraphs=4):
    """A heading and some paragraphs of plausible prose, recombined from the site's own sentences."""
    heading = f"Part {part}: {rng.choice(text.GENERATED_HEADINGS)}"
    return (("h2", heading), *(("p", " ".join(rng.sample(SENTENCES, rng.randint(3, 5)))) for _ in range(paragraphs)))


def _crc(*parts):
    return zlib.crc32(":".join(map(str, parts)).encode())


def key_of(target):
    """Normalised path?query of a path or URL: the key faults are matched on."""
    parts = urlsplit(target)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return (parts.path or "/") + ("?" + urlencode(query) if query else "")


# --- fault modes -----------------------------------------------------------------------------

STATUS_MODES = {"404", "410", "500", "502", "503", "401", "403", "451", "429"}
ARTICLE_MODES = {"pager-loop", "pager-self", "pager-ignored", "pages-200"}
OPTIONS = {
    **{m: set() for m in STATUS_MODES},
    "503": {"retry_after"},
    "429": {"retry_after"},
    "soft404": {"variant"},
    "empty": set(),
    "binary": {"kind"},
    "tiny": set(),
    "offsite": {"status"},
    "chain": set(),
    "loop": set(),
    "file-redirect": {"status"},
    "data-redirect": {"status"},
    "hang": {"seconds"},
    "reset": {"fraction"},
    "truncate": {"fraction"},
    "drip": {"seconds"},
    "huge": {"size", "declare_length"},
    "huge40": {"size", "declare_length"},
    "gzip-bomb": {"mib", "declare_length"},
    "cp1252": set(),
    "utf16": set(),
    "deep": {"depth"},
    "pager-loop": set(),
    "pager-self": set(),
    "pager-ignored": set(),
    "pages-200": {"pages"},
}
MODES = sorted(OPTIONS)


@dataclass
class Fault:
    mode: str
    options: dict
    remaining: int | None = None
    last: float | None = None  # when this fault last answered (429: the start of the Retry-After wait)
    served: int = 0


@dataclass
class Request:
    """One request as the site saw it; status and fault are filled in once the answer is chosen."""

    method: str
    host: str  # the server's host:port (main or other host)
    path: str  # as sent (path?query)
    key: str  # normalised, as faults are matched
    headers: dict
    time: float  # time.time() when the request line was read
    status: int | None = None  # None: no answer (hang)
    fault: str | None = None


@dataclass
class Reply:
    status: int
    body: bytes = b""
    ctype: str | None = "text/html; charset=utf-8"
    headers: list = field(default_factory=list)
    chunks: object = None  # callable -> iterable of bytes, streamed instead of body
    length: int | None = None  # Content-Length of a streamed body
    declare: bool = True  # send Content-Length (else Connection: close)
    action: str = "send"  # send, hang, reset, truncate, drip
    arg: float = 0.0
    etag: str | None = None


@dataclass(frozen=True)
class Ctx:
    """What one render depends on besides the URL."""

    seed: int
    round: int
    counter: int
    volatile: bool
    identity: bool


# --- HTML --------------------------------------------------------------------------------------


def opaque(ctx, *slot):
    return "x" + format(_crc(ctx.seed, ctx.round, *slot), "08x")[:6]


def clock(ctx):
    seconds = (13 * 3600 + 42 * 60 + 6 + 7 * ctx.counter) % 86400
    return f"Page last updated: {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def visitor(ctx):
    return f"You are visitor number {48213 + ctx.counter:,} this month."


def recommended(ctx, slot):
    return text.RECOMMENDED[(_crc(ctx.seed, slot) + ctx.round) % len(text.RECOMMENDED)]


def recommended_box(ctx, slot):
    title, teaser = recommended(ctx, slot)
    href = "/features/" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return (
        f'<aside class="{opaque(ctx, "rec", 1)} {opaque(ctx, "rec", 2)}" id="{opaque(ctx, "rec", slot)}">'
        f'<h3>Recommended</h3><h4><a href="{href}">{escape(title)}</a></h4><p>{escape(teaser)}</p></aside>'
    )


def page_html(title, main, ctx, head="", description="", charset="utf-8"):
    nav = "".join(
        f'<li><a href="{href}">{escape(label)}</a></li>'
        for label, href in zip(
            text.NAV, (HUB, "/drugs/", "/healthy-living/", "/find-a-doctor/", "/newsletters/"), strict=True
        )
    )
    links = "".join(
        f'<li><a href="/about/{re.sub(r"[^a-z]+", "-", label.lower())}">{label}</a></li>' for label in text.FOOTER_LINKS
    )
    counter = f'\n<p class="{opaque(ctx, "visits")}">{visitor(ctx)}</p>' if ctx.volatile else ""
    meta = f'\n<meta name="description" content="{escape(description)}">' if description else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} | {text.SITE_NAME}</title>{meta}
<link rel="stylesheet" href="/static/site.css">{head}
</head>
<body>
<header class="site-header">
<a class="logo" href="/">{text.SITE_NAME}</a>
<nav class="main-nav" aria-label="Main"><ul>{nav}</ul></nav>
<form class="site-search" action="/search" method="get"><label for="q">Search</label>
<input id="q" name="q" type="search"><button type="submit">Search</button></form>
</header>
<div class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="{HUB}">{text.CENTER_TITLE}</a></div>
<main id="main">
{main}
</main>
<footer class="site-footer">
<ul class="footer-links">{links}</ul>
<p>{escape(text.FOOTER)}</p>{counter}
</footer>
</body>
</html>
"""


def block_html(kind, body):
    return f"<{kind}>{escape(body, quote=False)}</{kind}>"


def pager_html(urls, n, next_url):
    """Numbered pager: < Prev 1 | 2 | 3 Next >, windowed for long articles."""
    total = len(urls)
    if total == 1 and not next_url:
        return ""
    shown = sorted({1, total, *range(max(1, n - 2), min(total, n + 2) + 1)})
    items, last = [], 0
    for i in shown:
        if i > last + 1:
            items.append("<span>&hellip;</span>")
        items.append(f'<span class="current">{i}</span>' if i == n else f'<a href="{urls[i - 1]}">{i}</a>')
        last = i
    prev = f'<a rel="prev" class="prev" href="{urls[n - 2]}">&lt; Prev</a> ' if n > 1 else ""
    nxt = f' <a rel="next" class="next" href="{next_url}">Next &gt;</a>' if next_url else ""
    return f'<nav class="pager" aria-label="Article pages">{prev}{" | ".join(items)}{nxt}</nav>'


def byline(art):
    day = date.fromisoformat(art.reviewed)
    return (
        f'<p class="byline">By {escape(art.author)} | Medically reviewed by {escape(art.reviewer)} on '
        f'<time datetime="{art.reviewed}">{day:%B} {day.day}, {day.year}</time></p>'
    )


def error_page(ctx, title, heading, message, extra=""):
    main = (
        f'<article class="message"><h1>{escape(heading)}</h1><p>{escape(message)}</p>{extra}'
        f'<p><a href="{HUB}">Browse the {text.CENTER_TITLE}</a></p></article>'
    )
    return page_html(title, main, ctx)


BARE = {
    500: (
        "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server "
        "Error</h1><p>The server encountered an internal error and was unable to complete your request.</p>"
        "</body></html>"
    ),
    502: (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
        "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ),
    503: (
        "<!DOCTYPE html><html><head><title>Service Temporarily Unavailable</title></head><body><h1>Service "
        "Temporarily Unavailable</h1><p>We are performing scheduled maintenance. Please try again in a few "
        "minutes.</p></body></html>"
    ),
    403: (
        "<!DOCTYPE html><html><head><title>Access Denied</title></head><body><h1>Access Denied</h1><p>You don't "
        "have permission to access this page on this server.</p><p>Reference #18.4f2a1b17.1772438400.9c1e2d</p>"
        "</body></html>"
    ),
    429: (
        "<!DOCTYPE html><html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1>"
        "<p>You have sent too many requests in a given amount of time. Please slow down.</p></body></html>"
    ),
}
CHROME_ERRORS = {
    404: ("Page Not Found", "Page Not Found", "We couldn't find the page you requested. It may have moved."),
    410: (
        "Page Removed",
        "This page has been removed",
        "The article you are looking for was retired from our library and is no longer available.",
    ),
    401: ("Sign In", "Sign in required", "This area is for Riverside staff. Please sign in to continue."),
    451: (
        "Unavailable For Legal Reasons",
        "Unavailable For Legal Reasons",
        "This page is not available in your region because of a legal demand.",
    ),
}


def spam_page(path, page):
    paras = "".join(f"<p>{escape(text.SPAM[(page + i) % len(text.SPAM)])}</p>" for i in range(len(text.SPAM)))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(text.SPAM_TITLE)}</title>'
        f'<link rel="next" href="{escape(path)}?page={page + 1}"></head><body style="background:#ff0">'
        f"<h1>{escape(text.SPAM_TITLE)}</h1>{paras}"
        f'<p><a href="/buy-now">BUY NOW</a> | <a rel="next" href="{escape(path)}?page={page + 1}">Next &gt;</a>'
        "</p></body></html>"
    )


# --- binary and oversized bodies ---------------------------------------------------------------


def make_png(seed, size=96):
    rng = random.Random(f"{seed}:png")
    raw = b"".join(b"\x00" + rng.randbytes(size * 3) for _ in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


MIB = 1 << 20
_BOMB_HEAD = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Health Library</title></head>'
    b"<body><article><h1>Health Library</h1><p>"
)
_BOMB_TAIL = b"</p></article></body></html>"
_bomb_lock = threading.Lock()
_bomb_crc = {}


def _bomb_pieces():
    """Raw-deflate pieces: head, one MiB of spaces, tail; each self-contained (full flush), so the middle
    piece can be repeated any number of times."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(_BOMB_HEAD) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(b" " * MIB) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.compress(_BOMB_TAIL) + c.flush()
    return head, block, tail


BOMB_HEAD, BOMB_BLOCK, BOMB_TAIL = _bomb_pieces()
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"


def _bomb_trailer(mib):
    with _bomb_lock:
        if mib not in _bomb_crc:
            crc, block = zlib.crc32(_BOMB_HEAD), b" " * MIB
            for _ in range(mib):
                crc = zlib.crc32(block, crc)
            _bomb_crc[mib] = zlib.crc32(_BOMB_TAIL, crc)
    size = len(_BOMB_HEAD) + mib * MIB + len(_BOMB_TAIL)
    return struct.pack("<II", _bomb_crc[mib], size & 0xFFFFFFFF)


def bomb_length(mib):
    return len(GZIP_HEADER) + len(BOMB_HEAD) + mib * len(BOMB_BLOCK) + len(BOMB_TAIL) + 8


def bomb_chunks(mib):
    yield GZIP_HEADER + BOMB_HEAD
    batch = BOMB_BLOCK * 64
    for i in range(0, mib, 64):
        yield batch if i + 64 <= mib else BOMB_BLOCK * (mib - i)
    yield BOMB_TAIL + _bomb_trailer(mib)  # the CRC of a GiB (0.5 s) is paid only by a client that reads it all


def sized_chunks(head, tail, size, rng):
    """head, generated paragraphs, tail: exactly size bytes, in pieces of about 64 KB."""
    budget = size - len(head) - len(tail)
    if budget < 0:
        raise ValueError(f"size {size} is smaller than the page itself")
    yield head
    buf, part = [], 0
    while budget > 0:
        part += 1
        piece = "".join(f"<{k}>{escape(t, quote=False)}</{k}>\n" for k, t in generated_blocks(rng, part, 6))
        data = piece.encode()
        if len(data) > budget:
            data = b" " * (budget - 1) + b"\n" if budget > 1 else b"\n"
        buf.append(data)
        budget -= len(data)
        if sum(map(len, buf)) >= 65536:
            yield b"".join(buf)
            buf = []
    yield b"".join(buf) + tail


# --- the site --------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: Scrapy reuses connections
    server_version = "FaultSite/1.0"
    disable_nagle_algorithm = True  # headers and body go out in separate writes; avoid 40 ms ACK stalls

    def do_GET(self):
        self.serve(body=True)

    def do_HEAD(self):
        self.serve(body=False)

    def serve(self, body):
        site = self.server.site
        hit, ctx = site._record(self.server, self.command, self.path, dict(self.headers))
        reply, fault = site._respond(self.server.role, self.path, self.headers, ctx)
        hit.status = None if reply.action == "hang" else reply.status
        hit.fault = fault
        self.send_reply(reply, body)

    def send_reply(self, r, with_body):
        stop = self.server.site._stop
        if r.action == "hang":
            stop.wait(r.arg)
            self.close_connection = True
            return
        body = r.body
        self.send_response(r.status)
        if r.ctype:
            self.send_header("Content-Type", r.ctype)
        if r.status in (204, 304):
            pass
        elif r.declare:
            self.send_header("Content-Length", str(r.length if r.chunks else len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        for name, value in r.headers:
            self.send_header(name, value)
        self.end_headers()
        if not with_body or r.status in (204, 304):
            return
        if r.action == "send":
            for piece in r.chunks() if r.chunks else (body,):
                if stop.is_set():
                    self.close_connection = True
                    return
                self.wfile.write(piece)
        elif r.action in ("reset", "truncate"):
            self.wfile.write(body[: int(len(body) * r.arg)])
            self.close_connection = True
            if r.action == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.rfile.close()  # the last reference to the socket: closing it now sends an RST, no FIN
        elif r.action == "drip":
            steps = max(1, round(r.arg / 0.1))
            size = max(1, -(-len(body) // steps))
            for i in range(0, len(body), size):
                if i and stop.wait(0.1):
                    self.close_connection = True
                    return
                self.wfile.write(body[i : i + size])

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # clients drop connections mid-response, and some faults do so on purpose


class FaultSite:
    """The fault-injection health center; see the module docstring."""

    def __init__(self, seed=0, round=1, identity=False, volatile=True, port=0):
        self.seed, self.round, self.identity, self.volatile, self.port = seed, round, identity, volatile, port
        self._lock = threading.Lock()
        self._faults = {}
        self._requests = []
        self._counter = 0
        self._stop = threading.Event()
        self._servers, self._threads = [], []
        self.main_host = self.other_host = None

    # --- lifecycle ---

    def start(self):
        self._stop = threading.Event()
        main = Server(("127.0.0.1", self.port), Handler)
        try:
            other = Server(("127.0.0.2", 0), Handler)
            other_name = "127.0.0.2"
        except OSError:  # no 127.0.0.2 (macOS): a different host name for the same address
            other = Server(("127.0.0.1", 0), Handler)
            other_name = "localhost"
        self.port = main.server_address[1]
        self.main_host = f"127.0.0.1:{self.port}"
        self.other_host = f"{other_name}:{other.server_address[1]}"
        for server, role, netloc in ((main, "main", self.main_host), (other, "other", self.other_host)):
            server.site, server.role, server.netloc = self, role, netloc
            # a short poll interval: stop() waits for it, twice (the default 0.5 s made every test end 1 s late)
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=f"faultsite-{role}", daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self):
        self._stop.set()  # releases hanging and dripping handlers
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._servers, self._threads = [], []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- addresses ---

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def hub_url(self):
        return self.origin + HUB

    def url(self, path):
        return self.origin + path

    def other_url(self, path):
        return f"http://{self.other_host}{path}"

    # --- control ---

    def fault(self, url, mode, times=None, **options):
        """Switch `mode` on for `url` (path?query or a full URL on the main host), replacing its fault."""
        mode = str(mode)
        if mode not in OPTIONS:
            raise ValueError(f"unknown fault mode {mode!r}; known: {', '.join(MODES)}")
        unknown = set(options) - OPTIONS[mode]
        if unknown:
            raise ValueError(f"mode {mode!r} takes no option {sorted(unknown)}; it takes {sorted(OPTIONS[mode])}")
        key = key_of(url)
        if mode in ARTICLE_MODES and (key not in BY_PATH or times is not None):
            raise ValueError(f"{mode!r} applies to an article's page-1 path ({', '.join(BY_PATH)}), without times")
        if mode == "chain" and self._locate(*self._split(key), None) is None:
            raise ValueError("'chain' applies to an article page")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults[key] = Fault(mode, dict(options), times)

    def clear(self, url=None):
        """Switch the fault of `url` off, or every fault."""
        with self._lock:
            if url is None:
                self._faults.clear()
            else:
                self._faults.pop(key_of(url), None)

    def faults(self):
        """{key: mode} of the faults switched on."""
        with self._lock:
            return {k: f.mode for k, f in self._faults.items()}

    def set_round(self, round):
        with self._lock:
            self.round = round

    # --- observation ---

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def clear_requests(self):
        with self._lock:
            self._requests.clear()

    def hits(self, url):
        """Requests to the main host for this URL (matched like faults)."""
        key = key_of(url)
        return [r for r in self.requests if r.key == key and r.host == self.main_host]

    def waits(self, url):
        """Seconds between each 429/503 answer for url and the next request for it (None: never asked again)."""
        hits = self.hits(url)
        return [
            (hits[i + 1].time - h.time) if i + 1 < len(hits) else None
            for i, h in enumerate(hits)
            if h.status in (429, 503)
        ]

    def articles(self):
        """Every article as served this round without faults: path, url, title, page_urls, pages (block
        texts per page), text (all blocks, one a line) and linked (listed on the hub)."""
        ctx = self._ctx(0)
        out = []
        for art in ARTICLES:
            pages = [[t for _, t in self._blocks(art, n, ctx)] for n in range(1, len(art.pages) + 1)]
            out.append(
                {
                    "path": art.path,
                    "url": self.url(art.path),
                    "title": art.title,
                    "page_urls": [self.url(art.page_url(n)) for n in range(1, len(art.pages) + 1)],
                    "pages": pages,
                    "text": PAGE_TEXT(t for p in pages for t in p),
                    "linked": art.linked or self.identity,
                }
            )
        return out

    def clutter(self):
        """Chrome strings of this round that must never be archived as article text."""
        ctx = self._ctx(0)
        out = [
            text.SITE_NAME,
            text.FOOTER,
            "Recommended",
            "Page last updated",
            "You are visitor number",
            "Next >",
            "< Prev",
            *text.NAV,
            *text.FOOTER_LINKS,
        ]
        for slot in [HUB] + [a.path for a in ARTICLES]:
            out += list(recommended(ctx, slot))
        return list(dict.fromkeys(out))

    # --- internals ---

    def _ctx(self, counter):
        return Ctx(self.seed, self.round, counter, self.volatile, self.identity)

    def _record(self, server, method, path, headers):
        with self._lock:
            self._counter += 1
            hit = Request(method, server.netloc, path, key_of(path), headers, time.time())
            self._requests.append(hit)
            return hit, self._ctx(self._counter)

    @staticmethod
    def _split(key):
        path, _, query = key.partition("?")
        return path, query

    def _take_fault(self, key):
        """The fault that answers this request, or None; counts `times` and the 429 wait."""
        now = time.monotonic()
        with self._lock:
            f = self._faults.get(key)
            if f is None or f.mode in ARTICLE_MODES:
                return None
            if f.mode == "429":
                wait = float(f.options.get("retry_after", 2))
                if f.last is not None and now - f.last < wait:
                    f.last = now  # too early: the wait starts again
                    return Fault(f.mode, f.options)
                if f.remaining == 0:
                    del self._faults[key]
                    return None
            if f.remaining is not None:
                f.remaining -= 1
                if f.remaining == 0 and f.mode != "429":
                    del self._faults[key]
            f.last, f.served = now, f.served + 1
            return Fault(f.mode, f.options)

    def _article_fault(self, art):
        with self._lock:
            f = self._faults.get(art.path)
            return Fault(f.mode, f.options) if f and f.mode in ARTICLE_MODES else None

    def _respond(self, role, raw, headers, ctx):
        """(Reply, name of the fault that produced it or None)."""
        key = key_of(raw)
        path, query = self._split(key)
        if role == "other":
            if path == "/robots.txt":
                return Reply(200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8"), None
            page = parse_qs(query).get("page", ["1"])[-1]
            return Reply(200, spam_page(path, int(page) if page.isdigit() else 1).encode()), None
        fault = self._take_fault(key)
        if fault:
            return self._fault_reply(fault, key, path, query, ctx), fault.mode
        reply = self._route(path, query, ctx)
        if reply.etag:
            inm = headers.get("If-None-Match")
            if inm and ("*" in inm or reply.etag in [t.strip().removeprefix("W/") for t in inm.split(",")]):
                return Reply(304, ctype=None, headers=[("ETag", reply.etag)]), None
            reply.headers.append(("ETag", reply.etag))
        return reply, None

    # routing and pages

    def _locate(self, path, query, fault):
        """(article, page number, page count) for an article page URL, else None."""
        art, n = BY_PATH.get(path), 1
        if art is None:
            base, _, num = path.rpartition("/")
            art = BY_PATH.get(base)
            if art is None or art.paging != "path" or not num.isdigit() or num.startswith("0"):
                return None
            n = int(num)
        total = len(art.pages)
        if fault and fault.mode == "pages-200":
            total = int(fault.options.get("pages", 200))
        if art.paging == "query":
            value = parse_qs(query).get("page", [None])[-1]
            if fault and fault.mode == "pager-ignored":
                value = None
            if value is not None:
                if not value.isdigit():
                    return None
                n = int(value)
        return (art, n, total) if 1 <= n <= total and (n > 1 or path == art.path) else None

    def _blocks(self, art, n, ctx):
        if n > len(art.pages):
            return generated_blocks(random.Random(f"{ctx.seed}:{art.path}:{n}"), n)
        edit = smarten(text.EDITS[(ctx.round - 1) % len(text.EDITS)])
        return tuple((k, edit if t == "{EDIT}" else t) for k, t in art.pages[n - 1])

    def _route(self, path, query, ctx, **variant):
        if path == "/robots.txt":
            return Reply(200, ROBOTS.encode(), "text/plain; charset=utf-8", etag='"robots"')
        if path == "/":
            main = (
                f'<article class="home"><h1>{text.SITE_NAME}</h1><p>Doctor-reviewed health information.</p>'
                f'<ul><li><a href="{HUB}">{text.CENTER_TITLE}</a></li></ul></article>'
            )
            return self._html(200, page_html(text.SITE_NAME, main, ctx), "home")
        if path == HUB:
            return self._hub(ctx)
        if path.startswith("/center/moved/"):
            return self._redirect(302, "/center/final/" + path[len("/center/moved/") :])
        if path.startswith("/center/loop/"):
            name = path[len("/center/loop/") :]
            if name.endswith(("-a", "-b")):
                return self._redirect(302, f"/center/loop/{name[:-1]}{'b' if name.endswith('-a') else 'a'}")
        if path.startswith("/center/final/"):
            m = re.fullmatch(r"(.+)-page-(\d+)", path[len("/center/final/") :])
            art = next((a for a in ARTICLES if m and a.name == m[1]), None)
            if art and 1 <= int(m[2]) <= len(art.pages):
                return self._article(art, int(m[2]), len(art.pages), ctx, None, relative=True)
        art = BY_PATH.get(path) or BY_PATH.get(path.rpartition("/")[0])
        fault = self._article_fault(art) if art else None
        located = self._locate(path, query, fault)
        if located:
            return self._article(*located, ctx, fault, **variant)
        return Reply(404, error_page(ctx, *CHROME_ERRORS[404]).encode())

    def _html(self, status, html, etag_source):
        etag = f'"{hashlib.md5(etag_source.encode()).hexdigest()[:20]}"' if status == 200 else None
        return Reply(status, html.encode(), etag=etag)

    @staticmethod
    def _redirect(status, location):
        body = f'<!DOCTYPE html><html><body><p>Moved to <a href="{escape(location)}">here</a>.</p></body></html>'
        return Reply(status, body.encode(), headers=[("Location", location)])

    def _hub(self, ctx):
        items = "\n".join(
            f'<li><h2><a href="{a.path}">{escape(a.title)}</a></h2><p>{escape(a.summary)}</p></li>'
            for a in ARTICLES
            if a.linked
        )
        more = ""
        if ctx.identity:
            links = [(a.path, a.title) for a in ARTICLES if not a.linked]
            links.append((BY_PATH["/center/article-3"].page_url(2), "Asthma triggers: what to avoid"))
            more = (
                '<section class="more"><h2>More From Our Library</h2><ul>'
                + "".join(f'<li><a href="{href}">{escape(title)}</a></li>' for href, title in links)
                + "</ul></section>"
            )
        stable = (
            f'<h1>{text.CENTER_TITLE}</h1>\n<p class="intro">Doctor-reviewed answers about common conditions, '
            f'from blood pressure to sleep.</p>\n<ul class="topic-list">\n{items}\n</ul>\n{more}'
        )
        updated = f'<p class="updated">{clock(ctx)}</p>' if ctx.volatile else ""
        main = f'<article class="hub">\n{stable}\n{recommended_box(ctx, HUB)}\n{updated}\n</article>'
        return self._html(200, page_html(text.CENTER_TITLE, main, ctx, description=text.CENTER_TITLE), stable)

    def _article(self, art, n, total, ctx, fault, relative=False, depth=0, bulk=False, charset="utf-8"):
        urls = [art.page_url(i) for i in range(1, total + 1)]
        if relative:  # written for the article's own folder, served from another one
            folder = dirname(art.path) + "/"
            urls = [u[len(folder) :] for u in urls]
        mode = fault.mode if fault else None
        next_url = urls[n] if n < total else None
        if n == total and mode == "pager-loop":
            next_url = f"{art.path}?page=1"
        elif n == total and mode == "pager-self":
            next_url = f"{art.page_url(n)}{'&' if '?' in art.page_url(n) else '?'}sort=recent"
        blocks = [block_html(k, t) for k, t in self._blocks(art, n, ctx)]
        body = "\n".join([*blocks[:2], recommended_box(ctx, art.path), *blocks[2:]])
        if bulk:
            body += "\n<!--BULK-->"
        if depth:
            body = '<div class="wrap">' * depth + body + "</div>" * depth
        pager = pager_html(urls, n, next_url)
        head = "".join(
            f'\n<link rel="{rel}" href="{href}">'
            for rel, href in (("prev", urls[n - 2] if n > 1 else None), ("next", next_url))
            if href
        )
        updated = f'\n<p class="updated">{clock(ctx)}</p>' if ctx.volatile else ""
        main = (
            f'<article class="article">\n<h1>{escape(art.title)}</h1>\n{byline(art)}\n'
            f'<div class="article-body">\n{body}\n</div>{updated}\n{pager}\n</article>'
        )
        title = art.title if n == 1 else f"{art.title} - Page {n}"
        html = page_html(title, main, ctx, head, art.summary, charset)
        stable = "\n".join([art.title, byline(art), *blocks, pager, head])
        return self._html(200, html, stable)

    # faults

    def _fault_reply(self, fault, key, path, query, ctx):
        mode, opt = fault.mode, fault.options
        if mode in STATUS_MODES:
            status = int(mode)
            headers = []
            if status in (429, 503) and (status == 429 or "retry_after" in opt):
                headers.append(("Retry-After", str(opt.get("retry_after", 2))))
            if status == 401:
                headers.append(("WWW-Authenticate", 'Basic realm="Riverside staff area"'))
            if status == 451:
                headers.append(("Link", '<https://www.example.org/legal/notice-2026-014>; rel="blocked-by"'))
            html = BARE[status] if status in BARE else error_page(ctx, *CHROME_ERRORS[status])
            return Reply(status, html.encode(), headers=headers)
        if mode == "soft404":
            variant = int(opt.get("variant", _crc(key) % len(text.SOFT404)))
            title, heading, message = (smarten(s) for s in text.SOFT404[variant])
            extra = ""
            if variant == 3:
                extra = (
                    "<ul>"
                    + "".join(f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in ARTICLES[:4])
                    + "</ul>"
                )
            return Reply(200, error_page(ctx, title, heading, message, extra).encode())
        if mode == "empty":
            return Reply(200, b"")
        if mode == "binary":
            kind = opt.get("kind", "png")
            data = make_png(ctx.seed) if kind == "png" else random.Random(f"{ctx.seed}:{key}").randbytes(16384)
            return Reply(200, data)
        if mode == "tiny":
            located = self._locate(path, query, None)
            title = located[0].title if located else text.CENTER_TITLE
            return Reply(
                200, page_html(title, f'<article class="article"><p>{text.TINY_LINE}</p></article>', ctx).encode()
            )
        if mode in ("offsite", "file-redirect", "data-redirect"):
            if mode == "offsite":
                location, default = self.other_url("/offers" + key), 301
            elif mode == "file-redirect":
                location, default = "file:///etc/passwd", 302
            else:
                spam = f"<html><body><h1>{text.SPAM_TITLE}</h1><p>{text.SPAM[0]}</p></body></html>"
                location, default = "data:text/html;base64," + base64.b64encode(spam.encode()).decode(), 302
            return self._redirect(int(opt.get("status", default)), location)
        if mode == "chain":
            art, n, _ = self._locate(path, query, None)
            return self._redirect(301, f"/center/moved/{art.name}-page-{n}")
        if mode == "loop":
            return self._redirect(302, f"/center/loop/{_crc(key):08x}-a")
        if mode == "hang":
            return Reply(0, action="hang", arg=float(opt.get("seconds", 30)))
        if mode in ("reset", "truncate", "drip"):
            reply = self._route(path, query, ctx)
            reply.action = mode
            reply.arg = float(opt.get("seconds", 5) if mode == "drip" else opt.get("fraction", 0.5))
            return reply
        if mode in ("huge", "huge40"):
            size = int(opt.get("size", 6_000_000 if mode == "huge" else 40_000_000))
            reply = self._route(path, query, ctx, bulk=True)
            head, sep, tail = reply.body.partition(b"<!--BULK-->")
            if not sep:  # not an article page: bulk before the footer
                head, sep, tail = reply.body.partition(b"</main>")
                tail = sep + tail
            rng = random.Random(f"{ctx.seed}:{key}:huge")
            return Reply(
                reply.status,
                chunks=lambda: sized_chunks(head, tail, size, rng),
                length=size,
                declare=opt.get("declare_length", True),
            )
        if mode == "gzip-bomb":
            mib = int(opt.get("mib", 1024))
            return Reply(
                200,
                chunks=lambda: bomb_chunks(mib),
                length=bomb_length(mib),
                declare=opt.get("declare_length", True),
                headers=[("Content-Encoding", "gzip")],
            )
        if mode == "cp1252":
            reply = self._route(path, query, ctx)
            reply.body = reply.body.decode().encode("cp1252", "xmlcharrefreplace")
            reply.etag = None
            return reply
        if mode == "utf16":
            reply = self._route(path, query, ctx, charset="utf-16")
            return Reply(reply.status, reply.body.decode().encode("utf-16"), "text/html; charset=utf-16")
        if mode == "deep":
            reply = self._route(path, query, ctx, depth=int(opt.get("depth", 10_000)))
            reply.etag = None
            return reply
        raise AssertionError(mode)


if __name__ == "__main__":  # python -m tests.faultsite: serve until Ctrl-C
    with FaultSite(identity=True) as site:
        print(f"{site.hub_url}  (other host: {site.other_url('/')})")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
