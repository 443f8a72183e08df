"""Recording a crawl in the archive: one writer's session, whoever feeds it articles.

``Recorder`` is what the crawl's archive pipeline, and any other writer of crawled articles, drives: ``open()``
takes the archive's lock and starts a ``crawls`` row; ``record(item)`` learns the site's chrome from a complete
article (``pipelines/chrome.py``, by structure), drops it and versions the article in one transaction; ``close()``
remembers the chrome learned, counts misses for a center crawl that finished its whole frontier and closes the
crawl's books.

A version once written never changes, so the chrome must be known before the first versions of a site are written:
while the archive holds fewer than ``hold`` articles of a host, its complete articles are held (``held_articles``,
in the archive) and written, chrome dropped, once ``hold`` of them have been seen, or when the crawl closes. A
later crawl starts from the chrome the archive remembers. An extractor that improves reaches old captures only
through ``healtharchive reextract``.

Versions are made by the article's text, not by the page's metadata nor by what is known of the chrome: a text
that differs from the current version only in lines that say when the page was generated or how often it was seen
(``pipelines/volatile.py``) is ``unchanged``; so is an article whose every page came with the payload digest of the
current version's captures (``same_payloads``: the same bytes), and chrome learned after the current version was
written never drops a block that version kept (``clean.without_chrome``'s ``kept_in``). A complete article left
with no text once its chrome is dropped is ``incomplete``, its observation saying why.

A distributed run (``healtharchive ingest``) is one crawl however many times its writer is restarted: ``open(...,
run=(id, name))`` resumes the run's crawl if it has one, learning the chrome again from the articles it has
written or holds (and writing at once the held articles of a host whose ``hold`` articles were all seen: a writer
killed while it wrote them), and ``record`` writes each article of the run once (``written`` says which are; a held
one counts as written, since the archive keeps it), so replaying one changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

from archive import Archive
from archive.lock import ArchiveLock
from archive.urls import host_of

from .chrome import SiteChrome
from .clean import Cleaned, without_chrome
from .extractor import EXTRACTOR, EXTRACTOR_VERSION
from .validity import problem
from .volatile import only_volatile

logger = logging.getLogger(__name__)


class Recorder:
    """Writes one crawl's articles to the archive at ``path``; see the module doc."""

    def __init__(
        self,
        path: str,
        gone_after: int = 3,
        min_articles: int = 3,
        lock: ArchiveLock | None = None,
        hold: int = 0,
        on_outcome=None,
        load_item=None,
    ):
        """``lock``: the archive's lock, held by the caller for several sessions (the ingest's runs); by default the
        session takes it in ``open()`` and gives it back in ``close()``. ``hold``: hold a host's articles until this
        many have been seen (0: never hold; a backfill learns the chrome of all its moments first).
        ``on_outcome(item, outcome, held)``: called for every article recorded, held ones included when they are.
        ``load_item``: JSON -> item, to take back the articles a resumed distributed run held."""
        self.path = path
        self.hold = hold
        self.on_outcome = on_outcome
        self.load_item = load_item
        self.held: dict[str, list] = {}  # host -> items waiting for the host's chrome
        self.seen: dict[str, int] = {}  # host -> articles the archive had, plus those learned since
        self.gone_after = gone_after
        self.min_articles = min_articles
        self.lock = lock or ArchiveLock(path)
        self.owns_lock = lock is None
        self.archive: Archive | None = None
        self.chrome: SiteChrome | None = None
        self.crawl_id: int | None = None
        self.run: str | None = None

    def open(
        self,
        spider: str,
        profile: str,
        args: dict,
        scope: dict | None,
        source: str | None = None,
        run: tuple[str, str] | None = None,
        started_at: str | None = None,
        pid: int | None = None,
    ) -> int:
        """Take the archive's lock (waiting, with a message, while another process writes it) and start a crawl
        (``source``: the web archive a backfill reads; ``pid``: the crawl's process, when not this one), or for a
        distributed ``run`` (id, name) that has one already, go on with it."""
        if self.owns_lock:
            self.lock.acquire(
                wait=True,
                on_wait=lambda pid: logger.warning(
                    "waiting for the archive %s: another process (pid %s) is writing it", self.path, pid
                ),
            )
        try:
            self.archive = Archive(self.path)
            self.chrome = SiteChrome(
                self.archive.template_hashes(), self.min_articles, known_slots=self.archive.chrome_slots()
            )
            self.run = run[0] if run else None
            found = self.archive.run_crawl(self.run) if run else None
            if found:
                self.crawl_id = found["crawl_id"]
                self.archive.resume_crawl(self.crawl_id)
                for url, learned in self.archive.run_blocks(self.run):
                    self.chrome.learn(host_of(url), url, *learned)
                for data in self.archive.held(self.crawl_id):
                    item = self.load_item(data)
                    self.held.setdefault(host_of(item.url), []).append(item)
                for host, items in self.held.items():
                    self.seen[host] = self.archive.host_articles(host) + len(items)
                for host in [h for h in self.held if self.hold and self.seen[h] >= self.hold]:
                    self.flush(host)  # a writer killed while writing them: the chrome they wait for is known
            else:
                self.crawl_id = self.archive.start_crawl(
                    spider, profile, args, scope, started_at=started_at, pid=pid, source=source, run=run
                )
            self.archive.drop_stale_held()
        except BaseException:
            if self.owns_lock:
                self.lock.release()
            raise
        stale = self.archive.stale_versions(EXTRACTOR_VERSION)
        if stale:
            # Texts made by another extractor differ by the extractor, not by the site.
            logger.warning(
                "%d articles were last archived by another extractor version than %s %s: run "
                "`healtharchive reextract --db %s` first, or their next versions will mix site and extractor changes",
                stale,
                EXTRACTOR,
                EXTRACTOR_VERSION,
                self.path,
            )
        return self.crawl_id

    def written(self, url: str) -> bool:
        """True when this distributed run has written the article ``url`` already."""
        return self.run is not None and self.archive.ingested(self.run, url)

    def record(self, item, at: str | None = None, staged: int | None = None) -> str | None:
        """Version one article (an ``ArticleItem``) seen now, or at ``at`` (a backfill's capture time, ``staged`` its
        ``backfill_points`` row); returns its outcome, None when there was nothing to record or it is held until
        its site's chrome is known. A complete article with a page that is not the article's
        (``pipelines.validity``) is ``incomplete``."""
        if item.state == "ok":
            host = host_of(item.url)
            self.chrome.learn(host, item.url, item.blocks, item.block_slots, item.block_pages)
            if self._holding(host, at, staged):
                self._hold(host, item)
                return None
        return self._write(item, at, staged)

    def _holding(self, host: str, at, staged) -> bool:
        if not self.hold or at is not None or staged is not None:
            return False
        if host not in self.seen:
            self.seen[host] = self.archive.host_articles(host)
        self.seen[host] += 1
        return self.seen[host] <= self.hold

    def _hold(self, host: str, item) -> None:
        for page in item.pages:
            page.html = None  # cleaned already: the archive keeps the payloads in WARC files
        data = json.dumps(asdict(item), ensure_ascii=False, separators=(",", ":"))
        learned = {"blocks": item.blocks, "slots": item.block_slots, "pages": item.block_pages}
        self.archive.hold(self.crawl_id, item.url, data, run_id=self.run, blocks=learned)
        self.held.setdefault(host, []).append(item)
        if self.seen[host] >= self.hold:
            self.flush(host)

    def flush(self, host: str | None = None) -> None:
        """Write the articles held for ``host`` (every host when None), with the chrome known now."""
        for name in [host] if host else list(self.held):
            self.remember()
            for item in self.held.pop(name, []):
                self._write(item, held=True)

    def remember(self) -> None:
        """Keep the chrome learned so far in the archive, for the next crawls (and reextract)."""
        for host, texts in self.chrome.found().items():
            self.archive.remember_templates(self.crawl_id, host, texts)
        for host, slots in self.chrome.found_slots().items():
            self.archive.remember_chrome_slots(self.crawl_id, host, slots)
            self.chrome.known_slots.setdefault(host, set()).update(slots)

    def _write(self, item, at: str | None = None, staged: int | None = None, held: bool = False) -> str | None:
        learned = None
        if item.state == "ok":
            host = host_of(item.url)
            cleaned = Cleaned(item.title, item.blocks, item.meta, item.block_pages, slots=item.block_slots)
            previous = self.archive.current_pages(item.url, at)
            article = without_chrome(cleaned, self.chrome, host, previous["text"] if previous else None)
            comparable = previous if previous and previous["extractor_version"] == EXTRACTOR_VERSION else None
            bad = problem(article, len(item.pages), item.page_titles, comparable)
            if not bad and not article.blocks:
                bad = 1, "no text: every block of it is the site's chrome"
            if bad:
                number, why = bad
                page = item.pages[number - 1]
                page.error = why
                item.state = "incomplete"
                logger.warning("page %d of %s (%s) %s: recorded as incomplete", number, item.url, page.url, why)
            else:
                learned = (
                    None if held else {"blocks": item.blocks, "slots": item.block_slots, "pages": item.block_pages}
                )
                item.blocks, item.text = article.blocks, article.text
                item.block_pages, item.page_starts = article.pages, article.page_starts(len(item.pages))
                if previous and (same_payloads(item, previous) or only_volatile(previous["text"], item.text)):
                    item.text = previous["text"]  # the same bytes, or only when it was generated changed: the same text
        outcome = self.archive.record(
            self.crawl_id,
            item,
            EXTRACTOR,
            EXTRACTOR_VERSION,
            at=at,
            staged=staged,
            run_id=self.run,
            blocks=learned,
            held=held,
            cache=item.cache,
        )
        if outcome and self.on_outcome:
            self.on_outcome(item, outcome, held)
        return outcome

    def leave(self):
        """Stop writing without closing the crawl's books: a distributed run goes on under its next writer."""
        self.archive.close()
        if self.owns_lock:
            self.lock.release()

    def close(self, status: str, reason: str, pages: int, errors: int, scope=None) -> int:
        """Close the crawl's books: write the articles still held, remember the chrome learned and, when ``status``
        is ``finished`` (the crawl went through its whole frontier), count a miss for each live article of ``scope``
        (hosts, paths) it did not observe; returns how many articles became ``gone``. A crawl that did not finish
        (``stopped``, ``failed``) records nothing about what it did not reach."""
        gone = 0
        try:
            self.flush()
            self.remember()
            missing = (*scope, self.gone_after) if scope and status == "finished" else None
            if self.run:  # one transaction: an ingest killed here closes the run again from the start
                gone = self.archive.close_run(self.run, self.crawl_id, status, reason, pages, errors, missing)
            else:
                if missing:
                    gone = self.archive.mark_missing(self.crawl_id, *missing)
                self.archive.finish_crawl(self.crawl_id, status, reason, pages, errors)
        finally:
            self.archive.close()
            if self.owns_lock:
                self.lock.release()
        return gone


