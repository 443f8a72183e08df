"""The archive's schema and its migrations: the only place that defines its tables, views, indexes and triggers.

``PRAGMA user_version`` holds the schema version. Each migration upgrades one version to the next in
place, inside one transaction, so an archive made by an older release opens without losing a row; a new archive
is made by all of them in one transaction.

Public names (CONTRACT): ``crawls``, ``articles``, ``versions``, ``observations``, ``captures``. From
version 2 on, ``versions``, ``observations`` and ``captures`` are views over compact tables:

- ``texts``: each distinct cleaned text once (content-addressed by its hash);
- ``version_log``: versions, pointing at their text;
- ``observation_log`` and ``capture_log``: integer times and codes, so an unchanged recrawl adds only
  a few dozen bytes per article.
"""

OUTCOMES = ("new", "changed", "unchanged", "incomplete", "gone", "blocked")
OUTCOME_CODE = {name: i for i, name in enumerate(OUTCOMES, start=1)}

_OUTCOME_CASE = "CASE o.outcome " + " ".join(f"WHEN {c} THEN '{n}'" for n, c in OUTCOME_CODE.items()) + " END"
_ISO = "strftime('%Y-%m-%dT%H:%M:%SZ', {}, 'unixepoch')"

# Version 1: the first release's plain tables.
V1 = """
CREATE TABLE crawls (id INTEGER PRIMARY KEY, spider TEXT, started_at TEXT, finished_at TEXT);
CREATE TABLE articles (id INTEGER PRIMARY KEY, url TEXT UNIQUE, title TEXT, status TEXT,
    first_seen TEXT, last_seen TEXT);
CREATE TABLE versions (id INTEGER PRIMARY KEY, article_id INTEGER REFERENCES articles(id), version INTEGER,
    title TEXT, text TEXT, content_hash TEXT, page_count INTEGER, crawled_at TEXT);
CREATE TABLE observations (id INTEGER PRIMARY KEY, article_id INTEGER REFERENCES articles(id),
    crawl_id INTEGER REFERENCES crawls(id), observed_at TEXT, outcome TEXT, version_id INTEGER);
CREATE TABLE captures (id INTEGER PRIMARY KEY, crawl_id INTEGER REFERENCES crawls(id),
    article_id INTEGER REFERENCES articles(id), url TEXT, page_number INTEGER, status INTEGER, fetched_at TEXT);
"""

