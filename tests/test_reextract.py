"""`healtharchive reextract`: what a new extractor makes of past captures, without changing a version.

The archive is made by real crawls of the sample center (round 1, then round 2 where one article's
sentence is edited). The extractor's "settings change" keeps only headings and list items (an outline):
in this process it is monkeypatched for the re-extraction; in a crawl process it is installed by a
``sitecustomize`` module put first on PYTHONPATH (the extraction pool's spawned workers import it too).
"""

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from healtharchive.reextract import reextract
from pipelines import extract, extractor
from samplesite import SampleSite

from .conftest import ROOT, SCRAPY, TEST_SETTINGS, crawl_center

OUTLINE = '''
import pipelines.extract as _extract
import pipelines.extractor as _extractor

_original = _extract.extract_page


def extract_page(html, url, prune_xpaths=(), metadata=True):
    """The extractor with a changed setting: only headings and list items are kept."""
    out = _original(html, url, prune_xpaths, metadata)
    out["blocks"] = [b for b in out["blocks"] if b[0] in ("h", "li")]
    return out


_extract.extract_page = extract_page
_extractor.EXTRACTOR_VERSION = _extractor.EXTRACTOR_VERSION + "+outline"
'''


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reextract") / "made"
    folder.mkdir()
    with SampleSite() as site:
        crawl_center(site, folder / "archive.db")
        site.set_round(2)
        crawl_center(site, folder / "archive.db")
        scenario = site.scenario
        yield {"folder": folder, "site": site, "scenario": scenario}


def copy_archive(source: Path, target: Path) -> Path:
    """The archive and its warc/ folder copied elsewhere (WARC paths are relative to the archive's folder)."""
    shutil.copytree(source, target)
    return target / "archive.db"