class Session:
    """A ``Recorder`` driven from another process: the crawl's archive writer (``pipelines/archive.py``), which lives
    in a process of its own. ``run(method, *args)`` calls the recorder's ``method`` and returns its result with the
    articles recorded meanwhile (the one given, held ones written with it, those the books' close writes), each as
    ``(url, outcome, held, why)``: ``why`` is ``no_text`` (incomplete: no text), ``invalid_pages`` (incomplete: a page
    not the article's) or None. The crawl counts them. A call that fails carries them as ``recorded``."""

    def __init__(self, *args, **kwargs):
        self.recorded: list[tuple] = []
        self.recorder = Recorder(*args, on_outcome=self._recorded, **kwargs)

    def _recorded(self, item, outcome, held):
        why = None
        if item.state == "incomplete" and item.pages and (item.pages[0].error or "").startswith("no text"):
            why = "no_text"
        elif item.state == "incomplete" and any((page.error or "").endswith("not the article") for page in item.pages):
            why = "invalid_pages"
        self.recorded.append((item.url, outcome, held, why))

    def run(self, method: str, *args, **kwargs):
        self.recorded = []
        try:
            return getattr(self.recorder, method)(*args, **kwargs), self.recorded
        except Exception as exc:
            exc.recorded = self.recorded
            raise


def same_payloads(item, version) -> bool:
    """True when every page of ``item`` came with the payload (WARC digest) of the same page of ``version`` (the
    article's current version, ``current_pages``): the site sent the very bytes that version was made from, so
    its text has not changed, whatever the chrome learned since."""
    digests = [(page.warc or {}).get("digest") for page in item.pages]
    return (
        bool(digests)
        and None not in digests
        and [page.url for page in item.pages] == version["page_urls"]
        and digests == version["digests"]
    )
