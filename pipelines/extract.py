"""Clean one HTML page into typed text blocks plus metadata.

Runs inside worker processes: top-level functions, plain picklable input and output.
Cleaning happens in three steps: remove clutter from the DOM by structure (small forms
with a text field and the box around them, call-to-action boxes, dialogs, teaser boxes
among the article's paragraphs, link boxes after it, decoy containers; the ad and byline
labels of ``_CUES`` are the only words looked for) and unwrap
links that wrap whole cards (which trafilatura would drop as links), run trafilatura once
as plain ``extract()`` does (again without the pointing at the article's container when
it kept under half of that container, see ``_unsteer``; plus its recall mode on a short
result that leaves text between its parts), then drop leftover clutter blocks found by
structure (site links at the ends, teaser paragraphs, closing boxes), each only while it
is a minor share of the text, and lift review statements ("Medically reviewed by X on
DATE") into metadata. When that drops most of trafilatura's text, trafilatura's blocks
are kept as they are.
"""

import re
from collections import Counter
from contextvars import ContextVar
from urllib.parse import urlsplit

import trafilatura
import trafilatura.core
from htmldate import find_date
from lxml.etree import XPath, tostring
from lxml.html import fromstring
from trafilatura.baseline import _BLOCK_ELEMS
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import set_date_params
from trafilatura.utils import decode_file, is_dubious_html, repair_faulty_html
from trafilatura.xpaths import AUTHOR_XPATHS, BODY_XPATH

from .parse import parser

_WS = re.compile(r"\s+")
_KIND = {"head": "h", "p": "p", "quote": "quote", "code": "code"}
_BLOCK = {"head", "p", "quote", "code", "list", "table", "row", "div"}  # block tags in trafilatura XML

# Text of a clutter element (whole text, case-insensitive) -> how much non-link text the
# removed container may hold besides the cue; cues marked "text" count not on headings.
# Clutter is found by structure (see ``declutter``); the words left are the labels that
# sites put on ads and on bylines, which no structure tells from a callout box or a line
# of text: an ad's label and its line ("Advertisement", "Sponsored: ..."), the ad-policy
# note beside it, the editorial-policy line, and a byline, which the metadata holds.
_CUES = [
    (re.compile(p, re.I), budget, only)
    for p, budget, only in (
        (r"advertisement( - continue reading below)?|sponsored( content)?", 200, None),
        # an ad's own line: "Sponsored: ...", "Advertisement | ...", "Paid content: ..."
        (
            r"(sponsored|advertisement|promoted|paid (content|post|partner)|partner content)"
            r"( by [^.:|]{1,60})?\s*[:|–—-]\s*.{1,240}",
            200,
            None,
        ),
        # an ad-policy note: "Advertising on our site helps support our mission. We do not
        # endorse non-X products or services. Policy"
        (r"(?=.*\badverti[sz]\w*).*\b((do|does|will) not|never) endorse\b.{0,200}", 40, None),
        (
            r"(learn|read|find out) more about (our|how we) .{0,40}(editorial|fact[- ]check|sources?"
            r"|review|content|advertising|privacy) ?(process|policy|policies|standards|guidelines)?"
            r".{0,20}|(our )?editorial (process|policy|standards|guidelines)\.?",
            40,
            None,
        ),
        # a byline ("By Jane Doe, MD"), which the metadata already holds
        (r"(written )?by:? (?-i:[A-Z][\w.'’-]*)(,? (and |& )?(?-i:[A-Z][\w.'’-]*)){1,9}", 0, "text"),
    )
]
# Most texts match no cue: one pass of the cues that start with a word, and a word check for
# the one that starts with a lookahead (slow to try on every text).
_QUICK = re.compile("|".join(f"(?:{c.pattern})" for c, _, _ in _CUES if not c.pattern.startswith("(?=")), re.I)
_WILD = ("endorse",)
_DROP_TAGS = ("script", "style", "noscript", "template", "svg")
_HEADS = ("h1", "h2", "h3", "h4", "h5", "h6")

# Blocks that are never article text, whatever the page.
_PAGER = re.compile(
    r"(?:[<«‹]\s*)?(?:prev(?:ious)?|next)(?: page)?(?:\s*[>»›])?"
    r"|(?:page )?\d+(?:\s*(?:\||of|/)\s*\d+)+(?:\s+next(?: page)?\s*[>»›]?)?"
    r"|page \d+(?: of \d+)?|\(?continued\)?",
    re.I,
)
_JUNK = re.compile(
    r"advertisement|sponsored|please wait\.*"
    r"|this feature is temporarily unavailable\..*|share( this)?|print|email"
    r"|((last )?(updated|posted|published|modified):? )?(\d+|an?|one) (second|minute|hour|day|week"
    r"|month|year)s? ago",
    re.I,
)
_CONTINUED = re.compile(r"\s*\(?\bcontinued\b\)?\s*(\.{3}|…)?\s*$", re.I)

_BACK = re.compile(
    r"(references?|bibliography|citations|footnotes|abbreviations|(article )?sources"
    r"|conflicts? of interests?|competing interests|multimedia appendix.*)",
    re.I,
)

# "Medically reviewed by X on DATE", "WebMD Medical Reference Reviewed by X, MD on DATE".
_REVIEW = re.compile(
    r"^(?:.{0,60}?medical reference\s+)?(?:medically\s+)?reviewed by:?\s+"
    r"(?P<by>(?-i:[A-Z]).{1,80}?)"
    r"(?:,?\s+on\s+(?P<on>[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]+ \d{4}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})(?P<rest>.*)|\s+[—|•]\s.*|\s*\.?)$",
    re.I,
)
_REVIEWED = {False: re.compile("reviewed by", re.I), True: re.compile(b"reviewed by", re.I)}  # str, bytes
# text nodes that may say "reviewed by", outside scripts (a script's JSON can be the largest text of a page);
# the word test first: few nodes pass it, so the parent test runs on few
_REVIEW_NODES = XPath(
    "//body//text()[contains(., 'eviewed') or contains(., 'EVIEWED')]"
    "[not(parent::script or parent::style or parent::noscript or parent::template or parent::svg)]"
)
_TITLE_END = re.compile(r"$|\s+[-|:–—]\s")  # "<heading>" or "<heading> | Site"


def extract_page(html: str | bytes, url: str, prune_xpaths: tuple[str, ...] = (), metadata: bool = True) -> dict:
    """Main text of one page as ``blocks`` [(kind, text)] plus metadata (str or None each).

    ``metadata=False`` skips author, date, description and site name (only the title is
    found): an article's later pages repeat its first page's, and finding the date is the
    costliest step of cleaning a page.

    Kinds: "h" heading, "p" paragraph, "li" list item, "quote", "code", "cell" (one table
    row, cells joined by " | "). An opening heading equal to ``title`` is not repeated in
    the blocks; review statements go to ``reviewed_by``/``reviewed_on``.
    """
    out = dict.fromkeys(("title", "author", "date", "description", "sitename", "reviewed_by", "reviewed_on"))
    out["blocks"] = []
    tree, source = _load(html)
    if tree is None:
        return out
    dom_review = _review_in_dom(tree, html)
    if metadata:
        out.update(_metadata(tree, url, source))
    else:
        out["title"] = extract_title(tree) or None
    title = _title(out["title"], tree)
    host = _host(url)
    steer = declutter(tree, host)
    _mark_links(tree, host)
    _unwrap_cards(tree)
    found = _run(tree, url, prune_xpaths)
    if steer is not None:
        found = _unsteer(found, *steer, lambda: _run(tree, url, prune_xpaths))
    if sum(len(b[1]) for b in found) < SHORT and _gap(tree, found) >= GAP:
        # a short result: trafilatura's recall mode may find what lies between its parts
        # (topic cards between an intro and a facts box)
        found = _span(found, _run(tree, url, prune_xpaths, favor_recall=True, fast=True))
    blocks = _drop_back_matter(_trim(found))
    blocks, by, on = take_review(blocks)
    out["reviewed_by"], out["reviewed_on"] = (by, on) if by else dom_review
    blocks = [b for b in blocks if not is_clutter(b)]
    if sum(len(t) for _, t in blocks) < KEEP * sum(len(b[1]) for b in found):
        blocks = [(k, t) for k, t, _ in found]  # trafilatura's own blocks: ours dropped too much
    out["blocks"] = blocks
    out["title"] = title
    if out["blocks"] and out["blocks"][0] == ("h", out["title"]):
        del out["blocks"][0]  # the title is metadata, not body text
    return out


