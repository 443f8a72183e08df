"""Cleaning (``clean``: extract, merge, site chrome) and the Scrapy item pipelines that clean and archive."""
