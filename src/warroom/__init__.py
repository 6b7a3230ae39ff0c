"""warroom: an open-source city command centre."""

__version__ = "0.1.0"
