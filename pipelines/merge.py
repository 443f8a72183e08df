"""Merge the pages of a multi-page article into one document."""

from collections import Counter

from archive.text import normalize_text
from pipelines.extract import is_clutter
from pipelines.structure import LOOSE, OUTSIDE

_META = ("author", "date", "description", "reviewed_by", "reviewed_on")


def _key(text: str) -> str:
    """Comparison key: normalised, case-folded text."""
    return normalize_text(text).casefold()


def merge_pages(pages: list[dict]) -> dict:
    """Merge ``extract_page`` results (in page order) into one article.

    Drops pager text and "(continued)" headings, headings equal to the title or already
    seen (the article title repeated on every page), and, for multi-page articles, the
    pages' template: a non-heading block that appears on 2+ pages and, on every page that
    has it, frames the page's own text (before or after it: a video teaser at the top of
    every page) or sits in a box of the page (``structure``'s slot: not loose, or outside
    the article). A sentence the article says on two pages, among its own text, stays.
    Each metadata field takes the first non-empty value in page order. ``pages`` lists the page (1, 2, ... in
    the order given) each kept block comes from, ``slots`` its ``structure.locate`` slot (None when the page had none).
    """
    numbered = [(n, p) for n, p in enumerate(pages, start=1) if p]
    pages = [p for _, p in numbered]
    seen_on = Counter()
    for page in pages:
        seen_on.update({_key(t) for k, t in page.get("blocks", ()) if k != "h"})
    repeated = {key for key, n in seen_on.items() if n > 1} if len(pages) > 1 else set()
    template = repeated - {key for page in pages for key in _inside(page, repeated)}
    title = next((p["title"] for p in pages if p.get("title")), None)
    blocks, block_pages, block_slots, heads = [], [], [], {_key(title)} if title else set()
    for number, page in numbered:
        page_blocks = page.get("blocks", ())
        slots = page.get("slots") or ()
        slots = slots if len(slots) == len(page_blocks) else [None] * len(page_blocks)
        for (kind, text), slot in zip(page_blocks, slots):
            key = _key(text)
            if is_clutter((kind, text)):
                continue
            if kind == "h":
                if key in heads:
                    continue
                heads.add(key)
            elif key in template:
                continue
            blocks.append((kind, text))
            block_pages.append(number)
            block_slots.append(slot)
    out = {"title": title, "blocks": blocks, "pages": block_pages, "slots": block_slots}
    for field in _META:
        out[field] = next((p[field] for p in pages if p.get(field)), None)
    return out


def _inside(page: dict, repeated: set) -> set:
    """The keys of ``repeated`` that ``page`` holds among its own text: loose in the article, between two of its
    blocks found on no other page."""
    blocks = list(page.get("blocks", ()))
    slots = page.get("slots") or ()
    slots = slots if len(slots) == len(blocks) else [None] * len(blocks)
    own = [i for i, (kind, text) in enumerate(blocks) if kind != "h" and _key(text) not in repeated]
    if not own:
        return set()
    return {
        _key(text)
        for i, ((kind, text), slot) in enumerate(zip(blocks, slots))
        if own[0] < i < own[-1] and kind != "h" and (slot is None or (slot[LOOSE] and not slot[OUTSIDE]))
    } & repeated
