"""``scrapy crawl cdc``: CDC topic pages (www.cdc.gov), with the ``cdc`` profile.

Articles are the single pages of CDC's topics (``/<topic>/.../<page>.html``, e.g.
``/nutrition/features/healthy-eating-tips.html``); the hub is the A-Z ``/health-topics.html``;
sitemaps: those robots.txt lists.

Checked against a saved page: ``../shared/fixtures/health-dev/wcxb-0074-cdc-gov.html``: the ``noindex``
class CDC puts on every container that is not content (gov banner, header, date bar, "On This Page" rail,
sources and share box, footers), which the profile prunes, rel=canonical, that no pagination rule fires, and
that the page is an article under the profile's rules. Not checked: the A-Z page and the section names the
profile excludes (no saved page).
"""

from crawler.sitemaps import SiteSpider


class CDCSpider(SiteSpider):
    name = "cdc"
    profile_name = "cdc"
