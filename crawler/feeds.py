"""Official feeds as sources of article URLs, for site spiders (``crawler/sitemaps.py``, ``SiteSpider``).

Each source turns the article URLs a site publishes into ``self.article_request(url)`` for every URL that is an
article of the crawl (``self.sitemap_article``: in scope, allowed by the profile's article rules), so they are
deduplicated with hub and sitemap discovery and followed through all of their pages.

- ``TopicsDiscovery`` ("topics"): MedlinePlus's health topic XML (``mplus_topics_YYYY-MM-DD.xml``; every
  ``<health-topic url=...>``). Read from ``-a topics_url=URL`` or the profile's ``topics_index``: the XML itself, or a
  page linking it (medlineplus.gov/xml.html links the day's file: the newest is read); or from ``-a topics_file=PATH``,
  a copy downloaded by hand (MedlinePlus's robots.txt disallows /xml/, and the crawl obeys robots.txt).
- ``ContentApiDiscovery`` ("content_api"): the NHS website content API (``content_api`` of the profile, or
  ``-a api_url=URL``), walked from its A-Z listings (conditions, symptoms, tests and treatments, mental health
  conditions) through their "Next Page" links; an API URL is mapped to its www.nhs.uk page by the listing's own
  ``url``/``webpage`` pair. Only with an API key: the ``NHS_API_KEY`` setting, sent as the ``apikey`` header.

Settings: ``NHS_API_KEY``. Stats: ``healtharchive/topics_articles``, ``healtharchive/api_pages``,
``healtharchive/api_articles``, ``healtharchive/feed_failed``.
"""

import io
import json
import logging
import re
from pathlib import Path
from urllib.parse import urljoin

import scrapy
from lxml import etree
from scrapy.http import HtmlResponse

logger = logging.getLogger(__name__)

TOPICS_FILE = re.compile(r"mplus_topics_(\d{4}-\d{2}-\d{2})\.xml$")
API_LISTINGS = ("conditions/", "symptoms/", "tests-and-treatments/", "mental-health/conditions/")


def topic_urls(body: bytes) -> list[str]:
    """The page URL of every ``<health-topic>`` of a MedlinePlus topic XML, in file order (streamed: the file is
    about 30 MB; its DTD is neither fetched nor read)."""
    urls = []
    parser = etree.iterparse(
        io.BytesIO(body), events=("end",), tag="health-topic", load_dtd=False, no_network=True, resolve_entities=False
    )
    for _, element in parser:
        url = (element.get("url") or "").strip()
        if url:
            urls.append(url)
        element.clear(keep_tail=False)
    return urls


def latest_topics_file(links: list[str]) -> str | None:
    """The newest ``mplus_topics_YYYY-MM-DD.xml`` among ``links`` (absolute URLs), or None."""
    dated = sorted((m.group(1), link) for link in links if (m := TOPICS_FILE.search(link)))
    return dated[-1][1] if dated else None


def api_links(data) -> tuple[list[str], str | None]:
    """(the page links of one content API listing, its "Next Page" link): the listing's results
    (``significantLink``) and, on a hub, the links of its page elements (``mainEntityOfPage``)."""
    links = [link.get("url") for link in data.get("significantLink") or [] if isinstance(link, dict)]

    def elements(node):
        if isinstance(node, list):
            for item in node:
                yield from elements(item)
        elif isinstance(node, dict):
            if node.get("name") == "link" and node.get("url"):
                yield node["url"]
            yield from elements(node.get("mainEntityOfPage") or [])

    links += list(elements(data.get("mainEntityOfPage") or []))
    following = next(
        (
            link.get("url")
            for link in data.get("relatedLink") or []
            if isinstance(link, dict)
            and link.get("linkRelationship") == "Pagination"
            and link.get("name") == "Next Page"
        ),
        None,
    )
    return [u for u in links if u], following


def page_of(api_url: str, api_base: str, site_base: str) -> str | None:
    """The www.nhs.uk page of a content API URL (``api_base`` ... -> ``site_base`` ...), None for another URL."""
    return site_base + api_url[len(api_base) :] if api_url.startswith(api_base) else None


