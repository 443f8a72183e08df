"""One spider per file: the generic ``healthcenter`` and ``pages`` spiders, and one per supported site."""