# Version 2: content-addressed texts, compact logs behind views, provenance, full-text search.
V2 = f"""
ALTER TABLE crawls ADD COLUMN profile TEXT;
ALTER TABLE crawls ADD COLUMN args TEXT;
ALTER TABLE crawls ADD COLUMN scope TEXT;
ALTER TABLE crawls ADD COLUMN status TEXT;
ALTER TABLE crawls ADD COLUMN finish_reason TEXT;
ALTER TABLE crawls ADD COLUMN pages_fetched INTEGER;
ALTER TABLE crawls ADD COLUMN errors INTEGER;
ALTER TABLE crawls ADD COLUMN pid INTEGER;
ALTER TABLE articles ADD COLUMN host TEXT;
ALTER TABLE articles ADD COLUMN missed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN current_version_id INTEGER;

CREATE TABLE texts (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, text TEXT NOT NULL, words INTEGER);
CREATE TABLE version_log (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,
    title TEXT,
    text_id INTEGER NOT NULL REFERENCES texts(id),
    page_count INTEGER,
    page_urls TEXT,
    capture_ids TEXT,
    crawl_id INTEGER REFERENCES crawls(id),
    crawled_at TEXT,
    extractor TEXT,
    extractor_version TEXT,
    author TEXT,
    published TEXT,
    description TEXT,
    reviewed_by TEXT,
    reviewed_on TEXT,
    UNIQUE (article_id, version)
);
CREATE TABLE observation_log (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL,
    crawl_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    outcome INTEGER NOT NULL,
    version_id INTEGER
);
CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE);
CREATE TABLE warc_files (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
-- etag, last_modified and digest are NULL when equal to the previous capture of the URL (revisit_of).
CREATE TABLE capture_log (
    id INTEGER PRIMARY KEY,
    crawl_id INTEGER NOT NULL,
    article_id INTEGER,
    url_id INTEGER NOT NULL,
    page INTEGER,
    status INTEGER,
    at INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    digest TEXT,
    revisit_of INTEGER,
    warc_file_id INTEGER,
    warc_offset INTEGER,
    warc_length INTEGER
);
CREATE TABLE template_blocks (host TEXT NOT NULL, hash TEXT NOT NULL, text TEXT, crawl_id INTEGER,
    PRIMARY KEY (host, hash)) WITHOUT ROWID;

INSERT INTO texts (hash, text, words)
    SELECT content_hash, text, length(text) - length(replace(text, ' ', '')) + 1
    FROM versions GROUP BY content_hash;
INSERT INTO version_log (id, article_id, version, title, text_id, page_count, crawled_at, crawl_id)
    SELECT v.id, v.article_id, v.version, v.title, t.id, v.page_count, v.crawled_at,
        (SELECT o.crawl_id FROM observations o WHERE o.version_id = v.id ORDER BY o.id LIMIT 1)
    FROM versions v JOIN texts t ON t.hash = v.content_hash;
INSERT INTO observation_log (id, article_id, crawl_id, at, outcome, version_id)
    SELECT id, article_id, crawl_id, CAST(strftime('%s', observed_at) AS INTEGER),
        {"CASE outcome " + " ".join(f"WHEN '{n}' THEN {c}" for n, c in OUTCOME_CODE.items()) + " END"}, version_id
    FROM observations;
INSERT OR IGNORE INTO urls (url) SELECT url FROM captures;
INSERT INTO capture_log (id, crawl_id, article_id, url_id, page, status, at)
    SELECT c.id, c.crawl_id, c.article_id, u.id, c.page_number, c.status, CAST(strftime('%s', c.fetched_at) AS INTEGER)
    FROM captures c JOIN urls u ON u.url = c.url;
UPDATE articles SET host = substr(url, instr(url, '//') + 2, instr(substr(url, instr(url, '//') + 2) || '/', '/') - 1),
    current_version_id = (SELECT max(id) FROM version_log WHERE article_id = articles.id);
UPDATE crawls SET status = 'finished' WHERE finished_at IS NOT NULL;
DROP TABLE versions;
DROP TABLE observations;
DROP TABLE captures;

CREATE VIEW versions AS
    SELECT v.id, v.article_id, v.version, v.title, t.text, t.hash AS content_hash, v.page_count, v.crawled_at,
        v.crawl_id, v.page_urls, v.capture_ids, v.extractor, v.extractor_version, t.words,
        v.author, v.published, v.description, v.reviewed_by, v.reviewed_on
    FROM version_log v JOIN texts t ON t.id = v.text_id;
CREATE VIEW observations AS
    SELECT o.id, o.article_id, o.crawl_id, {_ISO.format("o.at")} AS observed_at, {_OUTCOME_CASE} AS outcome,
        o.version_id
    FROM observation_log o;
CREATE VIEW captures AS
    SELECT c.id, c.crawl_id, c.article_id, u.url, c.page AS page_number, c.status, {_ISO.format("c.at")} AS fetched_at,
        c.etag, c.last_modified, c.digest, c.revisit_of, w.path AS warc_file, c.warc_offset, c.warc_length
    FROM capture_log c JOIN urls u ON u.id = c.url_id LEFT JOIN warc_files w ON w.id = c.warc_file_id;

CREATE INDEX version_log_article ON version_log (article_id, version);
CREATE INDEX version_log_crawl ON version_log (crawl_id);
CREATE INDEX observation_log_article ON observation_log (article_id, crawl_id);
CREATE INDEX observation_log_crawl ON observation_log (crawl_id, outcome);
CREATE INDEX capture_log_url ON capture_log (url_id);
CREATE INDEX articles_status ON articles (status, host);

CREATE VIRTUAL TABLE versions_fts USING fts5 (title, text, content='versions', content_rowid='id',
    tokenize='porter unicode61');
INSERT INTO versions_fts (rowid, title, text) SELECT id, title, text FROM versions;
"""

