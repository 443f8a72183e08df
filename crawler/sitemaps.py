"""Sitemap discovery for site spiders, with Scrapy's sitemap machinery.

``SitemapDiscovery`` is a mixin for an ``ArticleSpider`` that has a scope. When the profile lists
``sitemap_urls`` (sitemap files, sitemap indexes or ``robots.txt``), the spider reads them as
Scrapy's ``SitemapSpider`` does (``scrapy.utils.sitemap.Sitemap``, ``sitemap_urls_from_robots``,
gzip bodies) and turns every entry that is an article of the site (in scope, allowed by the
profile's ``article_allow``, not denied by ``article_deny``) into ``self.article_request(url)``, so
sitemap entries are deduplicated with hub discovery and followed through all of their pages.
The sitemaps robots.txt lists and the sub-sitemaps of an index are read when they match ``sitemap_follow`` (all of
them when it is empty).

``SiteSpider`` is the base of the per-site spiders (``scrapy crawl mayoclinic``, ``nhs``, ...): a health-center
crawl whose sources of articles are chosen per profile (``discovery``): "hubs" (the profile's start URLs),
"sitemaps" (its ``sitemap_urls``), "topics" and "content_api" (official feeds, ``crawler/feeds.py``). Whatever the
sources, a recrawl revisits every live article the archive holds for the site. Spider arguments:

- ``-a discovery=sitemaps,topics``: these sources instead of the profile's;
- ``-a start_url=URL``: crawl from this hub instead of the profile's start URLs (a mirror or a
  test server); its host joins the profile's scope, the profile's path prefixes still apply;
- ``-a sitemap_url=URL``: read this sitemap (or robots.txt) instead of the profile's; its host
  joins the scope;
- ``-a sitemaps=no``: no sitemap discovery;
- ``-a sitemap_limit=N``: take at most N articles from sitemaps (0: no limit);
- ``-a topics_url=URL``, ``-a topics_file=PATH``, ``-a api_url=URL``: the feeds' addresses (``crawler/feeds.py``);
  a URL's host joins the scope.

Stats: ``healtharchive/sitemaps``, ``healtharchive/sitemap_articles``,
``healtharchive/skipped/sitemap_invalid``, and the feeds' (``crawler/feeds.py``).
"""

import re

import scrapy
from scrapy.http import XmlResponse
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from archive.urls import canonical_url, host_of
from crawler.feeds import ContentApiDiscovery, TopicsDiscovery
from crawler.profiles import DISCOVERY
from crawler.spiders.healthcenter import HealthCenterSpider

MAX_SITEMAP_DEPTH = 4  # index -> index -> ... -> urlset


def sitemap_body(response, max_size: int = 0) -> bytes | None:
    """The XML of a sitemap response (gunzipped if needed), or None if it is not a sitemap."""
    if isinstance(response, XmlResponse):
        return response.body
    if gzip_magic_number(response):
        try:
            return gunzip(response.body, max_size=max_size)
        except Exception:  # corrupt or over the size cap
            return None
    if response.url.endswith((".xml", ".xml.gz")) or response.body.lstrip()[:5] == b"<?xml":
        return response.body
    return None


def _truthy(value) -> bool:
    return str(value).strip().lower() not in ("0", "no", "false", "off", "")


