"""``scrapy crawl webmd``: WebMD's health centers, with the ``webmd`` profile.

Checked against a saved page: the classic health-center article template (pager ``1 | 2 | 3 Next
Page >`` with ``?page=N`` links, "Today on WebMD", font-size widget), in
``../shared/fixtures/health-dev/rdb-webmd-1-peanut-allergy-page1of5.html``. The hub URLs are WebMD's
public ``/<center>/default.htm`` pages; their current markup was not checked here (no internet).
"""

from crawler.spiders.healthcenter import HealthCenterSpider


class WebMDSpider(HealthCenterSpider):
    name = "webmd"
    profile_name = "webmd"

    def __init__(self, **kwargs):
        kwargs.setdefault("profile", self.profile_name)
        super().__init__(**kwargs)