# Version 3 (issue 5): texts re-derived from the WARC files by a newer extractor, and scheduled runs.
# version_texts: one row per (version, extractor version) whose text is known. 'crawl' = the text made
# when the version was crawled, 'verified' = re-extraction gave the same text, 'rederived' = re-extraction
# gave this text (since issue 16 the version keeps its own: a version once written never changes).
# same_as_previous = 1 when this text equals the article's previous version's text under the same
# extractor version (flagged, never merged or deleted: the history keeps its version numbers).
V3 = """
CREATE TABLE version_texts (
    version_id INTEGER NOT NULL REFERENCES version_log(id),
    extractor_version TEXT NOT NULL,
    text_id INTEGER NOT NULL REFERENCES texts(id),
    how TEXT NOT NULL,
    derived_at TEXT NOT NULL,
    same_as_previous INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (version_id, extractor_version)
);
CREATE INDEX version_texts_text ON version_texts (text_id);
CREATE VIEW version_derivations AS
    SELECT vt.version_id, v.article_id, v.version, vt.extractor_version, vt.how, vt.same_as_previous,
        vt.derived_at, t.hash AS content_hash, t.text, vt.text_id = v.text_id AS current
    FROM version_texts vt JOIN version_log v ON v.id = vt.version_id JOIN texts t ON t.id = vt.text_id;
CREATE TABLE schedule_runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    spider TEXT,
    crawl_id INTEGER,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    exit_code INTEGER,
    status TEXT,
    counts TEXT,
    log_file TEXT
);
CREATE INDEX schedule_runs_name ON schedule_runs (name, started_at);
"""

# Version 4 (issue 7): fast on big archives (100,000 articles, 1,000,000 observations). The versions and
# captures views read their texts, URLs and WARC paths with scalar subqueries instead of joins, so SQLite
# flattens them (also on the right of a LEFT JOIN) and a count or an FTS match never reads the texts or
# URLs it does not show; same columns, same rows. articles_last_seen: the articles page's default order.
V4 = f"""
DROP VIEW versions;
CREATE VIEW versions AS
    SELECT v.id, v.article_id, v.version, v.title,
        (SELECT t.text FROM texts t WHERE t.id = v.text_id) AS text,
        (SELECT t.hash FROM texts t WHERE t.id = v.text_id) AS content_hash,
        v.page_count, v.crawled_at, v.crawl_id, v.page_urls, v.capture_ids, v.extractor, v.extractor_version,
        (SELECT t.words FROM texts t WHERE t.id = v.text_id) AS words,
        v.author, v.published, v.description, v.reviewed_by, v.reviewed_on
    FROM version_log v;
DROP VIEW captures;
CREATE VIEW captures AS
    SELECT c.id, c.crawl_id, c.article_id, (SELECT u.url FROM urls u WHERE u.id = c.url_id) AS url,
        c.page AS page_number, c.status, {_ISO.format("c.at")} AS fetched_at,
        c.etag, c.last_modified, c.digest, c.revisit_of,
        (SELECT w.path FROM warc_files w WHERE w.id = c.warc_file_id) AS warc_file, c.warc_offset, c.warc_length
    FROM capture_log c;
CREATE INDEX articles_last_seen ON articles (last_seen);
"""

