"""The archive: the one owner of ``archive.db`` (schema and migrations, writes, reads) and its WARC files.

Below the crawler, the pipelines and the command line, which all go through it: ``Archive`` (``store``) writes
and reads, ``queries`` holds the read queries on a plain connection, ``schema`` the tables and migrations,
``warc`` the WARC files, ``lock`` the one-writer lock. ``urls`` (URL identity), ``text`` (normalised text and
its hash) and ``clock`` (UTC times) are the small utilities every layer shares.
"""

from .store import Archive, ArchiveError

__all__ = ["Archive", "ArchiveError"]
