"""``healtharchive export URL -o FILE.warc.gz``: one article's raw captures as a WARC of their own.

The file holds a new ``warcinfo`` record, then, in capture order, every record the archive's
``captures`` rows of the article point at (responses and revisits) with the ``request`` record written
beside each, and, before the first revisit that needs it, the original ``response`` record a revisit
refers to (so the file replays on its own in pywb or ReplayWeb.page). Records are copied byte for
byte (each is its own gzip member), so their record IDs, dates and digests are those of the crawl.

pywb replays a ``server-not-modified`` revisit (a 304 answer) as ``304 Not Modified``; with
``--skip-not-modified`` those records are left out, so replay shows the nearest full capture instead.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import click

from crawler.warc import WarcReader, read_headers, read_raw, software


def export_article(conn: sqlite3.Connection, archive_db: str, url: str, out: Path,
                   warc_dir: str | None = None, skip_not_modified: bool = False) -> dict:
    """Write the article's captures to ``out``; returns counts of what was written."""
    from warcio.warcwriter import WARCWriter

    from .cli import find_article

    article = find_article(conn, url)
    reader = WarcReader(conn, archive_db, warc_dir)
    rows = conn.execute(
        "SELECT c.id, u.url, w.path, c.warc_offset, c.warc_length FROM capture_log c "
        "JOIN urls u ON u.id = c.url_id JOIN warc_files w ON w.id = c.warc_file_id "
        "WHERE c.article_id = ? ORDER BY c.id", [article["id"]]).fetchall()
    if not rows:
        raise click.ClickException(f"{article['url']} has no capture stored in a WARC file")
    written: set[tuple[str, int]] = set()
    counts = {"response": 0, "revisit": 0, "request": 0, "missing": 0, "not_modified_skipped": 0}
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "wb") as fh:
        info = io.BytesIO()
        writer = WARCWriter(info, gzip=True)
        writer.write_record(writer.create_warcinfo_record(out.name, {
            "software": software(),
            "format": "WARC File Format 1.0",
            "description": f"healtharchive export of {article['url']} (article {article['id']}): "
                           f"{len(rows)} capture(s) copied from {Path(archive_db).name}",
        }))
        fh.write(info.getvalue())

        def copy(path: Path, offset: int, length: int, kind: str):
            if (str(path), offset) in written:
                return
            written.add((str(path), offset))
            fh.write(read_raw(path, offset, length))
            counts[kind] += 1

        for _id, page_url, stored, offset, length in rows:
            path = reader.path(stored)
            headers = read_headers(path, offset)
            if headers is None:
                counts["missing"] += 1
                continue
            kind = headers.get_header("WARC-Type")
            if skip_not_modified and (headers.get_header("WARC-Profile") or "").endswith("/server-not-modified"):
                counts["not_modified_skipped"] += 1
                continue
            if kind == "revisit":
                target = headers.get_header("WARC-Refers-To-Target-URI") or page_url
                original = reader.original(target, headers.get_header("WARC-Payload-Digest"))
                if original is not None:
                    copy(*original, "response")
                    _copy_request(copy, *original)
            copy(path, offset, length, kind if kind in counts else "response")
            _copy_request(copy, path, offset + length, concurrent_to=headers.get_header("WARC-Record-ID"))
    tmp.replace(out)
    return counts


def _copy_request(copy, path: Path, offset: int, length: int | None = None, concurrent_to: str | None = None):
    """Copy the request record written right after a response record (the writer's order), if it is there."""
    if length is not None:  # called with a response's location: its request follows it
        headers = read_headers(path, offset)
        concurrent_to = headers.get_header("WARC-Record-ID") if headers is not None else None
        offset += length
    request = read_headers(path, offset)
    if request is None or request.get_header("WARC-Type") != "request":
        return
    if request.get_header("WARC-Concurrent-To") != concurrent_to:
        return
    next_offset = _member_end(path, offset)
    if next_offset:
        copy(path, offset, next_offset - offset, "request")


def _member_end(path: Path, offset: int) -> int | None:
    """Offset just past the gzip member (the record) starting at ``offset``."""
    import zlib

    inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
    with open(path, "rb") as fh:
        fh.seek(offset)
        consumed = 0
        while not inflater.eof:
            chunk = fh.read(65536)
            if not chunk:
                return None
            inflater.decompress(chunk)
            consumed += len(chunk)
    return offset + consumed - len(inflater.unused_data)


@click.command(name="export")
@click.argument("url")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The WARC file to write (FILE.warc.gz).")
@click.option("--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
              help="The archive (SQLite file).")
@click.option("--warc-dir", default=None, type=click.Path(file_okay=False),
              help="Where the WARC files are, if they were moved away from the archive's warc/ folder.")
@click.option("--skip-not-modified", is_flag=True,
              help="Leave out the 304 (server-not-modified) revisits: pywb replays those as '304 Not Modified', "
                   "without them it shows the nearest full capture. For browsing; the default keeps every capture.")
def export_command(url, output, db_path, warc_dir, skip_not_modified):
    """Export one article's raw captures (responses, revisits and their originals) as a WARC file.

    Example: healtharchive export https://www.webmd.com/breast-cancer/guide -o guide.warc.gz
    """
    from .cli import open_db

    conn = open_db(db_path)
    counts = export_article(conn, db_path, url, output, warc_dir, skip_not_modified)
    click.echo(f"wrote {output}: {counts['response']} response(s), {counts['revisit']} revisit(s), "
               f"{counts['request']} request(s)"
               + (f", {counts['not_modified_skipped']} 304 revisit(s) left out" if skip_not_modified else "") + (f"; {counts['missing']} record(s) not found" if counts["missing"] else ""))
    if counts["missing"]:
        raise SystemExit(1)
