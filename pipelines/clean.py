"""Clean an article: the one recipe that the crawl, ``reextract``, ``genspider`` and the benchmarks share.

1. ``clean_pages``: every page through ``extract.extract_page`` (metadata from the first page only: later pages
   repeat it), then ``merge.merge_pages`` into one article; the date the article says it was reviewed or updated
   from its first page (``reviewed.reviewed_on``, an ISO date). Pure, picklable: the crawl runs it in worker processes.
2. ``without_chrome``: the site's chrome blocks (``chrome.SiteChrome``) dropped. The crawl runs it in its archive
   pipeline, where the site's chrome is learned across articles.

``clean_article`` is both steps for callers that have all pages at hand. ``extract`` is read through the module
at call time, so a replaced extractor (a test's, or an upgrade's) is the one used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.text import blocks as text_blocks

from . import extract
from .chrome import SiteChrome
from .merge import merge_pages
from .reviewed import ReviewRules, reviewed_on


@dataclass
class Cleaned:
    """A cleaned article: its title, its blocks [(kind, text)], its metadata (author, date, reviewed_on ...) and
    the page (1, 2, ...) each block comes from (``pages``, parallel to ``blocks``; empty when unknown)."""

    title: str | None = None
    blocks: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    pages: list = field(default_factory=list)
    titles: list = field(default_factory=list)  # each page's own title, for pipelines.validity

    @property
    def text(self) -> str:
        return blocks_to_text(self.blocks)

    def page_starts(self, page_count: int) -> list[int] | None:
        """Where each of the article's ``page_count`` pages starts in ``text``: the index of its first block
        (blocks as ``archive.text.blocks`` splits the text); a page that kept no block starts where the next one
        does. None when the blocks' pages are not known."""
        if not self.blocks or len(self.pages) != len(self.blocks):
            return None
        first: dict[int, int] = {}
        index = 0
        for block, page in zip(self.blocks, self.pages):
            first.setdefault(page, index)
            index += len(text_blocks(blocks_to_text([block])))
        starts, start = [], index
        for page in range(max(page_count, max(self.pages)), 0, -1):
            start = first.get(page, start)
            starts.append(start)
        return starts[::-1]


def blocks_to_text(blocks) -> str:
    """The archived text: one block per paragraph, separated by a blank line; list items prefixed with "- ";
    headings, paragraphs, quotes and table rows ("cell" blocks, cells joined by " | ") as they are."""
    return "\n\n".join(("- " + text) if kind == "li" else text for kind, text in blocks)


def clean_pages(pages, prune: tuple[str, ...] = (), review: ReviewRules | None = None) -> Cleaned:
    """``pages``: [(url, html)] of one article in page order -> the merged article, chrome not yet removed.
    ``review``: the site's places for its review date (its profile's ``review_date``); the generic ones when None."""
    extracted = [extract.extract_page(html, url, tuple(prune), i == 0) for i, (url, html) in enumerate(pages)]
    merged = merge_pages(extracted)
    merged["reviewed_on"] = reviewed_on(pages[0][1], review) if pages else None
    meta = {k: v for k, v in merged.items() if k not in ("title", "blocks", "pages") and v}
    titles = [(page or {}).get("title") for page in extracted]
    return Cleaned(merged["title"], merged["blocks"], meta, merged["pages"], titles)


def without_chrome(article: Cleaned, chrome: SiteChrome | None, host: str) -> Cleaned:
    if chrome is None:
        return article
    pages = article.pages if len(article.pages) == len(article.blocks) else [None] * len(article.blocks)
    kept = [(block, page) for block, page in zip(article.blocks, pages) if chrome.strip(host, [block])]
    return Cleaned(
        article.title,
        [block for block, _ in kept],
        article.meta,
        [page for _, page in kept] if article.pages else [],
        article.titles,
    )


def clean_article(
    pages,
    prune: tuple[str, ...] = (),
    chrome: SiteChrome | None = None,
    host: str = "",
    review: ReviewRules | None = None,
) -> Cleaned:
    """Both steps: ``pages`` [(url, html)] in page order -> the article as the archive stores it."""
    return without_chrome(clean_pages(pages, prune, review), chrome, host)
