"""``scrapy crawl nhs``: the NHS health A to Z, with the ``nhs`` profile.

A condition is one article: its first page (``/conditions/<slug>/``, ``/mental-health/conditions/<slug>/`` or
``.../<slug>/overview/``) and, for long guides, the sub-pages its contents list names, fetched in order and merged.
Sources: the A-Z hubs (conditions, mental health conditions, symptoms, tests and treatments), the sitemaps robots.txt
lists, and with ``-s NHS_API_KEY=KEY`` the NHS website content API (``crawler/feeds.py``).

Checked against real material: the content API's sample answers (the A-Z's URL forms, sub-pages, review dates),
pages of the retired NHS Choices site (2016; not taken as articles), the 2025 review-date line. Not checked: the
current condition pages' markup (none found; the rules use the public NHS.UK design system, tested on hand-made
pages, ``tests/files/nhs/``), robots.txt and sitemaps.
"""

from crawler.sitemaps import SiteSpider


class NHSSpider(SiteSpider):
    name = "nhs"
    profile_name = "nhs"
