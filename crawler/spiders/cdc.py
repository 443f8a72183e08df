"""``scrapy crawl cdc``: CDC topic pages (www.cdc.gov), with the ``cdc`` profile.

Articles are the single pages of CDC's topics (``/<topic>/.../<page>.html`` and legacy ``.htm`` pages, English:
not ``/es/`` or ``/spanish/``); the hub is the A-Z ``/health-topics.html``; sitemaps: the index
``/wcms-auto-sitemap-index.xml`` and its per-topic sitemaps.

Checked against real saved pages: the 2024 template (``wcxb-0074-cdc-gov.html`` in ``../shared/fixtures/health-dev/``:
the ``noindex`` class on every container that is not content, ``cdc:last_reviewed``) and the 2020 template
(``tests/files/cdc/``: its date bar, share bar, related pages, language bar), and the article rules against 46,044
URLs CDC's sitemaps listed in December 2024. Not checked: the A-Z page (no saved copy).
"""

from crawler.sitemaps import SiteSpider


class CDCSpider(SiteSpider):
    name = "cdc"
    profile_name = "cdc"
