"""Merge the pages of a multi-page article into one document."""

from collections import Counter

from archive.text import normalize_text
from pipelines.extract import is_clutter

_META = ("author", "date", "description", "reviewed_by", "reviewed_on")


def _key(text: str) -> str:
    """Comparison key: normalised, case-folded text."""
    return normalize_text(text).casefold()


def merge_pages(pages: list[dict]) -> dict:
    """Merge ``extract_page`` results (in page order) into one article.

    Drops pager text and "(continued)" headings, headings equal to the title or already
    seen (the article title repeated on every page), and, for multi-page articles, any
    non-heading block that appears on 2+ pages (template such as a video teaser at the
    top of every page).
    Each metadata field takes the first non-empty value in page order. ``pages`` lists the page (1, 2, ... in
    the order given) each kept block comes from, ``slots`` its ``structure.locate`` slot (None when the page had none).
    """
    numbered = [(n, p) for n, p in enumerate(pages, start=1) if p]
    pages = [p for _, p in numbered]
    seen_on = Counter()
    for page in pages:
        seen_on.update({_key(t) for k, t in page.get("blocks", ()) if k != "h"})
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
            elif len(pages) > 1 and seen_on[key] > 1:
                continue
            blocks.append((kind, text))
            block_pages.append(number)
            block_slots.append(slot)
    out = {"title": title, "blocks": blocks, "pages": block_pages, "slots": block_slots}
    for field in _META:
        out[field] = next((p[field] for p in pages if p.get(field)), None)
    return out
