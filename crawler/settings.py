"""Scrapy settings for healtharchive: polite and safe by default.

Every setting here can be overridden with ``-s NAME=VALUE``. The project's own settings:

- ``ARCHIVE_DB``: path of the SQLite archive (default ``archive.db``).
- ``WARC_DIR``: where WARC files are written (default: ``warc/`` beside the archive).
- ``WARC_ENABLED``, ``WARC_MAX_SIZE``: write WARC files (default True), rotated at this size (bytes).
- ``ALLOW_PRIVATE_ADDRESSES``: fetch loopback and private addresses (off; the demo and tests set it).
- ``ARTICLE_MAX_PAGES``: cap on the pages followed for one article (pagination loop guard).
- ``GONE_AFTER_MISSES``: crawls an article may be missing from its center before it is ``gone``.
- ``TEMPLATE_MIN_ARTICLES``: a block or box must be seen in this many articles of a site before it can be chrome.
- ``CHROME_LEARN_ARTICLES``: a site's articles wait (held in the archive) until this many of them have been seen,
  so their first versions are written with the site's chrome known (``pipelines/recorder.py``).
- ``CLEANING_CACHE``: a page whose body is the one it had last is not cleaned again (``pipelines/cleaning.py``).
- ``EXTRACT_WORKERS``: size of the extraction process pool (default: the number of cores).
- ``EXTRACT_NICE``: how much lower the extraction workers' priority is than the crawl's (``nice``; default 10), so
  fetching never waits for a core behind cleaning (``pipelines/cleaning.py``).
- ``PROGRESS_INTERVAL``: seconds between progress lines.
- ``GC_FREEZE``: what exists when the spider opens is kept out of the garbage collector's scans (``crawler/extensions.py``).
- ``RETRY_AFTER_MAX``: the longest ``Retry-After`` (seconds) a retry waits for.
- ``NHS_API_KEY``: key of the NHS website content API; with it the ``nhs`` spider also finds articles there
  (``crawler/feeds.py``).
- ``REDIS_URL``, ``CRAWL_RUN``: this process is a worker of the distributed run CRAWL_RUN (``crawler/distributed/``):
  its frontier is in Redis, its articles go to ``healtharchive ingest``; ``WORKER_HEARTBEAT``, ``WORKER_TTL``
  (seconds: a worker silent for this long is taken for dead and its work done again), ``REDIS_RETRIES``,
  ``HOST_DELAY``, ``HOST_CONCURRENCY``, ``HOST_AUTOTHROTTLE`` (per-host politeness over the whole run).
"""

from scrapy.settings import default_settings

BOT_NAME = "healtharchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

USER_AGENT = "healtharchive/0.1 (+https://github.com/healtharchive/healtharchive; health web archive for research)"

# Politeness: robots.txt, one site at a time, adaptive delays.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 2
RETRY_AFTER_MAX = 60.0

# Safety: big enough for a 5 MB page, small enough that a runaway download cannot fill the disk.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
ALLOW_PRIVATE_ADDRESSES = False
# The address a connection is made to is the one checked (crawler/addresses.py); only http(s) is ever fetched.
TWISTED_DNS_RESOLVER = "crawler.addresses.PublicResolver"
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100), so not even robots.txt is fetched from a refused address.
    "crawler.middlewares.AddressGuard": 50,
    # Scrapy's own lets through requests that wait for a host's robots.txt (see crawler/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsTxt": 100,
    # Scrapy's retries, waiting as long as a 429/503 answer's Retry-After asks.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfter": 550,
    "crawler.middlewares.ConditionalRequests": 560,
    # Next to the downloader: requests as sent, responses as received (see crawler/warc.py).
    "crawler.warc.WarcWriter": 950,
}

ITEM_PIPELINES = {
    "pipelines.cleaning.CleaningPipeline": 300,
    "pipelines.archive.ArchivePipeline": 800,
}

EXTENSIONS = {
    "crawler.extensions.Progress": 500,
    "crawler.extensions.FrozenStartup": 510,
}
# Scrapy's own extensions but the telnet console and the remote control: off (above), and not even imported (Scrapy
# imports a component set to None; the remote control's module imports aiohttp, a quarter second of start-up). To
# use one anyway, list it in EXTENSIONS as well as turning it on.
EXTENSIONS_BASE = {
    name: order
    for name, order in default_settings.EXTENSIONS_BASE.items()
    if name not in ("scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl")
}

ARCHIVE_DB = "archive.db"
WARC_DIR = None
WARC_ENABLED = True
WARC_MAX_SIZE = 1_000_000_000
ARTICLE_MAX_PAGES = 30
GONE_AFTER_MISSES = 3
TEMPLATE_MIN_ARTICLES = 3
CHROME_LEARN_ARTICLES = 20
CLEANING_CACHE = True
EXTRACT_WORKERS = None
EXTRACT_NICE = 10
PROGRESS_INTERVAL = 30.0
GC_FREEZE = True
NHS_API_KEY = None

# Items carry pages' HTML: keep few in flight so memory stays flat on big centers.
CONCURRENT_ITEMS = 16
# Extraction is slower than fetching on a local center, so responses (with their parsed trees) queue up
# waiting for the cleaning pool; Scrapy stops fetching while this many bytes of responses are in process
# (its default, 5 MB, let the crawl process grow ~70 KB per article; 1 MB keeps it flat, same speed).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Distributed crawling: with -s REDIS_URL=redis://HOST:PORT/DB -s CRAWL_RUN=NAME this process is a worker of a run
# (crawler/distributed/); without REDIS_URL the add-on stays out of the way.
ADDONS = {"crawler.distributed.Distributed": 0}
REDIS_URL = None
CRAWL_RUN = None
WORKER_HEARTBEAT = 2.0
WORKER_TTL = 15.0
