"""What the spiders hand to the pipelines: one item per article, carrying every page fetched for it.

Items are plain dataclasses of strings and numbers, so that a queue (scrapy-redis) can sit between
the crawl and the writer.
"""

import json
from dataclasses import asdict, dataclass, field, fields


@dataclass
class Page:
    """One HTTP response for one page of an article (or the failure to get it)."""

    url: str
    number: int
    status: int | None = None  # None: no response (timeout, connection error, refused)
    fetched_at: str = ""
    html: str | None = None  # None when not modified (304) or failed
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error: str | None = None
    warc: dict | None = None  # where the response is stored: file, offset, length, digest


@dataclass
class ArticleItem:
    """An article as crawled: its canonical URL and its pages in order.

    ``state`` says what the crawl saw: ``ok`` (every page fetched), ``not_modified`` (every page
    answered 304), ``incomplete`` (some page failed), ``blocked`` (the site refused a page: 401, 403, 451,
    robots.txt) or ``gone`` (the article answers 404/410). ``listed``: a start URL of the crawl (recorded even
    when the archive never had it and it failed).
    The cleaning pipeline fills ``title``, ``blocks``, ``meta``, ``block_pages`` (the page of each block),
    ``block_slots`` (where each block sat in its page: ``pipelines/structure.py``), ``page_titles`` (each page's own
    title) and ``cache`` (the extractions of pages cleaned anew, for the cleaning cache); the
    archive pipeline drops the site's chrome from ``blocks`` and sets ``text``, the text a version is made of, and
    ``page_starts`` (the block of ``text`` where each page starts).
    """

    url: str
    spider: str
    profile: str
    state: str = "ok"
    pages: list[Page] = field(default_factory=list)
    listed: bool = False
    title: str | None = None
    blocks: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    block_pages: list = field(default_factory=list)
    block_slots: list = field(default_factory=list)
    page_titles: list = field(default_factory=list)
    cache: list = field(default_factory=list)
    text: str | None = None
    page_starts: list | None = None


def to_json(item: ArticleItem) -> str:
    """An article as JSON (a distributed worker's message to the ingest)."""
    return json.dumps(asdict(item), ensure_ascii=False, separators=(",", ":"))


def from_json(data: str | bytes) -> ArticleItem:
    """The article ``to_json`` wrote; fields this version does not know are refused, missing ones take their
    default."""
    found = json.loads(data)
    known = {f.name for f in fields(ArticleItem)}
    unknown = set(found) - known
    if unknown:
        raise ValueError(f"not an article of this healtharchive: unknown fields {sorted(unknown)}")
    found["pages"] = [Page(**page) for page in found.get("pages", [])]
    found["blocks"] = [tuple(block) for block in found.get("blocks", [])]
    return ArticleItem(**found)
