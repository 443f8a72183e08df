"""The date a page says it was medically reviewed or last updated, as an ISO date (``versions.reviewed_on``).

``reviewed_on(html, rules)`` searches the page's source, first match wins:

1. the site's own places, in the order its profile lists them (``review_date``): ``meta:NAME`` (a meta tag's
   name, property or itemprop), ``jsonld:KEY`` (a schema.org JSON-LD property), ``text:PREFIX`` (a visible line
   starting with PREFIX, then the date);
2. then the places any page is searched for, from the most to the least specific claim:
   JSON-LD ``lastReviewed``; a visible review statement ("Medically reviewed by X on DATE", "Page last reviewed:
   DATE", "Medically Reviewed. Last updated on DATE", "Review Date DATE"); a meta tag named for a review
   (``cdc:last_reviewed``, ``last-reviewed`` ...); JSON-LD ``dateModified``; a modification meta tag
   (``article:modified_time``, ``og:updated_time``, ``DC.Date.Modified``, ``dcterms.modified`` ...); a visible "Last
   updated: DATE" line; and last a publication date (JSON-LD ``datePublished``, ``article:published_time``): a page
   that names no later date has not been updated since it was published, by its own account.

No DOM: meta tags and JSON-LD scripts are found with regular expressions over the source, and a visible statement
is read from the few hundred characters after its words, tags stripped (script and style bodies are skipped).
A page is searched once per article (its first page), so cleaning a page costs one more linear scan, not a parse.

Dates: ISO (``2024-03-27``, ``2022-08-20T05:00:00-05:00``: the date as written), month names in either order
(``March 1, 2024``, ``Aug. 6, 2020``, ``2 April 2025``) and numbers (``09/29/2025``: month first unless the profile
says ``day_first`` or the first number cannot be a month).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from html import unescape

KINDS = ("meta:", "jsonld:", "text:")


@dataclass(frozen=True)
class ReviewRules:
    """A site's own places for the date (``review_date`` of its profile) and how it writes numeric dates."""

    sources: tuple[str, ...] = ()
    day_first: bool = False

    @classmethod
    def of(cls, profile) -> ReviewRules:
        """The rules of a site profile (anything with ``review_date`` and ``day_first``)."""
        return cls(tuple(getattr(profile, "review_date", ()) or ()), bool(getattr(profile, "day_first", False)))


def check_source(source: str) -> str | None:
    """A one-line problem with a ``review_date`` entry, or None when it is well formed."""
    kind = next((k for k in KINDS if source.startswith(k)), None)
    if kind is None:
        return f"review_date entry {source!r} must start with one of {', '.join(KINDS)}"
    if not source[len(kind) :].strip():
        return f"review_date entry {source!r} names nothing after {kind!r}"
    return None


# --- dates ---------------------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<{}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE = re.compile(
    r"(?P<iso>(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2}))"
    r"|(?P<num>(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y2>\d{4}))"
    r"|(?P<mdy>" + _MONTH.format("mon3") + r"\s+(?P<d3>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y3>\d{4}))"
    r"|(?P<dmy>(?P<d4>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH.format("mon4") + r",?\s+(?P<y4>\d{4}))",
    re.I,
)


def parse_date(text: str, day_first: bool = False) -> str | None:
    """The ISO form of the date ``text`` starts with (after spaces, ":" or "on"), or None."""
    match = _DATE.match(re.sub(r"^[\s:,\-–—]*(?:on\b[\s:]*)?", "", text, flags=re.I))
    if not match:
        return None
    if match["iso"]:
        year, month, day = int(match["y1"]), int(match["m1"]), int(match["d1"])
    elif match["num"]:
        first, second, year = int(match["a"]), int(match["b"]), int(match["y2"])
        month, day = (second, first) if day_first or first > 12 else (first, second)
    elif match["mdy"]:
        year, month, day = int(match["y3"]), _MONTHS[match["mon3"].lower()], int(match["d3"])
    else:
        year, month, day = int(match["y4"]), _MONTHS[match["mon4"].lower()], int(match["d4"])
    try:
        return date(year, month, day).isoformat() if 1990 <= year <= 2100 else None
    except ValueError:
        return None


# --- the page's source ---------------------------------------------------------------------------------------

_META = re.compile(r"<meta\b[^>]*>", re.I)
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_JSONLD = re.compile(r"<script\b[^>]*application/ld\+json[^>]*>(.*?)</script\s*>", re.I | re.S)
_HIDDEN = (("<script", "</script"), ("<style", "</style"), ("<!--", "-->"))
_TAG = re.compile(r"<[^>]*>")
_WINDOW = 400

# Visible statements, each followed by its date: review statements first, then update statements.
_WHO = r"(?:(?!\bon\b).){1,120}?"
_REVIEW_TEXT = (
    r"medically\s+reviewed\.?\s+last\s+updated(?:\s+on)?",
    rf"(?:medically\s+)?reviewed\s+by:?\s+{_WHO}\s+on",
    r"(?:page\s+|content\s+|article\s+)?last\s+(?:medically\s+)?reviewed(?:\s+on)?",
    r"(?<!next )review\s+date",
    r"(?:medically\s+)?reviewed\s+on",
)
_UPDATE_TEXT = (r"(?:page\s+|content\s+|article\s+)?last\s+(?:updated|modified)(?:\s+on)?",)
_REVIEW_META = re.compile(r"review", re.I)
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "dc.date.modified",
    "dcterms.modified",
    "datemodified",
    "last-modified",
    "last_modified",
    "lastmod",
    "revised",
)
_PUBLISHED_META = ("article:published_time", "datepublished")