# Version 5 (issue 7): outcome counts per crawl, kept by triggers, so "crawls and what they found" reads a
# few rows instead of counting every observation (about 90 ms per million observations, growing each crawl).
# outcome: the observation_log codes (1 new ... 5 gone); n: observations of this crawl with that outcome.
V5 = """
CREATE TABLE crawl_outcomes (crawl_id INTEGER NOT NULL, outcome INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, outcome)) WITHOUT ROWID;
INSERT INTO crawl_outcomes (crawl_id, outcome, n)
    SELECT crawl_id, outcome, count(*) FROM observation_log GROUP BY crawl_id, outcome;
CREATE TRIGGER observation_log_count AFTER INSERT ON observation_log BEGIN
    INSERT INTO crawl_outcomes (crawl_id, outcome, n) VALUES (new.crawl_id, new.outcome, 1)
        ON CONFLICT (crawl_id, outcome) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER observation_log_uncount AFTER DELETE ON observation_log BEGIN
    UPDATE crawl_outcomes SET n = n - 1 WHERE crawl_id = old.crawl_id AND outcome = old.outcome;
END;
CREATE TRIGGER observation_log_recount AFTER UPDATE OF crawl_id, outcome ON observation_log BEGIN
    UPDATE crawl_outcomes SET n = n - 1 WHERE crawl_id = old.crawl_id AND outcome = old.outcome;
    INSERT INTO crawl_outcomes (crawl_id, outcome, n) VALUES (new.crawl_id, new.outcome, 1)
        ON CONFLICT (crawl_id, outcome) DO UPDATE SET n = n + 1;
END;
"""

# Version 6: a URL's latest validators (ETag, Last-Modified) live on its urls row, updated in place, instead
# of on every capture: recrawling a site whose ETags change with its ads then adds no validator bytes per
# page. Each capture's full response headers stay in the WARC record it points at.
V6 = f"""
ALTER TABLE urls ADD COLUMN etag TEXT;
ALTER TABLE urls ADD COLUMN last_modified TEXT;
UPDATE urls SET
    etag = (SELECT c.etag FROM capture_log c WHERE c.url_id = urls.id AND c.etag IS NOT NULL
        ORDER BY c.id DESC LIMIT 1),
    last_modified = (SELECT c.last_modified FROM capture_log c WHERE c.url_id = urls.id
        AND c.last_modified IS NOT NULL ORDER BY c.id DESC LIMIT 1);
DROP VIEW captures;
ALTER TABLE capture_log DROP COLUMN etag;
ALTER TABLE capture_log DROP COLUMN last_modified;
CREATE VIEW captures AS
    SELECT c.id, c.crawl_id, c.article_id, (SELECT u.url FROM urls u WHERE u.id = c.url_id) AS url,
        c.page AS page_number, c.status, {_ISO.format("c.at")} AS fetched_at, c.digest, c.revisit_of,
        (SELECT w.path FROM warc_files w WHERE w.id = c.warc_file_id) AS warc_file, c.warc_offset, c.warc_length
    FROM capture_log c;
"""

# Version 7: full-text search kept by triggers on version_log (no writer maintains versions_fts by hand), and
# the observations view knows every outcome code (blocked: the site refused the crawler).
_TEXT_OF = "(SELECT t.text FROM texts t WHERE t.id = {}.text_id)"
V7 = f"""
CREATE TRIGGER version_log_fts_insert AFTER INSERT ON version_log BEGIN
    INSERT INTO versions_fts (rowid, title, text) VALUES (new.id, new.title, {_TEXT_OF.format("new")});
END;
CREATE TRIGGER version_log_fts_delete AFTER DELETE ON version_log BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, {_TEXT_OF.format("old")});
END;
CREATE TRIGGER version_log_fts_update AFTER UPDATE OF title, text_id ON version_log BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, {_TEXT_OF.format("old")});
    INSERT INTO versions_fts (rowid, title, text) VALUES (new.id, new.title, {_TEXT_OF.format("new")});
END;
DROP VIEW observations;
CREATE VIEW observations AS
    SELECT o.id, o.article_id, o.crawl_id, {_ISO.format("o.at")} AS observed_at, {_OUTCOME_CASE} AS outcome,
        o.version_id
    FROM observation_log o;
"""

