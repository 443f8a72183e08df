"""A copy of the archive taken with SQLite's online backup API: safe while crawls write and Datasette reads.

The archive runs in WAL mode: recent commits live in ``archive.db-wal`` until a checkpoint moves them into
``archive.db``, so copying ``archive.db`` alone (``cp``, ``rsync``) can lose the latest crawl or copy a file in the
middle of a write. ``backup`` reads the archive through SQLite in one read transaction: the copy is the archive as
it stood at one commit, WAL included, while writers go on (WAL readers never block them). The copy is written
beside its destination, checked, made a self-contained single file (rollback journal mode) and only then renamed
into place, so a failed backup never leaves a half-written file under the destination's name.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from .clock import utcnow
from .store import ArchiveError, check_file


def backup(source, target) -> dict:
    """Copy the archive at ``source`` to ``target`` (a file, or an existing folder to put a dated copy in);
    returns what was copied: ``path``, ``bytes``, ``seconds``, ``articles``, ``versions``, ``crawls``."""
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise ArchiveError(f"no archive at {source}")
    check_file(str(source))
    if target.is_dir():
        target = target / f"{source.stem}-{utcnow().replace(':', '').replace('-', '')}.db"
    if not target.parent.is_dir():
        raise ArchiveError(f"cannot write {target}: no folder {target.parent}")
    if target.exists() and target.resolve() == source.resolve():
        raise ArchiveError(f"{target} is the archive itself: back it up to another file")
    if target.exists():
        raise ArchiveError(f"{target} exists: remove it or back up to a new file")
    part = target.with_name(target.name + ".part")
    t0 = time.monotonic()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    try:
        dst = sqlite3.connect(part)
        try:
            src.backup(dst)  # one step (pages=-1): one read transaction, one consistent snapshot
            dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file, no -wal beside it
            problem = dst.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise ArchiveError(f"the copy failed its check ({problem}): {source} was not replaced anywhere")
            counts = {
                name: dst.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                for name in ("articles", "versions", "crawls")
            }
        finally:
            dst.close()
        os.replace(part, target)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot back up {source}: {exc}") from exc
    finally:
        src.close()
        part.unlink(missing_ok=True)
    return {"path": target, "bytes": target.stat().st_size, "seconds": time.monotonic() - t0, **counts}
