"""Diff two archived versions of an article.

Archived text holds one block (paragraph, heading, list item) per paragraph,
blocks separated by a blank line.  ``diff`` compares the block lists first,
then diffs word by word inside paragraphs that were edited rather than
rewritten.  The renderers (``unified``, ``words``, ``to_json``,
``html_inline``, ``html_side_by_side``) all work from the ops ``diff`` returns.

Op format, in document order::

    {"op": "equal" | "insert" | "delete" | "replace",
     "old": str | None, "new": str | None,
     "i": int, "j": int,                 # the block's index in the old / new text (when it has one there)
     "words": [(tag, text), ...]}        # "replace" ops only

``words`` tags are "equal", "insert", "delete"; text keeps its whitespace, so
joining the equal+delete texts gives the old block and equal+insert texts the
new one.  A "replace" op is only produced for similar paragraphs; a rewritten
paragraph shows up as a delete followed by an insert.

Collapsing: the HTML views keep ``CONTEXT`` unchanged paragraphs around each
change and fold longer unchanged stretches into a ``<details class="ha-skip">``
whose summary reads "… N unchanged paragraphs …" (the text stays in the page,
expandable without JavaScript).  ``words`` elides every unchanged stretch to
such a "…" line.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from difflib import SequenceMatcher, unified_diff

from archive.text import blocks, count_words
from archive.text import words as text_words

SIMILAR = 0.5  # word-level similarity needed to show a paragraph as edited, not rewritten
OBVIOUS = 0.8  # similarity at which the next new block is paired without looking further
WINDOW = 8  # how far ahead pairing looks for a partner: keeps it O(n * WINDOW), not O(n * m)
CONTEXT = 1  # unchanged paragraphs kept visible around a change in HTML
MIN_COLLAPSE = 3  # fold an unchanged stretch in HTML only if it hides at least this many

_WORD = re.compile(r"(\s*)(\S+)")
_MARKS = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}
# Colour and the markers both: the change stays visible where colour is lost (a pager without -R, a copy-paste).
_ANSI = {
    "delete": ("\x1b[31m" + _MARKS["delete"][0], _MARKS["delete"][1] + "\x1b[0m"),
    "insert": ("\x1b[32m" + _MARKS["insert"][0], _MARKS["insert"][1] + "\x1b[0m"),
}
_CLASS = {"equal": "ha-eq", "insert": "ha-ins", "delete": "ha-del", "replace": "ha-chg"}


def diff(old: str, new: str) -> list[dict]:
    """Diff two texts paragraph by paragraph, then word by word inside edited paragraphs."""
    a, b = blocks(old), blocks(new)
    ops: list[dict] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.extend({"op": "equal", "old": x, "new": x, "i": i1 + k, "j": j1 + k} for k, x in enumerate(a[i1:i2]))
        elif tag == "delete":
            ops.extend({"op": "delete", "old": x, "new": None, "i": i1 + k} for k, x in enumerate(a[i1:i2]))
        elif tag == "insert":
            ops.extend({"op": "insert", "old": None, "new": y, "j": j1 + k} for k, y in enumerate(b[j1:j2]))
        else:
            ops.extend(_pair(a[i1:i2], b[j1:j2], i1, j1))
    return ops


def _pair(olds: list[str], news: list[str], i0: int = 0, j0: int = 0):
    """Yield ops for a replaced range, pairing each old block with a similar new one.

    Greedy and monotonic: an old block takes its best partner among the next
    ``WINDOW`` unpaired new blocks, unless a later old block (within the window)
    matches that partner better.  A near-identical next block is taken at once,
    the common case of a light edit.  Work stays O(n * WINDOW) even when a whole
    page changed.
    """
    old_words = [x.split() for x in olds]
    matchers: dict[int, SequenceMatcher] = {}  # one per new block: its index is built once
    cache: dict[tuple[int, int], float] = {}
    opcodes: dict[tuple[int, int], list] = {}  # word alignments of similar pairs, reused by _word_diff

    def score(i: int, k: int) -> float:
        if (i, k) not in cache:
            if k not in matchers:
                matchers[k] = SequenceMatcher(None, b=news[k].split(), autojunk=False)
            sm = matchers[k]
            sm.set_seq1(old_words[i])
            # The cheap upper bounds reject most dissimilar pairs before the costly ratio().
            ok = sm.real_quick_ratio() >= SIMILAR and sm.quick_ratio() >= SIMILAR
            cache[i, k] = sm.ratio() if ok else 0.0
            if cache[i, k] >= SIMILAR:
                opcodes[i, k] = sm.get_opcodes()
        return cache[i, k]

    def partner(i: int, j: int) -> int | None:
        if j < len(news) and score(i, j) >= OBVIOUS:
            return j
        best = max(range(j, min(j + WINDOW, len(news))), key=lambda k: score(i, k), default=None)
        if best is None or score(i, best) < SIMILAR:
            return None
        rivals = range(i + 1, min(i + WINDOW, len(olds)))
        return None if any(score(r, best) > score(i, best) for r in rivals) else best

    j = 0
    for i, x in enumerate(olds):
        k = partner(i, j)
        if k is None:
            yield {"op": "delete", "old": x, "new": None, "i": i0 + i}
            continue
        yield from ({"op": "insert", "old": None, "new": news[m], "j": j0 + m} for m in range(j, k))
        words = _word_diff(x, news[k], opcodes[i, k])
        yield {"op": "replace", "old": x, "new": news[k], "i": i0 + i, "j": j0 + k, "words": words}
        j = k + 1
    yield from ({"op": "insert", "old": None, "new": news[m], "j": j0 + m} for m in range(j, len(news)))


def _word_diff(old: str, new: str, opcodes: list) -> list[tuple[str, str]]:
    """Word-level diff of two blocks, given the SequenceMatcher opcodes of their word lists.

    Words alone are matched (whitespace tokens would anchor spurious matches);
    each word carries the whitespace before it, and whitespace shared by both
    versions is emitted as "equal" so markers hug the changed words.
    """
    a, b = _WORD.findall(old), _WORD.findall(new)  # [(leading whitespace, word), ...]
    out: list[tuple[str, str]] = []

    def emit(tag: str, text: str) -> None:
        if not text:
            return
        if out and out[-1][0] == tag:
            out[-1] = (tag, out[-1][1] + text)
        else:
            out.append((tag, text))

    def gap(ws_old: str, ws_new: str) -> None:
        if ws_old == ws_new:
            emit("equal", ws_old)
        else:
            emit("delete", ws_old)
            emit("insert", ws_new)

    def join(toks) -> str:
        return "".join(ws + w for ws, w in toks)

    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            for (ws_old, w), (ws_new, _) in zip(a[i1:i2], b[j1:j2]):
                gap(ws_old, ws_new)
                emit("equal", w)
        elif tag == "replace":
            gap(a[i1][0], b[j1][0])
            emit("delete", a[i1][1] + join(a[i1 + 1 : i2]))
            emit("insert", b[j1][1] + join(b[j1 + 1 : j2]))
        elif tag == "delete":
            emit("delete", join(a[i1:i2]))
        else:
            emit("insert", join(b[j1:j2]))
    return out


def stats(ops) -> dict:
    """Count changed words and blocks (words of whole inserted/deleted blocks count too). Words are counted as
    ``texts.words`` counts them, without the punctuation around them: "therapy," -> "therapy" changes no word."""
    s = dict.fromkeys(("words_added", "words_removed", "blocks_added", "blocks_removed", "blocks_changed"), 0)
    for op in ops:
        if op["op"] == "insert":
            s["blocks_added"] += 1
            s["words_added"] += count_words(op["new"])
        elif op["op"] == "delete":
            s["blocks_removed"] += 1
            s["words_removed"] += count_words(op["old"])
        elif op["op"] == "replace":
            s["blocks_changed"] += 1
            old, new = text_words(op["old"]), text_words(op["new"])
            for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
                if tag != "equal":
                    s["words_removed"] += i2 - i1
                    s["words_added"] += j2 - j1
    return s


def unified(old: str, new: str, from_label: str = "a", to_label: str = "b", context: int = 3) -> str:
    """Classic unified diff with one line per block (newlines inside a block become spaces).

    Hunk ranges count blocks, not physical lines.  Returns "" when nothing changed.
    """
    a = [x.replace("\n", " ") for x in blocks(old)]
    b = [y.replace("\n", " ") for y in blocks(new)]
    lines = list(unified_diff(a, b, from_label, to_label, n=context, lineterm=""))
    return "\n".join(lines) + "\n" if lines else ""


def _plural(n: int) -> str:
    return f"… {n} unchanged paragraph{'' if n == 1 else 's'} …"


def _groups(ops, context: int, min_collapse: int):
    """Yield ("show", op) and ("skip", [equal ops]) so long unchanged stretches can be folded."""
    ops = list(ops)
    pos = 0
    for unchanged, run in itertools.groupby(ops, key=lambda op: op["op"] == "equal"):
        run = list(run)
        head = 0 if pos == 0 else context  # no context needed before the first change
        tail = 0 if pos + len(run) == len(ops) else context  # ... nor after the last one
        pos += len(run)
        if unchanged and len(run) - head - tail >= min_collapse:
            yield from (("show", op) for op in run[:head])
            yield "skip", run[head : len(run) - tail]
            yield from (("show", op) for op in run[len(run) - tail :])
        else:
            yield from (("show", op) for op in run)


def _mark(tag: str, text: str, wrap) -> str:
    """Wrap the words of a changed segment, leaving surrounding whitespace outside the markers."""
    core = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return lead + wrap(tag, core) + trail


def _render_words(pairs, wrap, escape=str, side: str | None = None) -> str:
    """Render a replace op's word list: side="old"/"new" shows one version, None both (inline)."""
    skip = {"old": "insert", "new": "delete"}.get(side)
    out = []
    for tag, text in pairs:
        if tag == skip or (side is None and tag == "delete" and text.isspace()):
            continue  # inline views show only the new whitespace of a whitespace-only change
        text = escape(text)
        out.append(text if tag == "equal" or text.isspace() else _mark(tag, text, wrap))
    return "".join(out)