# Version 8 (issue 15): what analysts read.
# - version_log.page_starts: JSON list, one entry per page, of the block (blank-line separated, from 0) of the
#   version's text where that page starts; NULL for versions written before (which page a block came from is
#   unknown for them, until `reextract` re-cleans their pages).
# - observation_log.detail: for an incomplete observation, which page failed and how ("page 2 (URL): HTTP 503").
# - articles.version_count and articles.last_changed (the newest version's crawled_at), kept by triggers.
# - observations show the article's title and the detail; versions show page_starts.
# - texts.words counts words without the punctuation around them (a Python step below).
V8 = f"""
ALTER TABLE version_log ADD COLUMN page_starts TEXT;
ALTER TABLE observation_log ADD COLUMN detail TEXT;
ALTER TABLE articles ADD COLUMN version_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN last_changed TEXT;
UPDATE articles SET
    version_count = (SELECT count(*) FROM version_log v WHERE v.article_id = articles.id),
    last_changed = (SELECT max(v.crawled_at) FROM version_log v WHERE v.article_id = articles.id);
CREATE TRIGGER version_log_articles_insert AFTER INSERT ON version_log BEGIN
    UPDATE articles SET
        version_count = (SELECT count(*) FROM version_log v WHERE v.article_id = new.article_id),
        last_changed = (SELECT max(v.crawled_at) FROM version_log v WHERE v.article_id = new.article_id)
    WHERE id = new.article_id;
END;
CREATE TRIGGER version_log_articles_delete AFTER DELETE ON version_log BEGIN
    UPDATE articles SET
        version_count = (SELECT count(*) FROM version_log v WHERE v.article_id = old.article_id),
        last_changed = (SELECT max(v.crawled_at) FROM version_log v WHERE v.article_id = old.article_id)
    WHERE id = old.article_id;
END;
CREATE INDEX articles_last_changed ON articles (last_changed);
DROP VIEW versions;
CREATE VIEW versions AS
    SELECT v.id, v.article_id, v.version, v.title,
        (SELECT t.text FROM texts t WHERE t.id = v.text_id) AS text,
        (SELECT t.hash FROM texts t WHERE t.id = v.text_id) AS content_hash,
        v.page_count, v.crawled_at, v.crawl_id, v.page_urls, v.capture_ids, v.extractor, v.extractor_version,
        (SELECT t.words FROM texts t WHERE t.id = v.text_id) AS words,
        v.author, v.published, v.description, v.reviewed_by, v.reviewed_on, v.page_starts
    FROM version_log v;
DROP VIEW observations;
CREATE VIEW observations AS
    SELECT o.id, o.article_id, o.crawl_id, {_ISO.format("o.at")} AS observed_at, {_OUTCOME_CASE} AS outcome,
        o.version_id, (SELECT a.title FROM articles a WHERE a.id = o.article_id) AS title, o.detail
    FROM observation_log o;
"""

# Version 9 (issue 18): history from web archives (``healtharchive backfill``).
# - crawls.source: the web archive a backfill run read (its CDX endpoint); NULL for a crawl of the site itself.
# - backfill_points: each moment of an article's history a backfill assembled from a web archive's captures, keyed by
#   the article asked for and its first page's capture time (whichever archive, or endpoint, served it); staged
#   (crawl_id NULL) until a backfill run from that archive (source) records it, so a stopped backfill continues where
#   it stopped and a second one adds nothing. ``pages``: the captures used, as JSON; ``cleaned``: the article's
#   cleaned pages (backfill_cleaned), kept until the run that records them ends.
# - version_log_time: a version's place in its article's history (a backfilled version can be older than the
#   article's first crawled one).
V9 = """
ALTER TABLE crawls ADD COLUMN source TEXT;
CREATE TABLE backfill_points (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    article TEXT NOT NULL,
    at TEXT NOT NULL,
    state TEXT NOT NULL,
    url TEXT,
    pages TEXT NOT NULL,
    detail TEXT,
    cleaned TEXT,
    crawl_id INTEGER,
    UNIQUE (article, at)
);
CREATE TABLE backfill_cleaned (hash TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX version_log_time ON version_log (article_id, crawled_at);
"""

