"""Score plain trafilatura and the healtharchive pipeline on the health fixture pages.

Run from the repo root: ``python bench/extraction.py [--json]``. Metric: see bench/metrics.py
(article-extraction-benchmark 4-token shingles, lowercased).
"""

import argparse
import json
import sys
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.metrics import f1, overall, page_scores  # noqa: E402
from pipelines.clean import clean_article  # noqa: E402

FIXTURES = ROOT.parent / "shared/fixtures/health-dev"


def load_fixtures(folder: Path = FIXTURES) -> dict:
    """name -> ground-truth entry with the page's ``html`` bytes added."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for name, entry in truth.items():
        entry["html"] = (folder / f"{name}.html").read_bytes()
    return truth


def plain_text(html: bytes, url: str) -> str:
    """Baseline: trafilatura with default settings and no comments."""
    return trafilatura.extract(html, url=url, include_comments=False) or ""


def pipeline_text(html: bytes, url: str) -> str:
    return clean_article([(url, html)]).text


def run(fixtures: dict) -> dict:
    """Per-page and overall (P, R, F1) for both extractors."""
    pages = {}
    for name, entry in sorted(fixtures.items()):
        ref = entry["articleBody"]
        pages[name] = {
            "plain": page_scores(plain_text(entry["html"], entry["url"]), ref),
            "pipeline": page_scores(pipeline_text(entry["html"], entry["url"]), ref),
        }
    total = {k: overall([p[k] for p in pages.values()]) for k in ("plain", "pipeline")}
    return {"pages": pages, "overall": total}


def _fmt(p, r):
    return f"{p:.3f} {r:.3f} {f1(p, r):.3f}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    args = ap.parse_args(argv)
    if not FIXTURES.is_dir():
        sys.exit(f"fixtures not found: {FIXTURES}")
    res = run(load_fixtures())
    if args.json:
        out = {
            "pages": {n: {k: dict(zip("PR", v), F1=f1(*v)) for k, v in s.items()} for n, s in res["pages"].items()},
            "overall": {k: dict(zip(("P", "R", "F1"), v)) for k, v in res["overall"].items()},
        }
        print(json.dumps(out, indent=2))
        return
    w = max(map(len, res["pages"]))
    print(f"{'page':<{w}}  {'plain P     R     F1':<19}  pipeline P     R     F1")
    for name, s in res["pages"].items():
        print(f"{name:<{w}}  {_fmt(*s['plain'])}  {_fmt(*s['pipeline'])}")
    (pp, pr, _), (qp, qr, _) = res["overall"]["plain"], res["overall"]["pipeline"]
    print(f"{'OVERALL':<{w}}  {_fmt(pp, pr)}  {_fmt(qp, qr)}")


if __name__ == "__main__":
    main()
