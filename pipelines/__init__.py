"""Page cleaning, article merging, template detection and text normalisation."""