# Version 10 (issue 18): an article's versions in time order. A backfill can add versions older than the article's
# crawled ones; they are numbered after them (a number never changes), so "the version before" is the one before in
# time (crawled_at, then number), not number - 1: versions.previous_version names it (NULL for the first).
# version_log_crawled_at: the newest versions first (changes, the feed) by time, whatever their numbers.
V10 = """
DROP VIEW versions;
CREATE VIEW versions AS
    SELECT v.id, v.article_id, v.version, v.title,
        (SELECT t.text FROM texts t WHERE t.id = v.text_id) AS text,
        (SELECT t.hash FROM texts t WHERE t.id = v.text_id) AS content_hash,
        v.page_count, v.crawled_at, v.crawl_id, v.page_urls, v.capture_ids, v.extractor, v.extractor_version,
        (SELECT t.words FROM texts t WHERE t.id = v.text_id) AS words,
        v.author, v.published, v.description, v.reviewed_by, v.reviewed_on, v.page_starts,
        (SELECT p.version FROM version_log p WHERE p.article_id = v.article_id
            AND (p.crawled_at < v.crawled_at OR (p.crawled_at = v.crawled_at AND p.version < v.version))
            ORDER BY p.crawled_at DESC, p.version DESC LIMIT 1) AS previous_version
    FROM version_log v;
CREATE INDEX version_log_crawled_at ON version_log (crawled_at);
"""

# Version 11: version_log.previous_version kept by triggers (the version before in time, as version 10's view
# computed it on every read, which cost the canned queries a lookup per version): set when a version is written,
# and moved to the new version for the one after it when a backfill writes a version older than others. It is the
# article's order in time, not part of the version: a version's text, number and date still never change.
_BEFORE = (
    "(SELECT p.version FROM version_log p WHERE p.article_id = {0}.article_id "
    "AND (p.crawled_at, p.version) < ({0}.crawled_at, {0}.version) ORDER BY p.crawled_at DESC, p.version DESC LIMIT 1)"
)
V11 = f"""
ALTER TABLE version_log ADD COLUMN previous_version INTEGER;
DROP INDEX version_log_time;
CREATE INDEX version_log_time ON version_log (article_id, crawled_at, version);
UPDATE version_log SET previous_version = {_BEFORE.format("version_log")};
CREATE TRIGGER version_log_previous_insert AFTER INSERT ON version_log BEGIN
    UPDATE version_log SET previous_version = {_BEFORE.format("new")} WHERE id = new.id;
    UPDATE version_log SET previous_version = new.version
        WHERE id = (SELECT n.id FROM version_log n WHERE n.article_id = new.article_id
                    AND (n.crawled_at, n.version) > (new.crawled_at, new.version)
                    ORDER BY n.crawled_at, n.version LIMIT 1);
END;
CREATE TRIGGER version_log_previous_delete AFTER DELETE ON version_log BEGIN
    UPDATE version_log SET previous_version = old.previous_version
        WHERE article_id = old.article_id AND previous_version = old.version;
END;
DROP VIEW versions;
CREATE VIEW versions AS
    SELECT v.id, v.article_id, v.version, v.title,
        (SELECT t.text FROM texts t WHERE t.id = v.text_id) AS text,
        (SELECT t.hash FROM texts t WHERE t.id = v.text_id) AS content_hash,
        v.page_count, v.crawled_at, v.crawl_id, v.page_urls, v.capture_ids, v.extractor, v.extractor_version,
        (SELECT t.words FROM texts t WHERE t.id = v.text_id) AS words,
        v.author, v.published, v.description, v.reviewed_by, v.reviewed_on, v.page_starts, v.previous_version
    FROM version_log v;
"""

