"""Cross-article template detection: blocks repeated across many articles of one site."""
from collections import OrderedDict

from pipelines.normalize import normalize_text


def _key(block) -> str | None:
    """Normalised text of a non-heading block; None for headings (section titles such as
    "Symptoms" legitimately repeat across articles)."""
    kind, text = block
    return None if kind == "h" else normalize_text(text).casefold()


class TemplateBlocks:
    """Blocks that repeat across many articles of one site within a crawl are template
    (promo teasers, related-article boxes).

    Counts, per host, in how many distinct articles each normalised non-heading block
    appears. Memory is bounded: at most ``max_entries`` blocks are tracked over all hosts,
    evicting the least recently seen; each block remembers at most ``min_articles``
    article keys, which is all that ``is_template`` needs.
    """

    def __init__(self, min_articles: int = 3, max_entries: int = 100_000):
        self.min_articles = min_articles
        self.max_entries = max_entries
        self._seen: OrderedDict[tuple[str, str], set] = OrderedDict()

    def observe(self, host: str, article_key: str, blocks) -> None:
        """Record the blocks of one article (observing it again is harmless)."""
        for block in blocks:
            key = _key(block)
            if key is None:
                continue
            entry = (host, key)
            articles = self._seen.pop(entry, set())
            if len(articles) < self.min_articles:
                articles.add(article_key)
            self._seen[entry] = articles
            if len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)

    def __len__(self) -> int:
        """Number of (host, block) entries tracked."""
        return len(self._seen)

    def is_template(self, host: str, block) -> bool:
        key = _key(block)
        return key is not None and len(self._seen.get((host, key), ())) >= self.min_articles

    def strip(self, host: str, blocks) -> list:
        """``blocks`` minus the template ones, order kept."""
        return [b for b in blocks if not self.is_template(host, b)]

    def found(self) -> dict[str, list[str]]:
        """The template blocks found so far, per host (normalised, case-folded text)."""
        hosts: dict[str, list[str]] = {}
        for (host, key), articles in self._seen.items():
            if len(articles) >= self.min_articles:
                hosts.setdefault(host, []).append(key)
        return hosts
