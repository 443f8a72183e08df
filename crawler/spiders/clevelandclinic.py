"""``scrapy crawl clevelandclinic``: the Cleveland Clinic Health Library and Health Essentials.

Articles are single pages: ``my.clevelandclinic.org/health/<kind>/<id>-<slug>`` (kinds: diseases,
treatments, procedures, diagnostics, symptoms, body, articles, drugs) and
``health.clevelandclinic.org/<slug>``. Hubs: the library's index page of each kind and the Health
Essentials home; sitemaps: those each host's robots.txt lists.

Checked against a saved page: ``../shared/fixtures/health-dev/wcxb-0027-health-clevelandclinic-org.html``
(a Health Essentials article): the ``data-identity`` boxes the profile prunes (ads, ad policy, sidebar
callouts, related cards, share buttons), the editorial-process line, rel=canonical, that no pagination
rule fires, its date. Not checked: Health Library pages (none found: a hand-made page in the structure a public
scraper's configuration names, ``main-article-content``, with the "Medically Reviewed. Last updated on" line recorded
as the review date), the index pages, robots.txt.
"""

from crawler.sitemaps import SiteSpider


class ClevelandClinicSpider(SiteSpider):
    name = "clevelandclinic"
    profile_name = "clevelandclinic"
