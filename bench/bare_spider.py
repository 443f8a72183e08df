"""The baseline for bench/throughput.py: fetch the same pages as ``scrapy crawl healthcenter``, keep nothing.

Run: scrapy runspider bench/bare_spider.py -a start_url=HUB (from the repository root, so the project's
download settings apply: robots.txt, concurrency, timeouts). It fetches the hub, every article linked from
it and each article's further pages, found the same way (the next-page link on the page before), parses
each page (lxml, as any Scrapy spider does) and keeps nothing: no item pipelines, no extensions.
"""

from urllib.parse import urlsplit

import scrapy
from scrapy.linkextractors import LinkExtractor

from crawler.articles import NEXT_LINKS


class BareSpider(scrapy.Spider):
    name = "bare"
    # Keep nothing: no item pipelines, no WARC writer, no progress extension.
    custom_settings = {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {},
        "WARC_ENABLED": False,
        "DOWNLOADER_MIDDLEWARES": {"crawler.warc.WarcWriter": None},
    }

    def __init__(self, start_url=None, **kwargs):
        super().__init__(**kwargs)
        self.start_url = start_url
        self.links = LinkExtractor(allow=["/breast-cancer/"], deny=[r"/default\.htm$"])

    async def start(self):
        yield scrapy.Request(self.start_url, callback=self.parse_hub)

    def parse_hub(self, response):
        for link in self.links.extract_links(response):
            if urlsplit(link.url).netloc != urlsplit(self.start_url).netloc:
                continue  # share buttons and the like: the archiving spider stays on the center's host too
            yield scrapy.Request(link.url, callback=self.parse_page, cb_kwargs={"number": 1})

    def parse_page(self, response, number):
        if number == 1:  # links to other articles, as the archiving spider discovers them (duplicates filtered)
            yield from self.parse_hub(response)
        base = response.url.split("?")[0]
        for href in response.xpath(NEXT_LINKS).getall():
            url = response.urljoin(href)
            if url.split("?")[0].rstrip("/0123456789") == base.rstrip("/0123456789") and url != response.url:
                yield scrapy.Request(url, callback=self.parse_page, cb_kwargs={"number": number + 1})
                break
