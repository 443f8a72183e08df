"""``scrapy crawl pages -a urls_file=FILE [-a profile=NAME]``: archive exactly the listed article URLs.

Each URL (one per line; blank lines and ``#`` comments ignored) is followed through its own pages on
its own host. A profile brings its cleaning and pagination rules, not its host scope.
"""

from pathlib import Path

from crawler.articles import ArticleSpider


def read_urls(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read urls_file {path}: {exc.strerror}") from exc
    urls = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    bad = [u for u in urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise ValueError(f"urls_file {path}: not an http(s) URL: {bad[0]}")
    return urls


class PagesSpider(ArticleSpider):
    name = "pages"

    def __init__(self, urls_file: str | None = None, **kwargs):
        if not urls_file:
            raise ValueError("pages needs a list of URLs: -a urls_file=FILE")
        super().__init__(urls_file=urls_file, **kwargs)
        self.urls = read_urls(urls_file)

    async def start(self):
        for url in self.urls:
            request = self.start_request(url)
            if request:
                yield request