# trafilatura's parser (the options of ``trafilatura.utils.HTML_PARSER``), its element classes found in C
_PARSER = parser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True)


def load_html(html: str | bytes):
    """The page's tree as ``trafilatura.utils.load_html`` makes it, by its steps in its order (decoding, repairs, a
    str with an encoding declaration parsed as bytes, a tree that is not HTML refused: None), parsed by ``_PARSER``
    (see ``pipelines.parse``)."""
    return _load(html)[0]


def _load(html: str | bytes) -> tuple:
    """(``load_html(html)``, the text it parsed: decoded and repaired)."""
    text = decode_file(html)
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    tree, as_bytes = None, False
    try:
        tree = fromstring(text, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        tree, as_bytes = _from_bytes(text), True
    except Exception:  # lxml: "Document is empty"
        tree = None
    if (tree is None or len(tree) < 1) and not as_bytes:
        tree = _from_bytes(text)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None, text
    return tree, text


def _from_bytes(text: str):
    try:
        return fromstring(text.encode("utf8", "surrogatepass"), parser=_PARSER)
    except Exception:  # (as trafilatura: no tree)
        return None


def _unsteer(found, container, undo, rerun):
    """``found``, or the blocks of ``rerun()`` after ``undo`` when trafilatura, pointed at
    ``container`` by ``_mark_main`` (decoys stripped of their names, an element named
    <article>), kept under ``TAKEN`` of the container's paragraph text: the pointing then
    led trafilatura's container rules astray (they drop tabs, panels, a page of posts).
    Undone, trafilatura compares its result with its fallbacks as plain ``extract()``
    does; the run that keeps more of the container's paragraphs wins."""
    paras = [t for t in ("".join(_MARKS.sub("", p.text_content()).split()) for p in container.iter("p")) if t]

    def kept(blocks) -> int:
        text = "".join("".join(b[1].split()) for b in blocks)
        return sum(len(t) for t in paras if t in text)

    if kept(found) >= TAKEN * sum(map(len, paras)):
        return found
    for el, tag, attrib in undo:
        el.tag = tag
        el.attrib.update(attrib)
    other = rerun()
    return other if kept(other) > kept(found) else found


def _metadata(tree, url: str, source: str) -> dict:
    """Title, author, date, description and site name as ``trafilatura.extract_metadata``
    finds them (its steps for these five, in its order), without what the archive does not
    keep (categories, tags, licence: a fifth to a third of the metadata's CPU) and without
    copying the tree: none of these steps changes it (the author's and htmldate's searches
    prune copies of their own). ``source``: the text ``tree`` was parsed from."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # trafilatura's own guard: bugs in its JSON-LD parser
        pass
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.author and _may_name_author(source) and any(expr(tree) for expr in _AUTHOR_XPATHS):
        # (no candidate in the whole page: none in the pruned copy that extract_author searches)
        meta.author = extract_author(tree)
    if not meta.url:
        meta.url = extract_url(tree, url)
    dates = set_date_params(True)
    meta.date = find_date(tree, **dates, url=meta.url)
    if not meta.sitename:
        meta.sitename = extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url and (m := META_URL.match(meta.url)):
        meta.sitename = m[1]
    meta.clean_and_trim()
    return {key: getattr(meta, key, None) or None for key in ("title", "author", "date", "description", "sitename")}


def _without_regex(path: str) -> str:
    """XPath ``path`` with each ``re:test(@attr, 'a|b')`` written as ``contains()`` tests: lxml runs a re:test as a
    Python call on every candidate element, contains() in C (AUTHOR_XPATHS: 2-9 ms a page, now a tenth of that).
    The patterns must be alternatives of plain text, letters in either case (``[Aa]``) and optional characters
    (``-?``); another form stops the import: the XPath would not be trafilatura's."""

    def tests(m) -> str:
        return "(" + " or ".join(f"contains(@{m[1]}, '{text}')" for text in _literals(m[2])) + ")"

    out = re.sub(r"re:test\(@([\w-]+),\s*'([^']*)'\)", tests, path)
    if "re:" in out:
        raise ValueError(f"trafilatura's XPath has a re:test that extract._without_regex does not read: {path!r}")
    return out


def _literals(pattern: str) -> list[str]:
    """The texts one of which a regular expression ``pattern`` of ``_without_regex``'s forms finds."""
    texts = []
    for alternative in pattern.split("|"):
        found, end = [""], 0
        for m in re.finditer(r"\[(\w+)\]|([\w-])\?|([\w-])", alternative):
            if m.start() != end:
                break
            end = m.end()
            options = m[1] or (("", m[2]) if m[2] else (m[3],))
            found = [text + option for text in found for option in options]
        if end != len(alternative) or not alternative:
            raise ValueError(f"a regular expression extract._literals does not read: {pattern!r}")
        texts += found
    return texts


# trafilatura's author candidates (``extract_author``'s XPaths), for the test of whether the page has any
_AUTHOR_XPATHS = [XPath(_without_regex(x.path)) for x in AUTHOR_XPATHS]

# the tests of those XPaths: an attribute's value or part, an element by name (a child "rel='me'", "//author"); the rest
_VALUE = re.compile(r"@[\w-]+\s*=\s*'([^']*)'|contains\(@[\w-]+,\s*'([^']*)'\)")
_ELEMENT = re.compile(r"(?<![@:\w-])(\w+)\s*=\s*'[^']*'|//(\w+)(?=\s*(?:\||$))")
_SYNTAX = re.compile(r"//\*|self::\w+|\bor\b|[\[\]()|\s]")
_CHAR_REF = re.compile(r"&#([xX][0-9a-fA-F]+|[0-9]+)")  # (libxml2 reads one without its ";" too)


def _author_words(paths: list[str]) -> tuple:
    """What the text of a page holds, in either case, when one of trafilatura's author XPaths ``paths`` (as
    ``_without_regex`` writes them) selects an element of its tree: a value or part of an attribute they test, or the
    start tag of an element they look for ("<rel"); but for character references (see ``_may_name_author``). A test
    of another form stops the import."""
    words = []
    for path in paths:
        words += [value or part for value, part in _VALUE.findall(path)]
        words += ["<" + (child or step) for child, step in _ELEMENT.findall(path)]
        rest = _SYNTAX.sub("", _ELEMENT.sub("", _VALUE.sub("", path)))
        if rest:
            raise ValueError(f"trafilatura's author XPath has a test extract._author_words does not read: {rest!r}")
    return tuple(dict.fromkeys(word.lower() for word in words))


_AUTHOR_WORDS = _author_words([x.path for x in _AUTHOR_XPATHS])
_AUTHOR_CHARS = set("".join(_AUTHOR_WORDS).replace("<", ""))


def _may_name_author(source: str) -> bool:
    """False when no element of the page parsed from ``source`` can be an author candidate: its text holds none of
    ``_AUTHOR_WORDS`` (an attribute's value, an element's start tag: as they are in the page but for character
    references, and the HTML parser's named entities are none of these words' characters) and no character
    reference to one of their characters. Cheaper than the XPaths on a page without candidates, which read 15
    attributes of every element (a generated page's author search: 1.0 ms)."""
    lowered = source.lower()
    if any(word in lowered for word in _AUTHOR_WORDS):
        return True
    for ref in _CHAR_REF.finditer(source):
        digits = ref[1]
        try:
            char = chr(int(digits[1:], 16) if digits[0] in "xX" else int(digits))
        except (ValueError, OverflowError):
            return True  # (not a character: whatever the parser makes of it)
        if char.lower() in _AUTHOR_CHARS:
            return True
    return False


_CARD_TAGS = ("div", "section", "article", "header", "footer", "figure", "p", "ul", "ol", "li", "dl", "table")
_CARD_TAGS += ("blockquote", "h1", "h2", "h3", "h4", "h5", "h6")


def _unwrap_cards(tree) -> None:
    """Turn each link that wraps blocks (a card: heading, teaser and price in one <a>) into a <div>.

    trafilatura counts all of a card's text as link text, so its link-density filters drop
    listings and topic pages made of cards. The card stays one box, as the page shows it:
    its parts do not join the flow of the box around it (which made trafilatura take a
    grid of product cards for a shop category's text). The markers of ``_mark_links``
    (set before) still tell ``_trim`` which text is a site link.
    """
    for a in [a for a in tree.iter("a") if len(a) and next(a.iterdescendants(*_CARD_TAGS), None) is not None]:
        a.tag = "div"


_DIALOGS = XPath(
    # (every element, without "//*"'s step through every node; whether the attributes exist first: few elements have one)
    "/descendant::*[self::dialog or @role or @aria-modal]"
    "[self::dialog or @role='dialog' or @role='alertdialog' or @aria-modal='true'][not(@aria-modal='false')]"
)


def _drop_dialogs(tree, texts) -> None:
    """Remove dialogs (<dialog>, role="dialog" or "alertdialog", aria-modal="true"): cookie
    banners, consent centres, sign-up pop-ups, app prompts. A dialog marked non-modal
    (aria-modal="false") stays: pages use such sheets for a product's description."""
    gone = set()
    for el in _DIALOGS(tree):
        if el.tag not in ("html", "body") and not gone.intersection(el.iterancestors()):
            gone.add(el)
            texts.drop(el)


def _title(title, tree):
    """trafilatura's title, unless the page's <title> starts with another heading (plus a
    site suffix): trafilatura takes the <h1>, which on section templates names the section
    ("Allergies Health Center", often also the <title>'s suffix) rather than the article."""
    page = _WS.sub(" ", tree.findtext("head/title") or "").strip().casefold()
    if not page or (title and _names(page, title)):
        return title
    heads = (_WS.sub(" ", h.text_content()).strip() for h in tree.iter("h1", "h2", "h3"))
    named = [h for h in heads if len(h) >= 10 and _names(page, h)]
    if named:  # "<Article> | <Site>": the site's name is not the article's title
        return max(named, key=len)
    return title


def _names(page: str, heading: str) -> bool:
    """True if the page <title> (case-folded) is ``heading``, possibly plus a site suffix."""
    return page.startswith(heading.casefold()) and bool(_TITLE_END.match(page, len(heading)))


def _run(tree, url, prune_xpaths, **mode) -> list:
    """Blocks (see ``_blocks``) of trafilatura's XML body of ``tree`` (which trafilatura
    copies).

    trafilatura runs as ``extract()`` does by default (balanced, links stripped: with links
    kept its link-density filters drop link-rich content such as listings), or with
    ``mode`` (favor_recall=True, fast=True). Internal links reach the text as markers (see
    ``_mark_links``). No XML clean-up: merging nested <code> (``strip_double_tags``) loses
    the lines after its first <lb/>. Output "xml": the body alone, without the plain text
    that the default ("python") renders from it and nothing here reads.
    """
    ours = _OURS.set(True)
    _compared.set(None)
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            output_format="xml",
            with_metadata=False,
            include_comments=False,
            include_tables=True,
            include_formatting=False,
            include_links=False,
            include_images=False,
            prune_xpath=list(prune_xpaths) or None,
            **mode,
        )
    finally:
        _OURS.reset(ours)
    return [] if doc is None else list(_blocks(doc.body))