def words(ops, color: bool = False) -> str:
    """Terminal word-level view: [-removed-]{+added+} (git --word-diff style), in red and green with ``color``.

    Unchanged stretches are elided to a "… N unchanged paragraphs …" line.
    Returns "" when nothing changed.
    """
    styles = _ANSI if color else _MARKS
    wrap = lambda tag, text: styles[tag][0] + text + styles[tag][1]  # noqa: E731
    ops = list(ops)
    if all(op["op"] == "equal" for op in ops):
        return ""
    parts = []
    for kind, item in _groups(ops, context=0, min_collapse=1):
        if kind == "skip":
            parts.append(_plural(len(item)))
        elif item["op"] == "insert":
            parts.append(wrap("insert", item["new"]))
        elif item["op"] == "delete":
            parts.append(wrap("delete", item["old"]))
        else:
            parts.append(_render_words(item["words"], wrap))
    return "\n\n".join(parts) + "\n"


def to_json(ops, **meta) -> str:
    """Serialise ops for scripts as {"meta": ..., "stats": ..., "ops": [...]} (word tuples become arrays)."""
    ops = list(ops)
    return json.dumps({"meta": meta, "stats": stats(ops), "ops": ops}, ensure_ascii=False, default=str)


def _html_wrap(tag: str, text: str) -> str:
    el = "ins" if tag == "insert" else "del"
    return f"<{el}>{text}</{el}>"


