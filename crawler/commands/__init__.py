"""Project commands: ``crawl`` here replaces Scrapy's to give an honest exit status."""
