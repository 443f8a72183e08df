"""Lines that only say when a page was generated or how often it was seen: metadata, never a version by themselves.

"Page last updated: 13:42:06", "Generated 2026-03-02 08:00", "Visitors: 12,345": such a line changes on every
capture while the article stays the same. ``only_volatile(old, new)`` is True when two texts differ only in such
lines, so the Recorder keeps the article ``unchanged`` instead of making a version.

A changed block pair counts as volatile only when all of this holds (decided by structure, no word list):

- both are short lines (at most ``SHORT`` characters, at most ``WORDS`` words of letters): a sentence of the
  article is longer;
- they are equal once their times, dates and counters are masked, and differ only there;
- every changed token is a time of day (``13:42``, ``13:42:06``, with am/pm), a date (``2026-03-02``,
  ``3/2/2026``, ``March 2, 2026``, ``2 March 2026``, an ISO timestamp) or a counter (a number of four digits or
  more that ends a line holding only a label and it: ``Visitors: 12,345``); any other number, such as a dose or a
  blood pressure ("Take 1000 mg daily", "120/80"), is never masked, so a change there is a change of the article;
- nothing else of the article changed: the texts have the same blocks in the same order, all others equal.

A volatile line that appears or disappears (the site's chrome learned from one crawl's identical timestamps, gone
in the next) is no change either: without their volatile lines, the two texts are equal.
"""

from __future__ import annotations

import re

from archive.text import blocks

SHORT = 80
WORDS = 6
_TOKEN = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"  # ISO date, timestamp
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"  # 3/2/2026, 02.03.26
    r"|[A-Z][a-z]{2,8}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}"  # March 2, 2026
    r"|\d{1,2} [A-Z][a-z]{2,8}\.? \d{4}"  # 2 March 2026
    r"|\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?"  # 13:42:06, 1:42 pm
)
# A counter ends a line that is only a label and the number: "Visitors: 12,345", never "Take 1000 mg daily".
_COUNTER = re.compile(r"^(\D{1,40}[:\s])\s*(?:\d{1,3}(?:[,.\u202f ]\d{3})+|\d{4,})$")
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def masked(line: str) -> str:
    """``line`` with its times, dates and counters replaced by "#"."""
    return _COUNTER.sub(r"\1#", _TOKEN.sub("#", line))


def volatile(line: str) -> bool:
    """True for a short line that holds a time, a date or a counter: one that can say when, or how often."""
    if len(line) > SHORT:
        return False
    form = masked(line)
    return "#" in form and len(_LETTERS.findall(form)) <= WORDS


def volatile_pair(old: str, new: str) -> bool:
    """True when two versions of one line differ only in the times, dates or counters of a short line."""
    return old != new and volatile(old) and masked(old) == masked(new)


def only_volatile(old: str, new: str) -> bool:
    """True when the texts ``old`` and ``new`` differ, and only in volatile lines (see the module doc)."""
    if old == new:
        return False
    before, after = blocks(old), blocks(new)
    if len(before) == len(after) and all(a == b or volatile_pair(a, b) for a, b in zip(before, after)):
        return True
    return [b for b in before if not volatile(b)] == [a for a in after if not volatile(a)]
