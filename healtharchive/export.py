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
import os
from pathlib import Path

import click

from archive import queries
from archive.warc import WarcReader, read_headers, read_raw, record_length, software

from .common import db_option, find_article, open_archive, warc_dir_option


def export_article(archive, url: str, out: Path, warc_dir: str | None = None, skip_not_modified: bool = False) -> dict:
    """Write the article's captures to ``out``; returns counts of what was written."""
    from warcio.warcwriter import WARCWriter

    article = find_article(archive, url)
    reader = WarcReader(archive.conn, archive.path, warc_dir)
    captures = queries.captures_of_article(archive.conn, article["id"])
    if not captures:
        raise click.ClickException(f"{article['url']} has no capture stored in a WARC file")
    written: set[tuple[str, int]] = set()
    counts = {"response": 0, "revisit": 0, "request": 0, "missing": 0, "not_modified_skipped": 0}
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "wb") as fh:
        info = io.BytesIO()
        writer = WARCWriter(info, gzip=True)
        writer.write_record(
            writer.create_warcinfo_record(
                out.name,
                {
                    "software": software(),
                    "format": "WARC File Format 1.0",
                    "description": f"healtharchive export of {article['url']} (article {article['id']}): "
                    f"{len(captures)} capture(s) copied from {Path(archive.path).name}",
                },
            )
        )
        fh.write(info.getvalue())

        def copy(path: Path, offset: int, length: int, kind: str):
            if (str(path), offset) in written:
                return
            written.add((str(path), offset))
            fh.write(read_raw(path, offset, length))
            counts[kind] += 1

        def copy_request(path: Path, offset: int, concurrent_to: str | None):
            """The request record the writer put right after a response record, if it is there."""
            request = read_headers(path, offset)
            if (
                request is not None
                and request.get_header("WARC-Type") == "request"
                and request.get_header("WARC-Concurrent-To") == concurrent_to
            ):
                length = record_length(path, offset)
                if length:
                    copy(path, offset, length, "request")

        for capture in captures:
            path, offset, length = reader.path(capture["warc_file"]), capture["warc_offset"], capture["warc_length"]
            headers = read_headers(path, offset)
            if headers is None:
                counts["missing"] += 1
                continue
            kind = headers.get_header("WARC-Type")
            if skip_not_modified and (headers.get_header("WARC-Profile") or "").endswith("/server-not-modified"):
                counts["not_modified_skipped"] += 1
                continue
            if kind == "revisit":
                target = headers.get_header("WARC-Refers-To-Target-URI") or capture["url"]
                original = reader.original(target, headers.get_header("WARC-Payload-Digest"))
                if original is not None:
                    copy(*original, "response")
                    first = read_headers(original[0], original[1])
                    copy_request(
                        original[0],
                        original[1] + original[2],
                        first.get_header("WARC-Record-ID") if first is not None else None,
                    )
            copy(path, offset, length, kind if kind in counts else "response")
            copy_request(path, offset + length, headers.get_header("WARC-Record-ID"))
    tmp.replace(out)
    return counts


def refuse_to_overwrite(output: Path, db_path: str) -> None:
    """A one-line error when ``output`` is the archive (or one of its files) or any SQLite database."""
    archive = Path(db_path)
    for own in (archive, *(Path(f"{archive}{suffix}") for suffix in ("-wal", "-shm", "-journal", ".lock"))):
        if output.exists() and own.exists() and os.path.samefile(output, own):
            raise click.ClickException(f"refusing to write over {output}: it is the archive's own file")
    if output.is_file():
        with open(output, "rb") as fh:  # (not the open archive: checked above)
            if fh.read(16) == b"SQLite format 3\x00":
                raise click.ClickException(f"refusing to write over {output}: it is an SQLite database")
    if output.is_dir():
        raise click.ClickException(f"cannot write {output}: it is a folder")


@click.command(name="export")
@click.argument("url")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The WARC file to write (FILE.warc.gz).",
)
@db_option
@warc_dir_option
@click.option(
    "--skip-not-modified",
    is_flag=True,
    help="Leave out the 304 (server-not-modified) revisits: pywb replays those as '304 Not Modified', "
    "without them it shows the nearest full capture. For browsing; the default keeps every capture.",
)
def export_command(url, output, db_path, warc_dir, skip_not_modified):
    """Export one article's raw captures (responses, revisits and their originals) as a WARC file.

    Example: healtharchive export https://www.webmd.com/breast-cancer/guide -o guide.warc.gz
    """
    if not output.parent.is_dir():
        raise click.ClickException(f"cannot write {output}: no folder {output.parent}")
    refuse_to_overwrite(output, db_path)
    with open_archive(db_path) as archive:
        counts = export_article(archive, url, output, warc_dir, skip_not_modified)
    click.echo(
        f"wrote {output}: {counts['response']} response(s), {counts['revisit']} revisit(s), "
        f"{counts['request']} request(s)"
        + (f", {counts['not_modified_skipped']} 304 revisit(s) left out" if skip_not_modified else "")
        + (f"; {counts['missing']} record(s) not found" if counts["missing"] else "")
    )
    if counts["missing"]:
        raise SystemExit(1)
