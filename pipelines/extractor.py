"""The extractor the archive's texts come from: its name and version, recorded with each version (an upgrade never
looks like a change of the page) and part of the cleaning cache's key (``clean.recipe``).

Read from the installed package's metadata, not from ``trafilatura`` itself: the crawl process and the archive writer
need the version but never extract, and importing trafilatura (with htmldate, justext, courlan) costs each of them
0.13-0.17 s of start-up (the development machine).
"""

from importlib.metadata import version

EXTRACTOR = "trafilatura"
EXTRACTOR_VERSION = f"{version('trafilatura')}+ha13"  # the whole recipe: extraction and merge
