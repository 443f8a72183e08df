"""CPU time per page of cleaning: plain trafilatura beside the pipeline, on the same pages.

Run from the repo root: ``.venv/bin/python bench/extraction_speed.py [--rounds N] [--against DIR]``.

The crawl's recipe (``clean.extract_one``) is the extraction plus what a cleaning worker adds to it: where each
block sits in its page (``structure.locate``, for the site's chrome) and an article's review date.

Pages: the generated benchmark center's (60 articles x 3 pages, as ``bench/throughput.py`` crawls them)
and the real fixture pages in ``../shared/fixtures/health-dev/``. Each extractor runs over every page,
``--rounds`` times, alternating with the others so that a slower minute of a shared machine hits them
all; the table gives the best round (``time.process_time``, one process, no pool). ``--against DIR``
adds the pipeline and the crawl's recipe of another checkout (for example ``git worktree add /tmp/before HEAD~1``),
to measure a change before and after in the same run.
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import machine, table  # noqa: E402
from bench.extraction import FIXTURES, load_fixtures  # noqa: E402
from pipelines.clean import extract_one  # noqa: E402
from pipelines.extract import extract_page  # noqa: E402
from pipelines.extractor import EXTRACTOR_VERSION  # noqa: E402
from samplesite.center import Center, page_path  # noqa: E402


def generated_pages(articles: int = 60) -> list[tuple[bytes, str, bool]]:
    """(html, url, first page?) of a generated center, rendered without a server."""
    origin = "http://127.0.0.1:8000"
    center = Center(1, origin, generated=articles)
    out = []
    for art in center.all_articles():
        for n in range(1, len(art.pages) + 1):
            url = origin + page_path(art, n)
            parts = urlsplit(url)
            out.append((center.respond(parts.path, parts.query).body, url, n == 1))
    return out


def fixture_pages() -> list[tuple[bytes, str, bool]]:
    """(html, url, True) of each real fixture page, under its real URL."""
    return [(e["html"], e["url"], True) for _, e in sorted(load_fixtures().items())]


def load_pipelines(checkout: Path):
    """Another checkout's ``pipelines`` package, imported as ``pipelines_other`` (its modules' own imports resolve
    inside it): (its ``extract``, its ``clean``)."""
    spec = importlib.util.spec_from_file_location(
        "pipelines_other", checkout / "pipelines/__init__.py", submodule_search_locations=[str(checkout / "pipelines")]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules["pipelines_other"] = package
    spec.loader.exec_module(package)
    return importlib.import_module("pipelines_other.extract"), importlib.import_module("pipelines_other.clean")


def cpu_ms_per_page(extract, pages) -> float:
    start = time.process_time()
    for html, url, first in pages:
        extract(html, url, first)
    return (time.process_time() - start) * 1000 / len(pages)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="runs over the pages per extractor (default 5)")
    ap.add_argument("--against", type=Path, help="another checkout whose pipeline to time alongside")
    args = ap.parse_args(argv)

    extractors = {
        "plain trafilatura (one run, comments off)": lambda html, url, first: trafilatura.extract(
            html, url=url, include_comments=False
        ),
        f"pipeline {EXTRACTOR_VERSION}": lambda html, url, first: extract_page(html, url, (), first),
        f"pipeline {EXTRACTOR_VERSION}, cleaning only (no metadata)": lambda html, url, first: extract_page(
            html, url, (), False
        ),
        # what a cleaning worker of the crawl runs per page: the extraction, where each block sits
        # (structure.locate) and, on a first page, the review date; on the decoded text, as the crawl has it
        f"crawl's recipe {EXTRACTOR_VERSION} (extract_one: + structure, review date)": lambda html, url, first: (
            extract_one(url, html.decode("utf-8") if isinstance(html, bytes) else html, (), None, first)
        ),
    }
    if args.against:
        other, other_clean = load_pipelines(args.against.resolve())
        version = other_clean.recipe().split("/")[0]  # (its extractor version, wherever that checkout keeps it)
        extractors[f"pipeline {version} ({args.against})"] = lambda html, url, first: other.extract_page(
            html, url, (), first
        )
        extractors[f"pipeline {version} ({args.against}), no metadata"] = lambda html, url, first: other.extract_page(
            html, url, (), False
        )
        extractors[f"crawl's recipe {version} ({args.against})"] = lambda html, url, first: other_clean.extract_one(
            url, html.decode("utf-8") if isinstance(html, bytes) else html, (), None, first
        )
    generated = generated_pages()
    sets = {f"generated center ({len(generated)} pages)": generated}
    if FIXTURES.is_dir():
        real = fixture_pages()
        sets[f"real fixture pages ({len(real)})"] = real

    best = {(s, e): float("inf") for s in sets for e in extractors}
    for name, pages in sets.items():
        for extract in extractors.values():  # warm-up: lazy imports and data files on first use
            cpu_ms_per_page(extract, pages)
        for _ in range(args.rounds):
            for label, extract in extractors.items():
                best[name, label] = min(best[name, label], cpu_ms_per_page(extract, pages))

    print(f"Extraction CPU per page, best of {args.rounds} rounds ({machine()})")
    rows = [[label] + [f"{best[s, label]:.1f} ms" for s in sets] for label in extractors]
    print(table(["extractor"] + list(sets), rows))


if __name__ == "__main__":
    main()
