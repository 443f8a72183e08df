"""Datasette plugin: the archive is read-only. A SQLite authorizer on every archive connection lets reads and
read-only pragmas through and denies anything that writes, whatever the SQL (Datasette's own check is the first
line; this is the second)."""

import sqlite3

from datasette import hookimpl

# SQLite actions that never write: everything else is denied on the archive's connections.
_READ_ACTIONS = {
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
    sqlite3.SQLITE_TRANSACTION,
    sqlite3.SQLITE_SAVEPOINT,
}

_PRAGMAS_WITH_ARGUMENT = {
    "table_info",
    "table_xinfo",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "table_list",
}


def _read_only(action, arg1, arg2, db_name, source):
    """SQLite authorizer: reads and read-only pragmas pass, anything that writes is denied."""
    if action in _READ_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master" and source is None:
        return sqlite3.SQLITE_OK  # SQLite's own check when it connects a virtual table (versions_fts)
    if action == sqlite3.SQLITE_PRAGMA and (arg2 is None or (arg1 or "").lower() in _PRAGMAS_WITH_ARGUMENT):
        return sqlite3.SQLITE_OK  # reading a pragma (or a table's columns, indexes, keys), not setting one
    return sqlite3.SQLITE_DENY


@hookimpl
def prepare_connection(conn, database):
    if not database.startswith("_"):  # Datasette's own _internal database is its to write
        conn.set_authorizer(_read_only)
