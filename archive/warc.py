"""The archive's WARC files: written one gzip member per record, read back through the captures that point at them.

``WarcFiles`` appends records to ``healtharchive-<UTC start>-<serial>-<host>-<pid>.warc.gz`` files in a folder
(a new file when the current one reaches its size cap; the name cannot collide across processes or machines),
each starting with a ``warcinfo`` record. Every record is its own gzip member (warcio's ``GzippingWrapper``),
so it can be read or copied alone from its offset; its (file, offset, length) is what a capture stores.
``file`` is relative to the archive's folder when the WARC sits under it (the default ``warc/``), absolute
otherwise, so an archive and its ``warc/`` folder can be moved together.

``WarcReader`` reads a capture's payload back, following a revisit record to the response that holds it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import platform
import socket
import zlib
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.warcwriter import GzippingWrapper, WARCWriter

from . import queries

PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.0/revisit/server-not-modified"
EMPTY_DIGEST = "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"  # of b""


def payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def software() -> str:
    """The software line of a warcinfo record: healtharchive and what it is built on, with versions."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("healtharchive", "scrapy", "warcio", "trafilatura"):
        try:
            parts.append(f"{name}/{version(name)}")
        except PackageNotFoundError:
            parts.append(name)
    parts.append(f"python/{platform.python_version()}")
    return " ".join(parts)


def default_warc_dir(archive_db: str) -> Path:
    return Path(archive_db).resolve().parent / "warc"


def relative_to_archive(path: Path, archive_db: str) -> str:
    """``path`` relative to the archive's folder when it is under it, else absolute (see the module doc)."""
    base = Path(archive_db).resolve().parent
    path = path.resolve()
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def resolve_warc_path(stored: str, archive_db: str, warc_dir: str | None = None) -> Path:
    """Where a ``captures.warc_file`` value is on disk: relative names are under the archive's folder;
    ``warc_dir`` (a moved WARC folder) wins when the file is found there by name."""
    if warc_dir:
        candidate = Path(warc_dir) / Path(stored).name
        if candidate.exists():
            return candidate
    path = Path(stored)
    return path if path.is_absolute() else Path(archive_db).resolve().parent / path


class _Member(GzippingWrapper):
    """warcio's gzip member writer at a chosen level (warcio's own is fixed at 9: 3.7x the CPU of level 3 for 11%
    smaller records on the fixture pages)."""

    def __init__(self, out, level: int):
        super().__init__(out)
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)


