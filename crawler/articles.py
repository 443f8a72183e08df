"""The base of every healtharchive spider: follow each article through all of its pages.

An article is requested once per crawl (by its canonical URL), its pages are fetched one after the
other (the next page is found on the current one), and one ``ArticleItem`` carries them all to the
pipelines. Pagination is guarded: only links to the same article count as pages (a blog's "next
post" does not), a page already taken or a page with the same content as an earlier one ends the
article, and ``ARTICLE_MAX_PAGES`` caps it.
"""

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

import scrapy
from lxml import etree
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError

from archive import Archive, ArchiveError
from archive.clock import utcnow
from archive.urls import canonical_url, host_of, in_scope, page_number, path_page, same_site

from .bodies import problem, readable
from .frontier import Frontier
from .items import ArticleItem, Page
from .profiles import Profile, load_profile
from .robots import Disallowed

# The site refused the crawler: the article is ``blocked``, not failed.
BLOCKED_STATUSES = (401, 403, 451)

NEXT_TEXT = "translate(normalize-space(.), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
NEXT_LINKS = (
    "//link[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
    " | //a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
    f" | //a[starts-with({NEXT_TEXT}, 'next') or starts-with({NEXT_TEXT}, 'continue')"
    f" or {NEXT_TEXT} = '>' or {NEXT_TEXT} = '\u203a' or {NEXT_TEXT} = '\u00bb']/@href"
)
PREV_LINKS = (
    "//link[contains(concat(' ', normalize-space(@rel), ' '), ' prev ')]/@href"
    " | //a[contains(concat(' ', normalize-space(@rel), ' '), ' prev ')]/@href"
)
REL_PAGING = (
    "//a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')"
    " or contains(concat(' ', normalize-space(@rel), ' '), ' prev ')]/@href"
)
# Paths compiled for lxml, run on a page's tree directly: parsel would wrap every string found in a Selector.
ALL_HREFS = etree.XPath("//a/@href", smart_strings=False)
PARAGRAPH_TEXTS = etree.XPath("//p//text()", smart_strings=False)
XML_SPACES = " \t\r\n"  # the whitespace of XPath's normalize-space()
XML_SPACE = re.compile(f"[{XML_SPACES}]+")
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
NEXT_WORDS = ("next", "continue")
NEXT_SIGNS = (">", "\u203a", "\u00bb")
NEXT_FIRST = frozenset("nNcC" + "".join(NEXT_SIGNS))  # what a next link's text starts with, before folding
PAGE_MARKER = re.compile(r"/(?:page[-/]?)?(\d{1,3})/?$", re.I)  # a path that may end with a page number
LINKS_REMEMBERED = 8192  # link URLs whose verdicts (allowed by the extractor, an article of this crawl) are kept


