"""Clean an article: the one recipe that the crawl, ``reextract``, ``genspider`` and the benchmarks share.

1. ``clean_pages``: every page through ``extract_one`` (``extract.extract_page``, metadata from the first page only:
   later pages repeat it; where each block sits in the page, ``structure.locate``; on the first page, the date the
   article says it was reviewed or updated, ``reviewed.reviewed_on``), then ``merge.merge_pages`` into one article.
   A page's extraction depends only on its body and the recipe (``recipe``), so a page whose body is the one it had
   last time is not extracted again: ``cached`` gives its earlier extraction (``pipelines/cleaning.py`` keeps them).
   Pure, picklable: the crawl runs it in worker processes.
2. ``without_chrome``: the site's chrome blocks (``chrome.SiteChrome``, told by structure) dropped. The crawl runs it
   in its archive pipeline, where the site's chrome is learned across articles.

``clean_article`` is both steps for callers that have all pages at hand. ``extract`` is read through the module
at call time, so a replaced extractor (a test's, or an upgrade's) is the one used. The extraction's modules (and
trafilatura with them) are imported by the first call that extracts: the crawl process and the archive writer use
this module's other parts, and that import costs each of them 0.13-0.17 s of start-up (the development machine).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from archive.text import blocks as text_blocks
from archive.text import content_hash

from . import extractor
from .chrome import SiteChrome
from .reviewed import ReviewRules, reviewed_on

STRUCTURE_VERSION = "s2"  # bump when structure.locate changes what it returns
# the modules extracting imports at its first call (see the module doc): a cleaning worker imports them as it starts
EXTRACTION = tuple(f"{__package__}.{name}" for name in ("extract", "structure", "merge"))


@dataclass
class Cleaned:
    """A cleaned article: its title, its blocks [(kind, text)], its metadata (author, date, reviewed_on ...), the
    page (1, 2, ...) each block comes from (``pages``, parallel to ``blocks``; empty when unknown) and where it sat
    in its page (``slots``, ``structure.locate``'s, parallel to ``blocks``; empty when unknown)."""

    title: str | None = None
    blocks: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    pages: list = field(default_factory=list)
    titles: list = field(default_factory=list)  # each page's own title, for pipelines.validity
    slots: list = field(default_factory=list)
    extracted: list = field(default_factory=list)  # each page's extraction (``extract_one``), for the cache

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


def recipe(prune: tuple[str, ...] = (), review: ReviewRules | None = None) -> str:
    """What a page's extraction depends on besides its body: the extractor, ``structure``, the profile's rules."""
    return f"{extractor.EXTRACTOR_VERSION}/{STRUCTURE_VERSION}/{content_hash(repr((tuple(prune), review)))[:16]}"


def extract_one(url: str, html: str, prune: tuple[str, ...] = (), review: ReviewRules | None = None, first=True):
    """One page's extraction: ``extract.extract_page``'s dict plus ``slots`` and, for an article's first page,
    ``page_reviewed_on``. Plain data (JSON as it is): the cleaning cache stores it."""
    from . import extract, structure  # (see the module doc)

    page = extract.extract_page(html, url, tuple(prune), first)
    page["blocks"] = [list(block) for block in page["blocks"]]
    page["slots"] = structure.locate(html, page["blocks"])
    if first:
        page["page_reviewed_on"] = reviewed_on(html, review)
    return page


def clean_pages(pages, prune: tuple[str, ...] = (), review: ReviewRules | None = None, cached=None) -> Cleaned:
    """``pages``: [(url, html)] of one article in page order -> the merged article, chrome not yet removed.
    ``review``: the site's places for its review date (its profile's ``review_date``); the generic ones when None.
    ``cached``: per page, its earlier ``extract_one`` under the same ``recipe`` (None: extract it)."""
    from .merge import merge_pages  # (see the module doc)

    cached = cached or [None] * len(pages)
    extracted = [
        cached[i] if cached[i] is not None else extract_one(url, html, prune, review, i == 0)
        for i, (url, html) in enumerate(pages)
    ]
    merged = merge_pages(extracted)
    merged["reviewed_on"] = extracted[0].get("page_reviewed_on") if extracted else None
    meta = {k: v for k, v in merged.items() if k not in ("title", "blocks", "pages", "slots") and v}
    titles = [(page or {}).get("title") for page in extracted]
    blocks = [tuple(block) for block in merged["blocks"]]
    return Cleaned(merged["title"], blocks, meta, merged["pages"], titles, merged["slots"], extracted)


def without_chrome(article: Cleaned, chrome: SiteChrome | None, host: str, kept_in: str | None = None) -> Cleaned:
    """``article`` without the blocks ``chrome`` finds to be the site's chrome. ``kept_in``: the text of the article's
    current version; a block it holds (as many times as it holds it) stays, chrome or not: the chrome learned since
    that version was written does not take text out of it, so the same pages never make a new version."""
    if chrome is None:
        return article
    n = len(article.blocks)
    pages = article.pages if len(article.pages) == n else [None] * n
    slots = article.slots if len(article.slots) == n else [None] * n
    found = [chrome.is_chrome(host, block[0], block[1], slot) for block, slot in zip(article.blocks, slots)]
    held = Counter(text_blocks(kept_in or ""))
    held.subtract(part for block, chrome_ in zip(article.blocks, found) if not chrome_ for part in _parts(block))
    kept = []
    for block, page, slot, chrome_ in zip(article.blocks, pages, slots, found):
        if chrome_:
            parts = _parts(block)
            if not parts or any(held[part] < 1 for part in parts):
                continue
            held.subtract(parts)
        kept.append((block, page, slot))
    return Cleaned(
        article.title,
        [block for block, _, _ in kept],
        article.meta,
        [page for _, page, _ in kept] if article.pages else [],
        article.titles,
        [slot for _, _, slot in kept] if article.slots else [],
    )


def _parts(block) -> list[str]:
    """The blocks of the archived text that ``block`` makes."""
    return text_blocks(blocks_to_text([block]))


def clean_article(
    pages,
    prune: tuple[str, ...] = (),
    chrome: SiteChrome | None = None,
    host: str = "",
    review: ReviewRules | None = None,
) -> Cleaned:
    """Both steps: ``pages`` [(url, html)] in page order -> the article as the archive stores it."""
    return without_chrome(clean_pages(pages, prune, review), chrome, host)