# trafilatura compares its extraction with readability's on every page (about 6% of a generated page's cleaning) and
# takes readability's only by the rules of ``trafilatura.external._prefer_readability``. In ``_run``, readability is
# given an empty page where no text it could find passes those rules: the same result, without readability's run.
_OURS = ContextVar("ours", default=False)  # in ``_run``: other callers of trafilatura get it as it is
_compare_extraction = trafilatura.core.compare_extraction


def _compare(cleaned_tree, raw_tree, body, text, options):
    """``trafilatura.core.compare_extraction``, with an empty page for readability in ``_run`` where
    ``_readability_loses``."""
    if _OURS.get() and _readability_loses(raw_tree, body, len(text), options):
        raw_tree = fromstring("<html><body></body></html>")  # (readability's text: "", which never wins)
    found = _compare_extraction(cleaned_tree, raw_tree, body, text, options)
    if _OURS.get():
        # (below trafilatura's least size its baseline may replace the text before the page is measured)
        _compared.set(len(found[1]) if len(found[1]) >= options.min_extracted_size else None)
    return found


trafilatura.core.compare_extraction = _compare

# trafilatura measures the whole page (``html2txt``: a copy of it cleaned and spaced, about 4% of a generated page's
# cleaning) after each extraction under ``ESCALATION_MAX_LENGTH`` characters, only to retry in recall mode when the
# extraction is under ``ESCALATION_PAGE_SHARE`` of the page. In ``_run`` that measure is skipped where a bound on the
# page's text shows the retry cannot happen.
_compared = ContextVar("compared", default=None)  # the length of the text ``_compare`` just returned in ``_run``
_html2txt = trafilatura.core.html2txt


def _page_text(tree, clean: bool = True) -> str:
    """``trafilatura.core.html2txt``, which trafilatura's cascade calls only for the test ``len(text) <
    ESCALATION_PAGE_SHARE * len(html2txt(tree))`` (``text``: the extraction ``_compare`` returned); "" (the test
    fails, as it would) in ``_run`` when ``text`` is at least that share of ``_page_bound(tree)``."""
    length = _compared.get()
    _compared.set(None)
    if _OURS.get() and length is not None and length >= trafilatura.core.ESCALATION_PAGE_SHARE * _page_bound(tree):
        return ""
    return _html2txt(tree, clean)


trafilatura.core.html2txt = _page_text


def _page_bound(tree) -> int:
    """At least ``len(html2txt(tree))``: html2txt's text is the body's with elements removed and a space written before
    the text and the tail of each block element, whitespace runs made one space. Removing text never adds a word or a
    character, and each space splits at most one word: at most the body's characters and words (``str.split``'s),
    plus two words for each block element (``_piece``'s measures of the body's text)."""
    body = tree.find(".//body")
    if body is None:
        body = tree
    _, chars, words, _, _ = _piece(tostring(body, method="text", encoding=str, with_tail=False))
    return chars + words + 2 * sum(1 for _ in body.iter(*_BLOCK_ELEMS))


