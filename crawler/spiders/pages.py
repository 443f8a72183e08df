"""``scrapy crawl pages -a urls_file=FILE [-a profile=NAME]``: archive exactly the listed article URLs.

Each URL (one per line; blank lines and ``#`` comments ignored) is followed through its own pages on
its own host. A profile brings its cleaning and pagination rules, not its host scope. A line that is not an
http(s) URL (``http://[::1``, ``file:///etc/passwd``) is reported and skipped, and the crawl's exit status
says so (``healtharchive/start_urls_malformed``); the other lines are crawled.
"""

from pathlib import Path

from archive.urls import host_of
from crawler.articles import ArticleSpider
from crawler.middlewares import url_problem


def read_urls(path: str) -> tuple[list[str], list[str]]:
    """The URLs listed in ``path``, and a one-line description of each line that is not one."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read urls_file {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    urls, bad = [], []
    for number, line in enumerate(lines, start=1):
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        why = url_problem(url)
        if why:
            bad.append(f"urls_file {path} line {number}: {url[:200]}: {why}: skipped")
        else:
            urls.append(url)
    return urls, bad


class PagesSpider(ArticleSpider):
    name = "pages"

    def __init__(self, urls_file: str | None = None, **kwargs):
        if not urls_file:
            raise ValueError("pages needs a list of URLs: -a urls_file=FILE")
        super().__init__(urls_file=urls_file, **kwargs)
        self.urls, self.malformed = read_urls(urls_file)

    def hosts(self) -> list[str]:
        return sorted({host_of(url) for url in self.urls})

    async def start(self):
        for problem in self.malformed:
            self.crawler.stats.inc_value("healtharchive/start_urls_malformed")
            self.logger.error(problem)
        for url in self.urls:
            request = self.start_request(url)
            if request:
                yield request