class Page:
    """The parts of one page's source the search reads, each found once, when first needed."""

    def __init__(self, html: str | bytes):
        self.html = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
        self._meta: list[tuple[str, str]] | None = None
        self._jsonld: list | None = None
        self._hidden: list[tuple[int, int]] | None = None
        self._starts: list[int] = []

    def meta(self) -> list[tuple[str, str]]:
        """(name, content) of every meta tag, names lowercased, in page order."""
        if self._meta is None:
            self._meta = []
            for tag in _META.findall(self.html):
                attrs = {m[0].lower(): unescape(m[1] or m[2] or m[3]) for m in _ATTR.findall(tag)}
                content = attrs.get("content", "").strip()
                for key in ("name", "property", "itemprop", "http-equiv"):
                    if attrs.get(key) and content:
                        self._meta.append((attrs[key].strip().lower(), content))
        return self._meta

    def jsonld(self) -> list:
        """The page's JSON-LD documents, parsed (unreadable ones skipped)."""
        if self._jsonld is None:
            self._jsonld = []
            for body in _JSONLD.findall(self.html):
                try:
                    self._jsonld.append(json.loads(body.strip().removeprefix("<!--").removesuffix("-->"), strict=False))
                except ValueError:
                    continue
        return self._jsonld

    def occurrences(self, words) -> list[int]:
        """Where any of ``words`` (lowercase) occurs, in lower or Capitalised case, outside scripts, styles and
        comments, in page order. ``str.find`` of each form: lowercasing the page or a case-insensitive regex costs
        ten times more on a megabyte page."""
        found = sorted(at for word in words for form in {word, word.capitalize()} for at in self._finds(form))
        if found and self._hidden is None:
            self._hidden = sorted(span for opening, closing in _HIDDEN for span in self._spans(opening, closing))
            self._starts = [start for start, _ in self._hidden]
        return [at for at in found if not self._is_hidden(at)]

    def _finds(self, text: str):
        at = self.html.find(text)
        while at >= 0:
            yield at
            at = self.html.find(text, at + len(text))

    def _spans(self, opening: str, closing: str):
        """(start, end) of each ``opening`` ... ``closing`` stretch (a script, a style, a comment)."""
        opens, closes = list(self._finds(opening)), list(self._finds(closing))
        end = -1
        for at in opens:
            if at < end:
                continue  # "<script" inside a script's text
            i = bisect_right(closes, at)
            end = closes[i] + len(closing) if i < len(closes) else len(self.html)
            yield at, end

    def _is_hidden(self, at: int) -> bool:
        i = bisect_right(self._starts, at) - 1
        return i >= 0 and at < self._hidden[i][1]


def _meta_value(page: Page, names) -> str | None:
    wanted = {n.lower() for n in names}
    return next((content for name, content in page.meta() if name in wanted), None)


def _jsonld_value(page: Page, key: str):
    """The first value of ``key`` in the page's JSON-LD, breadth first (the page's own entity before nested ones)."""
    queue = list(page.jsonld())
    while queue:
        node = queue.pop(0)
        if isinstance(node, list):
            queue.extend(node)
        elif isinstance(node, dict):
            value = node.get(key)
            if isinstance(value, list):  # NHS: lastReviewed = [last reviewed, next review due]
                value = value[0] if value else None
            if isinstance(value, str) and value.strip():
                return value
            queue.extend(v for v in node.values() if isinstance(v, (dict, list)))
    return None


@lru_cache(maxsize=64)
def _lead(leads: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(leads) + r")\b[\s:.]*", re.I | re.S)


def _statement(page: Page, leads, day_first: bool, words=("review", "updated", "modified")) -> str | None:
    """The date after the first visible statement matching one of ``leads`` (regexes), in page order; a statement
    is looked for around each occurrence of ``words`` in the source."""
    pattern = _lead(tuple(leads))
    source = page.html
    for at in page.occurrences(words):
        if at and source[at - 1] in "\"'=/_-":  # an attribute value or a class name
            continue
        window = " ".join(unescape(_TAG.sub(" ", source[max(0, at - 40) : at + _WINDOW])).split())
        match = pattern.search(window)
        if match:
            found = parse_date(window[match.end() :], day_first)
            if found:
                return found
    return None


def _source(page: Page, source: str, day_first: bool) -> str | None:
    kind, _, name = source.partition(":")
    if kind == "meta":
        value = _meta_value(page, (name,))
    elif kind == "jsonld":
        value = _jsonld_value(page, name)
    else:
        prefix = name.strip().rstrip(":.")
        lead = r"\s+".join(re.escape(word) for word in prefix.split())
        return _statement(page, (lead,), day_first, (prefix.split()[0].lower(),))
    return parse_date(value, day_first) if value else None


def reviewed_on(html: str | bytes, rules: ReviewRules | None = None) -> str | None:
    """The ISO date the page says it was medically reviewed or last updated, or None; see the module doc."""
    rules = rules or ReviewRules()
    page = Page(html)
    day_first = rules.day_first
    for source in rules.sources:
        found = _source(page, source, day_first)
        if found:
            return found
    steps = (
        lambda: parse_date(_jsonld_value(page, "lastReviewed") or "", day_first),
        lambda: _statement(page, _REVIEW_TEXT, day_first),
        lambda: next(
            (d for n, c in page.meta() if _REVIEW_META.search(n) and (d := parse_date(c, day_first))),
            None,
        ),
        lambda: parse_date(_jsonld_value(page, "dateModified") or "", day_first),
        lambda: parse_date(_meta_value(page, _MODIFIED_META) or "", day_first),
        lambda: _statement(page, _UPDATE_TEXT, day_first),
        lambda: parse_date(_jsonld_value(page, "datePublished") or "", day_first),
        lambda: parse_date(_meta_value(page, _PUBLISHED_META) or "", day_first),
    )
    for step in steps:
        found = step()
        if found:
            return found
    return None