class SitemapDiscovery:
    """Mixin: article requests from the sitemaps in ``self.sitemap_urls`` (default: the profile's)."""

    sitemap_urls: tuple[str, ...] = ()
    sitemap_limit: int = 0
    _sitemap_articles: int = 0  # articles requested from sitemaps so far

    def sitemap_requests(self):
        """Requests for the sitemaps to read (none when sitemap discovery is off)."""
        for url in self.sitemap_urls:
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.sitemap_failed, cb_kwargs={"depth": 0})

    def sitemap_filter(self, entries):
        """Hook, as in ``SitemapSpider``: filter the entries of a sitemap (e.g. by ``lastmod``)."""
        yield from entries

    def sitemap_article(self, url: str) -> bool:
        """True when a sitemap entry is an article of this crawl."""
        if not self.in_scope(url) or canonical_url(url) in self.hubs:
            return False
        if self.profile.article_allow and not any(re.search(p, url) for p in self.profile.article_allow):
            return False
        return not any(re.search(p, url) for p in self.profile.article_deny)

    def parse_sitemap(self, response, depth: int = 0):
        self.crawler.stats.inc_value("healtharchive/sitemaps")
        if response.status != 200:  # the spider lets 404/410 through for articles; a missing sitemap is no error
            self.logger.warning("sitemap %s answered %d", response.url, response.status)
            return
        follow = self.profile.sitemap_follow
        if response.url.endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(response.body, base_url=response.url):
                if not follow or any(re.search(p, url) for p in follow):
                    yield scrapy.Request(
                        url, callback=self.parse_sitemap, errback=self.sitemap_failed, cb_kwargs={"depth": depth + 1}
                    )
            return
        body = sitemap_body(response, self.settings.getint("DOWNLOAD_MAXSIZE"))
        sitemap = None
        if body:
            try:
                sitemap = Sitemap(body)
            except Exception:  # not XML at all
                sitemap = None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            self.skip(response.url, "sitemap_invalid")
            self.logger.warning("ignoring invalid sitemap %s", response.url)
            return
        entries = [e["loc"] for e in self.sitemap_filter(sitemap) if e.get("loc")]
        if sitemap.type == "sitemapindex":
            if depth >= MAX_SITEMAP_DEPTH:
                self.logger.warning("sitemap index nested too deep, not followed: %s", response.url)
                return
            for loc in entries:
                if not follow or any(re.search(p, loc) for p in follow):
                    yield scrapy.Request(
                        loc, callback=self.parse_sitemap, errback=self.sitemap_failed, cb_kwargs={"depth": depth + 1}
                    )
            return
        for loc in entries:
            if self.sitemap_limit and self._sitemap_articles >= self.sitemap_limit:
                return
            if not self.sitemap_article(loc):
                continue
            request = self.article_request(loc)
            if request:
                self._sitemap_articles += 1
                self.crawler.stats.inc_value("healtharchive/sitemap_articles")
                yield request

    def sitemap_failed(self, failure):
        self.logger.warning("sitemap failed: %s: %s", failure.request.url, failure.getErrorMessage())


class SiteSpider(SitemapDiscovery, TopicsDiscovery, ContentApiDiscovery, HealthCenterSpider):
    """A supported site: a center crawl from the sources its profile names (``discovery``); see the module doc.

    Subclasses set ``name`` and ``profile_name`` (the profile in ``crawler/profiles/``).
    """

    profile_name = "generic"

    def __init__(
        self,
        start_url: str | None = None,
        sitemap_url: str | None = None,
        sitemaps: str = "yes",
        sitemap_limit: str | int = 0,
        discovery: str | None = None,
        topics_url: str | None = None,
        topics_file: str | None = None,
        api_url: str | None = None,
        **kwargs,
    ):
        kwargs.setdefault("profile", self.profile_name)
        given = {
            "sitemap_url": sitemap_url,
            "discovery": discovery,
            "topics_url": topics_url,
            "topics_file": topics_file,
            "api_url": api_url,
        }
        super().__init__(start_url=start_url, **{k: v for k, v in given.items() if v}, **kwargs)
        chosen = [d.strip() for d in discovery.split(",") if d.strip()] if discovery else list(self.profile.discovery)
        unknown = [d for d in chosen if d not in DISCOVERY]
        if unknown:
            raise ValueError(f"unknown discovery source {unknown[0]!r}: use any of {', '.join(DISCOVERY)}")
        if not _truthy(sitemaps):
            chosen = [d for d in chosen if d != "sitemaps"]
        self.discovery = tuple(chosen)
        self.sitemap_urls = (sitemap_url,) if sitemap_url else tuple(self.profile.sitemap_urls)
        if "sitemaps" not in self.discovery:
            self.sitemap_urls = ()
        self.sitemap_limit = int(sitemap_limit or 0)
        self.topics_url, self.topics_file, self.api_url = topics_url, topics_file, api_url
        hosts, paths = self.scope
        for url in (start_url, sitemap_url, topics_url, api_url):
            if url and host_of(url) not in hosts:
                hosts += (host_of(url),)  # a mirror or test server of the site
        self.scope = (hosts, paths)

    async def start(self):
        if "hubs" in self.discovery:
            for hub in self.hub_urls:
                yield self.start_request(hub, callback=self.parse_hub)
        for request in self.revisits():
            yield request
        for request in self.sitemap_requests():
            yield request
        if "topics" in self.discovery:
            for request in self.topics_requests():
                yield request
        if "content_api" in self.discovery:
            for request in self.api_requests():
                yield request
