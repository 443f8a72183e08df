"""Is a cleaned article the article? A 200 that carries an error page is a failed page, never a new version.

The crawl already refuses empty and binary bodies and redirects away from the article (``crawler/bodies.py``,
``crawler/articles.py``); these checks look at the cleaned text, page by page:

- **collapse**: a page whose text shrank to a small fraction of what the same page had in the article's
  current version (made by the same extractor version: another extractor's sizes are not comparable), and
  to a few hundred characters ("this article is being updated", "sorry, the page you
  are looking for cannot be found", a page the extractor lost). Structural: it knows nothing of the wording.
- **not found**: a tiny page, smaller than it was (or new), whose title or text says it was not found (one
  signal among others: generic phrases, looked for only on a tiny page).

Either makes the article ``incomplete``: it keeps its version, and the next good crawl finds it unchanged.
A real rewrite that keeps a few hundred characters or more of a page is never refused. Cost: sums over the
article's blocks, and one indexed query for its current version.
"""

from __future__ import annotations

import re

from archive.text import blocks as text_blocks

SHRUNK = 0.2  # a page keeping less than this share of its last good size ...
TINY = 500  # ... and fewer characters than this has collapsed
NOT_FOUND = re.compile(
    r"\b(?:not found|cannot be found|can[’']?t (?:be )?f(?:i|ou)nd|could ?n[’']?t (?:be )?f(?:i|ou)nd|"
    r"no longer (?:available|exists)|does ?n[’']?t exist|nothing (?:here|found)|page unavailable|404)\b",
    re.I,
)


def page_sizes(blocks, block_pages, page_count: int) -> list[int]:
    """Characters of text each page (1 .. ``page_count``) kept, from an article's blocks and their pages."""
    sizes = [0] * page_count
    for (_, text), page in zip(blocks, block_pages, strict=False):
        if page and 1 <= page <= page_count:
            sizes[page - 1] += len(text)
    return sizes


def stored_sizes(version: dict) -> list[int] | None:
    """Characters of text each page had in an archived version (``queries.current_pages``); None when the
    version does not say where its pages start and has more than one."""
    parts = text_blocks(version["text"])
    count = len(version["page_urls"]) or 1
    starts = version["page_starts"]
    if not starts:
        return [sum(map(len, parts))] if count == 1 else None
    ends = [*starts[1:], len(parts)]
    return [sum(len(b) for b in parts[start:end]) for start, end in zip(starts, ends, strict=False)]


def problem(article, page_count: int, titles, previous: dict | None) -> tuple[int, str] | None:
    """(page number, why) of the first page of ``article`` (a ``clean.Cleaned``, chrome removed) that is not the
    article's, given each page's own title (``titles``) and the article's current version (``previous``, from
    ``queries.current_pages``, or None); None when every page looks like the article."""
    if not article.pages:
        return None
    sizes = page_sizes(article.blocks, article.pages, page_count)
    before = stored_sizes(previous) if previous else None
    for number, size in enumerate(sizes, start=1):
        if size >= TINY:
            continue
        was = before[number - 1] if before and number <= len(before) else None
        if was is not None and size < SHRUNK * was:
            return number, f"has {size} characters of text where it had {was}: not the article"
        if was is not None and size >= was:
            continue  # no smaller than it was: whatever it says, it said it before
        text = " ".join(t for (_, t), p in zip(article.blocks, article.pages, strict=False) if p == number)
        title = titles[number - 1] if number <= len(titles) else None
        if NOT_FOUND.search(f"{title or ''} {text}"):
            return number, "says it was not found: not the article"
    return None
