"""The archive: the one owner of ``archive.db`` (schema and migrations, writes, reads) and its WARC files.

Below the crawler, the pipelines and the command line, which all go through it: ``Archive`` (``store``) writes
and reads, ``queries`` holds the read queries on a plain connection, ``schema`` the tables and migrations,
``warc`` the WARC files, ``lock`` the one-writer lock. ``urls`` (URL identity), ``text`` (normalised text and
its hash) and ``clock`` (UTC times) are the small utilities every layer shares.
"""

__all__ = ["Archive", "ArchiveError"]


def __getattr__(name: str):
    # ``store`` (and sqlite_utils under it) is imported on first use: the processes that only need the small modules
    # (a cleaning worker's ``text``, the WARC writer's ``warc``) start without it
    if name in __all__:
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
