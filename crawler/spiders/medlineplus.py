"""``scrapy crawl medlineplus``: MedlinePlus health topics, with the ``medlineplus`` profile.

A health topic is one page (``https://medlineplus.gov/<topic>.html``); the hubs are the A-Z lists
(``healthtopics_a.html`` ... ``healthtopics_xyz.html``); sitemaps: those robots.txt lists.

Checked against a saved page: nothing; there is no saved MedlinePlus page. The URL structure and the A-Z
pages are MedlinePlus's public ones; the clutter rules are anchored on the text MedlinePlus shows, not on
its markup. Tested on a hand-made page in that structure (``tests/files/medlineplus/``).
"""

from crawler.sitemaps import SiteSpider


class MedlinePlusSpider(SiteSpider):
    name = "medlineplus"
    profile_name = "medlineplus"
