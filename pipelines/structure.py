"""Where each block of a page's text sits in the page: the structure that tells a site's chrome from its text.

``locate(html, blocks)`` finds, for each block ``extract.extract_page`` kept, the element of the page that holds its
text (by its whitespace-normalised text) and describes it as a ``Slot`` (a list, so it travels as JSON):

- ``box``: the signature of the box the block sits in: the article's main container and, below it, the element on
  the way to the block (tag and sorted class names each, ``"div.b2k>div.qz7.t0"``). The main container is the
  deepest element that holds at least 80% of the located text and more than one block (a sidebar or a footer that
  the extraction kept holds little; an article split around an ad stays one). A block directly in the main container, or in a list,
  table or quotation directly in it (the text's own structures), is its own box (``loose``). The signature names a place in the site's template, not the text: it is the same on every
  article of a site built from one template, whatever the class names mean.
- ``box_no``: which box of the page it is (blocks of one box share it).
- ``loose``: True when the block is its own box.
- ``outside``: True when the block lies outside the main container (a sidebar, a footer that the extraction kept).
- ``links``: the share of the block's own text that is link text.
- ``box_links``: the share of its box's text that is link text (at least ``LINK_ONLY`` when the box holds a link
  with no text of its own, such as an image link: the box still points elsewhere).
- ``box_share``: the box's share of the page's located text.

A block that cannot be found has ``None`` for a slot: nothing structural is known of it, so it is never chrome by
structure. Pure and picklable: it runs in the cleaning workers, once per page.
"""

from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html

from .parse import parser

_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dd", "dt", "tr"}
_LEAF_TAGS = {"div", "span", "section", "figcaption", "caption", "a", "b", "strong", "em", "label"}
_CANDIDATES = tuple(sorted(_BLOCK_TAGS | _LEAF_TAGS))
_TEXT_STRUCTURES = {"ul", "ol", "dl", "table", "thead", "tbody", "blockquote", "pre"}
# lxml.html's default parser, element classes found in C; no table of the ids (never looked up: parsing 2% faster)
_PARSER = parser(collect_ids=False)
PREFIX = 48  # characters of a block's start that find it when its whole text does not
MAIN = 0.8
LINK_ONLY = 0.001

# positions in a Slot
BOX, BOX_NO, LOOSE, OUTSIDE, LINKS, BOX_LINKS, BOX_SHARE = range(7)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()  # (str.split's whitespace is the regex \s's, and faster than a regex)


def _text(el) -> str:
    """``el.text_content()``: the same text (libxml2's content of the element) from lxml's serialiser, in half the
    time (no XPath evaluation set up for each call)."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def _chars(text: str) -> int:
    """Characters that are not whitespace."""
    return sum(map(len, text.split()))


def signature(el) -> str:
    """An element's place in a template: its tag and its sorted class names."""
    classes = sorted((el.get("class") or "").split())
    return ".".join([el.tag, *classes])


def _index(tree):
    """Normalised text -> elements holding exactly it (document order), and the same by text prefix."""
    exact: dict[str, list] = {}
    prefix: dict[str, list] = {}
    for el in tree.iter(*_CANDIDATES):  # (the tag test in lxml: most of a page's elements are never candidates)
        if el.tag not in _BLOCK_TAGS and not _own_text(el):
            continue
        text = _norm(_text(el))
        if not text:
            continue
        exact.setdefault(text, []).append(el)
        prefix.setdefault(text[:PREFIX], []).append(el)
    return exact, prefix


def _own_text(el) -> bool:
    """Whether ``el`` holds text that is not whitespace outside its children (a loop: no generator to set up, no
    stripped copies)."""
    text = el.text
    if text and not text.isspace():
        return True
    for child in el:
        text = child.tail
        if text and not text.isspace():
            return True
    return False


def _find(block_text: str, exact, prefix, used: set):
    key = _norm(block_text.removeprefix("- "))
    if " | " in key:  # a table row: its first cell's row
        key = key.split(" | ", 1)[0]
    for candidates in (exact.get(key), prefix.get(key[:PREFIX]) if len(key) >= PREFIX else None):
        for el in candidates or ():
            if id(el) not in used:
                used.add(id(el))
                return el
        if candidates:
            return candidates[0]
    return None


def _link_share(el, text: str) -> float:
    """The share of ``text``, ``el``'s, that is link text."""
    links = [a for a in el.iter("a") if a.get("href")]
    total = _chars(text)
    if not links or not total:
        return LINK_ONLY if links else 0.0
    inside = sum(_chars(_text(a)) for a in links)
    return max(LINK_ONLY, min(1.0, inside / total))


def locate(html: str | bytes, blocks) -> list:
    """One ``Slot`` (or None) per block of ``blocks`` [(kind, text)] of the page ``html``."""
    if not blocks:
        return []
    try:
        tree = lxml_html.fromstring(html, parser=_PARSER)
    except (ValueError, TypeError, lxml_html.etree.ParserError):
        return [None] * len(blocks)
    exact, prefix = _index(tree)
    used: set = set()
    found = [_find(text, exact, prefix, used) for _, text in blocks]
    weights: dict = {}  # element -> [characters, blocks] of the located blocks under it
    total = located = 0
    for el, (_, text) in zip(found, blocks):
        if el is None:
            continue
        total += len(text)
        located += 1
        node = el
        while node is not None:
            weight = weights.setdefault(node, [0, 0])
            weight[0] += len(text)
            weight[1] += 1
            node = node.getparent()
    if not total:
        return [None] * len(blocks)
    several = min(2, located)
    main = max((el for el, (w, n) in weights.items() if w >= MAIN * total and n >= several), key=_depth)
    main_sig = signature(main)
    boxes: dict = {}
    slots = []
    for el in found:
        if el is None:
            slots.append(None)
            continue
        box, node = el, el
        while node is not None and node is not main:
            box, node = node, node.getparent()
        outside = node is None
        if outside or box.tag in _TEXT_STRUCTURES:
            box = el
        if box not in boxes:
            text = _text(box)
            boxes[box] = (len(boxes), _link_share(box, text), len(_norm(text)) / max(total, 1))
        number, box_links, share = boxes[box]
        sig = ("~" if outside else main_sig + ">") + (signature(box) if box is el else signature(box) + ">*")
        links = box_links if box is el else _link_share(el, _text(el))
        slots.append([sig, number, box is el, outside, links, round(box_links, 3), round(min(share, 1.0), 3)])
    return slots


def _depth(el) -> int:
    depth = 0
    while el is not None:
        depth, el = depth + 1, el.getparent()
    return depth
