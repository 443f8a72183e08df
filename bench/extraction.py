"""Extraction quality and cleaning CPU: plain trafilatura beside the pipeline, three page sets, one run, one table.

Run from the repo root: ``python bench/extraction.py [--jobs N] [--only wcxb,trafilatura,fixtures] [--pages]
[--out FILE.json]`` (the whole run takes 10-20 minutes on two cores; ``--types``/``--limit`` for quick runs).

Page sets (each skipped with a one-line message when its data is missing):

* ``wcxb``: the dev split of WCXB (Web Content Extraction Benchmark v1.0, CC-BY-4.0,
  Murrough-Foley/web-content-extraction-benchmark), ``--wcxb DIR`` holding ``ground-truth/*.json``
  and ``html/*.html.gz``. Metric: WCXB's word-level score, reimplemented: lowercased ``\\w+``
  tokens as multisets, per page precision/recall/F1 (an empty output scores 0/0/0, an empty
  reference scores 1 only against an empty output), each averaged over the pages of a page type
  (F1 is the mean of per-page F1s, as in WCXB's tables). Only the dev split is ever read: the test
  split is reserved for independent evaluation. The 26 dev pages that are also health fixtures are
  scored again without them ("dev minus fixtures").
* ``trafilatura``: trafilatura's own evaluation set (``--traf-eval DIR`` holding ``evaldata.json``
  plus the pages under ``eval/`` and ``cache/``), with its own metric: each "with" snippet found
  (whitespace-normalised substring) is a true positive, each "without" snippet found a false
  positive; counts pooled over all pages into precision, recall and F1.
* ``fixtures``: the 28 health fixture pages (``--fixtures DIR``), with the article-extraction-benchmark
  metric of bench/metrics.py (4-token shingles; P and R averaged over pages, F1 of the two); ``--pages``
  also prints each page's scores.

Extractors (``--extractors``): ``plain`` = ``trafilatura.extract(html, url=url,
include_comments=False)``; ``wcxb-base`` = ``trafilatura.extract(html, url=url)`` with the library
defaults (comments included), the closest match to WCXB's published Trafilatura row; ``pipeline``
= ``extract_page`` (metadata on, as for an article's first page) + ``merge_pages`` +
``blocks_to_text``; ``pipeline-nometa`` = the same with ``metadata=False`` (an article's later pages:
the cleaning alone). CPU is ``time.process_time`` around each extractor call in the worker process
(``--jobs`` workers), both extractors on the same page one after the other, so that load from other
programs weighs on both alike.
"""

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from multiprocessing import Pool
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.metrics import f1, overall, page_scores  # noqa: E402
from pipelines.clean import blocks_to_text  # noqa: E402
from pipelines.extract import extract_page  # noqa: E402
from pipelines.extractor import EXTRACTOR_VERSION  # noqa: E402
from pipelines.merge import merge_pages  # noqa: E402

DATA = ROOT.parent / "staging/data"
FIXTURES = ROOT.parent / "shared/fixtures/health-dev"
TYPES = ("article", "documentation", "service", "forum", "collection", "listing", "product")


def plain_text(html: bytes, url: str) -> str:
    """Baseline: trafilatura with default settings and no comments."""
    return trafilatura.extract(html, url=url, include_comments=False) or ""


def _pipeline(html, url, metadata=True):
    return blocks_to_text(merge_pages([extract_page(html, url, (), metadata)])["blocks"])


EXTRACTORS = {
    "plain": plain_text,
    "wcxb-base": lambda html, url: trafilatura.extract(html, url=url) or "",
    "pipeline": _pipeline,
    "pipeline-nometa": lambda html, url: _pipeline(html, url, False),
}
DEFAULT_EXTRACTORS = ("plain", "pipeline-nometa", "pipeline")


# --- metrics -------------------------------------------------------------------------


def _words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", (text or "").lower()))


