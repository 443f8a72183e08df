"""A fake health center ("Breast Cancer Health Center") served over HTTP on 127.0.0.1.

Used by the demo, the test-suite and benchmarks::

    with SampleSite(round=1) as site:      # start()/stop()
        site.hub_url                      # http://127.0.0.1:PORT/breast-cancer/default.htm
        site.set_round(2)                 # scripted edits, removals, additions, a 503 page
        site.articles()                   # what a perfect archiver should keep, per article
        site.clutter()                    # strings that must never reach the archive
        site.scenario                     # which articles the rounds change
        site.requests                     # (method, path?query, headers) seen so far

``SampleSite(generated=N, pages_per_article=P)`` serves N synthetic articles instead.
"""

from .server import SampleSite

__all__ = ["SampleSite"]