class WarcFiles:
    """Appends records to rotating WARC files in ``directory`` (see the module doc).

    ``info`` is the warcinfo record's fields (software and format are added); ``max_size`` caps a file's bytes.
    """

    def __init__(self, directory: Path, archive_db: str, info: dict, max_size: int = 1_000_000_000, level: int = 3):
        self.directory = Path(directory)
        self.archive_db = archive_db
        self.info = info
        self.max_size = max_size
        self.level = level
        self.file = None
        self.stored_name = ""
        self.serial = 0
        self.started = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.tag = f"{socket.gethostname().split('.')[0][:30]}-{os.getpid()}"
        self.opened = 0
        self.bytes = 0

    def _open(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"healtharchive-{self.started}-{self.serial:05d}-{self.tag}.warc.gz"
            self.serial += 1
            path = self.directory / name
            if not path.exists():
                break
        self.file = open(path, "xb")  # noqa: SIM115 (open until rotated or closed)
        self.stored_name = relative_to_archive(path, self.archive_db)
        self.opened += 1
        info = {
            "software": software(),
            "format": "WARC File Format 1.0",
            "conformsTo": "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf",
            "hostname": platform.node(),
            **self.info,
        }
        self._append(WARCWriter(None).create_warcinfo_record(name, info))

    def _append(self, record) -> tuple[int, int]:
        offset = self.file.tell()
        WARCWriter(_Member(self.file, self.level), gzip=False).write_record(record)
        self.file.flush()  # the archive may point at this record before the crawl ends
        length = self.file.tell() - offset
        self.bytes += length
        return offset, length

    def write(self, record) -> tuple[str, int, int]:
        """Append ``record``; returns (stored file name, offset, length)."""
        if self.file is None:
            self._open()
        elif self.file.tell() >= self.max_size:
            self.file.close()
            self._open()
        offset, length = self._append(record)
        return self.stored_name, offset, length

    def close(self):
        if self.file is not None:
            self.file.close()
            self.file = None


# reading back


def read_headers(path: Path, offset: int):
    """The WARC headers of the record at ``offset`` of ``path`` (None when it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            for record in ArchiveIterator(fh):
                return record.rec_headers
    except Exception:  # a missing file, a bad offset: the caller falls back
        return None
    return None


def read_record(path: Path, offset: int):
    """(WARC headers, HTTP headers, payload) of the record at ``offset``; the payload is decoded from
    any ``Content-Encoding``/chunking (what a browser would see), empty for a revisit."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            return record.rec_headers, record.http_headers, _payload(record)
    raise ValueError(f"no WARC record at {path}:{offset}")


def _payload(record) -> bytes:
    """The record's payload as a browser would see it. Brotli is decoded here: warcio 1.8.1's own brotli reader
    sets an attribute that brotli 1.2's ``Decompressor`` does not have, and fails on every ``br`` response."""
    http = record.http_headers
    if http is None or (http.get_header("Content-Encoding") or "").strip().lower() != "br":
        return record.content_stream().read()
    import brotli

    stream = record.raw_stream
    if (http.get_header("Transfer-Encoding") or "").lower() == "chunked":
        stream = ChunkedDataReader(stream)
    return brotli.decompress(stream.read())


def record_length(path: Path, offset: int) -> int | None:
    """Bytes of the record (gzip member) starting at ``offset``, as warcio's iterator measures it."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            records = ArchiveIterator(fh)
            for _ in records:
                return records.get_record_length()
    except Exception:  # a missing file, a bad offset
        return None
    return None


def read_raw(path: Path, offset: int, length: int) -> bytes:
    """The record's bytes as stored (one gzip member), to copy it into another WARC unchanged."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        raise ValueError(f"{path} is shorter than {offset}+{length}")
    return data


class WarcReader:
    """Reads the archive's captures back from their WARC records, following revisits to their originals.

    ``conn`` is an open sqlite3 connection to the archive at ``archive_db``; ``warc_dir`` is where the WARC
    files are when they were moved (see ``resolve_warc_path``).
    """

    def __init__(self, conn, archive_db: str, warc_dir: str | None = None):
        self.conn = conn
        self.archive_db = archive_db
        self.warc_dir = warc_dir
        self._originals: dict[tuple[str, str], tuple[Path, int, int] | None] = {}

    def path(self, stored: str) -> Path:
        return resolve_warc_path(stored, self.archive_db, self.warc_dir)

    def original(self, url: str, digest: str) -> tuple[Path, int, int] | None:
        """Location of the ``response`` record of ``url`` whose payload digest is ``digest``."""
        key = (url, digest)
        if key not in self._originals:
            self._originals[key] = None
            for capture in queries.captures_of_url(self.conn, url):
                path = self.path(capture["warc_file"])
                headers = read_headers(path, capture["warc_offset"])
                if (
                    headers is not None
                    and headers.get_header("WARC-Type") == "response"
                    and headers.get_header("WARC-Payload-Digest") == digest
                ):
                    self._originals[key] = (path, capture["warc_offset"], capture["warc_length"])
                    break
        return self._originals[key]

    def payload(self, stored: str, offset: int):
        """(WARC headers of the capture's record, HTTP headers of the original response, decoded payload)."""
        rec_headers, http_headers, body = read_record(self.path(stored), offset)
        if rec_headers.get_header("WARC-Type") == "revisit":
            url = rec_headers.get_header("WARC-Refers-To-Target-URI") or rec_headers.get_header("WARC-Target-URI")
            found = self.original(url, rec_headers.get_header("WARC-Payload-Digest"))
            if found is None:
                raise LookupError(
                    f"the original of revisit {rec_headers.get_header('WARC-Record-ID')} "
                    f"({url}) is not in the archive's WARC files"
                )
            _, http_headers, body = read_record(found[0], found[1])
        return rec_headers, http_headers, body