def word_scores(pred: str, ref: str) -> tuple[float, float, float]:
    """WCXB's per-page word-level (precision, recall, F1)."""
    p, r = _words(pred), _words(ref)
    if not r:
        return (1.0, 1.0, 1.0) if not p else (0.0, 0.0, 0.0)
    if not p:
        return 0.0, 0.0, 0.0
    hit = sum((p & r).values())
    prec, rec = hit / sum(p.values()), hit / sum(r.values())
    return prec, rec, (2 * prec * rec / (prec + rec) if hit else 0.0)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def snippet_counts(text: str, item: dict) -> tuple[int, int, int, int]:
    """trafilatura's eval: (tp, fp, fn, tn) of one page's with/without snippets."""
    t = _norm(text or "")
    tp = sum(_norm(s) in t for s in item["with"])
    fp = sum(_norm(s) in t for s in item["without"])
    return tp, fp, len(item["with"]) - tp, len(item["without"]) - fp


# --- corpora -------------------------------------------------------------------------


def wcxb_pages(folder: Path):
    """(id, page type, url, reference, html path) of each dev page."""
    for gt in sorted((folder / "ground-truth").glob("*.json")):
        data = json.loads(gt.read_text(encoding="utf-8"))
        pt = (data.get("_internal") or {}).get("page_type") or "article"
        pt = pt.get("primary", "article") if isinstance(pt, dict) else pt
        truth = data.get("ground_truth") or {}
        yield {
            "id": gt.stem,
            "type": "collection" if pt == "category" else pt,
            "url": data.get("url") or "",
            "ref": truth.get("main_content") or "",
            "with": truth.get("with") or [],
            "without": truth.get("without") or [],
            "path": str(folder / "html" / f"{gt.stem}.html.gz"),
        }


def traf_pages(folder: Path):
    evaldata = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    for url, item in sorted(evaldata.items()):
        path = next(
            (folder / sub / item["file"] for sub in ("cache", "eval") if (folder / sub / item["file"]).is_file()), None
        )
        if path is None:
            continue
        yield {"id": item["file"], "url": url, "with": item["with"], "without": item["without"], "path": str(path)}