def _readability_loses(raw_tree, body, length: int, options) -> bool:
    """True when ``_prefer_readability`` (balanced mode) rejects readability's text whatever it is, for an extraction
    ``body`` of ``length`` characters. Readability's text is at most ``raw_tree``'s outside the scripts, styles and
    fencedframes that it drops first, plus "VIDEO" in an iframe (the one text it writes), so it is never more than
    twice ``length``; and it cannot win by a fault of ``body`` (no paragraph text, more tables than paragraphs)
    when it is at most twice the least extraction size or ``body`` has neither fault."""
    if options.focus != "balanced" or not length:
        return False
    most = len(tostring(raw_tree, method="text", encoding=str)) + 5 * sum(1 for _ in raw_tree.iter("iframe"))
    for el in raw_tree.iter(*_DROPPED_FIRST):
        if next(el.iterancestors(*_DROPPED_FIRST), None) is None:
            most -= len(tostring(el, method="text", encoding=str, with_tail=False))
    if most > 2 * length:
        return False
    return most <= 2 * options.min_extracted_size or (
        bool(body.xpath(".//p//text()")) and len(body.findall(".//table")) <= len(body.findall(".//p"))
    )


_DROPPED_FIRST = ("script", "style", "fencedframe")  # readability's first step drops them, text and all


def _gap(tree, blocks) -> float:
    """Characters (whitespace aside) of the page's text between the start of the first of
    ``blocks`` and the end of the last that are not in ``blocks``: what trafilatura's recall
    mode could add between them (``_span`` keeps no more). Infinite when that is not known:
    no blocks, or their first or last text not found as it is in the page, or found out of
    order (the blocks are not in page order)."""
    if not blocks:
        return float("inf")
    body = tree.find("body")
    page = _MARKS.sub("", "".join("".join(t.split()) for t in (tree if body is None else body).itertext()))
    first, last = ("".join(blocks[i][1].split()) for i in (0, -1))
    start, end = page.find(first), page.rfind(last)
    if start < 0 or end < 0:
        return float("inf")
    gap = end + len(last) - start - sum(len("".join(b[1].split())) for b in blocks)
    return gap if gap >= 0 else float("inf")


def _span(core, wide):
    """Blocks of ``wide`` from the first to the last block of ``core``, without the
    link-only paragraphs (inline "read more" teasers) that only ``wide`` has.

    Falls back to ``core`` when ``wide`` does not contain most of it (recall mode then
    picked another part of the page), and is all of ``wide`` when ``core`` is empty.
    """
    if not core:
        return wide  # the balanced run found nothing: what recall mode found is the text
    keys = {b[1] for b in core}
    hits = [i for i, b in enumerate(wide) if b[1] in keys]
    found = sum(len(wide[i][1]) for i in set(hits))
    if not hits or found < 0.8 * sum(len(t) for t in keys):
        return core
    return [b for b in wide[hits[0] : hits[-1] + 1] if b[1] in keys or not (b[0] == "p" and b[2] >= 0.9)]


def _trim(blocks, minor: float = 0.3):
    """Drop site-link boxes -> [(kind, text)].

    Removes link-only blocks (links within the site: breadcrumbs, related-article lists,
    teasers), teaser cards and orphan headings from the ends, and any section whose blocks
    are all such links ("Alternate Versions: Español"). Each of the three only while what
    it removes is a ``minor`` share of the text: where links and cards are most of what
    trafilatura found (a listing, a docs index), they are the content.
    """
    size = [len(b[1]) for b in blocks]
    total = sum(size) or 1
    drop = set()
    start, end = 0, len(blocks)
    while start < end and blocks[start][2] >= 0.9:
        start += 1
    if sum(size[:start]) > minor * total:
        start = 0
    while end > start:
        if blocks[end - 1][2] >= 0.9 or blocks[end - 1][0] == "h":
            end -= 1
        elif end - start > 1 and _card(blocks[end - 2], blocks[end - 1]):
            end -= 2
        else:
            break
    end = _closing_box(blocks, start, end)
    if sum(size[end:]) > minor * total:
        end = len(blocks)
    drop.update(range(start))
    drop.update(range(end, len(blocks)))
    boxes = set()
    heads = [i for i in range(start, end) if blocks[i][0] == "h"] + [end]
    for i, nxt in zip(heads, heads[1:]):
        body = range(i + 1, nxt)
        if body and all(blocks[j][2] >= 0.9 for j in body):
            # a long "heading" is a styled paragraph, not the box's title
            boxes.update(range(i, nxt) if size[i] <= 80 else body)
    if sum(size[j] for j in boxes) <= minor * total:
        drop |= boxes
    # a paragraph that is one site link ("See how ... can help"), on a page of prose
    teasers = {
        i for i in range(start, end) if blocks[i][0] == "p" and blocks[i][2] >= 0.9 and size[i] < 200 and i not in drop
    }
    prose = sum(size[i] for i in range(start, end) if blocks[i][2] < 0.5)
    if prose >= 0.8 * total and sum(size[i] for i in teasers) <= TEASERS * total:
        drop |= teasers
    return [(k, t) for i, (k, t, _) in enumerate(blocks) if i not in drop]


TEASERS = 0.15
KEEP = 0.5
SHORT = 2000
TAKEN = 0.5  # share of its container's paragraph text that trafilatura's run is expected to keep
GAP = 100  # a line or two: a caption, a label, a pager, not worth a second trafilatura run


def _closing_box(blocks, start: int, end: int) -> int:
    """End of ``blocks[start:end]`` without a closing box: a heading and a few short lines
    after the last prose paragraph ("Thanks! Now check your email", "This article is
    exclusive to subscribers. Log in")."""
    last = next(
        (
            i
            for i in range(end - 1, start - 1, -1)
            if blocks[i][0] == "p" and len(blocks[i][1]) * (1 - blocks[i][2]) >= 100
        ),
        None,
    )
    if last is None:
        return end
    tail = blocks[last + 1 : end]
    if any(b[0] == "h" for b in tail) and all(b[0] in ("h", "p") for b in tail) and sum(len(b[1]) for b in tail) < 300:
        return last + 1
    return end


def _card(head, body) -> bool:
    """A teaser card: a heading that is a site link, then a one-line blurb."""
    return head[0] == "h" and head[2] >= 0.9 and body[0] == "p" and len(body[1]) < 200


def _drop_back_matter(blocks):
    """Drop reference lists and similar back matter: a section under a back-matter
    heading, up to the next other heading."""
    kept, skip = [], False
    for kind, text in blocks:
        if kind == "h":
            skip = bool(_BACK.fullmatch(text.strip(" :")))
        if not skip:
            kept.append((kind, text))
    return kept


def is_clutter(block) -> bool:
    """True for a block that is pager text, a "(continued)" heading or a lone widget label."""
    kind, text = block
    text = text.strip()
    if (kind != "cell" and _PAGER.fullmatch(text)) or _JUNK.fullmatch(text):
        return True
    return kind == "h" and bool(_CONTINUED.search(text))


def take_review(blocks):
    """Remove review statements from ``blocks`` -> (blocks, reviewed_by, reviewed_on)."""
    by = on = None
    kept = []
    for kind, text in blocks:
        m = _REVIEW.match(text) if len(text) < 200 else None
        if m and by is None:
            by, on = m["by"].strip(" ,;"), m["on"]
            rest = (m["rest"] or "").strip(" .;,")
            if rest:
                kept.append((kind, rest))
            continue
        kept.append((kind, text))
    return kept, by, on


def _review_in_dom(tree, html: str | bytes) -> tuple[str | None, str | None]:
    """(reviewed_by, reviewed_on) from the page's byline area, which trafilatura drops."""
    # one text node holds the phrase: it is in the page source as it is (checked first: cheap)
    if not _REVIEWED[isinstance(html, bytes)].search(html):
        return None, None
    for node in _REVIEW_NODES(tree):
        el = node.getparent()
        if "reviewed by" not in node.lower():
            continue
        while el is not None and el.tag not in ("body", "html"):
            text = el.text_content()
            if _squashed_len(text) > 200:
                break
            m = _REVIEW.match(_WS.sub(" ", text).strip())
            if m:
                return m["by"].strip(" ,;"), m["on"]
            el = el.getparent()
    return None, None


