"""Weather and climate: stations and their observations, BMKG feeds, thresholds, statistics."""