def load_fixtures(folder: Path = FIXTURES) -> dict:
    """name -> ground-truth entry of each fixture page, with the page's ``html`` bytes added."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for name, entry in truth.items():
        entry["html"] = (folder / f"{name}.html").read_bytes()
    return truth


def fixture_pages(folder: Path):
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for name, entry in sorted(truth.items()):
        yield {"id": name, "url": entry["url"], "ref": entry["articleBody"], "path": str(folder / f"{name}.html")}


# --- running -------------------------------------------------------------------------

_EXTRACTORS: tuple = ()
_KEEP_TEXT = False


def _init(names, keep_text):
    global _EXTRACTORS, _KEEP_TEXT
    _EXTRACTORS, _KEEP_TEXT = names, keep_text


def _score(job):
    corpus, page = job
    path = page["path"]
    html = gzip.decompress(Path(path).read_bytes()) if path.endswith(".gz") else Path(path).read_bytes()
    out = {"corpus": corpus, "id": page["id"], "type": page.get("type"), "res": {}}
    for name in _EXTRACTORS:
        start = time.process_time()
        try:
            text = EXTRACTORS[name](html, page["url"])
        except Exception as exc:  # a crash scores as an empty output
            text, out.setdefault("errors", {})[name] = "", f"{type(exc).__name__}: {exc}"
        res = {"cpu": time.process_time() - start, "empty": not text.strip()}
        if corpus == "wcxb":
            res["prf"] = word_scores(text, page["ref"])
        elif corpus == "trafilatura":
            res["counts"] = snippet_counts(text, page)
        else:
            res["pr"] = page_scores(text, page["ref"])
        if _KEEP_TEXT:
            res["text"] = text
        out["res"][name] = res
    return out


def run(jobs_list, names, jobs, keep_text=False, progress=True):
    results = []
    with Pool(jobs, initializer=_init, initargs=(names, keep_text)) as pool:
        for i, res in enumerate(pool.imap_unordered(_score, jobs_list, chunksize=2), 1):
            results.append(res)
            if progress and i % 100 == 0:
                print(f"  {i}/{len(jobs_list)} pages", file=sys.stderr, flush=True)
    return results


# --- reporting -----------------------------------------------------------------------


def _mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def wcxb_table(results, names, exclude=frozenset()):
    rows = defaultdict(list)
    for r in results:
        if r["corpus"] == "wcxb" and r["id"] not in exclude:
            rows[r["type"]].append(r)
            rows["ALL"].append(r)
    table = {}
    for pt in (*TYPES, "ALL"):
        if not rows.get(pt):
            continue
        table[pt] = {"n": len(rows[pt])}
        for name in names:
            prf = [r["res"][name]["prf"] for r in rows[pt]]
            table[pt][name] = {
                "P": _mean(x[0] for x in prf),
                "R": _mean(x[1] for x in prf),
                "F1": _mean(x[2] for x in prf),
                "empty": sum(r["res"][name]["empty"] for r in rows[pt]),
                "cpu_ms": 1000 * _mean(r["res"][name]["cpu"] for r in rows[pt]),
            }
    return table


def traf_table(results, names):
    rows = [r for r in results if r["corpus"] == "trafilatura"]
    table = {"n": len(rows)}
    for name in names:
        tp, fp, fn, tn = (sum(r["res"][name]["counts"][i] for r in rows) for i in range(4))
        p = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        table[name] = {
            "P": p,
            "R": rec,
            "acc": (tp + tn) / max(1, tp + fp + fn + tn),
            "F1": 2 * tp / max(1, 2 * tp + fp + fn),
            "empty": sum(r["res"][name]["empty"] for r in rows),
            "cpu_ms": 1000 * _mean(r["res"][name]["cpu"] for r in rows),
        }
    return table


def fixture_table(results, names):
    rows = [r for r in results if r["corpus"] == "fixtures"]
    table = {"n": len(rows)}
    for name in names:
        p, rec, f = overall([r["res"][name]["pr"] for r in rows])
        table[name] = {
            "P": p,
            "R": rec,
            "F1": f,
            "empty": sum(r["res"][name]["empty"] for r in rows),
            "cpu_ms": 1000 * _mean(r["res"][name]["cpu"] for r in rows),
        }
    return table


def print_report(tables, names) -> None:
    """One table: a row per page set (WCXB per page type), P/R/F1, empty outputs and CPU per extractor."""
    rows = [(f"WCXB dev {pt}", row) for pt, row in tables.get("wcxb", {}).items()]
    if "wcxb-unseen" in tables:
        rows.append(("WCXB dev minus fixtures", tables["wcxb-unseen"]["ALL"]))
    for key, label in (("trafilatura", "trafilatura eval set"), ("fixtures", "health fixtures")):
        if key in tables:
            rows.append((label, tables[key]))
    width = max(len(label) for label, _ in rows)
    print(f"\n{'set':<{width}} {'pages':>5}  " + "  ".join(f"{n[:15]:>15} P     R     F1    ∅    ms" for n in names))
    for label, row in rows:
        cells = (
            f"{d['P']:.3f} {d['R']:.3f} {d['F1']:.3f} {d['empty']:>3} {d['cpu_ms']:>5.1f}" for d in map(row.get, names)
        )
        print(f"{label:<{width}} {row['n']:>5}  " + "  ".join(f"{c:>35}" for c in cells))
    if "plain" in names:
        for name in names:
            if name == "plain":
                continue
            ratios = ", ".join(
                f"{label} {row[name]['cpu_ms'] / row['plain']['cpu_ms']:.2f}x"
                for label, row in rows
                if label in ("WCXB dev ALL", "trafilatura eval set", "health fixtures") and row["plain"]["cpu_ms"]
            )
            print(f"CPU per page of {name} / plain: {ratios}")
    print(
        "WCXB: word-level P/R/F1, mean of pages; trafilatura eval set: with/without snippets, pooled; "
        "health fixtures: 4-token shingles, F1 of the mean P and R. ∅ = pages with empty output; "
        "ms = CPU per page."
    )


def print_fixture_pages(results, names) -> None:
    """Each fixture page's P/R/F1 per extractor."""
    rows = sorted((r for r in results if r["corpus"] == "fixtures"), key=lambda r: r["id"])
    width = max((len(r["id"]) for r in rows), default=4)
    print(f"\n{'page':<{width}}  " + "  ".join(f"{n[:17]:<17}" for n in names))
    for r in rows:
        print(
            f"{r['id']:<{width}}  "
            + "  ".join(f"{p:.3f} {q:.3f} {f1(p, q):.3f}" for p, q in (r["res"][n]["pr"] for n in names))
        )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wcxb", type=Path, default=DATA / "wcxb-dev", help="WCXB dev split folder")
    ap.add_argument(
        "--traf-eval", type=Path, default=DATA / "trafilatura-eval", help="trafilatura evaluation set folder"
    )
    ap.add_argument("--fixtures", type=Path, default=FIXTURES, help="health fixture folder")
    ap.add_argument("--only", default="wcxb,trafilatura,fixtures", help="corpora to run")
    ap.add_argument(
        "--extractors", default=",".join(DEFAULT_EXTRACTORS), help=f"comma-separated, from {', '.join(EXTRACTORS)}"
    )
    ap.add_argument("--types", help="WCXB page types to run (default all)")
    ap.add_argument("--limit", type=int, help="at most N pages per corpus (quick runs)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes")
    ap.add_argument("--out", type=Path, help="write tables and per-page results as JSON")
    ap.add_argument("--text", action="store_true", help="keep each output text in --out")
    ap.add_argument("--pages", action="store_true", help="also print each fixture page's scores")
    args = ap.parse_args(argv)

    names = tuple(n for n in args.extractors.split(",") if n)
    unknown = [n for n in names if n not in EXTRACTORS]
    if unknown:
        sys.exit(f"unknown extractor(s): {', '.join(unknown)}")
    corpora = {
        "wcxb": (args.wcxb / "ground-truth", lambda: wcxb_pages(args.wcxb), "--wcxb"),
        "trafilatura": (args.traf_eval / "evaldata.json", lambda: traf_pages(args.traf_eval), "--traf-eval"),
        "fixtures": (args.fixtures / "ground-truth.json", lambda: fixture_pages(args.fixtures), "--fixtures"),
    }
    jobs_list = []
    for corpus in args.only.split(","):
        marker, pages, opt = corpora[corpus]
        if not marker.exists():
            print(f"{corpus}: data not found at {marker} (set {opt}); skipped")
            continue
        selected = list(pages())
        if corpus == "wcxb" and args.types:
            selected = [p for p in selected if p["type"] in args.types.split(",")]
        jobs_list += [(corpus, p) for p in selected[: args.limit]]
    if not jobs_list:
        sys.exit("no data to score")
    # big pages first, so that the pool does not end on one slow page
    jobs_list.sort(key=lambda j: -os.path.getsize(j[1]["path"]))
    print(
        f"trafilatura {trafilatura.__version__}, pipeline {EXTRACTOR_VERSION}, "
        f"{len(jobs_list)} pages, {args.jobs} workers",
        flush=True,
    )
    start, start_load = time.time(), os.getloadavg()[0]
    results = run(jobs_list, names, args.jobs, args.text)
    tables = {}
    if any(r["corpus"] == "wcxb" for r in results):
        tables["wcxb"] = wcxb_table(results, names)
        fixture_ids = {r["id"] for r in results if r["corpus"] == "wcxb"} & {
            p.stem.split("-")[1] for p in args.fixtures.glob("wcxb-*.html")
        }
        if fixture_ids:
            tables["wcxb-unseen"] = wcxb_table(results, names, fixture_ids)
    if any(r["corpus"] == "trafilatura" for r in results):
        tables["trafilatura"] = traf_table(results, names)
    if any(r["corpus"] == "fixtures" for r in results):
        tables["fixtures"] = fixture_table(results, names)
    print_report(tables, names)
    if args.pages:
        print_fixture_pages(results, names)
    errors = [(r["id"], e) for r in results for e in r.get("errors", {}).items()]
    for pid, (name, err) in errors[:10]:
        print(f"error: {name} on {pid}: {err}")
    load = os.getloadavg()[0]
    print(f"{time.time() - start:.0f} s wall, load average {start_load:.1f} at start, {load:.1f} at the end")
    if args.out:
        args.out.write_text(json.dumps({"tables": tables, "pages": results}), encoding="utf-8")


if __name__ == "__main__":
    main()