# --- DOM clean-up before trafilatura -------------------------------------------------


def declutter(tree, host: str = ""):
    """Remove clutter found by structure, in place.

    Script and style text goes (JSON-LD stays), reference lists folded in <details>, skip
    links and call-to-action boxes (see ``_calls_to_action``); decoy containers lose their
    name (see ``_mark_main``). Each small form with a text field (a sign-up, search or login
    box) and each element whose whole text is an ad or byline label (``_CUES``) goes with
    the box around it, climbing while the parent adds little non-link text (the form's or
    cue's budget); a container holding a large share of the page's paragraph text, or
    article body besides the hit's own box (see ``_is_body``), is never removed. Then
    dialogs, teaser boxes among the article's paragraphs (``_teaser_boxes``) and link boxes
    after it (``_link_boxes``) go. ``host`` is the page's: links to it are the site's own.
    Returns what ``_mark_main`` pointed trafilatura at (see there), or None.
    """
    for el in tree.iter(*_DROP_TAGS):
        # structured data stays: trafilatura reads schema.org DiscussionForumPosting in it
        if el.tag != "script" or (el.get("type") or "").lower() != "application/ld+json":
            el.text = None
    texts = _Texts(tree)
    _keep_callouts(tree, texts)
    for summary in list(tree.iter("summary")):  # <details><summary>References</summary>
        parent = summary.getparent()
        if (
            parent is not None
            and parent.tag == "details"
            and parent.getparent() is not None
            and _BACK.fullmatch(_WS.sub(" ", summary.text_content()).strip(" :"))
        ):
            texts.drop(parent)
    steer = _mark_main(tree, texts)
    _drop_skip_links(tree, texts)
    calls = list(_calls_to_action(tree, texts))
    if len(calls) < CALLS:  # more are the page's own sections: a home page's banners, a list of offers
        _drop_boxes(calls, texts)
    total = texts.paragraphs(tree) or 1
    hits = []
    matches = {}  # text as it is -> the cues its squashed text matches (nested elements often hold the same text)
    for el, raw in _short_texts(tree, texts).items():
        if el.tag in ("html", "body", "head", "title", "meta"):
            continue
        if raw not in matches:
            matches[raw] = _cue_matches(" ".join(raw.split()))
        for i in matches[raw]:
            cue, budget, only = _CUES[i]
            if only == "text" and el.tag in _HEADS:
                continue
            hits.append((el, budget))
            break
    hits += [(form, FORM_BOX) for form in _small_forms(tree, texts)]
    for el, budget in hits:
        box = _container(el, budget, total, texts)
        if box.getparent() is not None:
            texts.drop(box)
    _drop_dialogs(tree, texts)
    _drop_boxes([*_teaser_boxes(tree, host, texts), *_link_boxes(tree, host, texts)], texts)
    return steer


def _drop_boxes(boxes, texts) -> None:
    """Remove each of ``boxes`` not already gone with an earlier one."""
    for box in boxes:
        if box.getparent() is not None:
            texts.drop(box)


CALLS = 3  # call-to-action boxes on one page from which they are its sections
FORM_BOX = 150  # non-link text a form's box may add: a title and a line of blurb


def _drop_skip_links(tree, texts) -> None:
    """Remove the in-page links ("#main") that come before any other text of the page:
    skip links for keyboard and screen-reader users, never content."""
    body = tree.find("body")
    if body is None:
        return
    skips = []
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        link = next((a for a in [el, *el.iterancestors("a")] if a.tag == "a"), None)
        inside = link is not None and (link.get("href") or "").startswith("#")
        if el.text and el.text.strip():
            if not inside:
                break
            if link not in skips:
                skips.append(link)
        if el.tail and el.tail.strip() and not (inside and link is not el):
            break
    for a in skips:
        texts.drop(a)


def _calls_to_action(tree, texts):
    """Boxes of one short text and one button: a single link of one to three words, not a
    heading, beside (not inside) the box's paragraph or heading ("Get the latest news about
    our courses. [Subscribe]"). A box whose tag and class occur again on the page is a card
    of a list, and stays; so do all of them when a page has ``CALLS`` or more (``declutter``):
    a series of such boxes is the page's sections (banners of a home page, each a title, a
    line and a "Learn more"), not a call to action beside its text."""
    shapes = Counter((el.tag, el.get("class")) for el in tree.iter("div", "section", "aside"))
    for a in tree.iter("a"):  # (the known measures first, then the walks)
        words = texts.words(a)
        if not 1 <= words <= 3:
            continue
        box = a.getparent()
        while box is not None and texts.words(box) == words:
            box = box.getparent()  # wrappers around the button
        if box is None or box.tag not in ("div", "section", "aside") or shapes[(box.tag, box.get("class"))] != 1:
            continue
        if texts.squashed(box) > 200 or next(a.iterancestors(*_HEADS), None) is not None:
            continue
        if sum(1 for _ in box.iter("a")) != 1:
            continue
        ancestors = set(a.iterancestors())
        if any(el not in ancestors for el in box.iter("p", *_HEADS)):
            yield box


_TEXT_PARTS = ("ul", "ol", "dl", "table", "pre", "blockquote", "form", "iframe", "video", "audio")


def _teaser_boxes(tree, host: str, texts):
    """In-body teaser and promo boxes ("Recommended ... [title] blurb [Read the article]",
    "[Video title] blurb"): among the paragraphs of an article, a box of another tag or
    class than the paragraphs (prose siblings of one signature, see ``_Texts.prose``) that holds
    a link of its own to one other page of the site (a link that is a whole line, not a link
    inside a sentence), little text besides (at most ``TEASER_TEXT`` characters outside the
    links) and none of the article's own structures (lists, tables, quotes, forms, media).
    Beside a single paragraph, only a card: a thumbnail link, or two links to the page."""
    for parent in {p.getparent() for p in tree.iter("p")} - {None}:
        shapes = Counter((c.tag, c.get("class")) for c in parent if isinstance(c.tag, str) and _paragraph(c, texts))
        shape, count = max(shapes.items(), key=lambda kv: kv[1], default=(None, 0))
        if not count:
            continue
        for box in parent:
            if box.tag not in ("div", "section", "aside") or (box.tag, box.get("class")) == shape:
                continue
            text = texts.squashed(box)
            if not text or text > 2 * TEASER_TEXT or next(box.iterdescendants(*_TEXT_PARTS), None) is not None:
                continue
            links = [a for a in box.iter("a") if _target(a.get("href"), host)]
            targets = {_target(a.get("href"), host) for a in links}
            if (
                len(targets) != 1
                or text - texts.links(box) > TEASER_TEXT
                or not any(_whole_line(a, texts) for a in links)
            ):
                continue
            # beside a single paragraph, only a card: a thumbnail link, or a title and a "read more" link
            if count >= 2 or len(links) >= 2 or any(next(a.iter("img"), None) is not None for a in links):
                yield box


