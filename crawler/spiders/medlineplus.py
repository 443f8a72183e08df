"""``scrapy crawl medlineplus``: MedlinePlus health topics, with the ``medlineplus`` profile.

A health topic is one page (``https://medlineplus.gov/<topic>.html``). Sources: the A-Z lists
(``healthtopics_a.html`` ... ``healthtopics_xyz.html``), the sitemap robots.txt names, and the health topic XML NLM
publishes (``-a topics_file=PATH`` for a downloaded copy: robots.txt disallows /xml/; see ``crawler/feeds.py``).

Checked against real material: the topic XML (a 2012 sample), the 1,112 root pages of the sitemap (December 2024:
which are topics), robots.txt (2019). Not checked: a topic page's markup (none found; tests use a hand-made page
built on the structure public notes give, with the real XML's summary, ``tests/files/medlineplus/``).
"""

from crawler.sitemaps import SiteSpider


class MedlinePlusSpider(SiteSpider):
    name = "medlineplus"
    profile_name = "medlineplus"
