"""Benchmark the diff engine on two deterministic ~50 KB article versions.

Run: .venv/bin/python bench/diff_speed.py
Target: diff() + html_inline() well under 20 ms for ~100 paragraphs with a few edits.
Two stress scenarios (every paragraph edited; whole page rewritten) show the
paragraph-pairing work stays bounded when one replace range spans the page.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from healtharchive.diff import diff, html_inline, unified, words

RUNS = 50
TARGET_MS = 20.0
VOCAB = """
patients symptoms treatment doctor vaccine dose children adults risk infection fever cough hospital care health
public guidance advice medicine blood pressure heart diabetes cancer screening test results clinic appointment
nurse pharmacy prescription side effects allergy asthma influenza measles outbreak prevention hygiene hands
water food diet exercise sleep mental wellbeing support services emergency call contact information update
recommended should may can will must not if when after before during within weeks days months years the a an of
to in for with on by from and or but is are was were be been has have this that
""".split()


def article(rng: random.Random, target_bytes: int = 50_000) -> list[str]:
    """Headings, list items and paragraphs of varied length until ~target_bytes."""
    out, size = [], 0
    while size < target_bytes:
        kind = rng.random()
        if kind < 0.1:
            block = " ".join(rng.choices(VOCAB, k=rng.randint(2, 6))).capitalize()
        elif kind < 0.25:
            block = "- " + " ".join(rng.choices(VOCAB, k=rng.randint(5, 15)))
        else:
            block = " ".join(rng.choices(VOCAB, k=rng.randint(60, 110))).capitalize() + "."
        out.append(block)
        size += len(block) + 2
    return out


def edit(rng: random.Random, block: str) -> str:
    """Swap about one word in twenty, as a content editor would."""
    toks = block.split()
    for _ in range(max(1, len(toks) // 20)):
        toks[rng.randrange(len(toks))] = rng.choice(VOCAB)
    return " ".join(toks)


def versions(kind: str = "typical") -> tuple[str, str]:
    """typical: 3 edited, 1 inserted, 1 removed; edited: every block edited; rewrite: all new text."""
    rng = random.Random(20260326)
    old = article(rng)
    if kind == "rewrite":
        new = article(rng)
    elif kind == "edited":
        new = [edit(rng, b) for b in old]
    else:
        new = list(old)
        for i in rng.sample(range(len(new)), 3):
            new[i] = edit(rng, new[i])
        new.insert(len(new) // 3, " ".join(rng.choices(VOCAB, k=80)).capitalize() + ".")
        del new[2 * len(new) // 3]
    return "\n\n".join(old), "\n\n".join(new)


def timed(fn) -> tuple[float, float, float]:
    """Median and p95 wall ms, and median CPU ms (independent of other load), over RUNS calls after a warm-up."""
    fn()
    samples, cpu = [], []
    for _ in range(RUNS):
        t, c = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18], statistics.median(cpu)


def report(title: str, old: str, new: str) -> float:
    ops = diff(old, new)
    print(
        f"\n{title}: {len(old.encode())} / {len(new.encode())} bytes, "
        f"{old.count(chr(10) * 2) + 1} / {new.count(chr(10) * 2) + 1} blocks"
    )
    print(f"{'function':<20}{'median ms':>11}{'p95 ms':>9}{'CPU ms':>9}")
    rows = {
        "diff()": lambda: diff(old, new),
        "unified()": lambda: unified(old, new),
        "html_inline()": lambda: html_inline(ops),
        "words()": lambda: words(ops),
        "diff+html_inline": lambda: html_inline(diff(old, new)),
    }
    for name, fn in rows.items():
        med, p95, cpu = timed(fn)
        print(f"{name:<20}{med:>11.2f}{p95:>9.2f}{cpu:>9.2f}")
    return p95


def main() -> None:
    p95 = report("typical (3 edited, 1 inserted, 1 removed)", *versions())
    report("stress: every paragraph edited", *versions("edited"))
    report("stress: whole page rewritten", *versions("rewrite"))
    verdict = "OK" if p95 < TARGET_MS else "OVER TARGET"
    print(
        f"\ntypical diff+html_inline p95 {p95:.2f} ms vs target {TARGET_MS:.0f} ms: {verdict}"
        f" (load average {os.getloadavg()[0]:.1f}: p95 wall time includes waiting for a core)"
    )


if __name__ == "__main__":
    main()
