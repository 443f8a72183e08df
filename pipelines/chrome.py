"""Site chrome: what a site's template adds to its articles (related-article boxes, teasers, promos), learned from
the site's own pages by structure, never by its wording.

Each block comes with its ``structure.locate`` slot (where it sits: its box's signature, the link share of the
block and of its box, whether it is outside the article's main container). ``SiteChrome`` learns, per host:

- **rotating boxes**: a box signature (a place in the template, below the main container) seen in
  ``min_articles`` articles, at most twice a page, small (at most ``MAX_BOX_SHARE`` of a page's text), that points
  elsewhere (has link text), whose contents differ from article to article, and where most boxes are made only of
  blocks that recur in other articles (drawn from a pool: the same teaser or recommendation on several articles).
  Every block of such a box is chrome, its title and headings included. A box whose text is the same on every
  article (a standard warning, "Call 911 if you have chest pain") does not rotate; a box whose contents belong to
  each article ("Key points") has no pool: both stay.
- **link boxes**: a box signature seen in ``min_articles`` articles whose text is mostly links (``MOSTLY_LINKS``) and
  that has a title (a block) repeated in ``min_articles`` of them ("Related articles", "Most popular").
- **repeated blocks**: a block (headings included) repeated in ``min_articles`` articles is chrome only when its
  structure agrees: it is mostly link text, or it lies outside the article's main container, in at least
  ``min_articles`` of its articles and in more of them than not, and where it is removed, there too (a block whose
  slot is known is removed only where its own slot agrees). A sentence or a section heading repeated inside the
  article's text, whatever it says, stays, even when one page's structure misleads (a heading found outside the
  main container of a page the container was misjudged on).
- **metadata lines**: a short line holding a time, date or counter (``volatile.volatile``: "Page last updated:
  13:42:06") whose form, values masked, is on ``min_articles`` articles with different values (a time that
  differs from page to page) says when the page was made, not what the article says.

Known chrome comes from the archive (``known``: host -> hashes of block texts, ``known_slots``: host -> box
signatures), stored per host by ``archive.Archive.remember_templates`` / ``remember_chrome_slots``.

Memory is bounded: at most ``max_entries`` blocks and boxes are tracked over all hosts, evicting the least recently
seen; each remembers only the few articles and box contents that the rules need. A block is tracked by a 16-byte
digest of its key, not its text (nearly every block of a center is seen once); the text is kept only for the blocks
found to be chrome. A box signature that shows more than twice on a page or holds a large share of it (the
article's own sections) is never chrome and forgets what it saw.
"""

import hashlib
from collections import OrderedDict
from functools import lru_cache

from archive.text import content_hash, normalize_text

from .structure import BOX, BOX_LINKS, BOX_SHARE, LOOSE, OUTSIDE
from .structure import LINKS as OWN_LINKS
from .volatile import masked, volatile

MOSTLY_LINKS = 0.5  # share of link text that makes a block or a box "mostly links"
MAX_BOX_SHARE = 0.35  # a box with more of a page's text than this is the article's, not a template's
INSTANCES = 200  # box contents remembered per box signature
BOX_KEYS = 5_000  # block digests remembered per box signature
VOTES = 16  # articles remembered per block on each side of "its structure agrees"


# Cached: an article's blocks are keyed when they are learned and again when they are tested, and chrome recurs.
@lru_cache(maxsize=2048)
def block_key(kind: str, text: str) -> str:
    """Comparison key of a block: its normalised, case-folded text (a list item without its "- ")."""
    return normalize_text(text.removeprefix("- ")).casefold()


@lru_cache(maxsize=2048)
def volatile_key(text: str) -> str | None:
    """The key of a line that says when or how often (``volatile``): its form with the values masked."""
    return "volatile: " + masked(normalize_text(text.removeprefix("- "))).casefold() if volatile(text) else None


