"""``scrapy crawl mayoclinic``: Mayo Clinic's diseases & conditions, with the ``mayoclinic`` profile.

A disease is one article made of its tabs: symptoms-causes (its identity, the only page discovery takes as
an article), then diagnosis-treatment and doctors-departments, fetched as its parts in tab order and merged.
Hubs: the A-Z index (``/diseases-conditions/index?letter=A`` ...); sitemaps: those robots.txt lists.

Checked against a saved page: nothing; there is no saved Mayo Clinic page. The URL structure, the A-Z index
and the tab order are Mayo Clinic's public ones; the markup of the tab bar and of the clutter is not known
here, so the profile finds the parts by their URLs and the clutter by the text Mayo Clinic shows.
Tested on hand-made pages in that structure (``tests/files/mayoclinic/``), including a real crawl served
on 127.0.0.1 (``tests/test_sites.py``).
"""

from crawler.sitemaps import SiteSpider


class MayoClinicSpider(SiteSpider):
    name = "mayoclinic"
    profile_name = "mayoclinic"
