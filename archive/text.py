"""Normalised text and its hash: equal text always hashes equal, whenever it was crawled."""

import hashlib
import re
import unicodedata

# Typographic variants folded to their ASCII form.
_TRANS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace except newline
_BLANKS = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFC, ASCII quotes/dashes, one space between words, no trailing spaces,
    at most one blank line between paragraphs, no leading/trailing blank lines."""
    text = unicodedata.normalize("NFC", text or "").translate(_TRANS)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def content_hash(text: str) -> str:
    """``sha256:<hex>`` of the normalised text."""
    return "sha256:" + hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


_BLOCK_SEP = re.compile(r"\n[ \t]*\n")
# A word: letters or digits, joined by inner apostrophes, hyphens or dots ("don't", "COVID-19", "3.5"); punctuation
# around it is not part of it, so "therapy" and "therapy," are one word and a lone "-" or "|" is none.
_WORD = re.compile(r"\w+(?:['.\-]\w+)*")


def blocks(text: str) -> list[str]:
    """The non-empty blocks (paragraphs, headings, list items) of an archived text: blank-line separated."""
    text = (text or "").replace("\r\n", "\n")
    return [b for b in (part.strip() for part in _BLOCK_SEP.split(text)) if b]


def words(text: str) -> list[str]:
    """The words of ``text``, without the punctuation around them."""
    return _WORD.findall(text or "")


def count_words(text: str) -> int:
    return len(words(text))