def _link_boxes(tree, host: str, texts):
    """Related-article boxes after the article: a heading over two or more lines that are
    each a link to another page of the site ("[Title] blurb" cards, a "most read" list),
    with no prose paragraph, after the element that holds the article's prose (the deepest
    holding half of it, see ``_Texts.prose``), all of them together smaller than it. Listings and
    forums are inside that element (their items are its prose) or larger than it, and stay."""
    weight = _weights(tree, texts.prose)
    main = _deepest(weight, 0.5 * weight.get(tree.find("body"), 0))
    if main is None or main.tag in ("body", "html"):
        return
    size = texts.squashed(main)
    boxes, found, lines = [], 0, {}  # lines: link -> the page it points to, if it is a whole line
    # what follows ``main`` in document order, outside it: the later siblings of it and of its ancestors
    later = (el for x in [main, *main.iterancestors()] for sib in x.itersiblings() for el in sib.iter())
    for el in later:
        if el.tag not in ("div", "section", "aside", "nav"):
            continue
        if next((c for c in el if isinstance(c.tag, str) and c.tag in _HEADS), None) is None:
            continue
        if weight.get(el) or (boxes and boxes[-1] in el.iterancestors()):
            continue
        for a in el.iter("a"):
            if a not in lines:
                lines[a] = _target(a.get("href"), host) if _whole_line(a, texts) else None
        targets = {lines[a] for a in el.iter("a")} - {None}
        if len(targets) >= 2:
            boxes.append(el)
            found += texts.squashed(el)
    if found <= size:  # more than the article: the page's own sections of links (a listing)
        yield from boxes


TEASER_TEXT = 250  # characters outside links in a teaser box: a label, a title, a blurb


def _weights(tree, measure) -> dict:
    """Element -> the ``measure`` (a length) of the paragraphs inside it, for the page's
    paragraphs with a non-zero measure and their ancestors."""
    weight = {}
    for p in tree.iter("p"):
        n = measure(p)
        if n:
            for el in [p, *p.iterancestors()]:
                weight[el] = weight.get(el, 0) + n
    return weight


def _deepest(weight: dict, least: float):
    """The deepest element whose weight is ``least`` or more, or None."""
    deep = [el for el, w in weight.items() if w >= least]
    return max(deep, key=lambda el: sum(1 for _ in el.iterancestors()), default=None)


def _paragraph(el, texts) -> bool:
    """True for a prose paragraph (see ``_Texts.prose``) with no block inside: not a box. (Its measures first: they
    are known, the search for a block is a walk.)"""
    return texts.prose(el) > 0 and next(el.iterdescendants(*_BOXES), None) is None


_BOXES = ("p", "div", "section", "aside", "article", "figure", *_HEADS, *_TEXT_PARTS)


def _target(href: str | None, host: str) -> str | None:
    """The page of the site that ``href`` points to, or None for another site, a script or
    a link to a place in a page (a fragment: a footnote, a section of this page)."""
    href = (href or "").strip()
    if not href or "#" in href or href.startswith(("javascript:", "mailto:", "tel:")) or _host(href, host) != host:
        return None
    return href


def _whole_line(a, texts) -> bool:
    """True if link ``a`` has text and no text beside it in its line: a title or a "read
    more" line, not a link inside a sentence."""
    if not texts.chars(a):
        return False
    el = a
    while True:
        parent = el.getparent()
        if parent is None:
            return True
        if (parent.text or "").strip() or any((c.tail or "").strip() for c in parent):
            return False
        if any(c is not el and c.tag in _INLINE_TAGS and texts.chars(c) for c in parent):
            return False
        if parent.tag not in _INLINE_TAGS:
            return True
        el = parent


_INLINE_TAGS = ("a", "span", "b", "strong", "em", "i", "u", "small", "mark", "font", "abbr", "cite", "time", "label")


def _small_forms(tree, texts):
    """Forms with a text field and little text: sign-up, search and login boxes."""
    for form in tree.iter("form"):
        fields = [i for i in form.iter("input") if (i.get("type") or "text").lower() in ("text", "email", "search")]
        if fields and texts.squashed(form) <= 200:
            yield form


def _cue_matches(text: str) -> tuple:
    """Indexes of the cues that ``text`` matches as a whole."""
    if not text or not (_QUICK.fullmatch(text) or any(word in text.lower() for word in _WILD)):
        return ()
    return tuple(i for i, (cue, _, _) in enumerate(_CUES) if cue.fullmatch(text))


def _short_texts(tree, texts) -> dict:
    """Element -> its text content, for the elements in document order whose text holds 1 to
    ``SHORT_TEXT`` non-whitespace characters (a cue's element), as ``texts`` built them."""
    found = {}
    for el in tree.iter():
        text = texts.short(el)
        if text is not None:
            found[el] = text
    return found


SHORT_TEXT = 400  # non-whitespace characters of the text of an element that may be a cue's


class _Texts:
    """Measures of each element's text as ``text_content()`` gives it, for ``declutter``'s questions: its length
    squashed (whitespace runs as one space, stripped: ``_squashed_len``), stripped, in words, and the stripped
    length of the links (``a``) and of the paragraphs (``p``) in it, self included; the text itself when it is short
    (``SHORT_TEXT``). All are found in one pass from the leaves up (each text and tail read and split once), not by
    building and splitting an element's text once per question (several hundred times a page, most of them long
    texts). Exact while the tree changes only through ``drop``: it forgets the removed element's ancestors, measured
    again from their children when next asked."""

    def __init__(self, tree):
        self._of = of = {}  # element -> (measures of its text (see _piece), links, paragraphs, short text or None)
        for el in reversed(list(tree.iter())):  # children first
            of[el] = _measure(el, of)

    def _get(self, el) -> tuple:
        found = self._of.get(el)
        if found is None:  # an ancestor of a removed element
            for child in el:
                self._get(child)
            found = self._of[el] = _measure(el, self._of)
        return found

    def squashed(self, el) -> int:
        """``_squashed_len(el.text_content())``."""
        _, solid, words, _, _ = self._get(el)[0]
        return solid + words - 1 if words else 0

    def chars(self, el) -> int:
        """Non-whitespace characters in ``el``'s text."""
        return self._get(el)[0][1]

    def words(self, el) -> int:
        """``len(el.text_content().split())``."""
        return self._get(el)[0][2]

    def links(self, el) -> int:
        """Length of the link text in ``el``: ``len(a.text_content().strip())`` summed over ``el.iter("a")``."""
        return self._get(el)[1]

    def paragraphs(self, el) -> int:
        """Length of the paragraph text in ``el`` (the article's bulk), as ``links`` for ``p``."""
        return self._get(el)[2]

    def short(self, el) -> str | None:
        """``el.text_content()`` if it holds 1 to ``SHORT_TEXT`` non-whitespace characters, else None."""
        text, _, _, short = self._get(el)
        return short if text[1] else None

    def plain(self, el) -> int:
        """Length of the non-link text in ``el``."""
        return self.squashed(el) - self.links(el)

    def prose(self, el) -> int:
        """Length of ``el``'s text if it is a paragraph of prose (80+ characters, under half of them link text),
        else 0."""
        text = self.squashed(el)
        return text if text >= 80 and text - self.links(el) > 0.5 * text else 0

    def drop(self, el) -> None:
        """``_drop(el)``; its ancestors' texts shrink."""
        for up in el.iterancestors():
            self._of.pop(up, None)
        _drop(el)


def _measure(el, of: dict) -> tuple:
    """``_Texts``' measures of ``el`` from those of its children in ``of``."""
    if not isinstance(el.tag, str):  # a comment: its text is not content (its tail is)
        return _NO_TEXT, 0, 0, ""
    own = el.text  # (each text and tail read once: lxml builds a new string on each read)
    text = _piece(own)
    parts = [own or ""]  # of the short text; None once a child's is too long (then so is this one)
    links = paras = 0
    for child in el:
        inner, child_links, child_paras, short = of[child]
        tail = child.tail
        if inner[0]:
            text = _join(text, inner)
        if tail:
            text = _join(text, _piece(tail))
        links += child_links
        paras += child_paras
        if short is None:
            parts = None
        elif parts is not None:
            parts += (short, tail or "")
    if el.tag == "a":
        links += _stripped(text)
    elif el.tag == "p":
        paras += _stripped(text)
    return text, links, paras, "".join(parts) if parts is not None and text[1] <= SHORT_TEXT else None


_NO_TEXT = (0, 0, 0, 0, 0)


