"""``scrapy crawl nhs``: the NHS health A to Z (www.nhs.uk/conditions/), with the ``nhs`` profile.

A condition is one article: its overview ``/conditions/<slug>/`` (its identity, the only page discovery
takes as an article) and, for long guides, the sub-pages listed by the guide's contents list
(``/conditions/<slug>/symptoms/``, ``.../treatment/`` ...), fetched in order and merged.
Hub: ``/conditions/``; sitemaps: those robots.txt lists (sub-pages in them are not taken as articles).

Checked against a saved page: nothing; there is no saved NHS page. The URL structure is NHS's public one and
the markup rules use the public NHS.UK design system (nhsuk-frontend's contents list, pagination, review
date, breadcrumb, header and footer), not a page seen here. Tested on hand-made pages in that structure
(``tests/files/nhs/``), including a crawl with sitemap discovery served on 127.0.0.1 (``tests/test_sites.py``).
"""

from crawler.sitemaps import SiteSpider


class NHSSpider(SiteSpider):
    name = "nhs"
    profile_name = "nhs"
