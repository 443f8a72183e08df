"""``scrapy crawl mayoclinic``: Mayo Clinic's diseases & conditions, with the ``mayoclinic`` profile.

A disease is one article made of its tabs in the tab bar's order: symptoms-causes (its identity), then
diagnosis-treatment, doctors-departments and care-at-mayo-clinic, fetched as its parts and merged. A tab reached on its
own (an index entry pointing at diagnosis-treatment) hands over to its disease's first tab. Hubs: the A-Z index
(``/diseases-conditions/index?letter=A`` ...); sitemaps: robots.txt's condition_consolidated_concepts.xml.

Checked against real saved pages: two symptoms-causes tabs, one per template (old: diabetes; new AEM: shingles): the
tab bar (the list holding the current tab, ``aria-current``), the text's container and the boxes around it, the date
(``PublishDate``). Not checked: the other tabs and the A-Z index (hand-made pages in the old template's structure,
``tests/files/mayoclinic/``). Mayo Clinic's CDN is reported to answer 403 to crawlers and its terms restrict automated
reuse (docs/sites.md).
"""

from crawler.sitemaps import SiteSpider


class MayoClinicSpider(SiteSpider):
    name = "mayoclinic"
    profile_name = "mayoclinic"