def bases(data, api_root: str) -> tuple[str, str] | None:
    """(API prefix, site prefix) from a listing's ``url`` and ``webpage`` (``.../nhs-website-content/conditions/``
    and ``https://www.nhs.uk/conditions/`` share the path after the prefixes)."""
    url, page = data.get("url") or "", data.get("webpage") or ""
    if not url.startswith(api_root) or not page:
        return None
    tail = url[len(api_root) :]
    return (api_root, page[: len(page) - len(tail)]) if page.endswith(tail) else None


class TopicsDiscovery:
    """Mixin: article requests from MedlinePlus's health topic XML; see the module doc."""

    topics_file: str | None = None
    topics_url: str | None = None

    def topics_requests(self):
        if self.topics_file:
            try:
                body = Path(self.topics_file).read_bytes()
            except OSError as exc:
                raise ValueError(f"cannot read topics_file {self.topics_file}: {exc.strerror}") from exc
            yield from self.topic_articles(body, self.topics_file)
            return
        url = self.topics_url or self.profile.topics_index
        if url:
            yield scrapy.Request(url, callback=self.parse_topics, errback=self.feed_failed)

    def parse_topics(self, response):
        """The topic XML, or a page linking it (xml.html): then the newest file it links."""
        if response.status != 200:
            self.crawler.stats.inc_value("healtharchive/feed_failed")
            logger.warning("topic XML %s answered %d", response.url, response.status)
            return
        if isinstance(response, HtmlResponse):
            url = latest_topics_file([response.urljoin(h) for h in response.xpath("//a/@href").getall()])
            if url is None:
                self.crawler.stats.inc_value("healtharchive/feed_failed")
                logger.warning("no mplus_topics_YYYY-MM-DD.xml link on %s", response.url)
                return
            yield scrapy.Request(url, callback=self.parse_topics, errback=self.feed_failed)
            return
        yield from self.topic_articles(response.body, response.url)

    def topic_articles(self, body: bytes, source: str):
        try:
            urls = topic_urls(body)
        except etree.XMLSyntaxError as exc:
            self.crawler.stats.inc_value("healtharchive/feed_failed")
            logger.warning("ignoring topic XML %s: not readable XML (%s)", source, exc)
            return
        for url in urls:
            if self.sitemap_article(url):
                request = self.article_request(url)
                if request:
                    self.crawler.stats.inc_value("healtharchive/topics_articles")
                    yield request

    def feed_failed(self, failure):
        self.crawler.stats.inc_value("healtharchive/feed_failed")
        hint = ""
        if "/xml/" in failure.request.url:
            hint = " (MedlinePlus's robots.txt disallows /xml/: download the file from xml.html, -a topics_file=PATH)"
        logger.warning("feed failed: %s: %s%s", failure.request.url, failure.getErrorMessage(), hint)


class ContentApiDiscovery:
    """Mixin: article requests from the NHS website content API; see the module doc."""

    api_url: str | None = None

    def api_requests(self):
        key = self.settings.get("NHS_API_KEY")
        root = self.api_url or self.profile.content_api
        if not key or not root:
            logger.info("content_api: no NHS_API_KEY setting, the NHS website content API is not used")
            return
        for listing in API_LISTINGS:
            yield self.api_request(urljoin(root, listing), root, key)

    def api_request(self, url: str, root: str, key: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            headers={"apikey": key, "Accept": "application/json"},
            callback=self.parse_api,
            errback=self.feed_failed,
            cb_kwargs={"root": root, "key": key},
        )

    def parse_api(self, response, root: str, key: str):
        self.crawler.stats.inc_value("healtharchive/api_pages")
        if response.status != 200:
            self.crawler.stats.inc_value("healtharchive/feed_failed")
            logger.warning("content API %s answered %d", response.url, response.status)
            return
        try:
            data = json.loads(response.text)
        except ValueError:
            self.crawler.stats.inc_value("healtharchive/feed_failed")
            logger.warning("ignoring content API answer %s: not JSON", response.url)
            return
        prefixes = bases(data, root) if isinstance(data, dict) else None
        if prefixes is None:
            logger.warning("content API answer %s has no url/webpage pair under %s", response.url, root)
            return
        links, following = api_links(data)
        for link in links:
            page = page_of(link, *prefixes)
            if page and self.sitemap_article(page):
                request = self.article_request(page)
                if request:
                    self.crawler.stats.inc_value("healtharchive/api_articles")
                    yield request
        if following and following.startswith(root):
            yield self.api_request(following, root, key)
