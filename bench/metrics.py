"""Article-extraction-benchmark metric: 4-token shingle precision/recall.

Tokens are ``\\w+`` runs of the lowercased text. Each text becomes a multiset of 4-token
shingles (a text with fewer than 4 tokens is one shingle of all its tokens). Scores are
averaged per page first; F1 is the harmonic mean of the averaged precision and recall.
"""

import re
from collections import Counter

N = 4


def shingles(text: str, n: int = N) -> Counter:
    """Multiset of n-token shingles of ``text`` (lowercased ``\\w+`` tokens)."""
    toks = re.findall(r"\w+", (text or "").lower())
    if len(toks) < n:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def page_scores(pred: str, ref: str) -> tuple[float, float]:
    """(precision, recall) of one page; empty prediction -> precision 1.0, recall 0.0."""
    p, r = shingles(pred), shingles(ref)
    hit = sum((p & r).values())
    prec = hit / sum(p.values()) if p else 1.0
    rec = hit / sum(r.values()) if r else 1.0
    return prec, rec


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def overall(scores: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(P, R, F1) from per-page (precision, recall) pairs, averaged before the harmonic mean."""
    if not scores:
        return 0.0, 0.0, 0.0
    p = sum(s[0] for s in scores) / len(scores)
    r = sum(s[1] for s in scores) / len(scores)
    return p, r, f1(p, r)