def _piece(text: str | None) -> tuple:
    """(length, non-space characters, words, leading space, trailing space) of a text: str.split's and str.strip's
    whitespace (str.isspace)."""
    if not text:
        return _NO_TEXT
    size = len(text)
    words = text.split()
    if not words:
        return size, 0, 0, size, size
    return size, len("".join(words)), len(words), size - len(text.lstrip()), size - len(text.rstrip())


def _join(a: tuple, b: tuple) -> tuple:
    """The measures (see ``_piece``) of text ``a`` followed by text ``b``."""
    if not b[0]:
        return a
    if not a[0]:
        return b
    size, solid, words, lead, trail = a
    n, s, w, ld, tr = b
    return (
        size + n,
        solid + s,
        words + w - (not trail and not ld),  # one word across the two ends
        lead if solid else size + ld,
        tr if s else trail + n,
    )


def _stripped(text: tuple) -> int:
    """``len(text.strip())`` of a text's measures."""
    size, solid, _, lead, trail = text
    return size - lead - trail if solid else 0


def _mark_main(tree, texts):
    """Point trafilatura at the article container.

    trafilatura takes the first element matching its container patterns (BODY_XPATH);
    when that is a breadcrumb bar or a teaser holding little of the page's paragraph
    text, it comes up short and falls back to a paragraph-only pass that loses headings
    and lists. Such decoys (under 30% of the page's paragraph text) lose their class/id,
    up to ten: more small matches than that are the page's cards or sections, and all
    keep their names. A match holding 30% is the container, unless an earlier match of its
    tag and class holds a prose paragraph (80+ characters): then it is one of a series of
    posts (a question and its answers) and the search goes on to the element around them.
    If no container is left, the deepest element holding 70% of the paragraph text
    becomes an <article>, unless 10% of it comes before that element (a post above its
    comments). Returns (the container trafilatura is now pointed at, [(element, tag,
    attributes) as they were]) when it stripped or named anything, else None.
    """
    weight = _weights(tree, texts.squashed)
    total = weight.get(tree.find("body"), 0)
    if not total:
        return None
    undo = []
    seen = set()
    hits = (el for el in _body_hits(tree) if el not in seen)
    for _ in range(10):
        hit = next(hits, None)
        if hit is None:
            break
        seen.add(hit)
        if weight.get(hit, 0) >= 0.3 * total and not _series(hit, undo, weight):
            return (hit, undo) if undo else None
        undo.append((hit, hit.tag, dict(hit.attrib)))
        for attr in _BODY_ATTRS:
            hit.attrib.pop(attr, None)
        if hit.tag in ("article", "main"):
            hit.tag = "div"
    else:
        # ten small matches and no container: a page of cards or sections, not decoys
        for el, tag, attrib in undo:
            el.tag = tag
            el.attrib.update(attrib)
        return None
    best = _deepest(weight, 0.7 * total)
    if best is not None and _before(tree, best, texts) >= 0.1 * total:
        best = None  # the text starts before it: a post above its comments
    if best is not None and best.tag in ("div", "section", "main", "td"):
        undo.append((best, best.tag, {}))
        best.tag = "article"
        return best, undo
    return None


def _series(hit, stripped, weight) -> bool:
    """True if one of the ``stripped`` (element, tag, attributes) matches had ``hit``'s tag
    and class and a prose paragraph's weight (80+ characters): ``hit`` is one more post."""
    sig = (hit.tag, hit.get("class"))
    return any((tag, attrib.get("class")) == sig and weight.get(el, 0) >= 80 for el, tag, attrib in stripped)


def _before(tree, el, texts) -> int:
    """Length of the paragraph text before ``el`` in document order."""
    inside = set(el.iterdescendants("p"))
    n = 0
    for p in tree.iter("p"):
        if p in inside:
            break
        n += texts.squashed(p)
    return n


def _body_hits(tree):
    """The elements that trafilatura's container patterns (BODY_XPATH) select, pattern by
    pattern, each pattern's in document order: without its "first match" predicate. Once a
    decoy lost its class/id it matches no pattern, so the next first match is the next
    element here: one pass per pattern instead of one per decoy (an element's key below is
    read once: only the decoys, which ``_mark_main`` skips, change). The patterns are read
    in Python (``_body_test``): lxml runs each re:test of an XPath as a Python call on
    every candidate element, here each distinct tag and attributes are tested once."""
    items = [(el, (el.tag, *map(el.get, _BODY_ATTRS))) for el in tree.iterdescendants(*_BODY_TAGS)]
    for _, test in _BODY_TESTS:
        memo = {}
        for el, key in items:
            if key not in memo:
                memo[key] = test(key)
            if memo[key]:
                yield el


_BODY_ATTRS = ("class", "id", "role", "itemprop")
# one test of a BODY_XPATH predicate: an attribute's value, start, part (case-mapped) or regular expression
_ATOM = (
    r"\s*(?:@(?P<eq>[\w-]+)='(?P<eqv>[^']*)'"
    r"|re:test\(@(?P<re>[\w-]+),\s*'(?P<rev>[^']*)'(?:,\s*'(?P<ref>i)')?\)"
    r"|starts-with\(@(?P<sw>[\w-]+),\s*'(?P<swv>[^']*)'\)"
    r"|contains\(translate\(@(?P<tr>[\w-]+),\s*'(?P<tra>\w+)',\s*'(?P<trb>\w+)'\),\s*'(?P<trv>[^']*)'\))\s*"
)
_ANY_ATOM = re.sub(r"\?P<\w+>", "", _ATOM)
# one pattern of an expression: "(.//tag)[1]" or "(.//*[self::a or self::b][t or t ...])[1]", "|" between patterns
_PART = re.compile(
    r"\s*\(?\.//(?:(?P<tag>\w+)|\*\[(?P<tags>self::\w+(?: or self::\w+)*)\]"
    rf"\[(?P<test>{_ANY_ATOM}(?:or{_ANY_ATOM})*)\])(?:\)\[1\]|\[1\]|\))?\s*(?:\||$)"
)


def _body_test(path: str) -> tuple:
    """(tags, test of a key (tag, *``_BODY_ATTRS``)) of one BODY_XPATH expression, read as
    XPath reads it (an absent attribute is "", re:test is lxml's ``re.search``): the tests of
    one attribute are one regular expression (see ``_atom``), searched once. An
    expression of another form stops the import: the Python would not be the XPath."""
    parts, pos = [], 0  # (tags, None for any element or [(attribute's index in a key, its test, absent passes)])
    while pos < len(path.strip()):
        m = _PART.match(path, pos)
        if m is None:
            raise ValueError(f"trafilatura's BODY_XPATH has a form extract._body_test does not read: {path[pos:]!r}")
        pos = m.end()
        if m["tag"]:
            parts.append(({m["tag"]}, None))
            continue
        by_attr = {}  # index -> ([patterns], absent passes)
        for atom in re.finditer(_ATOM + "(?:or|$)", m["test"]):
            i, pattern = _atom(atom)
            absent = not atom["eq"] and re.search(pattern, "") is not None  # (an absent attribute equals no value)
            patterns, before = by_attr.get(i, ([], False))
            by_attr[i] = [*patterns, pattern], before or absent
        tests = [(i, re.compile("|".join(ps)), absent) for i, (ps, absent) in by_attr.items()]
        parts.append((set(re.findall(r"self::(\w+)", m["tags"])), tests))

    def test(key) -> bool:
        for tags, tests in parts:
            if key[0] in tags:
                if tests is None:
                    return True
                for i, rx, absent in tests:
                    value = key[i]
                    if absent if value is None else rx.search(value) is not None:
                        return True
        return False

    return set().union(*(t for t, _ in parts)), test