class _Box:
    """What one box signature of one host looked like so far."""

    __slots__ = ("articles", "contents", "keys", "per_page", "share", "links", "verdict")

    def __init__(self):
        self.articles: set = set()  # (at most INSTANCES)
        self.contents: OrderedDict = OrderedDict()  # (article, page, number) -> frozenset of block digests
        self.keys: OrderedDict[bytes, set] = OrderedDict()  # block digest -> articles (at most 3)
        self.per_page = 0
        self.share = 0.0
        self.links = 0.0
        self.verdict: bool | None = None


class SiteChrome:
    def __init__(
        self,
        known: dict[str, set[str]] | None = None,
        min_articles: int = 3,
        max_entries: int = 100_000,
        known_slots: dict[str, set[str]] | None = None,
    ):
        self.known = known or {}
        self.known_slots = known_slots or {}
        self.min_articles = min_articles
        self.max_entries = max_entries
        # (host, digest) -> [articles, [articles where structure agrees, where it does not] (each at most
        # VOTES), or a volatile line's set of value digests]
        self._seen: OrderedDict[tuple[str, bytes], list] = OrderedDict()
        self._texts: dict[tuple[str, bytes], str] = {}  # the key of each block seen in min_articles articles
        self._boxes: OrderedDict[tuple[str, str], _Box] = OrderedDict()

    def learn(self, host: str, article_key: str, blocks, slots=None, pages=None) -> None:
        """Record the blocks of one article (learning it again is harmless); ``slots`` and ``pages``: each block's
        ``structure.locate`` slot and page number, parallel to ``blocks`` (unknown when missing)."""
        slots = slots if slots and len(slots) == len(blocks) else [None] * len(blocks)
        pages = pages if pages and len(pages) == len(blocks) else [1] * len(blocks)
        boxes: dict[tuple, list] = {}
        for (kind, text), slot, page in zip(blocks, slots, pages):
            key = block_key(kind, text)
            digest = _digest(key)
            found = self._note(host, digest, key, article_key, None)
            if slot:
                votes = found[1] if isinstance(found[1], list) else [(), ()]
                side = 0 if _agrees_here(slot) else 1
                if article_key not in votes[side] and len(votes[side]) < VOTES:
                    votes[side] += (article_key,)
                found[1] = votes
            form = volatile_key(text)
            if form:  # the structure that agrees: values that differ
                line = self._note(host, _digest(form), form, article_key, set())
                if len(line[1]) < 2:
                    line[1].add(digest)
            if slot and not slot[LOOSE] and not slot[OUTSIDE]:
                boxes.setdefault((slot[BOX], page, slot[1]), [slot, []])[1].append(digest)
        per_page: dict[tuple, int] = {}
        for (sig, page, number), (slot, keys) in boxes.items():
            per_page[(sig, page)] = per_page.get((sig, page), 0) + 1
            box = self._boxes.pop((host, sig), None) or _Box()
            self._boxes[(host, sig)] = box
            box.per_page = max(box.per_page, per_page[(sig, page)])
            box.share = max(box.share, slot[BOX_SHARE])
            box.links = max(box.links, slot[BOX_LINKS])
            box.verdict = None
            if box.per_page > 2 or box.share > MAX_BOX_SHARE:
                box.articles, box.contents, box.keys = set(), OrderedDict(), OrderedDict()  # the article's own
                continue
            if len(box.articles) < INSTANCES:
                box.articles.add(article_key)
            box.contents[(article_key, page, number)] = frozenset(keys)
            while len(box.contents) > INSTANCES:
                box.contents.popitem(last=False)
            for key in keys:
                seen = box.keys.pop(key, None) or set()
                if len(seen) < self.min_articles:
                    seen.add(article_key)
                box.keys[key] = seen
            while len(box.keys) > BOX_KEYS:
                box.keys.popitem(last=False)
        while len(self._seen) > self.max_entries:
            self._texts.pop(self._seen.popitem(last=False)[0], None)
        while len(self._boxes) > self.max_entries:
            self._boxes.popitem(last=False)

    def _note(self, host: str, digest: bytes, key: str, article_key: str, agrees) -> list:
        """The entry of a block (or a volatile line's form) seen in one more article, most recently used."""
        entry = (host, digest)
        found = self._seen.pop(entry, None) or [(), agrees]
        if len(found[0]) < self.min_articles and article_key not in found[0]:
            found[0] += (article_key,)
            if len(found[0]) == self.min_articles:
                self._texts[entry] = key
        self._seen[entry] = found
        return found

    def __len__(self) -> int:
        """Number of (host, block) entries tracked."""
        return len(self._seen)

    def _box_is_chrome(self, host: str, sig: str) -> bool:
        if sig in self.known_slots.get(host, ()):
            return True
        box = self._boxes.get((host, sig))
        if box is None:
            return False
        if box.verdict is None:
            box.verdict = self._judge(box)
        return box.verdict

    def _judge(self, box: _Box) -> bool:
        if len(box.articles) < self.min_articles or box.per_page > 2 or box.share > MAX_BOX_SHARE:
            return False
        titled = any(len(seen) >= self.min_articles for seen in box.keys.values())
        if box.links >= MOSTLY_LINKS and titled:
            return True  # a link box with a title of its own
        contents = list(box.contents.values())
        if box.links <= 0 or len(set(contents)) < 2:
            return False  # points nowhere, or the same on every article: a standard text of the site
        pooled = sum(all(len(box.keys.get(key, ())) >= 2 for key in keys) for keys in contents)
        return pooled * 2 >= len(contents)

    def is_chrome(self, host: str, kind: str, text: str, slot=None) -> bool:
        """True when this block, where it sits (``slot``: unknown when None), is the site's chrome."""
        if slot and not slot[LOOSE] and not slot[OUTSIDE] and self._box_is_chrome(host, slot[BOX]):
            return True
        key = block_key(kind, text)
        known = self.known.get(host, ())
        repeated = self._agrees(self._seen.get((host, _digest(key)))) or (bool(known) and content_hash(key) in known)
        if repeated and (slot is None or _agrees_here(slot)):
            return True
        form = volatile_key(text)
        return form is not None and (
            self._agrees(self._seen.get((host, _digest(form)))) or (bool(known) and content_hash(form) in known)
        )

    def _agrees(self, found) -> bool:
        """Seen in enough articles, and its structure agrees (see the module doc)."""
        if not found or len(found[0]) < self.min_articles:
            return False
        if isinstance(found[1], set):  # a volatile line: values that differ
            return len(found[1]) >= 2
        if isinstance(found[1], list):
            agree, against = found[1]
            return len(agree) >= self.min_articles and len(agree) > len(against)
        return False

    def strip(self, host: str, blocks, slots=None) -> list:
        """``blocks`` minus the chrome ones, order kept."""
        slots = slots if slots and len(slots) == len(blocks) else [None] * len(blocks)
        return [(kind, text) for (kind, text), slot in zip(blocks, slots) if not self.is_chrome(host, kind, text, slot)]

    def found(self) -> dict[str, list[str]]:
        """The chrome blocks learned so far, per host (normalised, case-folded text)."""
        hosts: dict[str, list[str]] = {}
        for entry, found in self._seen.items():
            if self._agrees(found):
                hosts.setdefault(entry[0], []).append(self._texts[entry])
        return hosts

    def found_slots(self) -> dict[str, list[str]]:
        """The box signatures learned to be chrome so far, per host."""
        hosts: dict[str, list[str]] = {}
        for host, sig in list(self._boxes):
            if self._box_is_chrome(host, sig) and sig not in self.known_slots.get(host, ()):
                hosts.setdefault(host, []).append(sig)
        return hosts


def _agrees_here(slot) -> bool:
    """The structure of one occurrence says template: mostly link text, or outside the article's main container."""
    return slot[OWN_LINKS] >= MOSTLY_LINKS or bool(slot[OUTSIDE])


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=16).digest()
