"""``scrapy crawl webmd``: WebMD's health centers, with the ``webmd`` profile.

Articles in two templates, both checked against real saved pages (``tests/files/SOURCES.md``): the classic one
(a pager ``1 | 2 | 3 Next Page >`` with ``?page=N`` links, followed through every page; "Today on WebMD", font-size
widget, sponsor and related-reading boxes) and the current one (the whole article in one HTML file, asides and its
own footer in <article>, JSON-LD lastReviewed). Hubs: the A-Z index ``/a-to-z-guides/health-topics?pg=<letter>``
and the ``/<center>/default.htm`` pages; their current markup was not checked here (no saved copy). robots.txt
(2019) names no sitemap: discovery is from the hubs only.
"""

from crawler.sitemaps import SiteSpider


class WebMDSpider(SiteSpider):
    name = "webmd"
    profile_name = "webmd"