def snapshot(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        return {
            "versions": conn.execute(
                "SELECT id, article_id, version, crawled_at, capture_ids, crawl_id, content_hash, "
                "text, extractor_version FROM versions ORDER BY id"
            ).fetchall(),
            "observations": conn.execute("SELECT * FROM observations ORDER BY id").fetchall(),
            "crawls": conn.execute("SELECT id, status FROM crawls ORDER BY id").fetchall(),
        }
    finally:
        conn.close()


@pytest.fixture
def outline(monkeypatch):
    namespace = {}
    exec(
        OUTLINE.replace("_extract.extract_page = extract_page", "").replace(
            '_extractor.EXTRACTOR_VERSION = _extractor.EXTRACTOR_VERSION + "+outline"', ""
        ),
        namespace,
    )
    monkeypatch.setattr(extract, "extract_page", namespace["extract_page"])
    monkeypatch.setattr(extractor, "EXTRACTOR_VERSION", extractor.EXTRACTOR_VERSION + "+outline")
    return extractor.EXTRACTOR_VERSION


def test_same_extractor_leaves_every_version_alone(two_rounds, tmp_path):
    db = copy_archive(two_rounds["folder"], tmp_path / "copy")
    conn = sqlite3.connect(db)
    recorded = conn.execute("SELECT id, page_starts FROM version_log ORDER BY id").fetchall()
    conn.execute("UPDATE version_log SET page_starts = NULL")  # as archived before page boundaries were kept
    conn.commit()
    conn.close()
    before = snapshot(db)
    report = reextract(str(db))
    assert report.versions == len(before["versions"]) > 8
    assert (report.identical, report.rederived, report.unavailable) == (report.versions, 0, 0), report.problems
    assert snapshot(db) == before
    conn = sqlite3.connect(db)
    # Same text from the same pages: the page boundaries are filled in, equal to those the crawl recorded.
    assert conn.execute("SELECT id, page_starts FROM version_log ORDER BY id").fetchall() == recorded
    assert {r[0] for r in conn.execute("SELECT how FROM version_texts")} == {"verified"}
    # Run again: nothing left to do.
    again = reextract(str(db))
    assert again.skipped == again.versions and again.identical == 0


def test_changed_extractor_makes_new_versions_and_changes_none(two_rounds, tmp_path, outline):
    db = copy_archive(two_rounds["folder"], tmp_path / "copy")
    before = snapshot(db)
    report = reextract(str(db))
    assert report.rederived == report.versions == len(before["versions"]) and report.unavailable == 0
    after = snapshot(db)
    # A version once written never changes: every one is as it was (text, hash, number, date, extractor).
    old = len(before["versions"])
    assert after["versions"][:old] == before["versions"]
    assert after["observations"][: len(before["observations"])] == before["observations"]
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    live = conn.execute("SELECT count(*) FROM articles WHERE status = 'live'").fetchone()[0]
    # Each live article gets one new current version: the new extractor's text from the same captures, now, in a
    # crawl of its own whose observation says so.
    made = after["versions"][old:]
    assert len(made) == report.new_versions == live
    (crawl,) = {v[5] for v in made}
    assert after["crawls"][-1] == (crawl, "finished")
    for version in made:
        assert version[8] == outline
        assert not any(
            line and not line.startswith("- ") and len(line.split()) > 20 for line in version[7].split("\n\n")
        )
        current = conn.execute("SELECT current_version_id FROM articles WHERE id = ?", [version[1]]).fetchone()[0]
        assert current == version[0]
    seen = conn.execute("SELECT outcome, detail FROM observations WHERE crawl_id = ?", [crawl]).fetchall()
    assert len(seen) == live and all(o == "changed" and d.startswith(f"re-extracted by {outline}") for o, d in seen)
    # What the new extractor makes of each older version is recorded beside it; the version keeps its text.
    for version in before["versions"]:
        kept = conn.execute(
            "SELECT * FROM version_derivations WHERE version_id = ? ORDER BY how", [version[0]]
        ).fetchall()
        assert [(k["how"], k["extractor_version"], k["current"]) for k in kept] == [
            ("crawl", version[8], 1),
            ("rederived", outline, 0),
        ]
    # The edited article's two versions differed only in a paragraph: equal under the new extractor, flagged.
    edited = conn.execute(
        "SELECT id FROM articles WHERE url LIKE ?", [f"%/{two_rounds['scenario']['edited']}"]
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT version, same_as_previous FROM version_derivations WHERE article_id = ? "
        "AND how = 'rederived' ORDER BY version",
        [edited],
    ).fetchall()
    assert [tuple(r) for r in rows] == [(1, 0), (2, 1)]
    assert report.same_as_previous >= 1
    assert conn.execute("SELECT count(*) FROM versions WHERE article_id = ?", [edited]).fetchone()[0] == 3
    # Run again: every version is done, the new ones are what the extractor makes.
    again = reextract(str(db))
    assert again.new_versions == 0 and again.identical == live and again.skipped == again.versions - live


def crawl_with_outline(site, db: Path, patch_dir: Path):
    """A real crawl whose extractor has the changed setting (sitecustomize), with no conditional requests."""
    patch_dir.mkdir(exist_ok=True)
    (patch_dir / "sitecustomize.py").write_text(OUTLINE)
    command = [
        SCRAPY,
        "crawl",
        "healthcenter",
        "-a",
        f"start_url={site.hub_url}",
        "-s",
        f"ARCHIVE_DB={db}",
        "-s",
        "CONDITIONAL_REQUESTS=False",
    ]
    for key, value in TEST_SETTINGS.items():
        command += ["-s", f"{key}={value}"]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{patch_dir}:{ROOT}"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    conn = sqlite3.connect(db)
    crawl_id = conn.execute("SELECT max(id) FROM crawls").fetchone()[0]
    outcomes = dict(
        conn.execute(
            "SELECT outcome, count(*) FROM observations WHERE crawl_id = ? GROUP BY outcome", [crawl_id]
        ).fetchall()
    )
    versions = conn.execute("SELECT DISTINCT extractor_version FROM versions WHERE crawl_id = ?", [crawl_id]).fetchall()
    return outcomes, versions


def test_next_crawl_after_reextract_records_no_false_change(two_rounds, tmp_path, outline):
    site = two_rounds["site"]
    # Control: the new extractor without re-extraction makes every article whose pages are not the very bytes of its
    # current version (made in round 1) look changed; the same bytes are unchanged whatever the extractor.
    control = copy_archive(two_rounds["folder"], tmp_path / "control")
    outcomes, _ = crawl_with_outline(site, control, tmp_path / "patch")
    assert outcomes.get("changed", 0) >= 3
    # With re-extraction first, the same crawl finds nothing changed.
    db = copy_archive(two_rounds["folder"], tmp_path / "copy")
    report = reextract(str(db))
    assert report.rederived == report.versions and report.new_versions >= 5
    before = snapshot(db)
    outcomes, versions = crawl_with_outline(site, db, tmp_path / "patch")
    assert outcomes.get("changed", 0) == 0 and outcomes.get("new", 0) == 0, outcomes
    assert outcomes.get("unchanged", 0) >= 5
    assert versions == []  # no version was made
    assert len(snapshot(db)["versions"]) == len(before["versions"])


def test_reextract_command_and_moved_warc_dir(two_rounds, tmp_path):
    db = copy_archive(two_rounds["folder"], tmp_path / "copy")
    moved = tmp_path / "elsewhere"
    shutil.move(str(tmp_path / "copy" / "warc"), moved)
    healtharchive = str(Path(SCRAPY).with_name("healtharchive"))
    lost = subprocess.run([healtharchive, "reextract", "--db", str(db)], capture_output=True, text=True, cwd=ROOT)
    assert lost.returncode == 1 and "not readable" in lost.stderr
    found = subprocess.run(
        [healtharchive, "reextract", "--db", str(db), "--warc-dir", str(moved)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert found.returncode == 0, found.stderr
    assert "0 re-derived" in found.stdout and "0 without readable captures" in found.stdout