def _html_skip(run: list[dict]) -> str:
    body = "".join(f'<p class="ha-eq">{html.escape(op["new"])}</p>' for op in run)
    return f'<details class="ha-skip"><summary>{_plural(len(run))}</summary>{body}</details>'


def changed_pages(ops, old_page=None, new_page=None) -> list[int]:
    """The pages (of the new text; of the old one for a removed block) that a change touches, given functions that
    map a block index to its page (None: unknown)."""
    found = set()
    for op in ops:
        if op["op"] == "delete" and old_page is not None:
            found.add(old_page(op["i"]))
        elif op["op"] in ("insert", "replace") and new_page is not None:
            found.add(new_page(op["j"]))
    return sorted(p for p in found if p is not None)


def _page_label(op, old_page, new_page, side: str | None = None) -> str:
    """A "p. 2" label before a changed block: the page it is on (new text; old text for removed blocks)."""
    if op["op"] == "equal":
        return ""
    use_old = side == "old" or (side is None and op["op"] == "delete")
    page = old_page(op["i"]) if use_old and old_page and "i" in op else None
    if not use_old and new_page and "j" in op:
        page = new_page(op["j"])
    if page is None:
        return ""
    which = "old" if use_old else "new"
    return f'<span class="ha-pg" title="page {page} of the {which} version">p.&nbsp;{page}</span> '