class Links(LinkExtractor):
    """Scrapy's ``LinkExtractor``, its verdict on each URL remembered: a site's navigation and related-article links
    come back on page after page, and the test of each (``allow``/``deny``, the ignored file extensions) cost more
    than finding the links. Exact: without ``restrict_text`` the verdict depends on the URL alone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.verdicts: dict[str, bool] = {}

    def _link_allowed(self, link) -> bool:
        if self.restrict_text:
            return super()._link_allowed(link)
        return remembered(self.verdicts, link.url, lambda _: super(Links, self)._link_allowed(link))


def remembered(verdicts: dict, url: str, judge) -> bool:
    """``judge(url)``, kept in ``verdicts`` (emptied when it holds ``LINKS_REMEMBERED``)."""
    verdict = verdicts.get(url)
    if verdict is None:
        if len(verdicts) >= LINKS_REMEMBERED:
            verdicts.clear()
        verdict = verdicts[url] = judge(url)
    return verdict


def next_hrefs(root) -> list[str]:
    """What ``NEXT_LINKS`` finds in the tree ``root``, in document order, in one pass: the XPath folds each link's text
    again for every word it tests (a third of the spider's time on a page)."""
    found = []
    for element in root.iter("link", "a"):
        href = element.get("href")
        if href is None:
            continue
        rel = element.get("rel")
        if rel is not None and " next " in f" {_normalize_space(rel)} ":
            found.append(href)
        elif element.tag == "a":
            # Most links' first letter rules them out: fold the whole text only for the few it does not.
            head = (element.text or "").lstrip(XML_SPACES) or "".join(element.itertext()).lstrip(XML_SPACES)
            if head[:1] not in NEXT_FIRST:
                continue
            text = _normalize_space("".join(element.itertext())).translate(ASCII_LOWER)
            if text.startswith(NEXT_WORDS) or text in NEXT_SIGNS:
                found.append(href)
    return found


def _normalize_space(text: str) -> str:
    return XML_SPACE.sub(" ", text).strip(" ")


def signature(response) -> str:
    """Fingerprint of a page's paragraphs, to spot a "next page" that repeats an earlier one."""
    texts = (" ".join(t.split()) for t in PARAGRAPH_TEXTS(response.selector.root))
    return hashlib.sha1("\n".join(t for t in texts if t).encode()).hexdigest()


@dataclass
class Assembly:
    """An article being collected, page after page."""

    first_url: str
    key: str
    start: bool = False
    known: bool = False  # the archive has this article
    known_pages: list[str] = field(default_factory=list)  # the pages of its current version
    pages: list[Page] = field(default_factory=list)
    requested_urls: set[str] = field(default_factory=set)
    signatures: set[str] = field(default_factory=set)
    parts: list[str] | None = None


# Pagination as functions of a page: the spider follows articles with them, the backfill (healtharchive.backfill)
# follows archived captures with them.


def article_key(response) -> str:
    """The article's identity: its rel=canonical on the same site, else its URL made canonical."""
    href = response.xpath("//link[@rel='canonical']/@href").get()
    if href:
        url = response.urljoin(href.strip())
        if same_site(url, response.url) and canonical_url(url).rstrip("/").count("/") > 2:
            return canonical_url(url)
    return canonical_url(response.url)


def part_urls(response, profile: Profile) -> list[str]:
    """The article's parts the profile's ``parts`` rule finds on this page, in order, on this site."""
    urls = [response.urljoin(h) for h in response.xpath(profile.parts).getall()]
    return [u for u in dict.fromkeys(urls) if same_site(u, response.url)]


def first_part(response, profile: Profile) -> str | None:
    """The URL of the article's first part when this page is one of its later parts (the page is among the parts
    its ``parts`` rule finds, but not the first), else None."""
    if not profile.parts:
        return None
    urls = part_urls(response, profile)
    keys = [canonical_url(u) for u in urls]
    here = canonical_url(response.url)
    return urls[0] if here in keys and keys[0] != here else None


def next_page(response, profile: Profile, asm: Assembly, number: int) -> str | None:
    """The URL of the article's next page or part after page ``number`` (``response``), or None on its last page."""
    if profile.parts:
        if asm.parts is None:
            taken = {canonical_url(u) for u in asm.requested_urls} | {canonical_url(response.url)}
            asm.parts = [u for u in part_urls(response, profile) if canonical_url(u) not in taken]
        return asm.parts.pop(0) if asm.parts else None
    if profile.next_page:
        href = response.xpath(profile.next_page).get()
        return response.urljoin(href) if href else None
    first = asm.pages[0].url if asm.pages else response.url
    first_key = canonical_url(first)
    first_path = unquote(urlsplit(first_key).path).rstrip("/")

    def page_of(url: str) -> int | None:
        """The page of this article ``url`` names: a page parameter on its first page's URL, or a page marker
        appended to that URL's path (``/2``, ``/page/2``); None for another article's URL."""
        path = unquote(urlsplit(url).path)
        if not path.startswith(first_path) and "/." not in path:
            return None  # neither the first page's path nor one below it (the cheap test for most of a page's links)
        if canonical_url(url) == first_key:
            return page_number(url)
        return path_page(url, first)

    def candidates():  # lazy: the whole-page link scan runs only when no "next" link fits
        yield from (response.urljoin(h) for h in next_hrefs(response.selector.root))
        # A numbered pager without rel=next: the link to page number + 1 (each href once: navigation repeats).
        wanted = str(number + 1)
        for href in dict.fromkeys(ALL_HREFS(response.selector.root)):
            if may_name_page(href, wanted):
                url = response.urljoin(href)
                if page_of(url) == number + 1:
                    yield url

    for url in candidates():
        if url not in asm.requested_urls and (page_of(url) or 0) > number:
            return url
    return None


def may_name_page(href: str, number: str) -> bool:
    """False when the link ``href``, wherever it sits, cannot lead to page ``number`` (its digits) of an article: a
    page parameter or path marker spells the number, so it is in the href, unless the href is percent-encoded or not
    ASCII, or takes its path (and query) from the page it is on (``""``, ``?sort=new``, ``..``). Exact, and much cheaper
    than joining the href and making it canonical, which the links it lets through still are."""
    if number in href or "%" in href or not href.isascii():
        return True
    path = urlsplit(href).path
    return not path or any(segment in (".", "..") for segment in path.split("/"))


class ArticleSpider(scrapy.Spider):
    """Follows articles through their pages and yields one ``ArticleItem`` per article.

    Subclasses decide where articles come from (``start()``) and whether a center is crawled
    (``scope``: hosts and path prefixes, used for discovery and for counting missed articles).

    A page that cannot be had makes its article ``incomplete`` (``blocked`` when the site refused it: 401, 403,
    451, robots.txt), with a log line; an article known to the archive or listed as a start URL is always
    recorded, a link found on a page that leads nowhere is only counted (``skipped/failed_new_article``,
    ``skipped/blocked``). A 200 is a page of the article only if it is text (not empty, not binary:
    ``crawler/bodies.py``) and, when a later page was redirected, the redirect stayed on the article's host
    and path. An article longer than ``ARTICLE_MAX_PAGES`` is ``incomplete``, with a warning.

    A URL that names a later page of an article is archived from the article's first page: a page parameter
    (``?page=2``) is dropped, and a path marker (``/article/2``) is taken as one only when the page's own
    ``rel=prev`` link proves it.

    Articles found on hubs and pages, and those revisited, wait in the crawl's ``Frontier`` as URLs until the
    scheduler drains (in a distributed run, in the run's frontier in Redis).

    Settings: ``ARTICLE_MAX_PAGES``, ``ARCHIVE_DB`` (articles already archived are revisited and
    their pages requested conditionally).
    Stats: ``healtharchive/start_urls``, ``healtharchive/start_urls_ok``, ``healtharchive/start_urls_failed``,
    ``healtharchive/start_urls_blocked``, ``healtharchive/invalid_pages``, ``healtharchive/truncated_articles``,
    ``healtharchive/skipped/<why>`` (``later_part``: a page that is a later part of an article, handed over to the
    article's first part; ``later_page``: likewise, a later page).
    """

    profile_name = "generic"
    # 304 and 404/410 are outcomes for the archive; any other error status reaches page_failed.
    handle_httpstatus_list = [304, 404, 410]

    def __init__(self, *args, profile: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.args = dict(kwargs, profile=profile) if profile else dict(kwargs)
        self.profile: Profile = load_profile(profile or self.profile_name)
        # article links: on a hub within the profile's article_links area, elsewhere anywhere
        self.link_extractors = {
            hub: Links(
                allow=self.profile.article_allow,
                deny=self.profile.article_deny,
                restrict_xpaths=self.profile.article_links if hub and self.profile.article_links else (),
            )
            for hub in (False, True)
        }
        self.scope: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self.requested: set[str] = set()
        self.assembled: set[str] = set()
        self.archived_pages: dict[str, list[str]] = {}
        self.hubs: set[str] = set()
        self.link_verdicts: tuple = (None, None, {})  # (scope, hubs, {url: article_link(url)}): see article_link
        self.archive = None
        self.frontier: Frontier | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_pages = crawler.settings.getint("ARTICLE_MAX_PAGES")
        try:
            spider.frontier = Frontier.from_crawler(crawler, spider.frontier_request)
        except NotConfigured:
            pass
        return spider

    def scope_dict(self) -> dict | None:
        return {"hosts": list(self.scope[0]), "paths": list(self.scope[1])} if self.scope else None

    def hosts(self) -> list[str] | None:
        """The hosts this crawl takes articles from (its scope's), or None when it may take them from any host."""
        return list(self.scope[0]) if self.scope else None

    def in_scope(self, url: str) -> bool:
        return not self.scope or in_scope(url, *self.scope)

    # the archive's knowledge

    def open_archive(self):
        """Read-only view of the archive, for revisits and validators (None when there is no archive yet). A
        distributed worker has no archive: its scheduler sets ``archive`` to what the ingest published of it
        (``crawler/distributed/knowledge.py``), which answers the same questions."""
        if self.archive is None:
            try:
                self.archive = Archive(self.settings.get("ARCHIVE_DB"), readonly=True)
            except ArchiveError:
                return None
        return self.archive

    def revisits(self):
        """Requests for every live article the archive holds in this crawl's scope (with a frontier, they wait in
        it: none is yielded)."""
        archive = self.open_archive()
        if archive is None or not self.scope:
            return
        if self.frontier is not None:
            for _, url in archive.live_urls(*self.scope):
                self.found(url)  # its pages are read from the archive when its turn comes
            return
        for article in archive.live_articles(*self.scope):
            self.archived_pages[article["url"]] = article["page_urls"]  # [] for an article without a version
            request = self.article_request(article["url"])
            if request:
                yield request

    def validators(self, url: str):
        archive = self.open_archive()
        return archive.validators(url) if archive else (None, None)

    def closed(self, reason):
        if self.archive is not None:
            self.archive.close()

    # requests

    def start_request(self, url: str, callback=None) -> scrapy.Request | None:
        self.crawler.stats.inc_value("healtharchive/start_urls")
        if callback is None:
            return self.article_request(url, start=True)
        return scrapy.Request(url, callback=callback, errback=self.start_failed, meta={"start_url": True})

    def article_request(self, url: str, start: bool = False) -> scrapy.Request | None:
        asm = self.assembly(url, start)
        return self.page_request(asm, asm.first_url, 1) if asm else None

    def found(self, url: str) -> scrapy.Request | None:
        """An article found (on a page, or in the archive): its request, or None when this crawl has it already or
        it waits in the frontier."""
        if self.frontier is None:
            return self.article_request(url)
        key = canonical_url(url)
        if key not in self.requested:
            self.requested.add(key)
            self.frontier.add(key if key == url else url)  # (one string for both when they are equal)
        return None

    def frontier_request(self, url: str) -> scrapy.Request:
        """The request of an article whose turn came in the frontier (``found`` took it for this crawl)."""
        key = canonical_url(url)
        asm = self.new_assembly(url, url if key == url else key)  # (the string ``found`` kept, when it is the key)
        return self.page_request(asm, asm.first_url, 1)

    def assembly(self, url: str, start: bool = False) -> Assembly | None:
        """A new article to collect from ``url``, or None when this crawl has it already."""
        key = canonical_url(url)
        if key in self.requested:
            return None
        self.requested.add(key)
        return self.new_assembly(url, key, start)

    def new_assembly(self, url: str, key: str, start: bool = False) -> Assembly:
        if key not in self.archived_pages and self.open_archive():
            self.archived_pages[key] = self.archive.known_pages(key)
        pages = self.archived_pages.pop(key, None)  # (the assembly keeps them: no need to hold them twice)
        first = key if page_number(url) > 1 else url  # a later page's URL: the article starts at its first page
        asm = Assembly(first_url=first, key=key, start=start, known=pages is not None, known_pages=pages or [])
        asm.requested_urls.add(first)
        return asm

    def page_request(self, asm: Assembly, url: str, number: int, conditional: bool = True) -> scrapy.Request:
        meta = {}
        if conditional and asm.known_pages:
            meta["validators"] = self.validators(url)
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            meta=meta,
            cb_kwargs={"asm": asm, "number": number},
            dont_filter=True,
        )

    def start_failed(self, failure):
        self.start_lost(failure.request.url, _why(failure), _blocked(failure))

    def start_lost(self, url: str, why: str, blocked: bool = False):
        """A start URL (a hub, or a listed article's first page) that gave nothing: counted and logged."""
        self.crawler.stats.inc_value(
            "healtharchive/start_urls_blocked" if blocked else "healtharchive/start_urls_failed"
        )
        self.logger.error("start URL %s: %s: %s", "blocked" if blocked else "failed", url, why)

    # discovery

    def discover(self, response, hub: bool = False):
        """Articles for the in-scope links of a hub or article page (center crawls only), each as its request or
        waiting in the frontier (``found``). On an article's
        first page, links to its own later pages (``/2``, ``/page/2``) and its ``rel=next``/``rel=prev`` links (its
        pagination, whatever their query says: ``?sort=recent``) are its pages, not articles."""
        if not self.scope or not isinstance(response, HtmlResponse):
            return
        paging = None
        for link in self.link_extractors[hub].extract_links(response):
            if not self.article_link(link.url):
                continue
            if not hub:
                if paging is None:
                    paging = {response.urljoin(h) for h in response.xpath(REL_PAGING).getall()}
                if link.url in paging or path_page(link.url, response.url) is not None:
                    continue  # the article's own pagination
            request = self.found(link.url)
            if request:
                yield request

    def article_link(self, url: str) -> bool:
        """True when a link to ``url`` may be an article of this crawl: in its scope, not one of its hubs. Remembered
        per URL (most of a page's links were on the page before), for as long as the scope and hubs stay the same."""
        if self.link_verdicts[0] is not self.scope or self.link_verdicts[1] is not self.hubs:
            self.link_verdicts = (self.scope, self.hubs, {})
        return remembered(self.link_verdicts[2], url, lambda u: self.in_scope(u) and canonical_url(u) not in self.hubs)

    def parse_hub(self, response):
        """A hub page: discover its articles, then follow the hub's own pagination."""
        if response.status != 200 or not isinstance(response, HtmlResponse):
            why = f"answered {response.status}" if response.status != 200 else "not an HTML page"
            if response.meta.get("start_url"):
                self.start_lost(response.url, why)
            else:
                self.logger.warning("hub page %s %s", response.url, why)
            return
        if response.meta.get("start_url"):
            self.crawler.stats.inc_value("healtharchive/start_urls_ok")
        yield from self.discover(response, hub=True)
        for href in next_hrefs(response.selector.root):
            url = response.urljoin(href)
            if canonical_url(url) == canonical_url(response.url) and page_number(url) > page_number(response.url):
                yield scrapy.Request(url, callback=self.parse_hub)
                break

    # the pages of an article

    def parse_page(self, response, asm: Assembly, number: int, checked: bool = False):
        page = Page(
            url=response.url,
            number=number,
            status=response.status,
            fetched_at=utcnow(),
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            warc=response.meta.get("warc"),
        )
        if response.status in (404, 410):
            if number > 1:
                yield from self.page_lost(asm, number, response.url, f"answered {response.status}", page)
                return
            asm.pages.append(page)
            if asm.start:
                self.crawler.stats.inc_value("healtharchive/start_urls_gone")
                self.logger.warning("start URL answered %d: %s", response.status, response.url)
            elif asm.known:
                self.logger.info("gone (answered %d): %s", response.status, response.url)
            yield self.item(asm, "gone")
            return
        if response.status == 304:
            if number == 1 and asm.start:
                self.crawler.stats.inc_value("healtharchive/start_urls_ok")
            page.not_modified = True
            asm.pages.append(page)
            next_url = asm.known_pages[number] if number < len(asm.known_pages) else None
        else:
            if not isinstance(response, HtmlResponse):
                self.skip(response.url, "not_html")
                yield from self.page_lost(asm, number, response.url, "is not an HTML page", page, quiet=True)
                return
            response = readable(response)
            why = problem(response) or (self.left_article(response, asm) if number > 1 else None)
            if why:
                self.crawler.stats.inc_value("healtharchive/invalid_pages")
                yield from self.page_lost(asm, number, response.url, why, page)
                return
            if number == 1:
                if not self.in_scope(response.url):
                    self.skip(response.url, "out_of_scope")  # e.g. redirected away from the center
                    yield from self.page_lost(asm, number, response.url, "left the center", page, quiet=True)
                    return
                first = self.first_part(response)
                if first:  # a later part of an article (a tab linked on its own): the article starts at its first
                    self.skip(response.url, "later_part")
                    request = self.article_request(first, start=asm.start)
                    if request:
                        yield request
                    return
                first = None if checked else self.first_page_hint(response)
                if first:  # a later page of another article? Its first page says.
                    yield scrapy.Request(
                        first,
                        callback=self.check_first_page,
                        errback=self.first_page_failed,
                        cb_kwargs={"later": response, "asm": asm},
                        dont_filter=True,
                    )
                    return
                if asm.start:  # (a listed later part or page counts on its article's first page)
                    self.crawler.stats.inc_value("healtharchive/start_urls_ok")
                key = self.article_key(response)
                asm.key = asm.key if key == asm.key else key  # (one string for the crawl's two sets of keys)
                if asm.key in self.assembled:
                    self.skip(response.url, "duplicate")
                    return
                self.assembled.add(asm.key)
                yield from self.discover(response)
            # A later page's fingerprint is checked against the earlier pages'; page 1's is taken only when a page
            # follows it (most articles have one page, and nothing compares it then).
            fingerprint = signature(response) if number > 1 else None
            if fingerprint in asm.signatures:
                self.skip(response.url, "repeated_page")
                if len(asm.known_pages) > len(asm.pages):  # the archive has pages this server no longer gives
                    yield from self.page_lost(asm, number, response.url, "repeats an earlier page", page)
                else:
                    yield from self.finish(asm)
                return
            page.html = response.text
            asm.pages.append(page)
            next_url = self.next_page(response, asm, number)
            if next_url and next_url not in asm.requested_urls:
                asm.signatures.add(fingerprint or signature(response))
        if next_url and next_url not in asm.requested_urls:
            if len(asm.pages) >= self.max_pages:
                yield from self.cut(asm, next_url)
                return
            asm.requested_urls.add(next_url)
            yield self.page_request(asm, next_url, number + 1)
        else:
            yield from self.finish(asm)

    def left_article(self, response, asm: Assembly) -> str | None:
        """Why a later page that was redirected is not a page of this article (another host, or a path that is
        neither the page's own nor under the article's), or None."""
        redirects = response.meta.get("redirect_urls")
        if not redirects:
            return None
        if host_of(response.url) != host_of(asm.pages[0].url):
            return f"was redirected to another site: {response.url}"
        path = urlsplit(response.url).path.rstrip("/")
        asked = urlsplit(redirects[0]).path.rstrip("/")
        base = urlsplit(asm.pages[0].url).path.rstrip("/")
        if path != asked and not path.startswith(base + "/"):
            return f"was redirected away from the article: {response.url}"
        return None

    def first_page_hint(self, response) -> str | None:
        """The first page this page claims to follow: its URL ends with a page marker (``/2``, ``/page/2``) and its
        ``rel=prev`` link is the URL without it (page 2) or with the marker before (page N). Only a hint, which
        the first page's own links must confirm (``check_first_page``): a book's "previous page" looks the same."""
        parts = urlsplit(response.url)
        marker = PAGE_MARKER.search(parts.path)
        if not marker or int(marker.group(1)) < 2:
            return None
        number = int(marker.group(1))
        first = urlunsplit(parts._replace(path=parts.path[: marker.start()] or "/"))
        for href in response.xpath(PREV_LINKS).getall():
            prev = response.urljoin(href.strip())
            if (canonical_url(prev) == canonical_url(first)) if number == 2 else (path_page(prev, first) == number - 1):
                return first
        return None

    def check_first_page(self, response, later, asm: Assembly):
        """``response`` is the page ``later`` (page 1 of ``asm`` so far) claimed to follow. Pagination proves the claim
        when this page's "next" link is its own ``/2`` and it links to ``later``: the article is then archived from
        it. Otherwise (a book's parent, a listing that links to its items) ``later`` is an article of its own."""
        proven = False
        if response.status == 200 and isinstance(response, HtmlResponse) and path_page(later.url, response.url):
            nexts = [response.urljoin(h) for h in next_hrefs(response.selector.root)]
            if any(path_page(url, response.url) == 2 for url in nexts):
                links = {canonical_url(response.urljoin(h)) for h in response.xpath("//a/@href").getall()}
                proven = canonical_url(later.url) in links | {canonical_url(url) for url in nexts}
        if proven:
            self.skip(later.url, "later_page")
            first = self.assembly(response.url, asm.start)
            if first:  # (else the article is being archived from its first page already)
                yield from self.parse_page(response, first, 1, checked=True)
        else:
            yield from self.parse_page(later, asm, 1, checked=True)

    def first_page_failed(self, failure):
        kwargs = failure.request.cb_kwargs
        yield from self.parse_page(kwargs["later"], kwargs["asm"], 1, checked=True)

    def cut(self, asm: Assembly, next_url: str):
        """The article has more pages than ``ARTICLE_MAX_PAGES``: ``incomplete``, with a warning."""
        self.crawler.stats.inc_value("healtharchive/truncated_articles")
        why = f"not fetched: the article has more than {self.max_pages} pages (ARTICLE_MAX_PAGES)"
        page = Page(url=next_url, number=len(asm.pages) + 1, error=why)
        self.logger.warning(
            "%s has more than %d pages (ARTICLE_MAX_PAGES): recorded as incomplete", asm.key, self.max_pages
        )
        asm.pages.append(page)
        yield self.item(asm, "incomplete")

    def article_key(self, response) -> str:
        return article_key(response)

    def part_urls(self, response) -> list[str]:
        return part_urls(response, self.profile)

    def first_part(self, response) -> str | None:
        return first_part(response, self.profile)

    def next_page(self, response, asm: Assembly, number: int) -> str | None:
        return next_page(response, self.profile, asm, number)

    def page_failed(self, failure):
        request = failure.request
        asm, number = request.cb_kwargs["asm"], request.cb_kwargs["number"]
        status = failure.value.response.status if failure.check(HttpError) else None
        url = request.url if status is not None else (request.meta.get("redirect_urls") or [request.url])[0]
        page = Page(url=url, number=number, status=status, fetched_at=utcnow())
        if status is not None:
            page.warc = request.meta.get("warc")  # the error page's WARC record
        return list(self.page_lost(asm, number, url, _why(failure), page, blocked=_blocked(failure)))

    def page_lost(self, asm: Assembly, number: int, url: str, why: str, page: Page, blocked=False, quiet=False):
        """Page ``number`` of an article could not be had (``why``): the article is ``incomplete``, or ``blocked``.
        Recorded when the archive knows the article or it was listed; a link found on a page is only counted
        (``quiet``: a link that turned out not to be an article, logged at debug level)."""
        if number == 1 and asm.start and not asm.pages:
            self.start_lost(url, why, blocked)
        elif number == 1 and not asm.known:
            self.skip(url, "blocked" if blocked else "failed_new_article")
            if not (quiet or blocked):
                self.logger.warning("%s %s", url, why)
            return
        else:
            self.logger.warning("page %d of %s %s", number, asm.first_url, why)
        page.error = why
        asm.pages.append(page)
        yield self.item(asm, "blocked" if blocked else "incomplete")

    def finish(self, asm: Assembly):
        """Emit the article, fetching again in full any page that answered 304 when another page changed."""
        stale = [p for p in asm.pages if p.not_modified]
        if stale and len(stale) < len(asm.pages):
            page = stale[0]
            yield scrapy.Request(
                page.url,
                callback=self.parse_refetch,
                errback=self.page_failed,
                dont_filter=True,
                cb_kwargs={"asm": asm, "number": page.number},
            )
            return
        yield self.item(asm, "not_modified" if stale else "ok")

    def parse_refetch(self, response, asm: Assembly, number: int):
        if response.status != 200 or not isinstance(response, HtmlResponse):
            why = f"answered {response.status}" if response.status != 200 else "is not an HTML page"
            page = Page(url=response.url, number=number, status=response.status, fetched_at=utcnow())
            page.warc = response.meta.get("warc")
            yield from self.page_lost(asm, number, response.url, why, page)
            return
        page = next(p for p in asm.pages if p.number == number)
        page.status, page.html, page.not_modified, page.fetched_at = 200, response.text, False, utcnow()
        page.etag, page.last_modified = _header(response, b"ETag"), _header(response, b"Last-Modified")
        page.warc = response.meta.get("warc")
        yield from self.finish(asm)

    def item(self, asm: Assembly, state: str) -> ArticleItem:
        return ArticleItem(
            url=asm.key, spider=self.name, profile=self.profile.name, state=state, pages=asm.pages, listed=asm.start
        )

    def skip(self, url: str, why: str):
        self.crawler.stats.inc_value(f"healtharchive/skipped/{why}")
        self.logger.debug("skipped (%s): %s", why, url)


def _blocked(failure) -> bool:
    """True when the site refused the crawler (robots.txt, 401, 403, 451)."""
    if failure.check(Disallowed):
        return True
    return bool(failure.check(HttpError)) and failure.value.response.status in BLOCKED_STATUSES


def _why(failure) -> str:
    """What went wrong with a request, in a few words."""
    if failure.check(Disallowed):
        return "is disallowed by robots.txt"
    if failure.check(HttpError):
        response = failure.value.response
        location = _header(response, b"Location") if 300 <= response.status < 400 else None
        if location:  # not followed: too many redirects, or not to http(s)
            return f"answered {response.status}: a redirect to {location[:100]} that is not followed"
        return f"answered {response.status}"
    message = failure.getErrorMessage().strip()
    return f"failed: {failure.type.__name__}" + (f": {message}" if message else "")


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
