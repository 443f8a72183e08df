"""Site chrome: blocks that repeat across many articles of one site (promo teasers, related-article boxes).

``SiteChrome`` knows, per host, the blocks the archive already holds as chrome (``template_blocks``) and learns
more while a crawl goes: a non-heading block seen in ``min_articles`` distinct articles of the host is chrome.
Headings never are (section titles such as "Symptoms" legitimately repeat across articles).

Memory is bounded: at most ``max_entries`` blocks are tracked over all hosts, evicting the least recently
seen; each block remembers at most ``min_articles`` article keys, which is all that ``is_chrome`` needs. A block
is tracked by a 16-byte digest of its key, not its text (a paragraph: hundreds of bytes, and nearly every block of a
center is seen once); the text is kept only for the blocks found to be chrome.
"""

import hashlib
from collections import OrderedDict

from archive.text import content_hash, normalize_text


def block_key(kind: str, text: str) -> str | None:
    """Comparison key of a block: its normalised, case-folded text (a list item without its "- "); None for
    headings."""
    return None if kind == "h" else normalize_text(text.removeprefix("- ")).casefold()


class SiteChrome:
    def __init__(self, known: dict[str, set[str]] | None = None, min_articles: int = 3, max_entries: int = 100_000):
        self.known = known or {}
        self.min_articles = min_articles
        self.max_entries = max_entries
        self._seen: OrderedDict[tuple[str, bytes], tuple[str, ...]] = OrderedDict()  # (host, digest) -> articles
        self._texts: dict[tuple[str, bytes], str] = {}  # the key of each block seen in min_articles articles

    def learn(self, host: str, article_key: str, blocks) -> None:
        """Record the blocks of one article (learning it again is harmless)."""
        for kind, text in blocks:
            key = block_key(kind, text)
            if key is None:
                continue
            entry = (host, _digest(key))
            articles = self._seen.pop(entry, ())
            if len(articles) < self.min_articles and article_key not in articles:
                articles += (article_key,)
                if len(articles) == self.min_articles:
                    self._texts[entry] = key
            self._seen[entry] = articles
            if len(self._seen) > self.max_entries:
                self._texts.pop(self._seen.popitem(last=False)[0], None)

    def __len__(self) -> int:
        """Number of (host, block) entries tracked."""
        return len(self._seen)

    def is_chrome(self, host: str, kind: str, text: str) -> bool:
        key = block_key(kind, text)
        if key is None:
            return False
        if len(self._seen.get((host, _digest(key)), ())) >= self.min_articles:
            return True
        return content_hash(key) in self.known.get(host, ())

    def strip(self, host: str, blocks) -> list:
        """``blocks`` minus the chrome ones, order kept."""
        return [(kind, text) for kind, text in blocks if not self.is_chrome(host, kind, text)]

    def found(self) -> dict[str, list[str]]:
        """The chrome blocks learned so far, per host (normalised, case-folded text)."""
        hosts: dict[str, list[str]] = {}
        for entry, articles in self._seen.items():
            if len(articles) >= self.min_articles:
                hosts.setdefault(entry[0], []).append(self._texts[entry])
        return hosts


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=16).digest()