def html_inline(ops, old_page=None, new_page=None) -> str:
    """HTML fragment: one <p> per block (ha-eq/ha-ins/ha-del/ha-chg), changed words in <ins>/<del>; with
    ``old_page``/``new_page`` (block index -> page), each changed block is labelled with its page."""
    out = ['<div class="ha-diff ha-inline">']
    for kind, item in _groups(ops, CONTEXT, MIN_COLLAPSE):
        label = "" if kind == "skip" else _page_label(item, old_page, new_page)
        if kind == "skip":
            out.append(_html_skip(item))
        elif item["op"] == "equal":
            out.append(f'<p class="ha-eq">{html.escape(item["new"])}</p>')
        elif item["op"] == "insert":
            out.append(f'<p class="ha-ins">{label}<ins>{html.escape(item["new"])}</ins></p>')
        elif item["op"] == "delete":
            out.append(f'<p class="ha-del">{label}<del>{html.escape(item["old"])}</del></p>')
        else:
            out.append(f'<p class="ha-chg">{label}{_render_words(item["words"], _html_wrap, html.escape)}</p>')
    out.append("</div>")
    return "".join(out)


def html_side_by_side(ops, old_page=None, new_page=None) -> str:
    """HTML fragment: two-column table, old left and new right, changed words in <del>/<ins>; with
    ``old_page``/``new_page`` (block index -> page), each side of a changed row is labelled with its page."""
    out = ['<table class="ha-diff ha-sbs"><thead><tr><th>Old</th><th>New</th></tr></thead><tbody>']
    for kind, item in _groups(ops, CONTEXT, MIN_COLLAPSE):
        if kind == "skip":
            out.append(f'<tr class="ha-skip"><td colspan="2">{_html_skip(item)}</td></tr>')
            continue
        op = item["op"]
        if op == "replace":
            left = _render_words(item["words"], _html_wrap, html.escape, "old")
            right = _render_words(item["words"], _html_wrap, html.escape, "new")
        else:
            left = html.escape(item["old"]) if item["old"] is not None else ""
            right = html.escape(item["new"]) if item["new"] is not None else ""
            if op == "delete":
                left = f"<del>{left}</del>"
            elif op == "insert":
                right = f"<ins>{right}</ins>"
        if item["old"] is not None:
            left = _page_label(item, old_page, new_page, "old") + left
        if item["new"] is not None:
            right = _page_label(item, old_page, new_page, "new") + right
        out.append(f'<tr class="{_CLASS[op]}"><td class="ha-old">{left}</td><td class="ha-new">{right}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def default_pair(numbers: list[int], from_version: int | None, to_version: int | None) -> tuple[int | None, int]:
    """The two versions a diff shows, of an article whose versions are ``numbers`` in time order
    (``archive.queries.version_numbers``): the last two by default (the only one, from None, when there is one),
    FROM against the latest, or TO against the version before it in time."""
    if from_version is None and to_version is None:
        return (numbers[-2], numbers[-1]) if len(numbers) > 1 else (None, numbers[-1])
    if to_version is None:
        return from_version, numbers[-1]
    if from_version is None:
        at = numbers.index(to_version) if to_version in numbers else 0
        return (numbers[at - 1] if at > 0 else None), to_version
    return from_version, to_version