# Version 12 (issue 14): distributed runs, written by `healtharchive ingest`.
# - ingest_runs: one row per run (its id in Redis, its name, the crawl it is); closed once its books are.
# - ingest_articles: the articles of an open run already written (each exactly once, whoever replays it), with
#   the article's blocks before the site's chrome was dropped, so an ingest that restarts learns the chrome again
#   as if it had never stopped. Emptied when the run closes.
V12 = """
CREATE TABLE ingest_runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    closed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE ingest_articles (
    run_id TEXT NOT NULL,
    url TEXT NOT NULL,
    blocks TEXT,
    PRIMARY KEY (run_id, url)
) WITHOUT ROWID;
"""

# Version 13 (issues 16, 17): a version once written never changes, so the site's chrome is learned before writing.
# - chrome_slots: per host, the places in the site's template (box signatures, pipelines/structure.py) found to
#   hold chrome; with template_blocks (repeated blocks whose structure agrees), what the next crawl starts from.
# - held_articles: complete articles of a crawl waiting, before their first version is written, until enough of the
#   site has been seen to know its chrome (pipelines/recorder.py); each leaves in the transaction that records it.
# - page_cache: per URL, the extraction of the body it had last (its digest, the extraction recipe, the result as
#   zlib-compressed JSON), so a recrawl that gets the same body again does not clean it again.
V13 = """
CREATE TABLE chrome_slots (host TEXT NOT NULL, slot TEXT NOT NULL, crawl_id INTEGER,
    PRIMARY KEY (host, slot)) WITHOUT ROWID;
CREATE TABLE held_articles (id INTEGER PRIMARY KEY, crawl_id INTEGER NOT NULL, url TEXT NOT NULL, item TEXT NOT NULL,
    UNIQUE (crawl_id, url));
CREATE TABLE page_cache (url_id INTEGER PRIMARY KEY, digest TEXT NOT NULL, recipe TEXT NOT NULL, data BLOB NOT NULL);
"""

MIGRATIONS = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13]
LATEST = len(MIGRATIONS)


def migrate(conn) -> int:
    """Bring the database up to ``LATEST``; returns the version it had before. A new archive (a database without
    tables) is made in one transaction, whole or not at all: a crawl killed while making it leaves no half-made
    archive (the Python steps, which rewrite rows, have none to rewrite there). An older one moves a version at a
    time, each step in one transaction."""
    before = conn.execute("PRAGMA user_version").fetchone()[0]
    if before > LATEST:
        raise RuntimeError(
            f"archive schema version {before} is newer than this healtharchive ({LATEST}): upgrade healtharchive"
        )
    empty = before == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    steps = [range(1, LATEST + 1)] if empty else [[number] for number in range(before + 1, LATEST + 1)]
    for numbers in steps:
        # executescript commits first; BEGIN/COMMIT make each step all-or-nothing.
        try:
            conn.executescript("BEGIN IMMEDIATE;\n" + ";\n".join(MIGRATIONS[n - 1] for n in numbers))  # left open
            for number in numbers:
                if number in PYTHON_STEPS and not empty:
                    PYTHON_STEPS[number](conn)
            conn.execute(f"PRAGMA user_version = {numbers[-1]}")
            conn.execute("COMMIT")
        except Exception:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return before


def _rekey_articles(conn) -> None:
    """Articles keyed by an older form of ``canonical_url`` (percent-encoding, parameter order) get today's key,
    unless another article already has it."""
    from .urls import canonical_url

    taken = {url for (url,) in conn.execute("SELECT url FROM articles")}
    for article_id, url in conn.execute("SELECT id, url FROM articles").fetchall():
        key = canonical_url(url)
        if key != url and key not in taken:
            conn.execute("UPDATE articles SET url = ? WHERE id = ?", [key, article_id])
            taken.add(key)


def _recount_words(conn) -> None:
    """``texts.words`` by ``archive.text.count_words`` (punctuation is not a word): a derived count, the texts
    themselves unchanged."""
    from .text import count_words

    conn.create_function("ha_count_words", 1, count_words, deterministic=True)
    conn.execute("UPDATE texts SET words = ha_count_words(text)")


PYTHON_STEPS = {7: _rekey_articles, 8: _recount_words}
