"""``scrapy crawl clevelandclinic``: the Cleveland Clinic Health Library and Health Essentials.

Articles are single pages: ``my.clevelandclinic.org/health/<kind>/<id>-<slug>`` (kinds: diseases,
treatments, procedures, diagnostics, symptoms, body, articles, drugs) and
``health.clevelandclinic.org/<slug>``. Hubs: the library's index page of each kind and the Health
Essentials home; sitemaps: those each host's robots.txt lists.

Checked against a saved page: ``../shared/fixtures/health-dev/wcxb-0027-health-clevelandclinic-org.html``
(a Health Essentials article): the ``data-identity`` boxes the profile prunes (ads, ad policy, sidebar
callouts, related cards, share buttons), the editorial-process line, rel=canonical, and that no pagination
rule fires. Not checked: Health Library pages and the index pages (no saved page); the text-anchored rules
of the profile do not depend on their markup.
"""

from crawler.sitemaps import SiteSpider


class ClevelandClinicSpider(SiteSpider):
    name = "clevelandclinic"
    profile_name = "clevelandclinic"