def _atom(m) -> tuple:
    """(index in a key (tag, *``_BODY_ATTRS``), regular expression) of one ``_ATOM`` match: a
    value ``\\A<value>\\Z``, a start ``\\A<start>``, a translated part a class of the
    characters that translate to each of its characters, a regular expression itself
    (its case flag inline)."""
    i = _BODY_ATTRS.index(m["eq"] or m["re"] or m["sw"] or m["tr"]) + 1
    if m["eq"]:
        return i, rf"\A{re.escape(m['eqv'])}\Z"
    if m["re"]:
        return i, f"(?{'i' if m['ref'] else ''}:{m['rev']})"
    if m["sw"]:
        return i, rf"\A{re.escape(m['swv'])}"
    table = str.maketrans(m["tra"], m["trb"])
    sources = ({c for c in (ch, *m["tra"]) if c.translate(table) == ch} for ch in m["trv"])
    return i, "".join(f"[{''.join(map(re.escape, sorted(cs)))}]" if len(cs) > 1 else re.escape(*cs) for cs in sources)


_BODY_TESTS = [_body_test(expr.path) for expr in BODY_XPATH]
_BODY_TAGS = tuple(set().union(*(tags for tags, _ in _BODY_TESTS)))


def _keep_callouts(tree, texts) -> None:
    """Turn an <aside> that sits among the article's paragraphs and is mostly plain
    text (a callout box, "Don't just sit there!") into a <div>: trafilatura drops asides."""
    for aside in list(tree.iter("aside")):
        parent = aside.getparent()
        if parent is None or len(parent.findall("p")) < 3:
            continue
        text = texts.squashed(aside)
        if text and text - texts.links(aside) > 0.7 * text:
            aside.tag = "div"


def _drop(el) -> None:
    """Remove ``el`` but keep its tail text, which belongs to the parent's flow."""
    parent, prev = el.getparent(), el.getprevious()
    if el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _container(el, budget: int, total: int, texts: _Texts):
    """Largest ancestor-or-self of ``el`` that adds at most ``budget`` non-link chars."""
    base = texts.plain(el)
    box = el
    while True:
        parent = box.getparent()
        if parent is None or parent.tag in ("body", "html", "main", "article"):
            return box
        if texts.plain(parent) - base > budget:
            return box
        if texts.paragraphs(parent) > 0.3 * total or _is_body(parent, box, texts):
            return box
        box = parent


def _squashed_len(text: str) -> int:
    """``len(_WS.sub(" ", text).strip())`` without building that string (str.split's
    whitespace is the regex's \\s: str.isspace)."""
    words = text.split()
    return sum(map(len, words)) + len(words) - 1 if words else 0


def _is_body(parent, box, texts: _Texts) -> bool:
    """True if ``parent`` holds article body besides ``box``: two prose paragraphs (60+
    chars of non-link text), or a heading that is not a link plus one prose paragraph. A
    widget holds at most a title and one blurb."""
    inside = set(box.iter())
    prose = heads = 0
    for el in parent.iter("p", *_HEADS):
        if el in inside:
            continue
        if el.tag == "p":
            prose += texts.plain(el) >= 60
        else:
            heads += texts.plain(el) > 0
        if prose >= 2 or (prose >= 1 and heads >= 1):
            return True
    return False


# --- trafilatura XML -> blocks --------------------------------------------------------


def _host(url: str | None, default: str = "") -> str:
    """Host of ``url`` without "www."; ``default`` for relative links."""
    if not url or "//" not in url:  # no authority part: a relative link (most of a page's links)
        return default
    try:
        netloc = urlsplit(url).netloc.lower()
    except ValueError:  # "http://[ccpa-preferences]": not a link anywhere
        return ""
    return netloc.removeprefix("www.") or default


# Internal links reach trafilatura's text as these rare brackets around the link text: the link
# share of a block is then known without keeping links in trafilatura's run.
_OPEN, _CLOSE = "\u2983", "\u2984"  # printable (trafilatura drops the rest), not \w
_MARKS = re.compile(f"[{_OPEN}{_CLOSE}]")
_NESTED = ("list", "table", "row")
_INLINE = ("hi", "ref", "del")


def _mark_links(tree, host: str) -> None:
    """Put markers around the text of each link within the site (``host``), in place.

    The markers go into the link's first and last text, so that a link with no text of
    its own (an icon) stays empty for trafilatura.
    """
    for a in tree.iter("a"):
        if _host(a.get("href"), host) != host:
            continue
        texts = []
        for el in a.iter():
            if el is not a and (el.tag in _DROP_TAGS or not isinstance(el.tag, str)):
                continue
            if el.text and el.text.strip():
                texts.append((el, "text"))
            if (
                el is not a
                and el.tail
                and el.tail.strip()
                and el.getparent() is not None
                and el.getparent().tag not in _DROP_TAGS
            ):
                texts.append((el, "tail"))
        if texts:
            (first, where), (last, end) = texts[0], texts[-1]
            setattr(first, where, _OPEN + getattr(first, where))
            setattr(last, end, getattr(last, end) + _CLOSE)


def _unmark(raw: str) -> tuple[str, float]:
    """(text without markers, whitespace-normalised; share of its characters inside links)."""
    if _OPEN not in raw:
        return _clean(raw), 0.0
    inside = total = depth = 0
    for part in re.split(f"([{_OPEN}{_CLOSE}])", raw):
        if part == _OPEN:
            depth += 1
        elif part == _CLOSE:
            depth = max(0, depth - 1)
        else:
            n = len("".join(part.split()))
            total += n
            inside += n if depth else 0
    return _clean(raw), (inside / total if total else 0.0)


def _clean(raw: str) -> str:
    """``raw`` without markers and invisible characters (soft hyphens, zero-width spaces:
    trafilatura's own text output drops them too), whitespace-normalised."""
    text = _MARKS.sub("", raw)
    if not text.isprintable():
        text = "".join(c for c in text if c.isprintable() or c.isspace())
    return _WS.sub(" ", text).strip()


def _text(el) -> tuple[str, float, list]:
    """Text of an element without its nested lists/tables (line breaks as spaces), the
    share of it that is text of links within the site, and the nested lists/tables."""
    parts, nested = [], []

    def walk(node):
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag in _NESTED:
                nested.append(child)
            else:
                inline = child.tag in _INLINE
                if not inline:  # <lb/>, nested <p>: word break
                    parts.append(" ")
                walk(child)
                if not inline:
                    parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    walk(el)
    text, share = _unmark("".join(parts))
    return text, share, nested


def _blocks(el):
    """Yield (kind, text, internal link share) for one element of trafilatura's XML and its
    nested lists/tables, wherever they sit."""
    if el.tag == "list":
        for item in el.iterfind("item"):
            text, links, nested = _text(item)
            if text:
                yield "li", text, links
            for sub in nested:
                yield from _blocks(sub)
    elif el.tag in ("table", "row"):
        for row in [el] if el.tag == "row" else el.iterfind("row"):
            cells = [_text(c) for c in row.iterfind("cell")]
            text = " | ".join(t for t, _, _ in cells if t)
            if text:
                yield "cell", text, sum(len(t) * r for t, r, _ in cells) / len(text)
            for _, _, nested in cells:
                for sub in nested:
                    yield from _blocks(sub)
    elif el.tag not in _KIND and any(sub.tag in _BLOCK for sub in el):
        text, links = _unmark(el.text or "")
        if text:  # wrapper (<div>): its own text, then children
            yield "p", text, links
        for sub in el:
            yield from _blocks(sub)
            text, links = _unmark(sub.tail or "")
            if text:
                yield "p", text, links
    else:
        text, links, nested = _text(el)
        if text:
            yield _KIND.get(el.tag, "p"), text, links
        for sub in nested:
            yield from _blocks(sub)
