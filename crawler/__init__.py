"""healtharchive's Scrapy project: settings, items, site profiles and the spiders."""
