"""``scrapy crawl healthcenter -a start_url=URL [-a profile=NAME]``: archive one health center.

The crawl starts at the hub, stays on its host under the hub's folder (or the profile's scope), follows
every article found there through all of its pages, and revisits every live article the archive
already holds for the center, so that an article that disappears is seen answering 404.
"""

from posixpath import dirname
from urllib.parse import urlsplit

from archive.urls import canonical_url, host_of
from crawler.articles import ArticleSpider
from crawler.middlewares import url_problem


def center_scope(hub: str, profile) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Hosts and path prefixes of the center whose hub is ``hub``."""
    hosts = tuple(profile.scope_hosts) or (host_of(hub),)
    folder = dirname(urlsplit(hub).path).rstrip("/") + "/"
    return hosts, tuple(profile.scope_paths) or (folder,)


class HealthCenterSpider(ArticleSpider):
    name = "healthcenter"

    def __init__(self, start_url: str | None = None, **kwargs):
        if start_url:
            kwargs["start_url"] = start_url
        super().__init__(**kwargs)
        self.hub_urls = [start_url] if start_url else list(self.profile.start_urls)
        if not self.hub_urls:
            raise ValueError("healthcenter needs a hub: -a start_url=URL (or a profile with start_urls)")
        for url in self.hub_urls:
            why = url_problem(url)
            if why:
                raise ValueError(f"start_url {url}: {why}")
        first = self.hub_urls[0]
        self.scope = center_scope(first, self.profile)
        for hub in self.hub_urls[1:]:
            hosts, paths = center_scope(hub, self.profile)
            self.scope = (tuple(dict.fromkeys(self.scope[0] + hosts)), tuple(dict.fromkeys(self.scope[1] + paths)))
        self.hubs = {canonical_url(u) for u in self.hub_urls}

    async def start(self):
        for hub in self.hub_urls:
            yield self.start_request(hub, callback=self.parse_hub)
        for request in self.revisits():
            yield request
